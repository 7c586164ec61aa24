"""Checks of the arguments of :class:`~mixpot.potentials.LinearPotential`.

Each raises the scikit-learn style error that names the parameter, what was
expected and what came.
"""

from __future__ import annotations

import numpy as np

from mixpot.descriptors import SNAP
from mixpot.pops import POPSRegressor


def checked_coef(coef, n_columns: int) -> np.ndarray:
    coef = np.array(coef, dtype=np.float64)
    if coef.shape != (n_columns,):
        raise ValueError(
            f"The 'coef' parameter of LinearPotential must have shape "
            f"({n_columns},) (descriptor.n_columns). Got {coef.shape}."
        )
    if not np.isfinite(coef).all():
        raise ValueError(
            "The 'coef' parameter of LinearPotential must be finite. Got NaN or "
            "infinite values."
        )
    coef.flags.writeable = False
    return coef


def checked_regressor(regressor, n_columns: int) -> POPSRegressor | None:
    if regressor is None:
        return None
    if not isinstance(regressor, POPSRegressor):
        raise TypeError(
            "The 'regressor' parameter of LinearPotential must be a fitted "
            f"POPSRegressor or None. Got {type(regressor).__name__}."
        )
    if getattr(regressor, "n_features_in_", None) != n_columns:
        raise ValueError(
            "The 'regressor' parameter of LinearPotential must be fitted on "
            f"{n_columns} columns. Got "
            f"{getattr(regressor, 'n_features_in_', 'an unfitted regressor')}."
        )
    if len(regressor.posteriors_) != 1:
        raise ValueError(
            "The 'regressor' parameter of LinearPotential must be fitted on a "
            f"single target. Got {len(regressor.posteriors_)}."
        )
    return regressor


def checked_rows(name: str, values, n_rows: int) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (n_rows,):
        raise ValueError(
            f"The {name!r} parameter of LinearPotential.fit must have one value "
            f"per row of rows.X, shape ({n_rows},). Got {values.shape}."
        )
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(
            f"The {name!r} parameter of LinearPotential.fit must be finite. Got "
            f"NaN or infinite values at rows {bad[:10].tolist()}."
        )
    return values


def check_fit_inputs(descriptor, rows, X, weights, baseline) -> None:
    if not isinstance(descriptor, SNAP):
        raise TypeError(
            "The 'descriptor' parameter of LinearPotential.fit must be a SNAP. "
            f"Got {type(descriptor).__name__}."
        )
    if X.ndim != 2 or X.shape[1] != descriptor.n_columns:
        raise ValueError(
            "The 'rows' parameter of LinearPotential.fit must have "
            f"{descriptor.n_columns} columns (descriptor.n_columns). Got shape "
            f"{X.shape}."
        )
    if not np.isfinite(X).all():
        raise ValueError(
            "The 'rows' parameter of LinearPotential.fit must be finite. Got NaN "
            "or infinite values in rows.X."
        )
    if weights is not None and (weights < 0).any():
        raise ValueError(
            "The 'weights' parameter of LinearPotential.fit must be >= 0. Got "
            f"{int((weights < 0).sum())} negative values."
        )
    if baseline is None and np.any(rows.baseline != 0):
        raise ValueError(
            "The 'baseline' parameter of LinearPotential.fit must be the "
            "ZBLBaseline the rows were computed with (they carry a baseline "
            "contribution). Got None."
        )
