"""Cut a subset of atoms out of a (periodic) system for a separate calculation.

Along each periodic cell direction the subset is unwrapped across the
widest empty gap of its fractional coordinates. Where that gap is at least
``min_gap`` Å the subset is compact in that direction: it becomes open
(non-periodic) there, with minimum-image geometry. Where it is not, the
subset spans the cell, and the direction stays periodic with the original
cell vector. A subset compact in every direction becomes an isolated
cluster in an orthorhombic box with ``vacuum`` Å around it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms


@dataclass(frozen=True)
class Carved:
    """A carved sub-system and where its atoms came from.

    Attributes
    ----------
    atoms : ase.Atoms
        The sub-system (a copy: no calculator attached).
    indices : ndarray of int
        ``atoms[k]`` is atom ``indices[k]`` of the parent system.
    periodic : ndarray of bool, shape (3,)
        Cell directions that stayed periodic.
    """

    atoms: Atoms
    indices: np.ndarray
    periodic: np.ndarray


def carve(
    atoms: Atoms, indices: np.ndarray, min_gap: float = 6.0, vacuum: float = 6.0
) -> Carved:
    """Extract ``atoms[indices]`` with minimum-image geometry.

    Parameters
    ----------
    atoms : ase.Atoms
        Parent system.
    indices : array of int
        Atoms to keep (sorted order is kept).
    min_gap : float, default 6.0
        Empty gap (Å) needed across a periodic direction to open it.
    vacuum : float, default 6.0
        Vacuum (Å) around an isolated cluster.

    Returns
    -------
    Carved
        The sub-system and its index map.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", cubic=True).repeat(8)
    >>> piece = carve(atoms, [0, 1, 2, 3])        # atom 0 sits at a corner
    >>> piece.periodic.tolist(), bool(piece.atoms.get_distance(0, 1) < 3)
    ([False, False, False], True)
    """
    indices = np.asarray(indices, dtype=int)
    if indices.size == 0:
        raise ValueError("carve needs at least one atom index; got none.")
    positions = atoms.positions[indices].copy()
    periodic = atoms.pbc.copy()
    cell = atoms.cell.complete()  # zero vectors of open directions filled in
    frac = cell.scaled_positions(positions)
    heights = _cell_heights(cell.array)
    for axis in np.flatnonzero(atoms.pbc):
        start, gap = _widest_gap(frac[:, axis])
        if gap * heights[axis] >= min_gap:
            # Whole-cell shifts put every atom on one side of the gap.
            shift = (frac[:, axis] - start) % 1.0 + start - frac[:, axis]
            positions += np.round(shift)[:, None] * cell.array[axis]
            periodic[axis] = False
    isolated = not periodic.any()
    piece = Atoms(
        numbers=atoms.numbers[indices],
        positions=positions,
        cell=None if isolated else atoms.cell.array,
        pbc=periodic,
    )
    if isolated:
        piece.center(vacuum=vacuum)  # an orthorhombic box around the cluster
    return Carved(piece, indices, periodic)


def _widest_gap(values: np.ndarray) -> tuple[float, float]:
    """Start and width of the widest empty arc of fractional coordinates."""
    ordered = np.sort(values % 1.0)
    gaps = np.diff(np.append(ordered, ordered[0] + 1.0))
    widest = int(np.argmax(gaps))
    return float(ordered[(widest + 1) % len(ordered)]), float(gaps[widest])


def _cell_heights(cell: np.ndarray) -> np.ndarray:
    """Distance between opposite faces of the cell, per direction (Å)."""
    volume = abs(np.linalg.det(cell))
    heights = np.full(3, np.inf)
    for axis in range(3):
        others = np.delete(cell, axis, axis=0)
        area = np.linalg.norm(np.cross(*others))
        if area > 0:
            heights[axis] = volume / area
    return heights
