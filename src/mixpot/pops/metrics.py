"""Scores of predictive intervals: coverage, width and ranking.

Used by the demo, the benchmarks and the distillation report, so that every
table in mixpot measures intervals the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class IntervalScores:
    """How well an interval ``[lower, upper]`` covers the truth.

    Attributes
    ----------
    coverage : float
        Fraction of points inside the interval.
    hardest_coverage : float
        Coverage on the points with the largest |error| of the mean
        (top ``hardest_fraction``).
    width_over_rmse : float
        Mean interval width divided by the RMSE of the mean.
    rank_correlation : float
        Spearman correlation between |error| and the predicted std (NaN when
        the std is constant or not given).
    rmse : float
        Root-mean-square error of the mean.
    """

    coverage: float
    hardest_coverage: float
    width_over_rmse: float
    rank_correlation: float
    rmse: float


def score_interval(
    y_true,
    y_mean,
    lower,
    upper,
    std=None,
    hardest_fraction: float = 0.1,
    atol: float = 0.0,
) -> IntervalScores:
    """Score an interval against the truth.

    Parameters
    ----------
    y_true, y_mean, lower, upper : array-like of shape (n_samples,)
        Truth, predicted mean and interval ends.
    std : array-like of shape (n_samples,), optional
        Predicted std, for the rank correlation.
    hardest_fraction : float, default=0.1
        Share of points with the largest |error| for ``hardest_coverage``.
    atol : float, default=0.0
        Tolerance added to both ends (round-off on exact bounds).

    Returns
    -------
    IntervalScores
        The scores.

    Examples
    --------
    >>> s = score_interval([0, 1], [0, 0.5], [-1, 0], [1, 2])
    >>> s.coverage, s.hardest_coverage
    (1.0, 1.0)
    """
    y_true, y_mean, lower, upper = (
        np.ravel(np.asarray(a, dtype=float)) for a in (y_true, y_mean, lower, upper)
    )
    inside = (lower - atol <= y_true) & (y_true <= upper + atol)
    error = np.abs(y_true - y_mean)
    n_hard = max(1, int(round(hardest_fraction * len(error))))
    hardest = np.argsort(error)[-n_hard:]
    rmse = float(np.sqrt(np.mean(error**2)))
    width = float(np.mean(upper - lower))
    return IntervalScores(
        coverage=float(inside.mean()),
        hardest_coverage=float(inside[hardest].mean()),
        width_over_rmse=width / rmse if rmse > 0 else float("nan"),
        rank_correlation=_spearman(error, std),
        rmse=rmse,
    )


def _spearman(error: np.ndarray, std) -> float:
    if std is None:
        return float("nan")
    std = np.ravel(np.asarray(std, dtype=float))
    if np.ptp(std) == 0 or np.ptp(error) == 0:
        return float("nan")
    return float(stats.spearmanr(error, std).statistic)
