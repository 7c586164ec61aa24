"""Contracts and limits of POPSRegressor (src/mixpot/pops/regressor.py)."""

import numpy as np
import pytest
from sklearn.linear_model import BayesianRidge

from mixpot.pops import POPSRegressor

from .conftest import legendre


def inside(y, lower, upper, rtol=1e-9):
    """Whether y lies in [lower, upper] up to round-off on the exact bounds."""
    slack = rtol * (np.abs(y) + np.abs(upper - lower) + 1.0)
    return (lower - slack <= y) & (y <= upper + slack)


@pytest.mark.parametrize("posterior", ["hypercube", "ensemble"])
@pytest.mark.parametrize("case", ["runge", "smooth_5d"])
def test_every_training_point_inside_its_bounds(case, posterior, request):
    """The covering property: noise-free misspecified data lies in its bounds."""
    X, y = request.getfixturevalue(case)
    model = POPSRegressor(posterior=posterior).fit(X, y)
    lower, upper = model.predict_bounds(X)
    assert np.all(inside(y, lower, upper))
    assert np.mean(upper - lower) > 0


def test_weighted_training_points_are_covered(runge):
    """Weights change the fit, never the covering of rows with weight > 0."""
    X, y = runge
    weights = np.random.default_rng(1).uniform(0.1, 10, len(y))
    lower, upper = POPSRegressor().fit(X, y, sample_weight=weights).predict_bounds(X)
    assert np.all(inside(y, lower, upper))


def test_mean_lies_within_bounds(smooth_5d):
    """The base-fit prediction is a member of the posterior."""
    X, y = smooth_5d
    model = POPSRegressor().fit(X, y)
    mean = model.predict(X)
    lower, upper = model.predict_bounds(X)
    assert np.all((lower <= mean) & (mean <= upper))


