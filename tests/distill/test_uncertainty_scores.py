"""Held-out uncertainty scores of the report (distill/uncertainty_scores.py)."""

import numpy as np
import pytest

from mixpot.distill.report import RowPredictions
from mixpot.distill.uncertainty_scores import (
    band_scores,
    rank_correlation,
    uncertainty_scores,
)


def test_band_scores_count_labels_inside_and_width_over_rmse():
    """Two of four labels inside; half-width 1 against an RMSE of 0.5."""
    target = np.array([0.0, 0.0, 1.0, -1.0])
    mean = np.array([0.5, -0.5, 0.5, -0.5])
    scores = band_scores(target, mean, mean - 1.0, mean + 1.0)
    assert scores["coverage"] == 1.0
    scores = band_scores(target, mean, mean - 0.4, mean + 0.4)
    assert scores["coverage"] == 0.0
    assert scores["half_width_over_rmse"] == pytest.approx(0.8)


def test_rank_correlation_is_undefined_for_constant_sigma():
    """A σ that does not vary ranks nothing: NaN, not a number that misleads."""
    assert np.isnan(rank_correlation([0.1, 0.3, 0.2], [1.0, 1.0, 1.0]))


def test_force_errors_are_ranked_per_atom():
    """Force components are gathered per atom (norms of error and σ): an atom
    whose components all err more and carry more σ ranks higher.
    """
    n_atoms = 5
    sizes = np.arange(1, n_atoms + 1, dtype=float)
    error = np.repeat(sizes, 3) * np.tile([1.0, -1.0, 1.0], n_atoms)
    sigma = np.repeat(sizes[::-1], 3)  # anti-correlated per atom
    p = RowPredictions(
        kind=np.array(["force"] * 3 * n_atoms),
        group=np.array(["md"] * 3 * n_atoms),
        target=np.zeros(3 * n_atoms),
        mean=error,
        lower=error - 2 * sigma,
        upper=error + 2 * sigma,
        std=sigma,
        interval_lower=error - sigma,
        interval_upper=error + sigma,
        structure=np.zeros(3 * n_atoms, dtype=int),
        atom=np.repeat(np.arange(n_atoms), 3),
    )
    scores = uncertainty_scores(p)["force"]
    assert scores["spearman"] == pytest.approx(-1.0)
    # Components inside where |error| = k <= σ = 6 - k: atoms k = 1, 2, 3 of 5.
    assert scores["interval_95"]["coverage"] == pytest.approx(0.6)
