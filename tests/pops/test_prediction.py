"""Predictions of a fitted POPSRegressor beyond the regressor's own tests."""

import numpy as np
import pytest

from mixpot.pops import POPSRegressor


def _half_width(model, X, radius, target=0):
    g = model.mode_coordinates(X, target=target)
    scale = model.posteriors_[target].axis_scale
    return radius * np.sqrt(np.sum((g * scale) ** 2, axis=1))


def test_mode_coordinates_rebuild_the_ellipsoid_bounds_with_constraints(smooth_5d):
    X, y = smooth_5d
    A = np.zeros((2, X.shape[1]))
    A[0, :3], A[1, 5] = 1.0, 1.0
    model = POPSRegressor().fit(
        X, np.column_stack([y, 2 * y + X[:, 0]]), constraints=(A, np.zeros(2))
    )
    low, high = model.predict_bounds(X[:50])
    for k, target in enumerate(model.posteriors_):
        half = _half_width(model, X[:50], target.radius, target=k)
        np.testing.assert_allclose(half, (high - low)[:, k] / 2, rtol=1e-10)


def test_mode_coordinates_with_strata_give_each_stratum_its_own_k(runge):
    X, y = runge
    labels = np.where(np.arange(len(y)) % 2, "odd", "even")
    model = POPSRegressor(min_stratum_rows=10).fit(X, y, strata=labels)
    low, high = model.predict_bounds(X, strata=labels)
    target = model.posteriors_[0]
    radius = target.stratum_radii[np.searchsorted(model.strata_, labels)]
    np.testing.assert_allclose(
        _half_width(model, X, radius), (high - low) / 2, rtol=1e-10
    )


def test_mode_coordinates_refuse_a_target_that_does_not_exist(runge):
    X, y = runge
    model = POPSRegressor().fit(X, y)
    with pytest.raises(ValueError, match="'target' parameter.*one of \\[0\\]"):
        model.mode_coordinates(X, target=1)
