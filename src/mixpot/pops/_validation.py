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


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Return float64 weights of length ``n_samples``; ones when None."""
    if sample_weight is None:
        return np.ones(n_samples)
    w_n = np.asarray(sample_weight, dtype=np.float64)
    if w_n.ndim == 0:
        w_n = np.full(n_samples, float(w_n))
    if w_n.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},) to match X; "
            f"got shape {w_n.shape}."
        )
    if not np.all(np.isfinite(w_n)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(w_n < 0):
        raise ValueError(
            f"sample_weight must be non-negative; got a minimum of {w_n.min()}."
        )
    return w_n


def as_target_matrix(y: np.ndarray) -> np.ndarray:
    """View a 1-D target as one column."""
    return y[:, None] if y.ndim == 1 else y
