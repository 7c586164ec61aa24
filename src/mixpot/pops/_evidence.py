"""Evidence maximisation (MacKay) for the ridge base fit, from a QR factor.

Everything is expressed in the singular basis of ``R_xx`` (``X = Q R_xx``, so
``X`` and ``R_xx`` share singular values ``s`` and right vectors). With
``b = Uᵀ R_xy`` the ridge solution, its residual sum and the effective number
of parameters are cheap closed forms, and no Gram matrix is ever formed. The
update rules and the Gamma hyper-priors are those of scikit-learn's
``BayesianRidge``, so both give the same ``alpha_`` and ``lambda_``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HyperPrior:
    """Gamma hyper-priors and loop settings (as in ``BayesianRidge``)."""

    alpha_1: float = 1e-6
    alpha_2: float = 1e-6
    lambda_1: float = 1e-6
    lambda_2: float = 1e-6
    max_iter: int = 300
    tol: float = 1e-3


@dataclass(frozen=True)
class RidgeSolution:
    """Ridge coefficients of one target and their hyper-parameters."""

    coef: np.ndarray
    alpha: float
    lambda_: float
    residual_sum: float
    n_iter: int

    @property
    def ridge(self) -> float:
        """Ridge ``λ/α`` added to the diagonal of ``XᵀWX``."""
        return self.lambda_ / self.alpha


def ridge_coef(
    s_p: np.ndarray, Vt_pp: np.ndarray, b_p: np.ndarray, ridge: float
) -> np.ndarray:
    """Solve ``(XᵀWX + ridge·I) θ = XᵀWy`` in the singular basis."""
    return Vt_pp.T @ (s_p * b_p / (s_p**2 + ridge))


def residual_sum(
    s_p: np.ndarray, b_p: np.ndarray, unfit_norm2: float, ridge: float
) -> float:
    """Weighted residual sum of squares of the ridge solution.

    The part of ``y`` orthogonal to the columns of ``X`` (``unfit_norm2``)
    plus, per singular direction, the fraction the ridge shrinks away.
    """
    shrunk = ridge * b_p / (s_p**2 + ridge)
    return float(unfit_norm2 + shrunk @ shrunk)


def maximize_evidence(
    s_p: np.ndarray,
    Vt_pp: np.ndarray,
    b_p: np.ndarray,
    unfit_norm2: float,
    sum_weights: float,
    target_variance: float,
    prior: HyperPrior,
    alpha_init: float | None = None,
    lambda_init: float | None = None,
) -> RidgeSolution:
    """Run the MacKay fixed-point iteration for ``alpha`` and ``lambda``."""
    eigen_p = s_p**2
    eps = np.finfo(np.float64).eps
    alpha = 1.0 / (target_variance + eps) if alpha_init is None else alpha_init
    lambda_ = 1.0 if lambda_init is None else lambda_init
    coef_old = None
    n_iter = 0
    while n_iter < prior.max_iter:
        n_iter += 1
        coef = ridge_coef(s_p, Vt_pp, b_p, lambda_ / alpha)
        rss = residual_sum(s_p, b_p, unfit_norm2, lambda_ / alpha)
        gamma = np.sum(alpha * eigen_p / (lambda_ + alpha * eigen_p))
        lambda_ = (gamma + 2 * prior.lambda_1) / (coef @ coef + 2 * prior.lambda_2)
        alpha = (sum_weights - gamma + 2 * prior.alpha_1) / (rss + 2 * prior.alpha_2)
        if coef_old is not None and np.sum(np.abs(coef_old - coef)) < prior.tol:
            break
        coef_old = coef
    coef = ridge_coef(s_p, Vt_pp, b_p, lambda_ / alpha)
    rss = residual_sum(s_p, b_p, unfit_norm2, lambda_ / alpha)
    return RidgeSolution(coef, float(alpha), float(lambda_), rss, n_iter)


def fixed_ridge(
    s_p: np.ndarray,
    Vt_pp: np.ndarray,
    b_p: np.ndarray,
    unfit_norm2: float,
    sum_weights: float,
    ridge: float,
    prior: HyperPrior,
) -> RidgeSolution:
    """Ridge solution for a user-given ``ridge``; ``alpha`` from its residuals.

    ``alpha`` (inverse noise variance) is then the posterior mode given the
    effective number of parameters, so that ``lambda_ = ridge * alpha``.
    """
    coef = ridge_coef(s_p, Vt_pp, b_p, ridge)
    rss = residual_sum(s_p, b_p, unfit_norm2, ridge)
    eigen_p = s_p**2
    gamma = np.sum(eigen_p / (eigen_p + ridge))
    alpha = (sum_weights - gamma + 2 * prior.alpha_1) / (rss + 2 * prior.alpha_2)
    return RidgeSolution(coef, float(alpha), float(ridge * alpha), rss, 0)