def test_bounds_are_exact_extremes_of_the_box(runge):
    """No sampled member of the box predicts outside the closed-form bounds,
    and the corners of the box reach them.
    """
    X, y = runge
    model = POPSRegressor(posterior="hypercube").fit(X, y)
    coefs, intercepts = model.sample_parameters(5000, random_state=0)
    predictions = X[:50] @ coefs.T + intercepts
    lower, upper = model.predict_bounds(X[:50])
    assert np.all(predictions.min(axis=1) >= lower - 1e-12)
    assert np.all(predictions.max(axis=1) <= upper + 1e-12)
    target = model.posteriors_[0]
    g = (X[0] - model._x_mean) @ target.modes
    corner = np.where(g > 0, target.upper, target.lower)
    assert model.predict(X[:1])[0] + g @ corner == pytest.approx(upper[0], rel=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_without_misspecification_equals_bayesian_ridge(smooth_5d, fit_intercept):
    """With only the epistemic and noise parts, mean and std are BayesianRidge's."""
    X, y = smooth_5d
    reference = BayesianRidge(fit_intercept=fit_intercept).fit(X, y)
    model = POPSRegressor(
        fit_intercept=fit_intercept, std_components=("epistemic", "noise")
    ).fit(X, y)
    assert model.alpha_ == pytest.approx(reference.alpha_, rel=1e-8)
    assert model.lambda_ == pytest.approx(reference.lambda_, rel=1e-8)
    mean, std = model.predict(X, return_std=True)
    ref_mean, ref_std = reference.predict(X, return_std=True)
    np.testing.assert_allclose(mean, ref_mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(std, ref_std, rtol=1e-8)


def test_fixed_ridge_equals_ridge_regression(runge):
    """A fixed ridge gives the ridge solution (XᵀX + r I)⁻¹Xᵀy."""
    X, y = runge
    ridge = 1e-3
    model = POPSRegressor(fit_intercept=False, ridge=ridge).fit(X, y)
    expected = np.linalg.solve(X.T @ X + ridge * np.eye(X.shape[1]), X.T @ y)
    np.testing.assert_allclose(model.coef_, expected, rtol=1e-9)
    assert model.lambda_ / model.alpha_ == pytest.approx(ridge)


def test_exact_fit_gives_zero_width_bounds():
    """A well-specified model (residuals ~0) has bounds of ~zero width."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 6))
    y = X @ rng.normal(size=6) + 0.5
    model = POPSRegressor().fit(X, y)
    lower, upper = model.predict_bounds(X)
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))
    assert np.max(upper - lower) < 1e-8


@pytest.mark.parametrize("posterior", ["hypercube", "ellipsoid"])
def test_misspecification_std_matches_the_uniform_law(runge, posterior):
    """The misspecification std is the RMS deviation of the members drawn
    uniformly in the box or the ellipsoid.
    """
    X, y = runge
    model = POPSRegressor(posterior=posterior).fit(X, y)
    coefs, intercepts = model.sample_parameters(20000, random_state=1)
    deviation = X[:5] @ coefs.T + intercepts - model.predict(X[:5])[:, None]
    expected = np.sqrt(np.mean(deviation**2, axis=1))
    got = model.predict_std_components(X[:5])["misspecification"]
    np.testing.assert_allclose(got, expected, rtol=0.03)


def test_std_adds_the_chosen_components(runge):
    """std² is the sum of the squared components named in std_components."""
    X, y = runge
    model = POPSRegressor().fit(X, y)
    parts = model.predict_std_components(X)
    _, std = model.predict(X, return_std=True)
    np.testing.assert_allclose(
        std**2, parts["misspecification"] ** 2 + parts["epistemic"] ** 2
    )


def test_more_features_than_samples():
    """P > N works and still covers every training point."""
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, 15)
    X = np.cos(np.outer(x, np.arange(1, 41)))
    y = np.abs(x)
    model = POPSRegressor().fit(X, y)
    lower, upper = model.predict_bounds(X)
    assert np.all(inside(y, lower, upper))


def test_constant_and_duplicate_columns_work(runge):
    """Constant and repeated columns are harmless (ridge handles the null space)."""
    X, y = runge
    X = np.hstack([X, np.ones((len(X), 1)), X[:, :2]])
    model = POPSRegressor().fit(X, y)
    lower, upper = model.predict_bounds(X)
    assert np.all(np.isfinite(model.coef_))
    assert np.all(inside(y, lower, upper))


def test_multi_output_equals_separate_fits(smooth_5d):
    """Each column of a 2-D target gets the posterior of its own 1-D fit."""
    X, y = smooth_5d
    Y = np.column_stack([y, np.cos(X[:, 0] * 3)])
    joint = POPSRegressor().fit(X, Y)
    assert joint.coef_.shape == (2, X.shape[1])
    lower, upper = joint.predict_bounds(X[:20])
    mean, std = joint.predict(X[:20], return_std=True)
    for k in range(2):
        alone = POPSRegressor().fit(X, Y[:, k])
        np.testing.assert_allclose(joint.coef_[k], alone.coef_, rtol=1e-8, atol=1e-10)
        low_k, up_k = alone.predict_bounds(X[:20])
        np.testing.assert_allclose(lower[:, k], low_k, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(upper[:, k], up_k, rtol=1e-7, atol=1e-10)
        np.testing.assert_allclose(std[:, k], alone.predict(X[:20], True)[1], rtol=1e-7)
    assert mean.shape == (20, 2)


def test_integer_weights_equal_repeated_rows(runge):
    """With a fixed ridge, weight w on a row equals repeating it w times."""
    X, y = runge
    counts = np.random.default_rng(5).integers(0, 4, len(y))
    counts[:3] = [0, 1, 3]
    weighted = POPSRegressor(ridge=1e-4).fit(X, y, sample_weight=counts)
    repeated = POPSRegressor(ridge=1e-4).fit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts)
    )
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9)
    assert weighted.alpha_ == pytest.approx(repeated.alpha_, rel=1e-9)
    for a, b in zip(
        weighted.predict_bounds(X), repeated.predict_bounds(X), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


def test_percentile_clipping_narrows_the_box(runge):
    """Clipping to the 5th/95th percentiles narrows the bounds."""
    X, y = runge
    full = POPSRegressor(posterior="hypercube").fit(X, y)
    clipped = POPSRegressor(posterior="hypercube", percentile_clipping=5).fit(X, y)
    width_full = np.subtract(*full.predict_bounds(X)[::-1])
    width_clipped = np.subtract(*clipped.predict_bounds(X)[::-1])
    assert np.all(width_clipped <= width_full + 1e-12)
    assert width_clipped.mean() < 0.9 * width_full.mean()


def test_float32_input_matches_float64(runge):
    """float32 input is promoted: the fit equals that of the same values in float64."""
    X, y = runge
    X32 = X.astype(np.float32)
    a = POPSRegressor().fit(X32, y.astype(np.float32))
    b = POPSRegressor().fit(X32.astype(np.float64), y.astype(np.float32).astype(float))
    assert a.coef_.dtype == np.float64
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.predict_bounds(X32)[1], b.predict_bounds(X32)[1])


def test_ill_conditioned_design_keeps_full_precision():
    """At condition number 1e12 the QR route still reproduces well-specified
    targets to 1e-8, where normal equations (condition 1e24) lose every digit.
    """
    rng = np.random.default_rng(6)
    left, _ = np.linalg.qr(rng.normal(size=(500, 20)))
    right, _ = np.linalg.qr(rng.normal(size=(20, 20)))
    X = left @ np.diag(np.logspace(0, -12, 20)) @ right.T
    y = X @ rng.normal(size=20) * 1e6
    model = POPSRegressor(fit_intercept=False, ridge=1e-30).fit(X, y)
    error = np.max(np.abs(model.predict(X) - y)) / np.max(np.abs(y))
    assert error < 1e-8
    normal = np.linalg.lstsq(X.T @ X, X.T @ y, rcond=None)[0]
    assert np.max(np.abs(X @ normal - y)) / np.max(np.abs(y)) > 1e3 * error


def test_sample_parameters_are_reproducible_and_in_the_box(runge):
    """Seeded draws repeat exactly and lie in the box."""
    X, y = runge
    model = POPSRegressor(posterior="hypercube").fit(X, y)
    coefs, intercepts = model.sample_parameters(100, random_state=3)
    again, _ = model.sample_parameters(100, random_state=3)
    np.testing.assert_array_equal(coefs, again)
    target = model.posteriors_[0]
    u = (coefs - model.coef_) @ target.modes
    assert np.all(u >= target.lower - 1e-12) and np.all(u <= target.upper + 1e-12)
    np.testing.assert_allclose(
        intercepts, target.y_mean - coefs @ model._x_mean, rtol=1e-12
    )


def test_ensemble_samples_are_corrections(runge):
    """Ensemble draws are the stored corrections; each reproduces its row."""
    X, y = runge
    model = POPSRegressor(posterior="ensemble").fit(X, y)
    coefs, intercepts = model.sample_parameters(50, random_state=0)
    predictions = X @ coefs.T + intercepts
    # each ensemble member reproduces (at least) one training target exactly
    assert np.all(np.min(np.abs(predictions - y[:, None]), axis=0) < 1e-8)


def test_prediction_of_unseen_points_has_matching_shapes():
    """1-D targets give 1-D outputs; bounds and std share predict's shape."""
    X = legendre(np.linspace(-1, 1, 50))
    model = POPSRegressor().fit(X, np.sin(3 * X[:, 0]))
    mean, std = model.predict(X[:7], return_std=True)
    lower, upper = model.predict_bounds(X[:7])
    assert mean.shape == std.shape == lower.shape == upper.shape == (7,)
