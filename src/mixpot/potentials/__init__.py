"""Linear SNAP potentials: fit, evaluate (ASE or LAMMPS), export, save.

The public surface:

* :class:`LinearPotential` — SNAP settings, coefficients, an optional ZBL
  baseline and an optional POPS posterior; ``fit`` from SNAP rows,
  ``calculator`` (ASE), ``to_lammps``/``from_lammps`` (``pair_style snap``
  files), ``save``/``load`` (one portable ``.npz``);
* :meth:`LinearPotential.atom_energy_uncertainty` and
  :meth:`LinearPotential.force_std` — the per-atom POPS maths
  (:mod:`.uncertainty`) every engine shares;
* :meth:`LinearPotential.atom_uncertainty` and
  :meth:`LinearPotential.with_uncertainty_threshold` — one uncertainty per
  atom of a structure, and the threshold (an :class:`UncertaintyThreshold`
  measured on training frames, :func:`hottest_crystal_frames`) above which
  the regions' uncertainty criterion calls an atom off its training data
  (:mod:`.per_atom_uncertainty`);
* :class:`SnapCalculator` — the ASE calculator, one in-process LAMMPS
  instance, with per-structure and per-atom POPS uncertainties;
* :class:`WeightedSnap` and :func:`weighted_zbl` — the λ-weighted energy
  ``Σ_i w_i E_i`` with its exact forces and stress (energy mixing), and the
  :class:`Weighted` result and :class:`WeightedProvider` protocol that every
  model's weighted provider follows;
* :func:`read_snap_files`, :func:`read_snapcoeff`, :func:`read_snapparam`,
  :func:`write_snap_files`, :func:`pair_commands` — the LAMMPS file layer.

Examples
--------
>>> import numpy as np
>>> from ase.build import bulk
>>> from mixpot.descriptors import SNAP
>>> from mixpot.potentials import LinearPotential
>>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
>>> potential = LinearPotential(snap, np.array([-8.0, 0.1, 0, 0, 0, 0]))
>>> atoms = bulk("W", "bcc", a=3.18) * 2
>>> atoms.calc = potential.calculator()
>>> bool(np.allclose(atoms.get_forces(), 0.0, atol=1e-10))
True
"""

from .calculator import SnapCalculator
from .lammps_files import (
    pair_commands,
    read_snap_files,
    read_snapcoeff,
    read_snapparam,
    write_snap_files,
)
from .linear import LinearPotential
from .per_atom_uncertainty import (
    UncertaintyThreshold,
    atom_uncertainty,
    hottest_crystal_frames,
    uncertainty_threshold,
)
from .uncertainty import EnergyUncertainty
from .weighted import (
    Weighted,
    WeightedProvider,
    WeightedSnap,
    checked_weights,
    weighted_zbl,
)

__all__ = [
    "EnergyUncertainty",
    "LinearPotential",
    "SnapCalculator",
    "UncertaintyThreshold",
    "Weighted",
    "WeightedProvider",
    "WeightedSnap",
    "atom_uncertainty",
    "checked_weights",
    "hottest_crystal_frames",
    "pair_commands",
    "read_snap_files",
    "read_snapcoeff",
    "read_snapparam",
    "uncertainty_threshold",
    "weighted_zbl",
    "write_snap_files",
]
