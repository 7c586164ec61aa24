"""Linear SNAP potentials: fit, evaluate (ASE or LAMMPS), export, save.

The public surface:

* :class:`LinearPotential` — SNAP settings, coefficients, an optional ZBL
  baseline and an optional POPS posterior; ``fit`` from SNAP rows,
  ``calculator`` (ASE), ``to_lammps``/``from_lammps`` (``pair_style snap``
  files), ``save``/``load`` (one portable ``.npz``);
* :class:`SnapCalculator` — the ASE calculator, one in-process LAMMPS
  instance, with per-structure and per-atom POPS uncertainties;
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

__all__ = [
    "LinearPotential",
    "SnapCalculator",
    "pair_commands",
    "read_snap_files",
    "read_snapcoeff",
    "read_snapparam",
    "write_snap_files",
]
