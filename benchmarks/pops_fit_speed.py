"""Claim: a POPS fit costs a few Gram passes, and a fifth of popsregression's.

The two speed goals of issue 10, measured so that load from other processes
on a shared machine hits both sides of each ratio alike: the methods run in
one process, taking turns, and the best of ``--repeats`` runs of each is
kept (wall and CPU time). ``uptime``'s load average is printed with each
round.

- in memory, N=100,000 × P=500 tanh random features (the case (c) of
  ``pops_coverage.py``): ``POPSRegressor().fit`` against
  ``popsregression.POPSRegression().fit`` (goal ≤ 0.2×);
- out of core, rows regenerated chunk by chunk on every pass as in
  ``pops_out_of_core.py``: ``POPSRegressor().fit_chunks`` against one chunked
  Gram pass, both including their generation (goal ≤ 4×). Peak memory of
  the streamed fit is measured by ``pops_out_of_core.py`` (own subprocess).

Run ``python benchmarks/pops_fit_speed.py`` (defaults: in-memory case, and
out of core at 200,000 × 1,000 in 10,000-row chunks) or choose sizes with
``--rows``, ``--features``, ``--chunk``; ``--skip-in-memory`` runs the
out-of-core part only.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform

import numpy as np
from popsregression import POPSRegression

from _common import RandomFeatureProblem, blas_threads, markdown_table, met, timed
from mixpot.pops import POPSRegressor
from pops_out_of_core import ChunkSource, gram_pass

SEED = 20250101


def best_of(functions: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Best (wall, CPU) seconds of each function, the functions taking turns."""
    best = {name: (np.inf, np.inf) for name in functions}
    for round_index in range(repeats):
        print(
            f"round {round_index + 1}: 1-min load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        for name, function in functions.items():
            _, wall, cpu = timed(function)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def in_memory(repeats: int) -> list[str]:
    X, y = RandomFeatureProblem(n_features=500, seed=SEED).chunk(0, 100_000)

    def reference():
        np.random.seed(SEED)  # noqa: NPY002  (popsregression's global RNG)
        return POPSRegression(fit_intercept=True).fit(X, y)

    best = best_of(
        {
            "mixpot POPSRegressor().fit": lambda: POPSRegressor().fit(X, y),
            "popsregression POPSRegression().fit": reference,
        },
        repeats,
    )
    return _table_and_goal(
        "In memory, N=100,000, P=500",
        best,
        "popsregression POPSRegression().fit",
        0.2,
    )


def out_of_core(args: argparse.Namespace) -> list[str]:
    problem = RandomFeatureProblem(n_features=args.features, seed=SEED)
    source = ChunkSource(problem, args.rows, args.chunk)
    best = best_of(
        {
            "chunked Gram pass": lambda: gram_pass(source, args.features),
            "mixpot POPSRegressor().fit_chunks": lambda: POPSRegressor().fit_chunks(
                source
            ),
        },
        args.repeats,
    )
    return _table_and_goal(
        f"Out of core, N={args.rows:,}, P={args.features}, chunks of {args.chunk:,}",
        best,
        "chunked Gram pass",
        4.0,
    )


def _table_and_goal(title, best, reference, limit) -> list[str]:
    mixpot = next(name for name in best if name.startswith("mixpot"))
    rows = [
        [name, wall, cpu, wall / best[reference][0]]
        for name, (wall, cpu) in best.items()
    ]
    ratio = best[mixpot][0] / best[reference][0]
    cpu_ratio = best[mixpot][1] / best[reference][1]
    return [
        f"### {title}",
        "",
        markdown_table(["method", "best wall s", "best CPU s", "÷ reference"], rows),
        "",
        f"- {mixpot} ≤ {limit}× {reference}: {met(ratio <= limit)} "
        f"(wall-time ratio {ratio:.3g}; CPU-time ratio {cpu_ratio:.3g}); "
        f"1-min load after: {os.getloadavg()[0]:.2f}",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-in-memory", action="store_true")
    args = parser.parse_args()
    print(
        f"pops_fit_speed.py: {datetime.date.today()}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}, BLAS threads: {blas_threads()}\n"
    )
    lines = [] if args.skip_in_memory else in_memory(args.repeats)
    lines += out_of_core(args)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
