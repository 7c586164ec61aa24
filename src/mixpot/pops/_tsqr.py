"""Streaming QR (TSQR) of row chunks.

The base fit of POPS needs the Gram matrix ``XᵀWX``, but forming it squares
the condition number of the descriptor matrix, which for interatomic
potentials is often 1e8 or worse. Instead the rows are reduced chunk by chunk
to the triangular factor ``R`` of ``[√w, √w X, √w y]``: ``RᵀR`` equals that
augmented Gram matrix, but ``R`` carries the singular values of ``X`` at full
precision. Memory is O(P²) plus one chunk.

Putting the column of ones first makes the trailing block of ``R`` the factor
of the *weighted-centred* data, so the intercept costs nothing extra.

Array names carry their axes: ``n`` rows, ``p`` features, ``k`` targets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg


class StreamingQR:
    """Accumulate the R factor of ``[√w, √w X, √w y]`` over row chunks.

    Parameters
    ----------
    n_features : int
        Number of columns P of ``X``.
    n_targets : int
        Number of columns K of ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(100, 3)), rng.normal(size=(100, 1))
    >>> qr = StreamingQR(3, 1)
    >>> for rows in (slice(0, 40), slice(40, 100)):
    ...     qr.add(X[rows], y[rows], np.ones(len(X[rows])))
    >>> factors = qr.factors()
    >>> bool(np.allclose(factors.R_xx.T @ factors.R_xx,
    ...                  (X - X.mean(0)).T @ (X - X.mean(0))))
    True
    """

    def __init__(self, n_features: int, n_targets: int) -> None:
        self.n_features = n_features
        self.n_targets = n_targets
        self._R = np.zeros((0, 1 + n_features + n_targets))
        self.n_rows = 0

    def add(self, X_np: np.ndarray, y_nk: np.ndarray, w_n: np.ndarray) -> None:
        """Fold one chunk of rows into the factor."""
        root_w_n = np.sqrt(w_n)
        n_done, p = len(self._R), self.n_features
        # Fortran order: LAPACK factorises it in place, about 2x faster.
        stacked = np.empty((n_done + len(w_n), self._R.shape[1]), order="F")
        stacked[:n_done] = self._R
        block = stacked[n_done:]
        block[:, 0] = root_w_n
        np.multiply(X_np, root_w_n[:, None], out=block[:, 1 : 1 + p])
        np.multiply(y_nk, root_w_n[:, None], out=block[:, 1 + p :])
        # scipy's mode="r" returns the full (M, N) R: keep its top rows only.
        R = linalg.qr(stacked, mode="r", overwrite_a=True, check_finite=False)[0]
        self._R = R[: min(R.shape)].copy()
        self.n_rows += len(w_n)

    def factors(self) -> CentredFactors:
        """Split the accumulated factor into its centred blocks."""
        n_cols = self._R.shape[1]
        R = np.zeros((n_cols, n_cols))
        R[: len(self._R)] = self._R[:n_cols]
        return centred_blocks(R, self.n_features)


def centred_blocks(R: np.ndarray, n_features: int) -> CentredFactors:
    """Blocks of the square factor ``R`` of ``[√w, √w X, √w y]``."""
    p = n_features
    # Row 0 is the projection on √w: it holds Σw and the weighted means.
    sqrt_sum_w = R[0, 0]
    if sqrt_sum_w == 0.0:
        raise ValueError(
            "The 'sample_weight' parameter of POPSRegressor must have a "
            "positive sum. Got zero: nothing to fit."
        )
    x_mean_p = R[0, 1 : 1 + p] / sqrt_sum_w
    y_mean_k = R[0, 1 + p :] / sqrt_sum_w
    return CentredFactors(
        sum_weights=sqrt_sum_w**2,
        x_mean=x_mean_p,
        y_mean=y_mean_k,
        R_xx=R[1 : 1 + p, 1 : 1 + p],
        R_xy=R[1 : 1 + p, 1 + p :],
        R_yy=R[1 + p :, 1 + p :],
        R_0x=R[0, 1 : 1 + p],
        R_0y=R[0, 1 + p :],
    )


@dataclass
class CentredFactors:
    """Blocks of the triangular factor of ``[√w, √w X, √w y]``.

    ``R_xx`` is the R factor of the weighted-centred ``X``; ``R_xy`` the
    centred targets projected on its columns' orthonormal basis; the columns of
    ``R_yy`` hold what no linear model can fit (their squared norms are the
    least-squares residual sums). ``R_0x``, ``R_0y`` are the projections on the
    constant column, needed when no intercept is fitted.
    """

    sum_weights: float
    x_mean: np.ndarray
    y_mean: np.ndarray
    R_xx: np.ndarray
    R_xy: np.ndarray
    R_yy: np.ndarray
    R_0x: np.ndarray
    R_0y: np.ndarray

    def uncentred(self) -> CentredFactors:
        """Return the factor of the raw (not centred) data, for no intercept.

        The raw Gram matrix is the centred one plus the rank-one term of the
        constant column, so one small QR of ``[R_0x; R_xx]`` gives its factor.
        """
        p = len(self.x_mean)
        top = np.hstack([self.R_0x, self.R_0y])[None, :]
        body = np.hstack([self.R_xx, self.R_xy])
        tail = np.hstack([np.zeros((len(self.R_yy), p)), self.R_yy])
        R = linalg.qr(np.vstack([top, body, tail]), mode="r")[0]
        n_cols = R.shape[1]
        square = np.zeros((n_cols, n_cols))
        square[: len(R)] = R[:n_cols]
        return CentredFactors(
            sum_weights=self.sum_weights,
            x_mean=np.zeros(p),
            y_mean=np.zeros(len(self.y_mean)),
            R_xx=square[:p, :p],
            R_xy=square[:p, p:],
            R_yy=square[p:, p:],
            R_0x=np.zeros(p),
            R_0y=np.zeros(len(self.y_mean)),
        )
