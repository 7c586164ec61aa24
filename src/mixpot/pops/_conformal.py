"""Leave-one-out (jackknife+-style) calibration of the POPS std.

The base fit is ridge regression with the unpenalised intercept handled by
weighted centring; its hat matrix is ``H = W X̃ Ã⁻¹ X̃ᵀ`` with
``x̃ᵀ Ã⁻¹ x̃ = c + (x − x̄)ᵀ Σ̃ (x − x̄)`` (``c = 1/Σw`` with an intercept, else
0). Leaving out row i (or the rows G of one group) at fixed ridge changes
its residual ``e`` in closed form, without a refit:

* one row: ``e_i^LOO = e_i / (1 − w_i (c + h_i))``;
* a group: ``e_G^LOO = (I − S_GG W_G)⁻¹ e_G`` with
  ``S_GG = c + Z_G Z_Gᵀ`` (whitened rows ``z = T⁻ᵀ(x − x̄)``).

The score of a row is ``|e^LOO| / σ(x)``, σ the std of ``predict``. Scores
of all rows of weight > 0 (one per row, unweighted: each row is taken as one
exchangeable sample) give, per coverage q, the conformal quantile: the
``⌈(n + 1) q⌉``-th smallest score (infinite when that exceeds n). Only these
quantiles at the fixed coverages 0.001, 0.002, …, 0.999 are kept (999
floats per target); the O(N) scores live only during the fit. With strata
(row labels such as energy / force / stress) each stratum also gets the
quantiles of its own rows' scores (Mondrian conformal prediction), each row
scored with the σ of its own stratum's ellipsoid.

With evidence maximisation the ridge is that of the full data, so the
residuals are those of refits at that fixed ridge, not of refits that
re-maximise the evidence.
"""

from __future__ import annotations

import numpy as np

from ._posterior import whiten

LEVELS = np.arange(1, 1000) / 1000.0


def conformal_quantiles(scores: np.ndarray) -> np.ndarray:
    """Finite-sample conformal quantiles of ``scores`` at :data:`LEVELS`."""
    sorted_scores = np.sort(np.asarray(scores, dtype=np.float64))
    n = len(sorted_scores)
    rank = np.ceil((n + 1) * LEVELS - 1e-9).astype(int)  # 1-based
    quantiles = np.full(len(LEVELS), np.inf)
    finite = rank <= n
    quantiles[finite] = sorted_scores[rank[finite] - 1]
    return quantiles


def stratum_quantiles(
    score_n: np.ndarray,
    code_n: np.ndarray,
    n_strata: int,
    pooled: np.ndarray,
    min_rows: int = 1,
) -> np.ndarray:
    """Conformal quantiles of each stratum's own scores, shape (S, 999).

    Mondrian conformal prediction: the rows of stratum s are exchangeable
    among themselves, so their own quantile gives the asked coverage within
    s, whatever the other strata do. A stratum with fewer than ``min_rows``
    scores (none, say) takes the ``pooled`` quantiles.
    """
    out = np.empty((n_strata, len(LEVELS)))
    for code in range(n_strata):
        mine = score_n[code_n == code]
        out[code] = conformal_quantiles(mine) if len(mine) >= min_rows else pooled
    return out


def quantile_at(quantiles: np.ndarray, coverage: float) -> float:
    """Return the stored quantile at ``coverage`` rounded up to the next 0.001."""
    index = int(np.ceil(coverage * 1000 - 1e-9)) - 1
    return float(quantiles[min(max(index, 0), len(LEVELS) - 1)])


def row_loo_residuals(
    residual_n: np.ndarray,
    leverage_n: np.ndarray,
    w_n: np.ndarray,
    centring: float,
) -> np.ndarray:
    """``e_i / (1 − H_ii)``; infinite where a row fixes its own fit."""
    one_minus = 1.0 - w_n * (centring + leverage_n)
    out = np.full_like(residual_n, np.inf)
    ok = one_minus > 1e-12
    out[ok] = residual_n[ok] / one_minus[ok]
    out[~ok & (residual_n == 0)] = 0.0
    return np.abs(out)


def group_loo_residuals(
    T: np.ndarray,
    Xc_np: np.ndarray,
    residual_n: np.ndarray,
    w_n: np.ndarray,
    group_n: np.ndarray,
    centring: float,
) -> np.ndarray:
    """``|(I − S_GG W_G)⁻¹ e_G|`` for every group of one chunk.

    The chunk must hold whole groups (rows of a group contiguous or not).
    """
    out = np.empty_like(residual_n)
    Z_np = whiten(T, Xc_np)
    _, inverse = np.unique(group_n, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    for rows in np.split(order, bounds):
        S_gg = centring + Z_np[rows] @ Z_np[rows].T
        system = np.eye(len(rows)) - S_gg * w_n[rows]
        try:
            out[rows] = np.abs(np.linalg.solve(system, residual_n[rows]))
        except np.linalg.LinAlgError:
            out[rows] = np.inf
    return out


def scores(loo_n: np.ndarray, sigma_n: np.ndarray) -> np.ndarray:
    """``|e^LOO| / σ``; 0/0 is 0, a positive residual over σ = 0 is inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = loo_n / sigma_n
    ratio[(loo_n == 0)] = 0.0
    return ratio
