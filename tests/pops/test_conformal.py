"""Leave-one-out calibrated intervals (src/mixpot/pops/_conformal.py)."""

import numpy as np
import pytest

from mixpot.pops import POPSRegressor
from mixpot.pops._conformal import (
    conformal_quantiles,
    group_loo_residuals,
    row_loo_residuals,
)
from mixpot.pops._posterior import whiten


def closed_form_loo(model, X, y, w, groups=None):
    target = model.posteriors_[0]
    Xc = X - model._x_mean
    residual = target.residuals(Xc, y)
    centring = 1.0 / w.sum() if model.fit_intercept else 0.0
    if groups is not None:
        return group_loo_residuals(target.T, Xc, residual, w, groups, centring)
    Z = whiten(target.T, Xc)
    return row_loo_residuals(residual, np.einsum("np,np->n", Z, Z), w, centring)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_row_loo_residuals_equal_explicit_refits(runge, fit_intercept):
    """At a fixed ridge, e_i/(1 − H_ii) (weighted) is the residual of row i
    under the refit without row i, intercept refitted too.
    """
    X, y = runge
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    params = {"ridge": 1e-3, "fit_intercept": fit_intercept}
    model = POPSRegressor(**params).fit(X, y, sample_weight=w)
    loo = closed_form_loo(model, X, y, w)
    for i in (0, 7, 123, 399):
        keep = np.arange(len(y)) != i
        refit = POPSRegressor(**params).fit(X[keep], y[keep], sample_weight=w[keep])
        assert loo[i] == pytest.approx(abs(y[i] - refit.predict(X[i : i + 1])[0]))


def test_group_loo_residuals_equal_explicit_refits(smooth_5d):
    """Leaving a whole group out: (I − S_GG W_G)⁻¹ e_G is the refit residual."""
    X, y = smooth_5d
    w = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    groups = np.random.default_rng(2).integers(0, 60, len(y))
    model = POPSRegressor(ridge=1e-4).fit(X, y, sample_weight=w)
    loo = closed_form_loo(model, X, y, w, groups)
    for g in (0, 17, 59):
        out = groups == g
        refit = POPSRegressor(ridge=1e-4).fit(X[~out], y[~out], sample_weight=w[~out])
        np.testing.assert_allclose(
            loo[out], np.abs(y[out] - refit.predict(X[out])), rtol=1e-7
        )


def test_with_evidence_the_loo_is_the_refit_at_the_fitted_ridge(runge):
    """With evidence maximisation the closed form is the refit at the full
    data's ridge (λ/α held fixed), not a refit that re-maximises the evidence.
    """
    X, y = runge
    w = np.ones(len(y))
    model = POPSRegressor().fit(X, y)
    loo = closed_form_loo(model, X, y, w)
    ridge = float(model.lambda_ / model.alpha_)
    keep = np.arange(len(y)) != 5
    refit = POPSRegressor(ridge=ridge).fit(X[keep], y[keep])
    assert loo[5] == pytest.approx(abs(y[5] - refit.predict(X[5:6])[0]), rel=1e-6)


def test_calibrated_coverage_on_exchangeable_data():
    """On 20,000 exchangeable training rows the 90% and 95% intervals cover
    new draws from the same law to within ±0.01.
    """
    rng = np.random.default_rng(11)
    inputs = rng.uniform(-1, 1, (80_000, 3))
    weights = rng.normal(size=(3, 40))
    X = np.tanh(inputs @ weights + rng.uniform(-1, 1, 40))
    y = np.sin(2 * inputs[:, 0]) * np.exp(inputs[:, 1]) + np.abs(inputs[:, 2])
    model = POPSRegressor().fit(X[:20_000], y[:20_000])
    for coverage in (0.9, 0.95):
        lower, upper = model.predict_interval(X[20_000:], coverage=coverage)
        got = np.mean((lower <= y[20_000:]) & (y[20_000:] <= upper))
        assert got == pytest.approx(coverage, abs=0.01)


@pytest.mark.parametrize("posterior", ["hypercube", "ensemble"])
def test_every_posterior_calibrates(runge, posterior):
    """The box and the ensemble get their own scores (pass 4): the interval
    is finite and covers about the asked share of the training rows.
    """
    X, y = runge
    model = POPSRegressor(posterior=posterior).fit(X, y)
    lower, upper = model.predict_interval(X, coverage=0.8)
    inside = np.mean((lower <= y) & (y <= upper))
    assert np.all(np.isfinite(upper)) and 0.75 < inside < 0.95


def test_singleton_groups_equal_rows(runge):
    """Groups of one row give the row-wise calibration."""
    X, y = runge
    by_row = POPSRegressor().fit(X, y)
    by_group = POPSRegressor().fit(X, y, groups=np.arange(len(y))[::-1])
    np.testing.assert_allclose(
        by_group.predict_interval(X)[1], by_row.predict_interval(X)[1], rtol=1e-9
    )


def test_multi_output_intervals_have_their_own_quantiles(smooth_5d):
    """Each target column is calibrated on its own scores."""
    X, y = smooth_5d
    Y = np.column_stack([y, 10 * np.cos(3 * X[:, 0])])
    joint = POPSRegressor().fit(X, Y)
    lower, upper = joint.predict_interval(X[:10])
    alone = POPSRegressor().fit(X, Y[:, 1]).predict_interval(X[:10])
    np.testing.assert_allclose(upper[:, 1], alone[1], rtol=1e-7)
    assert lower.shape == (10, 2)


