"""Exact linear equality constraints ``A_eq θ = b_eq`` on the coefficients.

A QR factorisation of ``A_eqᵀ`` (P × m) gives an orthonormal basis ``Q₁`` of
the constrained directions and ``N = Q₂`` of the null space. Every θ with
``A_eq θ = b_eq`` is ``θ_p + N z`` with the minimum-norm particular solution
``θ_p = Q₁ R⁻ᵀ b_eq`` (orthogonal to N). The fit then runs on the reduced
rows ``x_i N`` and targets ``y_i − x_i·θ_p``; since ``|θ|² = |θ_p|² + |z|²``,
the ridge on z is the ridge on θ restricted to the constraint set, so the
base fit is the constrained ridge (KKT) solution. Everything the posterior
holds (axes, box, ellipsoid, ensemble) lives in z: every member, and every
bound, keeps the constraints exactly.

The intercept is not constrained.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg


@dataclass
class LinearConstraint:
    """``θ = theta + null @ z``: the affine set ``A_eq θ = b_eq``.

    Attributes
    ----------
    theta : ndarray of shape (P, K)
        Minimum-norm particular solution per target.
    null : ndarray of shape (P, P − m)
        Orthonormal basis of the null space of ``A_eq``.
    """

    theta: np.ndarray
    null: np.ndarray

    def reduce(self, X_np: np.ndarray, y_nk: np.ndarray) -> tuple:
        """Reduced rows ``X N`` and targets ``y − X θ_p``."""
        return X_np @ self.null, y_nk - X_np @ self.theta

    def expand(self, z: np.ndarray, k: int) -> np.ndarray:
        """Full coefficients ``θ_p + N z`` of target k (z: (..., P − m))."""
        return self.theta[:, k] + z @ self.null.T


def build(constraints, n_features: int, n_targets: int, owner: str) -> LinearConstraint:
    """Check ``(A_eq, b_eq)`` and return its particular solution and null space."""
    A_mp, b_mk = _checked_arrays(constraints, n_features, n_targets, owner)
    m = len(A_mp)
    Q, R, piv = linalg.qr(A_mp.T, pivoting=True)
    diagonal = np.abs(np.diag(R))
    tolerance = max(A_mp.shape) * np.finfo(float).eps * diagonal[0]
    rank = int(np.sum(diagonal > tolerance))
    if rank < m:
        solution = np.linalg.lstsq(A_mp, b_mk, rcond=None)[0]
        misfit = np.linalg.norm(A_mp @ solution - b_mk)
        kind = (
            "inconsistent"
            if misfit > 1e-9 * (np.linalg.norm(b_mk) + 1)
            else "redundant"
        )
        raise ValueError(
            f"The 'constraints' parameter of {owner}.fit must have linearly "
            f"independent rows of A_eq. Got {m} rows of rank {rank} ({kind}: "
            + (
                "no θ satisfies them all)."
                if kind == "inconsistent"
                else "drop the dependent rows)."
            )
        )
    if m >= n_features:
        raise ValueError(
            f"The 'constraints' parameter of {owner}.fit must leave at least one "
            f"free parameter. Got {m} independent constraints on {n_features} "
            "coefficients."
        )
    # A_eqᵀ[:, piv] = Q R  ⇒  A_eq[piv] = Rᵀ Q₁ᵀ;  θ_p = Q₁ R⁻ᵀ b[piv].
    R_mm = R[:m, :m]
    theta = Q[:, :m] @ linalg.solve_triangular(R_mm, b_mk[piv], trans="T")
    return LinearConstraint(theta=theta, null=Q[:, m:].copy())


def _checked_arrays(constraints, n_features, n_targets, owner):
    message = (
        f"The 'constraints' parameter of {owner}.fit must be a tuple (A_eq, b_eq) "
        f"with A_eq of shape (m, {n_features}) and b_eq of shape (m,) or "
        f"(m, {n_targets}), all finite."
    )
    if not isinstance(constraints, tuple | list) or len(constraints) != 2:
        raise ValueError(f"{message} Got {type(constraints).__name__}.")
    try:
        A_mp = np.asarray(constraints[0], dtype=np.float64)
        b = np.asarray(constraints[1], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{message} Got entries that are not numbers.") from error
    if A_mp.ndim == 1:
        A_mp = A_mp[None, :]
    if b.ndim == 0:
        b = b[None]
    if A_mp.ndim != 2 or A_mp.shape[1] != n_features or len(A_mp) == 0:
        raise ValueError(f"{message} Got A_eq of shape {A_mp.shape}.")
    b_mk = np.repeat(b[:, None], n_targets, axis=1) if b.ndim == 1 else b
    if b_mk.shape != (len(A_mp), n_targets):
        raise ValueError(f"{message} Got b_eq of shape {b.shape}.")
    if not (np.all(np.isfinite(A_mp)) and np.all(np.isfinite(b_mk))):
        raise ValueError(f"{message} Got NaN or infinity.")
    return A_mp, b_mk
