"""Claim: mixpot fits POPS out of core at the cost of a few Gram passes.

The data (default 1,000,000 rows x 1,000 tanh random features, 7.5 GiB if
held at once) are never stored: every pass regenerates them chunk by chunk
from generators seeded with ``(seed, chunk_index)``. Three measurements, each
in a fresh subprocess so that its peak resident set size is its own:

- ``generate``: generating the chunks only (one pass), to subtract;
- ``gram``: one pass accumulating ``G += Xc.T @ Xc`` and ``Xc.T @ yc``, the
  cost of the normal equations of a least-squares fit;
- ``mixpot``: ``POPSRegressor(fit_intercept=True).fit_chunks(make_chunks)``.

"passes" counts the rows generated in units of the data set (a partial pass
shows up as a fraction).

Both fits include their generation cost. After the timed part, the Gram
worker solves a lightly regularised least-squares problem and the mixpot
worker predicts, both on a held-out chunk, as a sanity check of the fit.

Run ``python benchmarks/pops_out_of_core.py`` (full size, 10+ minutes) or,
for a smoke run, ``--rows 100000 --features 200 --chunk 10000``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator

import numpy as np

from _common import (
    MB,
    RandomFeatureProblem,
    blas_threads,
    coverage,
    current_rss_mb,
    markdown_table,
    max_rss_mb,
    met,
)

SEED = 20250102
HELD_OUT_CHUNK = 10**9  # a chunk index that no training pass uses
WORKERS = ("generate", "gram", "mixpot")


class ChunkSource:
    """Regenerate the rows chunk by chunk on every call; count rows read.

    Calling it returns a fresh iterator of ``(X_chunk, y_chunk)`` over all
    rows, so it can be given to ``fit_chunks`` and read once per pass.
    """

    def __init__(
        self, problem: RandomFeatureProblem, n_rows: int, chunk_rows: int
    ) -> None:
        self.problem = problem
        self.n_rows = n_rows
        self.chunk_rows = chunk_rows
        self.rows_generated = 0

    def __call__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield every chunk of rows, generated afresh."""
        for chunk_index, start in enumerate(range(0, self.n_rows, self.chunk_rows)):
            n_chunk_rows = min(self.chunk_rows, self.n_rows - start)
            self.rows_generated += n_chunk_rows
            yield self.problem.chunk(chunk_index, n_chunk_rows)

    @property
    def passes(self) -> float:
        """Rows generated so far, in units of the whole data set."""
        return self.rows_generated / self.n_rows


def generate_only(make_chunks: Callable) -> dict:
    checksum = 0.0
    for X_chunk, y_chunk in make_chunks():
        checksum += float(X_chunk[0, 0] + y_chunk[0])
    return {"checksum": checksum}


def gram_pass(make_chunks: Callable, n_features: int) -> dict:
    gram = np.zeros((n_features, n_features))
    moment = np.zeros(n_features)
    column_sum = np.zeros(n_features)
    y_sum = 0.0
    n_rows = 0
    for X_chunk, y_chunk in make_chunks():
        gram += X_chunk.T @ X_chunk
        moment += X_chunk.T @ y_chunk
        column_sum += X_chunk.sum(axis=0)
        y_sum += float(y_chunk.sum())
        n_rows += X_chunk.shape[0]
    return {
        "gram": gram,
        "moment": moment,
        "column_sum": column_sum,
        "y_sum": y_sum,
        "n_rows": n_rows,
    }


def gram_check(accumulated: dict, X_test: np.ndarray, y_test: np.ndarray) -> dict:
    """Least squares with an intercept from the Gram pass (untimed check)."""
    n_features = accumulated["gram"].shape[0]
    gram = np.empty((n_features + 1, n_features + 1))
    gram[:n_features, :n_features] = accumulated["gram"]
    gram[:n_features, n_features] = gram[n_features, :n_features] = accumulated[
        "column_sum"
    ]
    gram[n_features, n_features] = accumulated["n_rows"]
    moment = np.append(accumulated["moment"], accumulated["y_sum"])
    ridge = 1e-10 * np.trace(gram) / gram.shape[0]
    coef = np.linalg.solve(gram + ridge * np.eye(gram.shape[0]), moment)
    error = X_test @ coef[:n_features] + coef[n_features] - y_test
    return {"test_rmse": float(np.sqrt(np.mean(error**2)))}


def mixpot_check(model, X_test: np.ndarray, y_test: np.ndarray) -> dict:
    """Held-out RMSE and coverage of the POPS bounds (untimed check)."""
    mean = model.predict(X_test)
    lower, upper = model.predict_bounds(X_test)
    return {
        "test_rmse": float(np.sqrt(np.mean((mean - y_test) ** 2))),
        "test_coverage": coverage(y_test, lower, upper),
    }


def run_worker(method: str, args: argparse.Namespace) -> dict:
    """Measure one method in this process; return the numbers as a dict."""
    problem = RandomFeatureProblem(n_features=args.features, seed=args.seed)
    make_chunks = ChunkSource(problem, args.rows, args.chunk)
    X_test, y_test = problem.chunk(HELD_OUT_CHUNK, min(args.chunk, 20_000))
    if method == "mixpot":
        from mixpot.pops import POPSRegressor

        def work():
            return POPSRegressor(fit_intercept=True).fit_chunks(make_chunks)
    elif method == "gram":

        def work():
            return gram_pass(make_chunks, args.features)
    else:

        def work():
            return generate_only(make_chunks)

    rss_before = current_rss_mb()
    max_rss_before = max_rss_mb()
    tracemalloc.start()
    start, cpu_start = time.perf_counter(), time.process_time()
    result = work()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    numbers = {
        "method": method,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "passes": make_chunks.passes,
        "traced_peak_mb": traced_peak / MB,
        "max_rss_mb": max_rss_mb(),
        "rss_delta_mb": max_rss_mb() - rss_before,
        "max_rss_before_mb": max_rss_before,
    }
    if method == "mixpot":
        numbers.update(mixpot_check(result, X_test, y_test))
    elif method == "gram":
        numbers.update(gram_check(result, X_test, y_test))
    return numbers


