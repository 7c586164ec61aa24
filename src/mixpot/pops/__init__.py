"""POPS: misspecification-aware uncertainty for linear models.

:class:`POPSRegressor` is a scikit-learn regressor whose bounds cover every
training point of near-deterministic data (Swinburne & Perez, "Parameter
uncertainties for imperfect surrogate models in the low-noise regime",
2025). It fits in memory or out of core from row chunks, with QR factors
instead of normal equations.
"""

from ._posterior import TargetPosterior
from .regressor import POPSRegressor

__all__ = ["POPSRegressor", "TargetPosterior"]
