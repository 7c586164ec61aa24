"""Spatial mixing of an expensive and a cheap potential.

:class:`Regions` (frozen settings) turns seeds (indices, elements or a named
per-atom criterion: :class:`Coordination`, or :class:`Uncertainty`, the
cheap potential's own POPS uncertainty) into a :class:`RegionState`: per-atom
weights λ and the atom sets each potential must see; :class:`MixedCalculator`
evaluates each potential on its own set and mixes forces ("force") or
per-atom energies ("energy", conservative, through the λ-weighted providers
of :func:`mixpot.models.weighted_provider`); :func:`reference_energy` is the
matching reference for defect energies; :class:`MultipleTimeStep` evaluates
the expensive correction only every k steps (impulse r-RESPA).
"""

from .calculator import MixedCalculator
from .criteria import (
    Coordination,
    CoordinationNumber,
    Uncertainty,
    criterion_from_dict,
    register_criterion,
)
from .energetics import reference_energy
from .multiple_time_step import MultipleTimeStep
from .regions import Regions, RegionState
from .thermostat import BlendLangevin

__all__ = [
    "BlendLangevin",
    "Coordination",
    "CoordinationNumber",
    "MixedCalculator",
    "MultipleTimeStep",
    "RegionState",
    "Regions",
    "Uncertainty",
    "criterion_from_dict",
    "reference_energy",
    "register_criterion",
]
