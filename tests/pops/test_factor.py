"""The Gram/Cholesky factor and its QR fallback (src/mixpot/pops/_factor.py)."""

import numpy as np

from mixpot.pops._factor import factorise
from mixpot.pops._tsqr import StreamingQR


def chunks_of(X, y, w, size=50):
    def chunks():
        for i in range(0, len(X), size):
            yield X[i : i + size], y[i : i + size, None], w[i : i + size]

    return chunks


def qr_factors(X, y, w):
    qr = StreamingQR(X.shape[1], 1)
    qr.add(X, y[:, None], w)
    return qr.factors()


def test_gram_route_matches_householder_qr_when_well_conditioned(smooth_5d):
    """On a well-conditioned design the Gram factor gives the QR factor's
    Gram matrix, means and residual sum to 1e-10.
    """
    X, y = smooth_5d
    w = np.random.default_rng(0).uniform(0.5, 2, len(y))
    for weights in (w, np.ones(len(y))):
        gram, _ = factorise(chunks_of(X, y, weights), X.shape[1], 1)
        qr = qr_factors(X, y, weights)
        np.testing.assert_allclose(
            gram.R_xx.T @ gram.R_xx, qr.R_xx.T @ qr.R_xx, rtol=1e-10, atol=1e-9
        )
        np.testing.assert_allclose(gram.x_mean, qr.x_mean, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.sum(gram.R_yy**2), np.sum(qr.R_yy**2), rtol=1e-8)


def test_ill_conditioned_design_falls_back_to_qr(caplog):
    """At condition number 1e9 the Gram would lose the small singular values:
    the factor is the Householder one (its singular values to 1e-6 relative).
    """
    rng = np.random.default_rng(6)
    left, _ = np.linalg.qr(rng.normal(size=(400, 12)))
    right, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    singular = np.logspace(0, -9, 12)
    X = left @ np.diag(singular) @ right.T
    y = np.sin(X @ rng.normal(size=12) * 1e3)
    with caplog.at_level("INFO", logger="mixpot.pops._factor"):
        factors, _ = factorise(chunks_of(X, y, np.ones(len(y))), 12, 1)
    assert "streaming Householder QR" in caplog.text
    centred = X - X.mean(axis=0)
    expected = np.linalg.svd(centred, compute_uv=False)
    got = np.linalg.svd(factors.R_xx, compute_uv=False)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
