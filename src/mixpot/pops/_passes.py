"""The three passes over row chunks that fit a POPS posterior.

1. Streaming QR of ``[√w, √w X, √w y]`` → base fit (evidence or fixed ridge).
2. Second moment of the pointwise corrections → principal axes.
3. Projections of the corrections on the axes → box (or ensemble).

Each pass reads every chunk once; memory is O(P²) per target plus one chunk.
The chunk source is a callable returning a fresh iterator of validated
``(X_np, y_nk, w_n)`` triples, called once per pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import numpy as np
from scipy import linalg

from ._evidence import HyperPrior, fixed_ridge, maximize_evidence
from ._posterior import BoxExtremes, SecondMoment, TargetPosterior, regularised_factor
from ._tsqr import CentredFactors, StreamingQR

logger = logging.getLogger(__name__)

ChunkSource = Callable[[], Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]]


def fit_posteriors(
    chunks: ChunkSource,
    n_features: int,
    n_targets: int,
    *,
    fit_intercept: bool,
    ridge: float | None,
    prior: HyperPrior,
    alpha_init: float | None,
    lambda_init: float | None,
    keep_projections: bool,
    percentile_clipping: float,
    mode_threshold: float,
) -> tuple[list[TargetPosterior], np.ndarray, int]:
    """Run the three passes; return one posterior per target and the X mean."""
    factors, n_rows = _factorise(chunks, n_features, n_targets)
    variance_k = (
        np.sum(factors.R_yy**2, axis=0) + np.sum(factors.R_xy**2, axis=0)
    ) / factors.sum_weights
    if not fit_intercept:
        factors = factors.uncentred()
    U_pp, s_p, Vt_pp = linalg.svd(factors.R_xx, check_finite=False)
    b_pk = U_pp.T @ factors.R_xy
    targets = []
    for k in range(n_targets):
        unfit = float(factors.R_yy[:, k] @ factors.R_yy[:, k])
        if ridge is None:
            solution = maximize_evidence(
                s_p,
                Vt_pp,
                b_pk[:, k],
                unfit,
                factors.sum_weights,
                variance_k[k],
                prior,
                alpha_init,
                lambda_init,
            )
        else:
            solution = fixed_ridge(
                s_p, Vt_pp, b_pk[:, k], unfit, factors.sum_weights, ridge, prior
            )
        logger.info(
            "target %d: alpha=%.3g lambda=%.3g after %d iterations",
            k,
            solution.alpha,
            solution.lambda_,
            solution.n_iter,
        )
        targets.append(
            TargetPosterior(
                coef=solution.coef,
                y_mean=float(factors.y_mean[k]),
                T=regularised_factor(factors.R_xx, solution.ridge),
                alpha=solution.alpha,
                lambda_=solution.lambda_,
                n_iter=solution.n_iter,
            )
        )
    _find_principal_axes(chunks, targets, factors.x_mean, mode_threshold)
    _find_box(chunks, targets, factors.x_mean, keep_projections, percentile_clipping)
    return targets, factors.x_mean, n_rows


def _factorise(
    chunks: ChunkSource, n_features: int, n_targets: int
) -> tuple[CentredFactors, int]:
    qr = StreamingQR(n_features, n_targets)
    for X_np, y_nk, w_n in chunks():
        qr.add(X_np, y_nk, w_n)
    if qr.n_rows == 0:
        raise ValueError("The chunk source yielded no rows: nothing to fit.")
    return qr.factors(), qr.n_rows


def _find_principal_axes(
    chunks: ChunkSource,
    targets: list[TargetPosterior],
    x_mean_p: np.ndarray,
    mode_threshold: float,
) -> None:
    moments = [SecondMoment(target) for target in targets]
    for X_np, y_nk, w_n in chunks():
        Xc_np = X_np - x_mean_p
        for k, moment in enumerate(moments):
            moment.add(Xc_np, y_nk[:, k], w_n)
    for target, moment in zip(targets, moments, strict=True):
        target.modes = moment.principal_axes(mode_threshold)


def _find_box(
    chunks: ChunkSource,
    targets: list[TargetPosterior],
    x_mean_p: np.ndarray,
    keep_projections: bool,
    percentile_clipping: float,
) -> None:
    extremes = [BoxExtremes(target, keep_projections) for target in targets]
    for X_np, y_nk, w_n in chunks():
        Xc_np = X_np - x_mean_p
        for k, box in enumerate(extremes):
            box.add(Xc_np, y_nk[:, k], w_n)
    for box in extremes:
        box.finish(percentile_clipping)
