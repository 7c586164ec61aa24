"""The factor of ``[√w, √w X, √w y]``: one Gram pass when it is accurate.

Forming the Gram matrix ``G = BᵀB`` of the augmented rows ``B`` costs one
symmetric rank-k update (``syrk``) per chunk, about half the flops of a
Householder QR and faster per flop. Its Cholesky factor is the QR factor
``R`` up to row signs, but with an error that grows like the squared
condition number: a backward error of ``eps·√(G_ii G_jj)`` per entry gives
relative errors of about ``eps·κ²`` in ``R``'s small singular values, where κ
is the condition number of the column-scaled ``[√w, √w X]`` (scaling does
not change Cholesky's accuracy; large means relative to the spread do).

So the fit takes the Gram route when it is safe, and falls back to the
streaming Householder QR (:mod:`._tsqr`, one more pass over the data) when

* the Cholesky factorisation fails (a singular Gram: constant or repeated
  columns, fewer rows than columns, an exact fit),
* LAPACK's estimate of κ exceeds :data:`MAX_CONDITION` (``eps·κ²`` above
  ~2e-6), or
* a target is fit so well that its residual sum, the difference of nearly
  equal Gram quantities, would keep fewer than four digits.

Descriptor matrices of interatomic potentials often have κ of 1e8 and more:
they take the QR route and keep its full precision.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import linalg
from scipy.linalg import lapack

from ._tsqr import CentredFactors, StreamingQR, centred_blocks

logger = logging.getLogger(__name__)

MAX_CONDITION = 1e5


def factorise(chunks, n_features: int, n_targets: int) -> tuple[CentredFactors, int]:
    """Centred factors of the data and its number of rows."""
    gram, n_rows = _gram(chunks, n_features, n_targets)
    if n_rows == 0:
        raise ValueError(
            "The 'chunks' parameter of POPSRegressor.fit_chunks must yield at "
            "least one row. Got none."
        )
    R = _cholesky_if_accurate(gram, n_features)
    if R is not None:
        return centred_blocks(R, n_features), n_rows
    logger.info("Gram route not accurate enough: streaming Householder QR")
    qr = StreamingQR(n_features, n_targets)
    for X_np, y_nk, w_n, *_ in chunks():
        qr.add(X_np, y_nk, w_n)
    return qr.factors(), qr.n_rows


def _gram(chunks, n_features: int, n_targets: int) -> tuple[np.ndarray, int]:
    n_cols = 1 + n_features + n_targets
    gram = np.zeros((n_cols, n_cols))
    n_rows = 0
    for X_np, y_nk, w_n, *_ in chunks():
        n_rows += len(w_n)
        if np.all(w_n == 1.0):
            _add_unweighted(gram, X_np, y_nk)
            continue
        root_w_n = np.sqrt(w_n)[:, None]
        block = np.empty((len(w_n), n_cols))
        block[:, :1] = root_w_n
        np.multiply(X_np, root_w_n, out=block[:, 1 : 1 + n_features])
        np.multiply(y_nk, root_w_n, out=block[:, 1 + n_features :])
        gram += block.T @ block  # numpy takes the symmetric (syrk) route
    return gram, n_rows


def _add_unweighted(gram: np.ndarray, X_np: np.ndarray, y_nk: np.ndarray) -> None:
    """Add the Gram blocks of ``[1, X, y]`` without copying X."""
    p = X_np.shape[1]
    x_sum_p, y_sum_k = X_np.sum(axis=0), y_nk.sum(axis=0)
    xy_pk = X_np.T @ y_nk
    gram[0, 0] += len(X_np)
    gram[0, 1 : 1 + p] += x_sum_p
    gram[1 : 1 + p, 0] += x_sum_p
    gram[0, 1 + p :] += y_sum_k
    gram[1 + p :, 0] += y_sum_k
    gram[1 : 1 + p, 1 : 1 + p] += X_np.T @ X_np  # syrk
    gram[1 : 1 + p, 1 + p :] += xy_pk
    gram[1 + p :, 1 : 1 + p] += xy_pk.T
    gram[1 + p :, 1 + p :] += y_nk.T @ y_nk


def _cholesky_if_accurate(gram: np.ndarray, n_features: int) -> np.ndarray | None:
    """Upper Cholesky factor of ``gram``, or None where it would lose digits."""
    if not np.all(np.isfinite(gram)) or gram[0, 0] <= 0:
        return None
    try:
        R = linalg.cholesky(gram, lower=False, check_finite=False)
    except linalg.LinAlgError:
        return None
    p = n_features
    # κ of the column-scaled [√w, √w X] block: means far from the spread
    # make the centring itself a cancellation, and this κ sees it.
    R_ax = R[: 1 + p, : 1 + p]
    norms = np.sqrt(np.diag(gram)[: 1 + p])
    if not np.all(norms > 0):
        return None
    rcond, info = lapack.dtrcon(np.asfortranarray(R_ax / norms), norm="1", uplo="U")
    if info != 0 or not rcond > 1.0 / MAX_CONDITION:
        return None
    condition = 1.0 / rcond
    unfit_k = np.sum(R[1 + p :, 1 + p :] ** 2, axis=0)
    noise_k = 1e4 * np.finfo(float).eps * condition**2 * np.diag(gram)[1 + p :]
    if np.any(unfit_k <= noise_k):
        return None
    return R
