"""The ellipsoid covering posterior (src/mixpot/pops/_ellipsoid.py)."""

import numpy as np
import pytest

from mixpot.pops import POPSRegressor

from .test_regressor import inside


@pytest.mark.parametrize("posterior", ["ellipsoid", "hypercube", "ensemble"])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_posterior_covers_weighted_multi_output_rows(
    smooth_5d, posterior, weighted
):
    """Covering by construction: with weights and a 2-D target, every row of
    positive weight lies inside its own bounds, for every posterior.
    """
    X, y = smooth_5d
    Y = np.column_stack([y, np.cos(3 * X[:, 0]) + X[:, 1] ** 4])
    w = None
    if weighted:
        w = np.random.default_rng(2).uniform(0.1, 10, len(y))
        w[:20] = 0.0
    model = POPSRegressor(posterior=posterior).fit(X, Y, sample_weight=w)
    lower, upper = model.predict_bounds(X)
    rows = slice(None) if w is None else w > 0
    assert np.all(inside(Y[rows], lower[rows], upper[rows]))


def test_the_tightest_row_sets_the_radius(runge):
    """The covering factor k is the smallest: one row touches its bound."""
    X, y = runge
    model = POPSRegressor().fit(X, y)
    lower, upper = model.predict_bounds(X)
    mean = model.predict(X)
    half = upper - mean
    np.testing.assert_allclose(np.max(np.abs(y - mean) / half), 1.0, rtol=1e-8)


def test_bounds_are_the_extremes_over_the_ellipsoid_surface(runge):
    """The closed-form bounds equal max/min of x·θ over a dense sample of the
    ellipsoid's surface (no sample beyond them; in R = 9 dimensions the best
    of 400,000 random surface points comes within 5%), and the analytic
    maximiser on the surface reaches them to round-off.
    """
    X, y = runge
    model = POPSRegressor().fit(X, y)
    target = model.posteriors_[0]
    rng = np.random.default_rng(0)
    u = rng.standard_normal((400_000, len(target.axis_scale)))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    members = target.coef + (u * target.radius * target.axis_scale) @ target.modes.T
    Xc = X[:20] - model._x_mean
    values = target.y_mean + Xc @ members.T
    lower, upper = model.predict_bounds(X[:20])
    assert np.all(values.max(axis=1) <= upper + 1e-12)
    assert np.all(values.min(axis=1) >= lower - 1e-12)
    mean = model.predict(X[:20])
    np.testing.assert_allclose(values.max(axis=1) - mean, upper - mean, rtol=0.05)
    np.testing.assert_allclose(mean - values.min(axis=1), mean - lower, rtol=0.05)
    g = (Xc @ target.modes) * target.axis_scale
    best = g / np.linalg.norm(g, axis=1, keepdims=True)
    reached = mean + np.einsum("nr,nr->n", g, best) * target.radius
    np.testing.assert_allclose(reached, upper, rtol=1e-12)


def test_members_are_seeded_uniform_draws_inside_the_ellipsoid(runge):
    """Members repeat with the seed, lie inside the ellipsoid, and are typical
    points of a uniform law (mean radius R/(R+1) of k), not the boundary.
    """
    X, y = runge
    model = POPSRegressor().fit(X, y)
    target = model.posteriors_[0]
    coefs, intercepts = model.sample_parameters(20_000, random_state=4)
    np.testing.assert_array_equal(coefs, model.sample_parameters(20_000, 4)[0])
    u = ((coefs - target.coef) @ target.modes) / (target.axis_scale * target.radius)
    radius = np.linalg.norm(u, axis=1)
    n_modes = len(target.axis_scale)
    assert radius.max() <= 1 + 1e-12
    assert radius.mean() == pytest.approx(n_modes / (n_modes + 1), rel=0.01)
    lower, upper = model.predict_bounds(X)
    predictions = X @ coefs.T + intercepts
    assert np.all(predictions.max(axis=1) <= upper + 1e-12)
    assert np.all(predictions.min(axis=1) >= lower - 1e-12)


def test_half_width_does_not_grow_like_the_box(smooth_5d):
    """With 55 modes the ellipsoid is narrower than the box's exact extremes."""
    X, y = smooth_5d
    widths = {}
    for posterior in ("ellipsoid", "hypercube"):
        lower, upper = POPSRegressor(posterior=posterior).fit(X, y).predict_bounds(X)
        widths[posterior] = np.mean(upper - lower)
    assert widths["ellipsoid"] < 0.8 * widths["hypercube"]


def test_std_is_the_uniform_law_of_the_ellipsoid(runge):
    """The misspecification std is the half-width over √(R + 2)."""
    X, y = runge
    model = POPSRegressor().fit(X, y)
    lower, upper = model.predict_bounds(X)
    n_modes = model.n_modes_
    std = model.predict_std_components(X)["misspecification"]
    np.testing.assert_allclose(std * np.sqrt(n_modes + 2), (upper - lower) / 2)


def test_clipping_is_refused_for_the_ellipsoid(runge):
    """Percentile clipping belongs to the box: a clear error otherwise."""
    with pytest.raises(ValueError, match="'percentile_clipping' parameter .* be 0"):
        POPSRegressor(percentile_clipping=5).fit(*runge)


