"""The three passes over row chunks that fit a POPS posterior.

1. Factor of ``[√w, √w X, √w y]`` (Gram/Cholesky, or streaming QR where
   the conditioning needs it; see :mod:`._factor`) → base fit (evidence or
   fixed ridge).
2. Second moment of the pointwise corrections → principal axes.
3. Projections of the corrections on the axes → box (or ensemble), or the
   covering factor of the ellipsoid.
4. Leave-one-out scores for :meth:`predict_interval` (for the ellipsoid
   without groups this comes free from passes 2 and 3, at O(N) floats).

Each pass reads every chunk once; memory is O(P²) per target plus one chunk.
The chunk source is a callable returning a fresh iterator of validated
``(X_np, y_nk, w_n)`` triples, called once per pass. With strata, every
chunk (of rows or of whole groups) carries the rows' stratum codes
(0 … n_strata − 1) as its last item; passes 3 and 4 use them for the
per-stratum ``k`` and quantiles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import numpy as np
from scipy import linalg

from . import _conformal, _predict
from ._ellipsoid import EllipsoidRadius
from ._evidence import HyperPrior, fixed_ridge, maximize_evidence
from ._factor import factorise
from ._posterior import BoxExtremes, SecondMoment, TargetPosterior, regularised_factor

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
    kind: str,
    percentile_clipping: float,
    mode_threshold: float,
    std_components: tuple[str, ...],
    group_chunks: ChunkSource | None = None,
    n_strata: int = 0,
    min_stratum_rows: int = 1,
) -> tuple[list[TargetPosterior], np.ndarray, int]:
    """Run the passes; return one posterior per target and the X mean.

    ``group_chunks``, when given, yields ``(X, y, w, groups)`` chunks holding
    whole groups, for leave-one-group-out scores. ``n_strata`` > 0: chunks
    end with stratum codes (see the module docstring); strata with fewer
    than ``min_stratum_rows`` rows of weight > 0 take the pooled ``k`` and
    quantiles.
    """
    factors, n_rows = factorise(chunks, n_features, n_targets)
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
    for target in targets:
        target.kind = kind
    fused = kind == "ellipsoid" and group_chunks is None
    centring = 1.0 / factors.sum_weights if fit_intercept else 0.0
    moments = _find_principal_axes(
        chunks, targets, factors.x_mean, mode_threshold, fused
    )
    if kind == "ellipsoid":
        radii = _find_radius(
            chunks,
            targets,
            factors.x_mean,
            fused,
            moments,
            n_strata,
            min_stratum_rows,
        )
        if fused:
            _scores_from_passes(
                targets,
                moments,
                radii,
                std_components,
                centring,
                n_strata,
                min_stratum_rows,
            )
    else:
        keep = kind == "ensemble" or percentile_clipping > 0
        _find_box(chunks, targets, factors.x_mean, keep, percentile_clipping)
    if not fused:
        _scores_pass(
            group_chunks or chunks,
            targets,
            factors.x_mean,
            std_components,
            centring,
            grouped=group_chunks is not None,
            n_strata=n_strata,
            min_rows=min_stratum_rows,
        )
    return targets, factors.x_mean, n_rows


def _find_principal_axes(
    chunks: ChunkSource,
    targets: list[TargetPosterior],
    x_mean_p: np.ndarray,
    mode_threshold: float,
    keep_leverages: bool,
) -> list[SecondMoment]:
    moments = [SecondMoment(target, keep_leverages) for target in targets]
    last = len(moments) - 1
    for X_np, y_nk, w_n, *_ in chunks():
        Xc_np = X_np - x_mean_p
        for k, moment in enumerate(moments):
            # The last target may whiten the centred copy in place.
            moment.add(Xc_np, y_nk[:, k], w_n, overwrite=k == last)
    for target, moment in zip(targets, moments, strict=True):
        target.modes = moment.principal_axes(mode_threshold)
    return moments


def _find_radius(
    chunks: ChunkSource,
    targets: list[TargetPosterior],
    x_mean_p: np.ndarray,
    keep_rows: bool,
    moments: list[SecondMoment],
    n_strata: int = 0,
    min_stratum_rows: int = 1,
) -> list[EllipsoidRadius]:
    radii = [
        EllipsoidRadius(target, keep_rows, n_strata, min_stratum_rows)
        for target in targets
    ]
    for index, item in enumerate(chunks()):
        X_np, y_nk, w_n = item[:3]
        code_n = item[-1] if n_strata else None
        for k, radius in enumerate(radii):
            kept = moments[k].residuals
            residual_n = kept[index] if kept else None
            radius.add(X_np, x_mean_p, y_nk[:, k], w_n, residual_n, code_n)
    for radius in radii:
        radius.finish()
    return radii


def _scores_from_passes(
    targets, moments, radii, std_components, centring, n_strata, min_rows
):
    """Row leave-one-out scores of the ellipsoid from what passes 2, 3 kept."""
    for target, moment, radius in zip(targets, moments, radii, strict=True):
        w_n = np.concatenate(radius.weights)
        used = w_n > 0
        leverage_n = np.concatenate(moment.leverages)
        residual_n = np.concatenate(radius.residuals)
        n_modes = len(target.axis_scale)
        parts = {
            "misspecification": target.radius**2
            * np.concatenate(radius.forms)
            / (n_modes + 2),
            "epistemic": leverage_n / target.alpha,
            "noise": np.full(len(w_n), 1 / target.alpha),
        }
        code_n = np.concatenate(radius.codes) if n_strata else None
        sigma_n, stratum_sigma_n = _sigmas(target, parts, std_components, code_n)
        loo_n = _conformal.row_loo_residuals(residual_n, leverage_n, w_n, centring)
        target.interval_quantiles = _conformal.conformal_quantiles(
            _conformal.scores(loo_n[used], sigma_n[used])
        )
        if n_strata:
            target.stratum_quantiles = _conformal.stratum_quantiles(
                _conformal.scores(loo_n[used], stratum_sigma_n[used]),
                code_n[used],
                n_strata,
                target.interval_quantiles,
                min_rows,
            )


def _sigmas(target, parts, std_components, code_n):
    """σ of each row under the pooled ``k`` and under its stratum's ``k_s``.

    Only the misspecification part depends on ``k``: it scales as
    ``(k_s / k)²``. Without strata (or for the box and the ensemble, which
    have no ``k``) the second σ is the first.
    """
    sigma_n = np.sqrt(sum(parts[name] for name in std_components))
    if code_n is None or target.kind != "ellipsoid" or target.radius == 0:
        return sigma_n, sigma_n
    ratio_n = target.stratum_radii[code_n] / target.radius
    scaled = dict(parts, misspecification=parts["misspecification"] * ratio_n**2)
    return sigma_n, np.sqrt(sum(scaled[name] for name in std_components))


def _scores_pass(
    chunks, targets, x_mean_p, std_components, centring, grouped, n_strata, min_rows
):
    """Pass 4: leave-one-out (or leave-one-group-out) scores of every row."""
    collected: list[list[np.ndarray]] = [[] for _ in targets]
    by_stratum: list[list[np.ndarray]] = [[] for _ in targets]
    codes: list[np.ndarray] = []
    for item in chunks():
        X_np, y_nk, w_n = item[:3]
        group_n = item[3] if grouped else None
        code_n = item[-1] if n_strata else None
        keep = w_n > 0
        if n_strata:
            codes.append(code_n[keep])
        Xc_np = X_np - x_mean_p
        for k, target in enumerate(targets):
            residual_n = target.residuals(Xc_np, y_nk[:, k])
            parts = _predict.variances(target, Xc_np)
            sigma_n, stratum_sigma_n = _sigmas(target, parts, std_components, code_n)
            if group_n is None:
                leverage_n = parts["epistemic"] * target.alpha
                loo_n = _conformal.row_loo_residuals(
                    residual_n, leverage_n, w_n, centring
                )
            else:
                loo_n = _conformal.group_loo_residuals(
                    target.T, Xc_np, residual_n, w_n, group_n, centring
                )
            collected[k].append(_conformal.scores(loo_n[keep], sigma_n[keep]))
            if n_strata:
                by_stratum[k].append(
                    _conformal.scores(loo_n[keep], stratum_sigma_n[keep])
                )
    for k, target in enumerate(targets):
        target.interval_quantiles = _conformal.conformal_quantiles(
            np.concatenate(collected[k])
        )
        if n_strata:
            target.stratum_quantiles = _conformal.stratum_quantiles(
                np.concatenate(by_stratum[k]),
                np.concatenate(codes),
                n_strata,
                target.interval_quantiles,
                min_rows,
            )


def _find_box(
    chunks: ChunkSource,
    targets: list[TargetPosterior],
    x_mean_p: np.ndarray,
    keep_projections: bool,
    percentile_clipping: float,
) -> None:
    extremes = [BoxExtremes(target, keep_projections) for target in targets]
    for X_np, y_nk, w_n, *_ in chunks():
        Xc_np = X_np - x_mean_p
        for k, box in enumerate(extremes):
            box.add(Xc_np, y_nk[:, k], w_n)
    for box in extremes:
        box.finish(percentile_clipping)
