"""Predictions of one target's posterior: mean, bounds, std components.

With ``g = Vᵀ(x − x̄)`` the box ``[l, h]`` maps to the exact interval
``μ + Σ_r min(g_r l_r, g_r h_r)`` … ``μ + Σ_r max(g_r l_r, g_r h_r)``:
positive and negative parts of ``g`` pick the ends. The misspecification
std is the root-mean-square deviation from ``μ`` of the prediction under a
uniform law on the box (variance plus squared mean shift), or under the
weighted ensemble. The ellipsoid ("ellipsoid", :mod:`._ellipsoid`) gives
``μ ± k √(xᵀCx)`` and the variance of a uniform law inside it; its
``radius`` argument (one ``k`` per row: that of the row's stratum) replaces
the pooled ``k``. The box and the ensemble have no such scale and ignore it.
"""

from __future__ import annotations

import numpy as np

from . import _ellipsoid
from ._posterior import TargetPosterior, whiten

# Rows of X per block when an ensemble is scanned (bounds an N × n_kept array).
_ENSEMBLE_BLOCK = 4096


def mean(target: TargetPosterior, Xc_np: np.ndarray) -> np.ndarray:
    """Base-fit prediction ``ȳ + (x − x̄)·θ*``."""
    return target.y_mean + Xc_np @ target.coef


def bounds(
    target: TargetPosterior, Xc_np: np.ndarray, radius=None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact lower and upper deviations from the mean."""
    if target.kind == "ellipsoid":
        half = _ellipsoid.half_width(target, Xc_np, radius)
        return -half, half
    g_nr = Xc_np @ target.modes
    if _is_ensemble(target):
        return _ensemble_extremes(g_nr, target.projections)
    g_plus, g_minus = np.maximum(g_nr, 0.0), np.minimum(g_nr, 0.0)
    lower = g_plus @ target.lower + g_minus @ target.upper
    upper = g_plus @ target.upper + g_minus @ target.lower
    return lower, upper


def misspecification_variance(
    target: TargetPosterior, Xc_np: np.ndarray, radius=None
) -> np.ndarray:
    """Mean squared deviation from the base fit over the posterior."""
    if target.kind == "ellipsoid":
        return _ellipsoid.misspecification_variance(target, Xc_np, radius)
    g_nr = Xc_np @ target.modes
    if _is_ensemble(target):
        u_nr, w_n = target.projections, target.projection_weights
        moment_rr = (u_nr * (w_n / w_n.sum())[:, None]).T @ u_nr
        return np.einsum("nr,rs,ns->n", g_nr, moment_rr, g_nr)
    width_r = target.upper - target.lower
    centre_r = 0.5 * (target.upper + target.lower)
    return (g_nr**2) @ (width_r**2 / 12.0) + (g_nr @ centre_r) ** 2


def epistemic_variance(target: TargetPosterior, Xc_np: np.ndarray) -> np.ndarray:
    """Bayesian-ridge parameter variance ``(x − x̄)ᵀ Σ̃ (x − x̄) / α``."""
    Z_np = whiten(target.T, Xc_np)
    return np.einsum("np,np->n", Z_np, Z_np) / target.alpha


def variances(
    target: TargetPosterior, Xc_np: np.ndarray, radius=None
) -> dict[str, np.ndarray]:
    """Return the three variance components of one target."""
    return {
        "misspecification": misspecification_variance(target, Xc_np, radius),
        "epistemic": epistemic_variance(target, Xc_np),
        "noise": np.full(len(Xc_np), 1 / target.alpha),
    }


def _is_ensemble(target: TargetPosterior) -> bool:
    return target.projections is not None and target.is_ensemble


def _ensemble_extremes(
    g_nr: np.ndarray, u_mr: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    lower = np.zeros(len(g_nr))
    upper = np.zeros(len(g_nr))
    for start in range(0, len(g_nr), _ENSEMBLE_BLOCK):
        block = slice(start, start + _ENSEMBLE_BLOCK)
        values_nm = g_nr[block] @ u_mr.T
        if values_nm.shape[1]:
            lower[block] = np.minimum(values_nm.min(axis=1), 0.0)
            upper[block] = np.maximum(values_nm.max(axis=1), 0.0)
    return lower, upper


def draw(target: TargetPosterior, n_samples: int, rng) -> np.ndarray:
    """Parameter vectors from the posterior of one target (seeded ``rng``).

    Uniform in the ellipsoid or the box, or drawn from the weighted
    corrections of an ensemble.
    """
    if target.kind == "ellipsoid":
        return _ellipsoid.draw(target, n_samples, rng)
    if _is_ensemble(target) and len(target.projections):
        p = target.projection_weights / target.projection_weights.sum()
        u_sr = target.projections[rng.choice(len(p), size=n_samples, p=p)]
    else:
        fraction = rng.random_sample((n_samples, len(target.lower)))
        u_sr = target.lower + (target.upper - target.lower) * fraction
    return target.coef + u_sr @ target.modes.T
