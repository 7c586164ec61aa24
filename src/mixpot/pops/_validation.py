"""Checks of user input at the public boundary of the regressor."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np


def check_param(owner: str, name: str, value, kind: str, options: tuple = ()) -> None:
    """Raise a ValueError naming ``name`` when ``value`` is not of ``kind``.

    ``kind`` is one of ``"positive"``, ``"non-negative"``, ``"bool"``,
    ``"positive-int"``, ``"option"``, ``"percent"``, ``"optional-positive"``.
    """
    ok = {
        "positive": lambda v: _is_real(v) and v > 0,
        "optional-positive": lambda v: v is None or (_is_real(v) and v > 0),
        "non-negative": lambda v: _is_real(v) and v >= 0,
        "bool": lambda v: isinstance(v, bool | np.bool_),
        "positive-int": lambda v: isinstance(v, Integral) and v > 0,
        "option": lambda v: v in options,
        "percent": lambda v: _is_real(v) and 0 <= v < 50,
    }[kind](value)
    if not ok:
        expected = {
            "positive": "a float > 0",
            "optional-positive": "None or a float > 0",
            "non-negative": "a float >= 0",
            "bool": "a bool",
            "positive-int": "an int > 0",
            "option": f"one of {list(options)}",
            "percent": "a float in [0, 50)",
        }[kind]
        raise ValueError(
            f"The {name!r} parameter of {owner} must be {expected}. Got {value!r}."
        )


def _is_real(value) -> bool:
    return (
        isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)
    )


def check_sample_weight(
    sample_weight, n_samples: int, owner: str = "POPSRegressor.fit"
) -> np.ndarray:
    """Return float64 weights of length ``n_samples``; ones when None."""
    if sample_weight is None:
        return np.ones(n_samples)
    w_n = np.asarray(sample_weight, dtype=np.float64)
    if w_n.ndim == 0:
        w_n = np.full(n_samples, float(w_n))
    start = f"The 'sample_weight' parameter of {owner} must be"
    if w_n.shape != (n_samples,):
        raise ValueError(
            f"{start} an array of shape ({n_samples},) to match X. "
            f"Got shape {w_n.shape}."
        )
    if not np.all(np.isfinite(w_n)):
        raise ValueError(f"{start} finite. Got NaN or infinity.")
    if np.any(w_n < 0):
        raise ValueError(f"{start} non-negative. Got a minimum of {w_n.min()}.")
    return w_n


def check_groups(groups, n_samples: int, owner: str) -> np.ndarray | None:
    """Return ``groups`` as an array of length ``n_samples`` (or None)."""
    if groups is None:
        return None
    group_n = np.asarray(groups)
    if group_n.shape != (n_samples,):
        raise ValueError(
            f"The 'groups' parameter of {owner} must be an array of shape "
            f"({n_samples},) to match X. Got shape {group_n.shape}."
        )
    return group_n


def check_strata(strata, n_samples: int, owner: str) -> np.ndarray | None:
    """Return ``strata`` as a 1-D array of str, int or bool labels (or None).

    Labels must be strings, integers or booleans so that a fitted model can
    store them in its ``.npz`` file without pickle; a list of Python strings
    (an object array) becomes a str array.
    """
    if strata is None:
        return None
    label_n = np.asarray(strata)
    if label_n.shape != (n_samples,):
        raise ValueError(
            f"The 'strata' parameter of {owner} must be an array of shape "
            f"({n_samples},) to match X. Got shape {label_n.shape}."
        )
    if label_n.dtype.kind == "O" and all(isinstance(v, str) for v in label_n):
        label_n = label_n.astype(str)
    if label_n.dtype.kind not in "USiub":
        raise ValueError(
            f"The 'strata' parameter of {owner} must hold str, int or bool "
            f"labels (one per row, e.g. rows.kind). Got dtype {label_n.dtype}."
        )
    return label_n


def check_estimator_params(estimator, posteriors: tuple, components: tuple) -> None:
    """Check every constructor parameter of a POPSRegressor (at fit)."""
    owner = type(estimator).__name__
    check_param(owner, "fit_intercept", estimator.fit_intercept, "bool")
    check_param(owner, "posterior", estimator.posterior, "option", posteriors)
    check_param(owner, "percentile_clipping", estimator.percentile_clipping, "percent")
    check_param(owner, "ridge", estimator.ridge, "optional-positive")
    check_param(owner, "mode_threshold", estimator.mode_threshold, "positive")
    check_param(owner, "max_iter", estimator.max_iter, "positive-int")
    check_param(owner, "tol", estimator.tol, "non-negative")
    for name in ("alpha_1", "alpha_2", "lambda_1", "lambda_2"):
        check_param(owner, name, getattr(estimator, name), "non-negative")
    for name in ("alpha_init", "lambda_init"):
        check_param(owner, name, getattr(estimator, name), "optional-positive")
    check_param(owner, "min_stratum_rows", estimator.min_stratum_rows, "positive-int")
    if estimator.chunk_size is not None:
        check_param(owner, "chunk_size", estimator.chunk_size, "positive-int")
    chosen = estimator.std_components
    if (
        not isinstance(chosen, tuple | list)
        or not chosen
        or any(c not in components for c in chosen)
    ):
        raise ValueError(
            f"The 'std_components' parameter of {owner} must be a non-empty "
            f"tuple drawn from {list(components)}. Got {chosen!r}."
        )
    if estimator.percentile_clipping > 0 and estimator.posterior == "ellipsoid":
        raise ValueError(
            f"The 'percentile_clipping' parameter of {owner} must be 0 with "
            "posterior='ellipsoid' (clipping applies to the box). Got "
            f"{estimator.percentile_clipping!r}."
        )


def as_target_matrix(y: np.ndarray) -> np.ndarray:
    """View a 1-D target as one column."""
    return y[:, None] if y.ndim == 1 else y
