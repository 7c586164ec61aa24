"""Interval scores (src/mixpot/pops/metrics.py)."""

import numpy as np
import pytest

from mixpot.pops.metrics import score_interval


def test_scores_of_a_known_interval():
    """Coverage, hardest coverage, width/RMSE and rank correlation by hand."""
    y = np.array([0.0, 0.0, 0.0, 0.0])
    mean = np.array([0.1, -0.2, 0.3, -0.4])
    half = np.array([0.2, 0.3, 0.2, 0.5])
    s = score_interval(
        y, mean, mean - half, mean + half, std=half, hardest_fraction=0.5
    )
    assert s.coverage == 0.75
    assert s.hardest_coverage == 0.5  # errors 0.3 (outside) and 0.4 (inside)
    assert s.rmse == pytest.approx(np.sqrt(np.mean(mean**2)))
    assert s.width_over_rmse == pytest.approx(np.mean(2 * half) / s.rmse)
    # ranks of error 1,2,3,4 against ranks of std 1.5,3,1.5,4
    assert s.rank_correlation == pytest.approx(3 / np.sqrt(22.5))


def test_constant_std_has_no_rank_correlation():
    """A constant std carries no ranking: the correlation is NaN."""
    s = score_interval([0, 1, 2], [0.5, 1, 1], [0, 0, 0], [3, 3, 3], std=[1, 1, 1])
    assert np.isnan(s.rank_correlation)
