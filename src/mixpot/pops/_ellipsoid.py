"""The ellipsoid covering posterior of one target.

With ``C = Σ_i w_i δθ_i δθ_iᵀ / Σ_i w_i`` the weighted second moment of the
pointwise corrections (its eigenvectors are the principal axes, its
eigenvalues ``axis_scale²``), the posterior is the ellipsoid
``{θ* + δ : δᵀ C⁺ δ ≤ k²}``. The extremes of ``x·θ`` over it are
``μ ± k √(xᵀ C x)``, so row i is covered (some member reproduces it) exactly
when ``|e_i| ≤ k √(x_iᵀ C x_i)``; ``k`` is the smallest factor that covers
every row of weight > 0. With strata (labels of the rows, e.g. their kind:
energy, force, stress) each stratum s gets its own ``k_s``, the smallest
that covers its own rows, over the same C; the pooled ``k`` is their
maximum. Unlike the box, whose exact half-width adds one term
per principal axis, the ellipsoid's half-width is one quadratic form: it does
not grow with the number of axes.

The pass that finds ``k`` needs no triangular solve: ``x_iᵀ C x_i`` is
``|(x_i − x̄) · (V diag(axis_scale))|²``. It keeps, per row, ``e_i`` and
``x_iᵀ C x_i`` (O(N) floats) for the leave-one-out scores of
:mod:`._conformal`.
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from scipy.linalg import blas

from ._posterior import TargetPosterior

# Relative widening of k beyond the tightest row (round-off allowance).
RADIUS_MARGIN = 1e-9


def quadratic_form(target: TargetPosterior, Xc_np: np.ndarray) -> np.ndarray:
    """``(x − x̄)ᵀ C (x − x̄)`` per row."""
    g_nr = Xc_np @ (target.modes * target.axis_scale)
    return np.einsum("nr,nr->n", g_nr, g_nr)


class TriangularForm:
    """``xᵀ C x`` for many rows with a trapezoidal factor of C.

    ``C = L Lᵀ`` with ``L = V diag(axis_scale)`` (P × R); the QR of ``Lᵀ``
    gives ``Lᵀ = Q U`` and ``C = Uᵀ U`` with U (R × P) upper trapezoidal, so
    ``xᵀCx = |U x|²``: a triangular multiply (half the flops of the general
    product with L) plus a general one for the last P − R columns.
    """

    def __init__(self, target: TargetPosterior) -> None:
        L_pr = target.modes * target.axis_scale
        self.n_modes = L_pr.shape[1]
        if self.n_modes:
            U_rp = linalg.qr(L_pr.T, mode="r", check_finite=False)[0]
            self._square = np.asfortranarray(U_rp[:, : self.n_modes])
            self._rest = U_rp[:, self.n_modes :]

    def __call__(self, Xc_np: np.ndarray, overwrite: bool = False) -> np.ndarray:
        """``xᵀCx`` per row; ``overwrite`` lets the multiply reuse ``Xc_np``."""
        if self.n_modes == 0:
            return np.zeros(len(Xc_np))
        r = self.n_modes
        head_rn = np.ascontiguousarray(Xc_np[:, :r]).T
        Ux_rn = blas.dtrmm(
            1.0, self._square, head_rn, side=0, lower=0, overwrite_b=overwrite
        )
        if self._rest.shape[1]:
            Ux_rn += self._rest @ Xc_np[:, r:].T
        return np.einsum("rn,rn->n", Ux_rn, Ux_rn)


class EllipsoidRadius:
    """Pass 3 of the ellipsoid: the covering factor ``k`` over all chunks.

    With ``n_strata`` > 0 it also finds each stratum's ``k_s`` from the
    stratum codes (0 … n_strata − 1) of the rows; a stratum with fewer than
    ``min_rows`` rows of weight > 0 takes the pooled ``k``.
    """

    def __init__(
        self,
        target: TargetPosterior,
        keep_rows: bool,
        n_strata: int = 0,
        min_rows: int = 1,
    ) -> None:
        self.target = target
        self._form = TriangularForm(target)
        self._k2 = 0.0
        self._k2_s = np.zeros(n_strata)
        self._rows_s = np.zeros(n_strata, dtype=np.int64)
        self._min_rows = min_rows
        self.keep_rows = keep_rows
        self.residuals: list[np.ndarray] = []
        self.forms: list[np.ndarray] = []
        self.weights: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []

    def add(
        self,
        X_np: np.ndarray,
        x_mean_p: np.ndarray,
        y_n: np.ndarray,
        w_n: np.ndarray,
        residual_n: np.ndarray | None = None,
        code_n: np.ndarray | None = None,
    ) -> None:
        """Fold one chunk in (rows of zero weight do not set ``k``).

        ``residual_n``, when pass 2 kept it, saves recomputing ``e_i``;
        ``code_n`` are the rows' stratum codes (needed with strata).
        """
        Xc_np = X_np - x_mean_p
        if residual_n is None:
            residual_n = self.target.residuals(Xc_np, y_n)
        form_n = self._form(Xc_np, overwrite=True)  # Xc_np is ours
        if self.keep_rows:
            self.residuals.append(residual_n)
            self.forms.append(form_n)
            self.weights.append(w_n)
            if code_n is not None:
                self.codes.append(code_n)
        used = w_n > 0
        used_rows = np.flatnonzero(used)
        ratio = covering_ratio(
            residual_n[used],
            form_n[used],
            lambda index: X_np[used_rows[index]] - x_mean_p,
            self.target,
        )
        if len(ratio):
            self._k2 = max(self._k2, float(ratio.max()))
        if len(self._k2_s) and len(ratio):
            np.maximum.at(self._k2_s, code_n[used], ratio)
            self._rows_s += np.bincount(code_n[used], minlength=len(self._rows_s))

    def finish(self) -> None:
        """Store ``k`` (and each ``k_s``) on the target, 1e-9 wider.

        The widening covers the round-off of predicting the row that sets
        ``k`` (its bound equals its target exactly) and changes no width
        visibly. A stratum with fewer than ``min_rows`` rows of weight > 0
        (none, say) takes the pooled ``k``: the largest of its few ratios
        promises little for new rows.
        """
        widen = 1.0 + RADIUS_MARGIN
        self.target.radius = float(np.sqrt(self._k2)) * widen
        if len(self._k2_s):
            radii = np.sqrt(self._k2_s) * widen
            radii[self._rows_s < self._min_rows] = self.target.radius
            self.target.stratum_radii = radii


def covering_ratio(
    residual_n: np.ndarray,
    form_n: np.ndarray,
    centred_rows,
    target: TargetPosterior,
) -> np.ndarray:
    """``e_i² / (x_iᵀ C x_i)`` per row; 0 for rows the posterior cannot move.

    A row with ``x_iᵀ C x_i`` below 1e-24 of ``|x_i − x̄|²`` times C's largest
    eigenvalue lies in no principal direction (``centred_rows(index)`` gives
    those rows of ``x − x̄``): its residual is round-off
    (its correction was zero, or dropped with the modes below
    ``mode_threshold``) and it cannot set ``k``.
    """
    scale = float(np.max(target.axis_scale)) if len(target.axis_scale) else 0.0
    movable = form_n > 0
    if len(form_n):
        # Only rows far below the chunk's largest form can fail the test.
        suspect = np.flatnonzero(form_n < 1e-12 * form_n.max())
        if len(suspect):
            rows = centred_rows(suspect)
            norm2 = np.einsum("np,np->n", rows, rows)
            movable[suspect] = form_n[suspect] > 1e-24 * scale**2 * norm2
    ratio_n = np.zeros(len(residual_n))
    ratio_n[movable] = residual_n[movable] ** 2 / form_n[movable]
    return ratio_n


def half_width(target: TargetPosterior, Xc_np: np.ndarray, radius=None) -> np.ndarray:
    """``k √((x − x̄)ᵀ C (x − x̄))``: the exact half-width of the bounds.

    ``radius`` (one ``k`` per row, or one for all) replaces the pooled ``k``.
    """
    k = target.radius if radius is None else radius
    return k * np.sqrt(quadratic_form(target, Xc_np))


def misspecification_variance(
    target: TargetPosterior, Xc_np: np.ndarray, radius=None
) -> np.ndarray:
    """Variance of ``x·θ`` for θ uniform in the ellipsoid.

    A uniform law in the unit ball of dimension R has covariance
    ``I / (R + 2)``, hence ``k² xᵀ C x / (R + 2)``; ``radius`` as in
    :func:`half_width`.
    """
    n_modes = len(target.axis_scale)
    k = target.radius if radius is None else radius
    return k**2 * quadratic_form(target, Xc_np) / (n_modes + 2)


def draw(target: TargetPosterior, n_samples: int, rng) -> np.ndarray:
    """Parameter vectors uniform in the ellipsoid (seeded by ``rng``).

    A direction uniform on the sphere times a radius ``U^(1/R)`` gives a
    uniform point of the unit ball; ``θ* + V diag(k · axis_scale) u`` maps it
    into the ellipsoid. Members are typical points of the posterior, not the
    corners that a box draws near in many dimensions. With strata they are
    drawn with the pooled ``k`` (the largest ``k_s``): one parameter vector
    predicts rows of every stratum at once, and the pooled ellipsoid is the
    smallest of this shape whose members cover every training row.
    """
    n_modes = len(target.axis_scale)
    if n_modes == 0:
        return np.tile(target.coef, (n_samples, 1))
    direction = rng.standard_normal((n_samples, n_modes))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    radius = rng.random_sample(n_samples) ** (1.0 / n_modes)
    u_sr = direction * (radius * target.radius)[:, None] * target.axis_scale
    return target.coef + u_sr @ target.modes.T