def three_strata(n_rows, seed=0):
    """Labels "energy", "force", "stress" in a seeded random order."""
    kinds = np.array(["energy", "force", "stress"])
    return kinds[np.random.default_rng(seed).integers(0, 3, n_rows)]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("grouped", [False, True])
def test_every_row_is_covered_by_its_own_strata_bounds(smooth_5d, weighted, grouped):
    """Covering by construction per stratum: with weights, a 2-D target and
    (or not) groups, every row of positive weight lies inside the bounds of
    its own stratum's k_s.
    """
    X, y = smooth_5d
    Y = np.column_stack([y, np.cos(3 * X[:, 0]) + X[:, 1] ** 4])
    strata = three_strata(len(y))
    Y[strata == "stress"] *= 1 + 0.3 * np.sin(7 * X[strata == "stress", :1])
    w = None
    if weighted:
        w = np.random.default_rng(2).uniform(0.1, 10, len(y))
        w[:20] = 0.0
    groups = np.arange(len(y)) // 4 if grouped else None
    model = POPSRegressor().fit(X, Y, sample_weight=w, groups=groups, strata=strata)
    lower, upper = model.predict_bounds(X, strata=strata)
    rows = slice(None) if w is None else w > 0
    assert np.all(inside(Y[rows], lower[rows], upper[rows]))


def test_stratum_radius_is_the_largest_ratio_within_the_stratum(runge):
    """k_s is max over the stratum's rows of |e_i| / √(x_iᵀCx_i) (widened by
    the 1e-9 round-off margin), rows of weight 0 left out; the pooled k is
    the largest k_s.
    """
    from mixpot.pops._ellipsoid import RADIUS_MARGIN, quadratic_form

    X, y = runge
    strata = np.where(np.arange(len(y)) % 3 == 0, "wide", "narrow")
    y = np.where(strata == "wide", 1.5 * y, y)
    w = np.random.default_rng(4).uniform(0.5, 2.0, len(y))
    w[:7] = 0.0
    model = POPSRegressor().fit(X, y, sample_weight=w, strata=strata)
    target = model.posteriors_[0]
    Xc = X - model._x_mean
    ratio = np.abs(target.residuals(Xc, y)) / np.sqrt(quadratic_form(target, Xc))
    for code, label in enumerate(model.strata_):
        mine = (strata == label) & (w > 0)
        expected = ratio[mine].max() * (1 + RADIUS_MARGIN)
        assert target.stratum_radii[code] == pytest.approx(expected, rel=1e-10)
    assert target.radius == target.stratum_radii.max()
    assert target.stratum_radii.min() < 0.9 * target.radius


@pytest.mark.parametrize("posterior", ["ellipsoid", "hypercube"])
def test_without_labels_a_stratified_fit_predicts_as_a_pooled_one(runge, posterior):
    """Asked without strata, a model fit with them gives exactly the bounds,
    std and intervals of the same fit without strata.
    """
    X, y = runge
    strata = np.arange(len(y)) % 2
    pooled = POPSRegressor(posterior=posterior).fit(X, y)
    stratified = POPSRegressor(posterior=posterior).fit(X, y, strata=strata)
    for got, expected in [
        (stratified.predict_bounds(X), pooled.predict_bounds(X)),
        (stratified.predict(X, return_std=True), pooled.predict(X, return_std=True)),
        (stratified.predict_interval(X), pooled.predict_interval(X)),
    ]:
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)


def test_std_with_strata_is_the_uniform_law_of_the_strata_ellipsoid(runge):
    """With labels, the misspecification std is k_s √(xᵀCx / (R + 2)): the
    stratum's half-width over √(R + 2).
    """
    X, y = runge
    strata = np.where(X[:, 0] > 0, "right", "left")
    model = POPSRegressor(std_components=("misspecification",)).fit(X, y, strata=strata)
    _, std = model.predict(X, return_std=True, strata=strata)
    lower, upper = model.predict_bounds(X, strata=strata)
    n_modes = model.n_modes_
    np.testing.assert_allclose(std * np.sqrt(n_modes + 2), (upper - lower) / 2)


def test_strata_below_the_minimum_rows_take_the_pooled_radius(runge):
    """A stratum with fewer than min_stratum_rows rows of weight > 0 takes
    the pooled k and quantiles (its few rows say little about new ones);
    with a minimum of 1 it gets the largest ratio of its own rows.
    """
    X, y = runge
    strata = np.where(np.arange(len(y)) < 40, "few", "many")
    default = POPSRegressor().fit(X, y, strata=strata).posteriors_[0]
    own = POPSRegressor(min_stratum_rows=1).fit(X, y, strata=strata)
    few = list(own.strata_).index("few")
    assert default.stratum_radii[few] == default.radius
    np.testing.assert_array_equal(
        default.stratum_quantiles[few], default.interval_quantiles
    )
    assert own.posteriors_[0].stratum_radii[few] < default.radius
    np.testing.assert_array_equal(
        default.stratum_radii[1 - few], own.posteriors_[0].stratum_radii[1 - few]
    )
