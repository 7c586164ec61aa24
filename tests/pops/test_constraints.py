"""Exact linear constraints on the coefficients (src/mixpot/pops/_constraints.py)."""

import numpy as np
import pytest

from mixpot.pops import POPSRegressor

from .test_regressor import inside


@pytest.fixture
def constraints(smooth_5d):
    """Three random equality constraints on the 55 coefficients."""
    rng = np.random.default_rng(8)
    A = rng.normal(size=(3, smooth_5d[0].shape[1]))
    return A, rng.normal(size=3)


def kkt_solution(X, y, A, b, ridge):
    """Solve min |Xθ − y|² + ridge |θ|² subject to Aθ = b by its KKT system."""
    p, m = X.shape[1], len(A)
    system = np.block([[X.T @ X + ridge * np.eye(p), A.T], [A, np.zeros((m, m))]])
    return np.linalg.solve(system, np.r_[X.T @ y, b])[:p]


def test_base_fit_equals_the_kkt_solution(smooth_5d, constraints):
    """The null-space fit is the constrained ridge solution (fixed ridge)."""
    X, y = smooth_5d
    A, b = constraints
    model = POPSRegressor(fit_intercept=False, ridge=1e-3)
    model.fit(X, y, constraints=(A, b))
    expected = kkt_solution(X, y, A, b, 1e-3)
    np.testing.assert_allclose(model.coef_, expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("posterior", ["ellipsoid", "hypercube", "ensemble"])
def test_every_member_keeps_the_constraints(smooth_5d, constraints, posterior):
    """Base fit and every sampled member satisfy Aθ = b to 1e-10 relative,
    and the training rows stay covered.
    """
    X, y = smooth_5d
    A, b = constraints
    model = POPSRegressor(posterior=posterior).fit(X, y, constraints=(A, b))
    coefs, _ = model.sample_parameters(200, random_state=0)
    scale = np.abs(A) @ np.abs(coefs).T + np.abs(b)[:, None]
    assert np.all(np.abs(A @ coefs.T - b[:, None]) <= 1e-10 * scale)
    np.testing.assert_allclose(A @ model.coef_, b, rtol=1e-10, atol=1e-12)
    lower, upper = model.predict_bounds(X)
    assert np.all(inside(y, lower, upper))


def test_members_of_a_multi_output_fit_keep_per_target_constraints(smooth_5d):
    """b_eq of shape (m, n_targets) constrains each target separately."""
    X, y = smooth_5d
    A = np.eye(X.shape[1])[:2]
    b = np.array([[0.5, -1.0], [2.0, 0.0]])
    model = POPSRegressor().fit(X, np.column_stack([y, -y]), constraints=(A, b))
    coefs, _ = model.sample_parameters(50, random_state=1)
    np.testing.assert_allclose(
        np.einsum("mp,skp->skm", A, coefs), np.tile(b.T, (50, 1, 1))
    )


def test_chunked_and_saved_constrained_fits_agree(smooth_5d, constraints, tmp_path):
    """fit_chunks and a save/load round trip keep the constrained model."""
    X, y = smooth_5d
    model = POPSRegressor().fit(X, y, constraints=constraints)
    parts = [(X[i : i + 100], y[i : i + 100]) for i in range(0, len(y), 100)]
    streamed = POPSRegressor().fit_chunks(parts, constraints=constraints)
    np.testing.assert_allclose(streamed.coef_, model.coef_, rtol=1e-9, atol=1e-11)
    loaded = POPSRegressor.load(model.save(tmp_path / "c.npz"))
    for a, b in zip(loaded.predict_bounds(X), model.predict_bounds(X), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        loaded.sample_parameters(5, random_state=2)[0],
        model.sample_parameters(5, random_state=2)[0],
    )


@pytest.mark.parametrize(
    ("constraints", "message"),
    [
        ((np.ones((2, 55)), np.array([1.0, 2.0])), "rank 1 \\(inconsistent"),
        ((np.ones((2, 55)), np.array([1.0, 1.0])), "rank 1 \\(redundant"),
        ((np.eye(55), np.zeros(55)), "leave at least one free parameter"),
        ((np.ones((2, 54)), np.zeros(2)), "Got A_eq of shape \\(2, 54\\)"),
        ((np.ones((2, 55)), np.zeros(3)), "Got b_eq of shape \\(3,\\)"),
        ((np.full((1, 55), np.nan), np.zeros(1)), "Got NaN or infinity"),
        (np.ones((2, 55)), "must be a tuple \\(A_eq, b_eq\\)"),
    ],
)
def test_bad_constraints(smooth_5d, constraints, message):
    """Inconsistent, redundant, over-determined, misshapen or NaN constraints
    are refused before any work, naming the problem.
    """
    with pytest.raises(ValueError, match=message):
        POPSRegressor().fit(*smooth_5d, constraints=constraints)
