"""Pointwise corrections and the POPS posterior of one target.

After the base fit, every training row i gets the smallest change of the
parameters (in the metric of ``Σ̃⁻¹ = XᵀWX + r·I``) that makes the model
reproduce it exactly: ``δθ_i = (e_i / h_i) Σ̃ x_i`` with residual ``e_i`` and
leverage ``h_i = x_iᵀ Σ̃ x_i``. The posterior is the box spanned by the
corrections along their principal axes ("hypercube") or the corrections
themselves ("ensemble").

Both passes over the data work chunk by chunk with O(P²) memory: the first
accumulates the second moment of the corrections (whose eigenvectors are the
principal axes), the second the extremes of their projections. Row weights
act as repeat counts: they weight the second moment and the percentiles, and
rows of zero weight are left out of the box.

The triangular factor ``T`` with ``TᵀT = XᵀWX + r·I`` turns both leverages
and corrections into triangular solves: with ``z_i = T⁻ᵀ x_i``,
``h_i = |z_i|²`` and ``Σ̃ x_i = T⁻¹ z_i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import linalg
from scipy.linalg import blas, lapack


def regularised_factor(R_xx: np.ndarray, ridge: float) -> np.ndarray:
    """Upper-triangular ``T`` with ``TᵀT = R_xxᵀR_xx + ridge·I`` (no Gram)."""
    p = len(R_xx)
    stacked = np.vstack([R_xx, np.sqrt(ridge) * np.eye(p)])
    T = linalg.qr(stacked, mode="r", check_finite=False)[0][:p]
    return T


def whiten(T: np.ndarray, Xc_np: np.ndarray) -> np.ndarray:
    """Rows ``z_i = T⁻ᵀ x_i`` so that ``x_iᵀ Σ̃ x_i = |z_i|²``."""
    return linalg.solve_triangular(
        T, Xc_np.T, trans="T", lower=False, check_finite=False
    ).T


class Whitener:
    """``z_i = T⁻ᵀ x_i`` for many rows, by multiplication where that is accurate.

    OpenBLAS's triangular solve with many right-hand sides runs at about a
    third of the speed of its triangular multiply. When ``T`` is well
    conditioned (LAPACK's estimate of κ(T) below 1e6, so the explicit
    inverse costs at most ~1e-10 relative accuracy) the rows are multiplied
    by ``T⁻¹`` instead of solved; otherwise they are solved. Used for the
    principal axes and leverages, which need no more accuracy; the box's
    own pass keeps the solve.
    """

    def __init__(self, T: np.ndarray) -> None:
        self.T = T
        self._inverse = None
        if len(T):
            rcond, info = lapack.dtrcon(np.asfortranarray(T), norm="1", uplo="U")
            if info == 0 and rcond > 1e-6:
                self._inverse = linalg.solve_triangular(
                    T, np.eye(len(T)), check_finite=False
                )

    def __call__(self, Xc_np: np.ndarray, overwrite: bool = False) -> np.ndarray:
        """Whitened rows; ``overwrite`` lets the multiply reuse ``Xc_np``."""
        if self._inverse is None:
            return whiten(self.T, Xc_np)
        # (X T⁻¹)ᵀ = T⁻ᵀ Xᵀ; Xᵀ of a C-ordered X is Fortran-ordered: no copy.
        Z_pn = blas.dtrmm(
            1.0,
            self._inverse,
            Xc_np.T,
            side=0,
            lower=0,
            trans_a=1,
            overwrite_b=overwrite,
        )
        return Z_pn.T


def correction_scales(
    residual_n: np.ndarray, leverage_n: np.ndarray, leverage_floor: float
) -> np.ndarray:
    """``e_i / h_i``, set to 0 where the leverage vanishes.

    A row with zero leverage (all-zero centred features) cannot be moved by
    any parameter change; its correction is taken as zero.
    """
    scale_n = np.zeros_like(residual_n)
    usable = leverage_n > leverage_floor
    scale_n[usable] = residual_n[usable] / leverage_n[usable]
    return scale_n


@dataclass
class TargetPosterior:
    """Base fit and POPS posterior of one target column.

    Attributes
    ----------
    coef : ndarray of shape (P,)
        Base-fit coefficients ``θ*``.
    y_mean : float
        Weighted mean of the target (0 without intercept).
    T : ndarray of shape (P, P)
        Upper-triangular factor of ``XᵀWX + r·I``.
    alpha, lambda_ : float
        Noise and weight precisions of the base fit.
    n_iter : int
        Evidence iterations run (0 for a fixed ridge).
    modes : ndarray of shape (P, R)
        Orthonormal principal axes of the corrections.
    lower, upper : ndarray of shape (R,)
        Box of the projected corrections ("hypercube").
    projections : ndarray of shape (n_kept, R) or None
        Projected corrections themselves ("ensemble", or for clipping).
    projection_weights : ndarray of shape (n_kept,) or None
        Their sample weights.
    kind : {"hypercube", "ensemble", "ellipsoid"}
        Which posterior the predictions use.
    axis_scale : ndarray of shape (R,)
        ``√`` of the eigenvalues of ``C = Σ w_i δθ_i δθ_iᵀ / Σ w_i`` along
        ``modes`` (all kinds; the ellipsoid's semi-axes are ``radius ·
        axis_scale``).
    radius : float
        Smallest ``k`` with ``|e_i| ≤ k √(x_iᵀ C x_i)`` for every row of
        weight > 0 ("ellipsoid"; 0 before that pass).
    interval_quantiles : ndarray of shape (999,)
        Conformal quantiles of the leave-one-out scores at coverages
        0.001 … 0.999 (see :mod:`._conformal`); empty if not computed.
    stratum_radii : ndarray of shape (S,)
        Per stratum of a fit with ``strata``, the smallest ``k`` covering
        that stratum's rows ("ellipsoid"; their maximum is ``radius``);
        empty without strata.
    stratum_quantiles : ndarray of shape (S, 999)
        Per stratum, the conformal quantiles of its own rows' scores, each
        scored with its stratum's ``k``; shape (0, 999) without strata.
    """

    coef: np.ndarray
    y_mean: float
    T: np.ndarray
    alpha: float
    lambda_: float
    n_iter: int = 0
    modes: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    projections: np.ndarray | None = None
    projection_weights: np.ndarray | None = None
    kind: str = "hypercube"
    axis_scale: np.ndarray = field(default_factory=lambda: np.zeros(0))
    radius: float = 0.0
    interval_quantiles: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stratum_radii: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stratum_quantiles: np.ndarray = field(default_factory=lambda: np.zeros((0, 999)))

    @property
    def is_ensemble(self) -> bool:
        """Whether predictions use the stored corrections."""
        return self.kind == "ensemble"

    def radii(self, code_n: np.ndarray | None) -> float | np.ndarray:
        """``k`` of each row's stratum (``code_n``), or the pooled ``k``.

        The pooled ``k`` also answers for posteriors without per-stratum
        ``k`` (the box and the ensemble).
        """
        if code_n is None or len(self.stratum_radii) == 0:
            return self.radius
        return self.stratum_radii[code_n]

    def quantiles(self, code: int | None) -> np.ndarray:
        """Conformal quantiles of one stratum, or the pooled ones (None)."""
        if code is None:
            return self.interval_quantiles
        return self.stratum_quantiles[code]

    @property
    def leverage_floor(self) -> float:
        """Leverages below this are treated as zero (relative to Σ̃'s scale)."""
        return 1e3 * np.finfo(float).eps / float(np.max(np.diag(self.T)) ** 2)

    def residuals(self, Xc_np: np.ndarray, y_n: np.ndarray) -> np.ndarray:
        """Base-fit residuals ``e_i`` of one chunk."""
        return (y_n - self.y_mean) - Xc_np @ self.coef

    def scales(
        self,
        Xc_np: np.ndarray,
        y_n: np.ndarray,
        keep=None,
        whitener=None,
        overwrite: bool = False,
    ) -> tuple:
        """Whitened rows and correction scales ``e_i / h_i`` of one chunk.

        ``keep``, a pair of lists, receives the chunk's leverages ``h_i`` and
        residuals ``e_i``; ``whitener`` (a :class:`Whitener`) replaces the
        triangular solve, and may overwrite ``Xc_np`` if ``overwrite``.
        """
        residual_n = self.residuals(Xc_np, y_n)
        if whitener is None:
            Z_np = whiten(self.T, Xc_np)
        else:
            Z_np = whitener(Xc_np, overwrite)
        leverage_n = np.einsum("np,np->n", Z_np, Z_np)
        if keep is not None:
            keep[0].append(leverage_n)
            keep[1].append(residual_n)
        return Z_np, correction_scales(residual_n, leverage_n, self.leverage_floor)


class SecondMoment:
    """Pass 1: accumulate ``Σ_i w_i δθ_i δθ_iᵀ`` in whitened coordinates."""

    def __init__(self, target: TargetPosterior, keep_leverages: bool = False) -> None:
        self.target = target
        p = len(target.coef)
        self._Mz = np.zeros((p, p))
        self._sum_weights = 0.0
        self.keep_rows = keep_leverages
        self.leverages: list[np.ndarray] = []
        self.residuals: list[np.ndarray] = []
        self._whitener = Whitener(target.T)

    def add(
        self,
        Xc_np: np.ndarray,
        y_n: np.ndarray,
        w_n: np.ndarray,
        overwrite: bool = False,
    ) -> None:
        """Fold one chunk in (``overwrite``: ``Xc_np`` may be reused)."""
        keep = (self.leverages, self.residuals) if self.keep_rows else None
        Z_np, scale_n = self.target.scales(Xc_np, y_n, keep, self._whitener, overwrite)
        Z_np *= (np.sqrt(w_n) * scale_n)[:, None]
        self._Mz += Z_np.T @ Z_np  # numpy takes the symmetric (syrk) route
        self._sum_weights += float(w_n.sum())

    def principal_axes(self, mode_threshold: float) -> np.ndarray:
        """Eigenvectors of the corrections' second moment above the threshold.

        ``δθ_i = T⁻¹ (scale_i z_i)`` so the moment is ``T⁻¹ Mz T⁻ᵀ``. Also
        sets the target's ``axis_scale`` (``√`` eigenvalues of the weighted
        mean ``C``).
        """
        T = self.target.T
        half = linalg.solve_triangular(T, self._Mz, check_finite=False)
        moment = linalg.solve_triangular(T, half.T, check_finite=False)
        moment = 0.5 * (moment + moment.T)
        eigenvalues, vectors = linalg.eigh(moment)
        top = eigenvalues[-1] if len(eigenvalues) else 0.0
        if top <= 0.0:
            self.target.axis_scale = np.zeros(0)
            return np.zeros((len(T), 0))
        keep = eigenvalues > mode_threshold * top
        axes = vectors[:, keep][:, ::-1]
        self.target.axis_scale = np.sqrt(eigenvalues[keep][::-1] / self._sum_weights)
        # Fix each axis' sign (largest component positive) so that equal data
        # give equal boxes: percentiles of u and of -u differ by a sample.
        largest = np.argmax(np.abs(axes), axis=0)
        return axes * np.sign(axes[largest, np.arange(axes.shape[1])])


class BoxExtremes:
    """Pass 2: project corrections on the axes; keep extremes or all of them."""

    def __init__(self, target: TargetPosterior, keep_all: bool) -> None:
        self.target = target
        # u_i = Vᵀ δθ_i = scale_i · z_i (T⁻ᵀ V): one product per chunk.
        self._axes_z = linalg.solve_triangular(
            target.T, target.modes, trans="T", check_finite=False
        )
        n_modes = target.modes.shape[1]
        self.lower = np.zeros(n_modes)
        self.upper = np.zeros(n_modes)
        self.keep_all = keep_all
        self._kept: list[np.ndarray] = []
        self._kept_weights: list[np.ndarray] = []

    def add(self, Xc_np: np.ndarray, y_n: np.ndarray, w_n: np.ndarray) -> None:
        """Fold one chunk in (rows of zero weight are ignored)."""
        if not np.all(w_n > 0):
            Xc_np, y_n, w_n = Xc_np[w_n > 0], y_n[w_n > 0], w_n[w_n > 0]
        Z_np, scale_n = self.target.scales(Xc_np, y_n)
        u_nr = (Z_np @ self._axes_z) * scale_n[:, None]
        if len(u_nr):
            # The base fit itself (u = 0) is always inside the box.
            np.minimum(self.lower, u_nr.min(axis=0), out=self.lower)
            np.maximum(self.upper, u_nr.max(axis=0), out=self.upper)
        if self.keep_all:
            self._kept.append(u_nr)
            self._kept_weights.append(w_n)

    def finish(self, percentile_clipping: float) -> None:
        """Store the box (clipped if asked) and the kept projections."""
        target = self.target
        target.lower, target.upper = self.lower, self.upper
        if not self.keep_all:
            return
        n_modes = len(self.lower)
        target.projections = (
            np.vstack(self._kept) if self._kept else np.zeros((0, n_modes))
        )
        target.projection_weights = np.concatenate(self._kept_weights)
        if percentile_clipping > 0 and len(target.projections):
            target.lower, target.upper = clipped_box(
                target.projections, target.projection_weights, percentile_clipping
            )


def clipped_box(
    u_nr: np.ndarray, w_n: np.ndarray, percentile: float
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted percentiles ``c`` and ``100 − c`` of each projection."""
    lower = np.percentile(u_nr, percentile, axis=0, weights=w_n, method="inverted_cdf")
    upper = np.percentile(
        u_nr, 100 - percentile, axis=0, weights=w_n, method="inverted_cdf"
    )
    return np.minimum(lower, 0.0), np.maximum(upper, 0.0)
