"""Portable ``.npz`` files for fitted POPSRegressor models.

Layout: ``format`` (a fixed tag), ``format_version``, ``params`` (the
constructor arguments as JSON), ``x_mean``, ``y_ndim`` and, per target k,
arrays ``k/coef``, ``k/T``, ``k/modes``, ``k/lower``, ``k/upper``,
``k/scalars`` (y_mean, alpha, lambda, n_iter) and, for ensembles,
``k/projections``, ``k/projection_weights``. Version 2 adds per target
``k/kind``, ``k/axis_scale``, ``k/radius`` (the ellipsoid) and
``k/interval_quantiles``, and, for constrained fits, ``constraint_theta``
and ``constraint_null``. Fits with strata add, still as version 2,
``strata`` (the sorted labels, a str, int or bool array) and per target
``k/stratum_radii`` and ``k/stratum_quantiles``; files without them load as
fits without strata (older code reading a stratified file ignores them and
answers as with no strata given, which is then the pooled fit). Version-1
files (hypercube or ensemble, no calibration) still load; their
``predict_interval`` raises. Loaded with ``allow_pickle=False``: no code
runs on load.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._npz import read_versioned, write_versioned
from ._constraints import LinearConstraint
from ._posterior import TargetPosterior

FORMAT_TAG = "mixpot.POPSRegressor"
FORMAT_VERSION = 2
OLDER_VERSIONS = (1,)


def save(model, path: Path) -> Path:
    """Write ``model`` to ``path`` (``.npz`` appended when missing)."""
    params = model.get_params()
    params["std_components"] = list(params["std_components"])
    arrays = {
        "params": np.array(json.dumps(params)),
        "x_mean": model._x_mean,
        "y_ndim": np.array(model._y_ndim),
        "n_targets": np.array(len(model.posteriors_)),
    }
    for k, target in enumerate(model.posteriors_):
        arrays.update(_target_arrays(k, target))
    if getattr(model, "strata_", None) is not None:
        arrays["strata"] = model.strata_
    if model._constraint is not None:
        arrays["constraint_theta"] = model._constraint.theta
        arrays["constraint_null"] = model._constraint.null
    return write_versioned(path, FORMAT_TAG, FORMAT_VERSION, arrays)


def load(cls, path: Path):
    """Read a model written by :func:`save`."""
    archive = _read_any_version(path)
    params = json.loads(str(archive["params"]))
    params["std_components"] = tuple(params["std_components"])
    model = cls(**params)
    targets = [
        _read_target(archive, k, model.posterior)
        for k in range(int(archive["n_targets"]))
    ]
    x_mean = archive["x_mean"]
    limit = None
    if "constraint_null" in archive:
        limit = LinearConstraint(
            archive["constraint_theta"], archive["constraint_null"]
        )
    model.n_features_in_ = len(x_mean) if limit is None else len(limit.null)
    labels = archive["strata"] if "strata" in archive else None
    model._set_fitted(targets, x_mean, int(archive["y_ndim"]), limit, labels)
    return model


def _read_any_version(path: Path):
    """Read this format version, or an older one this code still understands."""
    try:
        return read_versioned(path, FORMAT_TAG, FORMAT_VERSION)
    except ValueError as error:
        for version in OLDER_VERSIONS:
            try:
                return read_versioned(path, FORMAT_TAG, version)
            except ValueError:
                continue
        raise error


def _target_arrays(k: int, target: TargetPosterior) -> dict[str, np.ndarray]:
    arrays = {
        f"{k}/coef": target.coef,
        f"{k}/T": target.T,
        f"{k}/modes": target.modes,
        f"{k}/lower": target.lower,
        f"{k}/upper": target.upper,
        f"{k}/scalars": np.array(
            [target.y_mean, target.alpha, target.lambda_, target.n_iter], float
        ),
        f"{k}/kind": np.array(target.kind),
        f"{k}/axis_scale": target.axis_scale,
        f"{k}/radius": np.array(target.radius),
        f"{k}/interval_quantiles": target.interval_quantiles,
    }
    if len(target.stratum_quantiles):
        arrays[f"{k}/stratum_radii"] = target.stratum_radii
        arrays[f"{k}/stratum_quantiles"] = target.stratum_quantiles
    if target.is_ensemble:
        arrays[f"{k}/projections"] = target.projections
        arrays[f"{k}/projection_weights"] = target.projection_weights
    return arrays


def _read_target(archive, k: int, posterior: str) -> TargetPosterior:
    y_mean, alpha, lambda_, n_iter = archive[f"{k}/scalars"]
    kind = str(archive[f"{k}/kind"]) if f"{k}/kind" in archive else posterior
    is_ensemble = kind == "ensemble"
    target = TargetPosterior(
        coef=archive[f"{k}/coef"],
        y_mean=float(y_mean),
        T=archive[f"{k}/T"],
        alpha=float(alpha),
        lambda_=float(lambda_),
        n_iter=int(n_iter),
        modes=archive[f"{k}/modes"],
        lower=archive[f"{k}/lower"],
        upper=archive[f"{k}/upper"],
        kind=kind,
    )
    if f"{k}/axis_scale" in archive:
        target.axis_scale = archive[f"{k}/axis_scale"]
        target.radius = float(archive[f"{k}/radius"])
        target.interval_quantiles = archive[f"{k}/interval_quantiles"]
    if f"{k}/stratum_quantiles" in archive:
        target.stratum_radii = archive[f"{k}/stratum_radii"]
        target.stratum_quantiles = archive[f"{k}/stratum_quantiles"]
    if is_ensemble:
        target.projections = archive[f"{k}/projections"]
        target.projection_weights = archive[f"{k}/projection_weights"]
    return target
