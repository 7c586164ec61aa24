"""Shared helpers for the benchmark scripts: timing, memory, metrics, tables.

The POPS benchmarks compare prediction intervals on noise-free data. Every
method is reduced to the same four arrays on a set of points: the predicted
mean, a lower and an upper bound of its interval, and (when the method has
one) a standard deviation. `interval_metrics` turns those into the numbers the
tables report. Memory is measured two ways: `tracemalloc` (numpy reports its
array allocations to it, so it sees the Python + numpy heap, not BLAS
scratch space) and the process's peak resident set size.
"""

from __future__ import annotations

import functools
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from threadpoolctl import threadpool_info

MB = 1024.0**2


def timed(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """Call ``function()``; return its result, wall time and CPU time in s.

    The CPU time sums all threads of the process (BLAS included); on a
    shared machine it is less sensitive to other processes than wall time.
    """
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall_start, time.process_time() - cpu_start


def traced_peak_mb(function: Callable[[], Any]) -> tuple[Any, float]:
    """Call ``function()`` and return its result with its tracemalloc peak.

    The peak is counted above what was already allocated when the call
    started, so inputs that exist before the call are not included.
    """
    already_tracing = tracemalloc.is_tracing()
    if not already_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    baseline, _ = tracemalloc.get_traced_memory()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not already_tracing:
            tracemalloc.stop()
    return result, (peak - baseline) / MB


def current_rss_mb() -> float:
    """Resident set size of this process now, in MB (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * resource.getpagesize() / MB


def max_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def blas_threads() -> str:
    """Threads of each loaded BLAS, e.g. ``"openblas 2"`` (set by env vars)."""
    pools = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    return ", ".join(f"{pool['internal_api']} {pool['num_threads']}" for pool in pools)


def array_mb(array: np.ndarray) -> float:
    """Size of an array's data in MB."""
    return array.nbytes / MB


def coverage(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """Fraction of targets with lower <= y <= upper."""
    return float(np.mean((y >= lower) & (y <= upper)))


def interval_metrics(
    y: np.ndarray,
    mean: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    std: np.ndarray | None,
    hardest_fraction: float = 0.1,
) -> dict[str, float]:
    """Coverage, width and ranking quality of an interval on test points.

    Parameters
    ----------
    y, mean, lower, upper : ndarray of shape (n_points,)
        Targets, predicted mean and interval bounds.
    std : ndarray of shape (n_points,) or None
        The method's predictive standard deviation; None (or a constant)
        gives nan for the rank correlation.
    hardest_fraction : float, default=0.1
        Share of points with the largest |y - mean| used for the
        "hardest" coverage.

    Returns
    -------
    dict
        ``coverage``, ``coverage_hardest``, ``width_over_rmse``,
        ``spearman`` (|error| against std) and ``rmse``.
    """
    abs_error = np.abs(y - mean)
    rmse = float(np.sqrt(np.mean(abs_error**2)))
    n_hardest = max(1, int(round(hardest_fraction * y.size)))
    hardest = np.argsort(abs_error)[-n_hardest:]
    if std is None or np.ptp(std) == 0.0:
        spearman = float("nan")
    else:
        spearman = float(spearmanr(abs_error, std).statistic)
    return {
        "coverage": coverage(y, lower, upper),
        "coverage_hardest": coverage(y[hardest], lower[hardest], upper[hardest]),
        "width_over_rmse": float(np.mean(upper - lower)) / rmse,
        "spearman": spearman,
        "rmse": rmse,
    }


def format_value(value: Any, digits: int = 3) -> str:
    """Format a table cell: floats to ``digits`` significant places."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "nan"
        return f"{value:.{digits}g}"
    return str(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Render rows as a GitHub-flavoured Markdown table."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(format_value(cell) for cell in row) + " |")
    return "\n".join(lines)


def met(condition: bool) -> str:
    """Say whether a goal is met, for the goal lists under the tables."""
    return "met" if condition else "NOT met"


@functools.cache
def _random_feature_weights(
    n_features: int, n_inputs: int, seed: int
) -> dict[str, np.ndarray]:
    """Feature and target weights of a `RandomFeatureProblem` (cached)."""
    rng = np.random.default_rng([seed, 2**31 - 1])
    # Scaled so that x @ w has unit variance for x uniform in [-1, 1].
    scale = np.sqrt(3.0 / n_inputs)
    return {
        "feature_w": rng.normal(0.0, scale, (n_inputs, n_features)),
        "feature_b": rng.uniform(-1.0, 1.0, n_features),
        "target_a": rng.normal(0.0, scale, n_inputs),
        "target_c": rng.normal(0.0, scale, n_inputs),
    }


@dataclass(frozen=True)
class RandomFeatureProblem:
    """A misspecified regression problem: tanh random features of a 20-D input.

    The target is a smooth function of the input that no finite set of tanh
    features reproduces, and it is computed without noise. Every chunk of
    rows is generated from its own generator seeded with
    ``(seed, chunk_index)``, so a chunk is the same whenever it is
    regenerated: a streaming fit can read the data several times.

    Parameters
    ----------
    n_features : int
        Number of random features P (columns of X).
    n_inputs : int, default=20
        Dimension of the input space.
    seed : int, default=0
        Seed for the feature weights, the target and every chunk.
    """

    n_features: int
    n_inputs: int = 20
    seed: int = 0

    def chunk(self, chunk_index: int, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows of chunk ``chunk_index``: X of shape (n_rows, P), y (n_rows,)."""
        weights = _random_feature_weights(self.n_features, self.n_inputs, self.seed)
        rng = np.random.default_rng([self.seed, chunk_index])
        inputs = rng.uniform(-1.0, 1.0, (n_rows, self.n_inputs))
        # In place: the chunk itself is the only (n_rows, P) array allocated.
        X = inputs @ weights["feature_w"]
        X += weights["feature_b"]
        np.tanh(X, out=X)
        y = (
            np.sin(inputs @ weights["target_a"])
            + 0.5
            * np.exp(-0.25 * np.sum(inputs**2, axis=1))
            * np.cos(inputs @ weights["target_c"])
            + 0.5 * inputs[:, 0] * inputs[:, 1] * inputs[:, 2]
        )
        return X, y