def test_conformal_quantile_is_the_finite_sample_rank():
    """The quantile at q is the ⌈(n+1)q⌉-th smallest score, inf beyond n."""
    scores = np.arange(1.0, 20.0)  # n = 19
    quantiles = conformal_quantiles(scores)
    assert quantiles[899] == 18.0  # ceil(20 * 0.9) = 18
    assert quantiles[949] == 19.0  # ceil(20 * 0.95) = 19
    assert np.isinf(quantiles[989])  # ceil(20 * 0.99) = 20 > 19


@pytest.mark.parametrize("coverage", [0.0, 1.0, 1.5, "high", True])
def test_bad_coverage(runge, coverage):
    """The coverage must be a float in (0, 1)."""
    model = POPSRegressor().fit(*runge)
    with pytest.raises(ValueError, match="'coverage' parameter .* float in \\(0, 1\\)"):
        model.predict_interval(runge[0], coverage=coverage)


def test_bad_groups(runge):
    """Groups must match the rows."""
    with pytest.raises(ValueError, match="'groups' parameter .* shape \\(400,\\)"):
        POPSRegressor().fit(*runge, groups=np.arange(3))


@pytest.mark.parametrize("posterior", ["ellipsoid", "hypercube"])
def test_per_stratum_intervals_reach_the_coverage_in_every_stratum(posterior):
    """Mondrian calibration: on 60,000 exchangeable training rows in three
    strata whose errors differ 100-fold, the 90% interval covers new rows of
    each stratum to within ±0.01, where the pooled interval misses by more
    in at least one stratum (it over-covers the quiet one and under-covers
    the noisy one).
    """
    rng = np.random.default_rng(5)
    n = 120_000
    inputs = rng.uniform(-1, 1, (n, 3))
    X = np.tanh(inputs @ rng.normal(size=(3, 12)) + rng.uniform(-1, 1, 12))
    strata = rng.integers(0, 3, n)
    scale = np.array([0.01, 0.1, 1.0])[strata]
    y = np.sin(2 * inputs[:, 0]) + scale * (np.abs(inputs[:, 2]) + rng.normal(size=n))
    train, test = slice(0, n // 2), slice(n // 2, n)
    stratified = POPSRegressor(posterior=posterior).fit(
        X[train], y[train], strata=strata[train]
    )
    pooled = POPSRegressor(posterior=posterior).fit(X[train], y[train])
    lower, upper = stratified.predict_interval(
        X[test], coverage=0.9, strata=strata[test]
    )
    pooled_lower, pooled_upper = pooled.predict_interval(X[test], coverage=0.9)
    misses = []
    for stratum in range(3):
        mine = strata[test] == stratum
        target = y[test][mine]
        got = np.mean((lower[mine] <= target) & (target <= upper[mine]))
        assert got == pytest.approx(0.9, abs=0.01)
        inside_pooled = (pooled_lower[mine] <= target) & (target <= pooled_upper[mine])
        misses.append(abs(np.mean(inside_pooled) - 0.9))
    assert max(misses) > 0.01


def test_multi_output_strata_have_their_own_quantiles(smooth_5d):
    """With strata and a 2-D target, each column and stratum is calibrated on
    its own rows: the interval of one column equals that of a fit on that
    column alone.
    """
    X, y = smooth_5d
    Y = np.column_stack([y, 10 * np.cos(3 * X[:, 0])])
    strata = np.where(X[:, 1] > 0.2, "a", "b")
    joint = POPSRegressor().fit(X, Y, strata=strata)
    alone = POPSRegressor().fit(X, Y[:, 1], strata=strata)
    np.testing.assert_allclose(
        joint.predict_interval(X[:50], strata=strata[:50])[1][:, 1],
        alone.predict_interval(X[:50], strata=strata[:50])[1],
        rtol=1e-7,
    )


def test_strata_given_to_a_model_fit_without_them_are_refused(runge):
    """Labels need per-stratum values: the message says to refit with strata
    or to drop them.
    """
    X, y = runge
    model = POPSRegressor().fit(X, y)
    for predict in (model.predict_bounds, model.predict_interval):
        with pytest.raises(ValueError, match="fit without them. Refit with fit"):
            predict(X, strata=np.zeros(len(y), dtype=int))


def test_unknown_stratum_labels_are_refused(runge):
    """A label not seen in fit has no k or quantile: the message lists the
    known labels and the unknown ones.
    """
    X, y = runge
    model = POPSRegressor().fit(X, y, strata=np.where(X[:, 0] > 0, "force", "energy"))
    labels = np.full(len(y), "force", dtype="<U8")
    labels[3] = "stress"
    known = r"\[.energy., .force.\]. Got unknown .*stress"
    with pytest.raises(ValueError, match=known):
        model.predict_interval(X, strata=labels)
    with pytest.raises(ValueError, match="'strata' parameter .* shape \\(400,\\)"):
        model.predict_bounds(X, strata=labels[:5])


@pytest.mark.parametrize("strata", [np.linspace(0, 1, 400), [None] * 400])
def test_bad_strata_are_refused(runge, strata):
    """Stratum labels must be str, int or bool (storable without pickle)."""
    with pytest.raises(ValueError, match="'strata' parameter .* str, int or bool"):
        POPSRegressor().fit(*runge, strata=strata)