def run_in_subprocess(method: str, args: argparse.Namespace) -> dict:
    command = [
        sys.executable,
        os.path.abspath(__file__),
        "--worker",
        method,
        f"--rows={args.rows}",
        f"--features={args.features}",
        f"--chunk={args.chunk}",
        f"--seed={args.seed}",
    ]
    try:
        finished = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=args.timeout,
            preexec_fn=lambda: _limit_address_space(args.memory_limit_gb),
        )
    except subprocess.TimeoutExpired:
        return {"method": method, "error": f"stopped after {args.timeout} s"}
    if finished.returncode != 0:
        last_line = (finished.stderr.strip().splitlines() or ["no output"])[-1]
        return {"method": method, "error": last_line[:200]}
    return json.loads(finished.stdout.strip().splitlines()[-1])


def _limit_address_space(limit_gb: float) -> None:
    """Cap a worker's address space so a runaway fit fails with MemoryError."""
    limit = int(limit_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


LABELS = {
    "generate": "generation only",
    "gram": "chunked Gram pass",
    "mixpot": "mixpot fit_chunks",
}


def report(results: dict[str, dict]) -> str:
    generate_seconds = results["generate"].get("seconds", float("nan"))
    gram_seconds = results["gram"].get("seconds", float("nan"))
    rows = []
    for method, numbers in results.items():
        if "error" in numbers:
            rows.append([LABELS[method], f"failed: {numbers['error']}"] + [""] * 10)
            continue
        rows.append(
            [
                LABELS[method],
                numbers["passes"],
                numbers["seconds"],
                numbers["seconds"] - numbers["passes"] * generate_seconds,
                numbers["seconds"] / gram_seconds,
                numbers["cpu_seconds"],
                numbers["traced_peak_mb"],
                numbers["max_rss_mb"],
                numbers["rss_delta_mb"],
                numbers.get("test_rmse", float("nan")),
                numbers.get("test_coverage", float("nan")),
            ]
        )
    header = [
        "method",
        "passes",
        "time s",
        "time − generation s",
        "time / Gram",
        "CPU s",
        "tracemalloc peak MB",
        "max RSS MB",
        "RSS Δ MB",
        "held-out RMSE",
        "held-out bounds coverage",
    ]
    return markdown_table(header, rows)


def goal_lines(results: dict[str, dict]) -> list[str]:
    mixpot = results["mixpot"]
    if "error" in mixpot:
        return [f"- mixpot failed ({mixpot['error']}); no goal can be checked."]
    gram, generate = results["gram"], results["generate"]
    ratio = mixpot["seconds"] / gram["seconds"]
    cpu_ratio = mixpot["cpu_seconds"] / gram["cpu_seconds"]
    gram_compute = gram["seconds"] - generate["seconds"]
    mixpot_compute = mixpot["seconds"] - mixpot["passes"] * generate["seconds"]
    if gram_compute > 0.1 * gram["seconds"]:
        compute_ratio = f"{mixpot_compute / gram_compute:.2f}"
    else:  # generation dominates; the difference is timing noise
        compute_ratio = "n/a, generation dominates"
    peak = max(mixpot["max_rss_mb"], mixpot["traced_peak_mb"])
    return [
        f"- peak memory ≤ 2 GB: {met(peak <= 2048.0)} (max RSS of the whole "
        f"process {mixpot['max_rss_mb']:.0f} MB, fit's own RSS growth "
        f"{mixpot['rss_delta_mb']:.0f} MB, "
        f"tracemalloc {mixpot['traced_peak_mb']:.0f} MB)",
        f"- time ≤ 4× the Gram pass: {met(ratio <= 4.0)} (wall-time ratio "
        f"{ratio:.2f}; without data generation {compute_ratio}; CPU-time "
        f"ratio {cpu_ratio:.2f})",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--memory-limit-gb",
        type=float,
        default=8.0,
        help="address-space cap of each worker (a safety net, not the goal)",
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds per worker"
    )
    parser.add_argument("--worker", choices=WORKERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args.worker, args)))
        return

    x_gib = args.rows * args.features * 8 / 1024.0**3
    print(
        f"pops_out_of_core.py --rows {args.rows} --features {args.features} "
        f"--chunk {args.chunk}: {datetime.date.today()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, "
        f"BLAS threads: {blas_threads()}\n\n"
        f"X would be {x_gib:.2f} GiB in memory; one chunk is "
        f"{args.chunk * args.features * 8 / MB:.0f} MB.\n"
    )
    results, loads = {}, []
    for method in WORKERS:
        loads.append(f"{LABELS[method]} {os.getloadavg()[0]:.2f}")
        results[method] = run_in_subprocess(method, args)
    print(report(results))
    print(f"\n1-min load average before each worker: {', '.join(loads)}.")
    print("\n".join(["", "Goals for mixpot:", *goal_lines(results)]))


if __name__ == "__main__":
    main()
