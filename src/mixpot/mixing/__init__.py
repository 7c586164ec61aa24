"""Spatial mixing of an expensive and a cheap potential.

:class:`Regions` turns seeds (indices or a per-atom criterion) into per-atom
weights λ and the atom sets each potential must see; :class:`MixedCalculator`
evaluates each potential on its own set and mixes forces ("force") or
per-atom energies ("energy", conservative, through the λ-weighted providers
of :func:`mixpot.models.weighted_provider`); :func:`reference_energy` is the
matching reference for defect energies.
"""

from .calculator import MixedCalculator
from .criteria import CoordinationNumber
from .energetics import reference_energy
from .regions import Regions, RegionState
from .thermostat import BlendLangevin

__all__ = [
    "BlendLangevin",
    "CoordinationNumber",
    "MixedCalculator",
    "RegionState",
    "Regions",
    "reference_energy",
]
