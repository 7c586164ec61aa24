"""Portable ``.npz`` files for fitted POPSRegressor models.

Layout: ``format`` (a fixed tag), ``format_version``, ``params`` (the
constructor arguments as JSON), ``x_mean``, ``y_ndim`` and, per target k,
arrays ``k/coef``, ``k/T``, ``k/modes``, ``k/lower``, ``k/upper``,
``k/scalars`` (y_mean, alpha, lambda, n_iter) and, for ensembles,
``k/projections``, ``k/projection_weights``. Loaded with
``allow_pickle=False``: no code runs on load.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._npz import read_versioned, write_versioned
from ._posterior import TargetPosterior

FORMAT_TAG = "mixpot.POPSRegressor"
FORMAT_VERSION = 1


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
    return write_versioned(path, FORMAT_TAG, FORMAT_VERSION, arrays)


def load(cls, path: Path):
    """Read a model written by :func:`save`."""
    archive = read_versioned(path, FORMAT_TAG, FORMAT_VERSION)
    params = json.loads(str(archive["params"]))
    params["std_components"] = tuple(params["std_components"])
    model = cls(**params)
    targets = [
        _read_target(archive, k, model.posterior == "ensemble")
        for k in range(int(archive["n_targets"]))
    ]
    x_mean = archive["x_mean"]
    model.n_features_in_ = len(x_mean)
    model._set_fitted(targets, x_mean, int(archive["y_ndim"]))
    return model


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
    }
    if target.is_ensemble:
        arrays[f"{k}/projections"] = target.projections
        arrays[f"{k}/projection_weights"] = target.projection_weights
    return arrays


def _read_target(archive, k: int, is_ensemble: bool) -> TargetPosterior:
    y_mean, alpha, lambda_, n_iter = archive[f"{k}/scalars"]
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
        is_ensemble=is_ensemble,
    )
    if is_ensemble:
        target.projections = archive[f"{k}/projections"]
        target.projection_weights = archive[f"{k}/projection_weights"]
    return target
