"""The quick demonstration behind ``mixpot demo --quick`` (and the tests).

Three steps, each a few seconds to a minute on a laptop:

1. POPS bounds on a misspecified fit (Runge's function and sin(10x) with a
   degree-9 Legendre basis), next to Bayesian ridge's ±2σ: a coverage table
   and a plot.
2. Distillation of a cheap linear SNAP for W from the W_2940_2017_2 SNAP
   that ships with LAMMPS (standing in for an expensive MLIP), with its
   report.
3. Energy-mixed NVE of a W vacancy: the expensive model near the vacancy
   (found by coordination), the distilled one elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import BayesianRidge

from mixpot.pops import POPSRegressor
from mixpot.pops.metrics import IntervalScores, score_interval

TARGETS = {
    "runge": lambda x: 1.0 / (1.0 + 25.0 * x**2),
    "sin10": lambda x: np.sin(10.0 * x),
}


@dataclass(frozen=True)
class DemoResult:
    """What the demo produced: a Markdown table and the files written."""

    table: str
    plot_path: Path
    model_path: Path
    scores: dict[tuple[str, str], IntervalScores]


def legendre_features(x: np.ndarray, degree: int = 9) -> np.ndarray:
    """Legendre polynomials P_1..P_degree of ``x`` in [-1, 1] (no constant)."""
    return np.polynomial.legendre.legvander(x, degree)[:, 1:]


def run_pops_demo(
    out_dir: Path, n_train: int = 1000, n_test: int = 5000, random_state: int = 0
) -> DemoResult:
    """Fit both targets, score the intervals, write a plot and a model file.

    Examples
    --------
    >>> import tempfile
    >>> result = run_pops_demo(Path(tempfile.mkdtemp()), n_train=200, n_test=500)
    >>> result.scores[("runge", "POPS bounds")].coverage >= 0.95
    True
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mixpot.plots import plot_bounds_1d

    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(random_state)
    x_train = rng.uniform(-1, 1, n_train)
    x_test = rng.uniform(-1, 1, n_test)
    figure, axes = plt.subplots(1, len(TARGETS), figsize=(11, 4), squeeze=False)
    scores: dict[tuple[str, str], IntervalScores] = {}
    for ax, (name, function) in zip(axes[0], TARGETS.items(), strict=True):
        X_train, X_test = legendre_features(x_train), legendre_features(x_test)
        y_train, y_test = function(x_train), function(x_test)
        pops = POPSRegressor().fit(X_train, y_train)
        mean, std = pops.predict(X_test, return_std=True)
        lower, upper = pops.predict_bounds(X_test)
        scores[(name, "POPS bounds")] = score_interval(y_test, mean, lower, upper, std)
        bayes = BayesianRidge().fit(X_train, y_train)
        b_mean, b_std = bayes.predict(X_test, return_std=True)
        scores[(name, "BayesianRidge ±2σ")] = score_interval(
            y_test, b_mean, b_mean - 2 * b_std, b_mean + 2 * b_std, b_std
        )
        plot_bounds_1d(
            ax,
            x_test,
            y_test,
            mean,
            lower,
            upper,
            x_train=x_train[:60],
            y_train=y_train[:60],
        )
        ax.fill_between(
            np.sort(x_test),
            (b_mean - 2 * b_std)[np.argsort(x_test)],
            (b_mean + 2 * b_std)[np.argsort(x_test)],
            color="C1",
            alpha=0.3,
            label="BayesianRidge ±2σ",
        )
        ax.legend(loc="best", fontsize=8)
        ax.set_title(f"{name}: degree-9 Legendre fit, N={n_train}")
    figure.tight_layout()
    plot_path = out_dir / "pops_bounds.png"
    figure.savefig(plot_path, dpi=120)
    plt.close(figure)
    model_path = pops.save(out_dir / "pops_sin10.npz")
    return DemoResult(_table(scores), plot_path, model_path, scores)


def _table(scores: dict[tuple[str, str], IntervalScores]) -> str:
    lines = [
        "| target | interval | test coverage | hardest 10% | width/RMSE | rank corr. |",
        "|---|---|---|---|---|---|",
    ]
    for (target, method), s in scores.items():
        lines.append(
            f"| {target} | {method} | {s.coverage:.3f} | {s.hardest_coverage:.3f} "
            f"| {s.width_over_rmse:.2f} | {s.rank_correlation:.2f} |"
        )
    return "\n".join(lines)


def run_distill_demo(out_dir: Path, random_state: int = 0):
    """Distil a 2J=6 SNAP for W from the shipped 2J=8 W_2940_2017_2 SNAP.

    A small, fast recipe; the cheap model has fewer descriptors (30 instead
    of 55), so it cannot reproduce the expensive one exactly. Returns the
    :class:`~mixpot.distill.pipeline.DistillResult`.
    """
    from mixpot.descriptors import SNAP, ZBLBaseline
    from mixpot.distill.pipeline import DistillConfig, distil
    from mixpot.distill.recipes import quick_tungsten_recipe

    config = DistillConfig(
        expensive="lammps:W_snap",
        recipe=quick_tungsten_recipe(),
        descriptor=SNAP(["W"], [0.5], twojmax=6),
        baseline=ZBLBaseline(4.0, 4.8),
        n_ensemble=2,
        random_state=random_state,
    )
    return distil(config, out_dir, progress=False)


def run_mixing_demo(cheap, n_steps: int = 40) -> dict[str, float]:
    """Energy-mixed NVE of a W vacancy with the shipped SNAP as expensive model.

    Returns the energy drift (meV/atom), set sizes and time per step (s).
    """
    import time

    from ase import units
    from ase.build import bulk
    from ase.md.verlet import VelocityVerlet

    from mixpot.mixing import CoordinationNumber, MixedCalculator, Regions
    from mixpot.models import shipped_tungsten

    expensive = shipped_tungsten()
    atoms = bulk("W", cubic=True, a=3.18).repeat(7)
    del atoms[len(atoms) // 2]
    atoms.rattle(0.02, seed=0)
    regions = Regions(
        criterion=CoordinationNumber(3.0),
        criterion_bounds=(0, 7),
        r_core=0.5,
        r_blend=3.0,
        r_buff=5.0,
    )
    atoms.calc = MixedCalculator(
        expensive.calculator(uncertainty=False),
        cheap.calculator(uncertainty=False),
        regions,
        mode="energy",
    )
    dynamics = VelocityVerlet(atoms, 1.0 * units.fs)
    start_energy = atoms.get_total_energy()
    start = time.perf_counter()
    dynamics.run(n_steps)
    seconds = (time.perf_counter() - start) / n_steps
    results = atoms.calc.results
    return {
        "n_atoms": len(atoms),
        "n_expensive": results["n_expensive"],
        "drift_meV_per_atom": 1e3
        * (atoms.get_total_energy() - start_energy)
        / len(atoms),
        "seconds_per_step": seconds,
    }
