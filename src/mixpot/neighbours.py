"""Distances from every atom to the nearest member of a set, in O(N).

Built on :func:`matscipy.neighbours.neighbour_list`, which handles periodic,
open and triclinic cells with minimum-image distances (and periodic images
beyond the first when a cutoff exceeds the cell). Open cells get a bounding
box, so the search stays linear in the number of atoms.

:class:`NearestDistance` picks the strategy: a neighbour list while the
expected number of pairs is modest, else (a region wider than the cell, say)
direct minimum-image distances between members and non-members, in blocks.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.geometry import get_distances
from matscipy.neighbours import neighbour_list

# Above this many expected pairs a neighbour list costs more than it saves.
PAIR_BUDGET = 2e7
BLOCK_ROWS = 512


def pairs_within(
    atoms: Atoms, cutoff: float, quantities: str = "ijd"
) -> tuple[np.ndarray, ...]:
    """All ordered pairs closer than ``cutoff`` Å (both orders).

    ``quantities`` as in matscipy (``"ijd"``, ``"ijdD"`` …). Open directions
    get a box around the atoms, orthogonal to the periodic cell vectors, so
    the cell-list search stays linear and exact whatever the cell says there.

    Examples
    --------
    >>> from ase.build import bulk
    >>> i, j, d = pairs_within(bulk("W", cubic=True), 2.8)
    >>> len(i)  # 2 atoms x 8 nearest neighbours
    16
    """
    pbc = atoms.pbc
    if pbc.all():
        return neighbour_list(quantities, atoms=atoms, cutoff=cutoff)
    periodic_cc = atoms.cell.array[pbc]
    # Orthonormal basis whose first vectors span the periodic ones.
    basis_cc = np.linalg.qr(np.vstack([periodic_cc, np.eye(3)]).T)[0].T
    open_cc = basis_cc[len(periodic_cc) :]
    heights = atoms.positions @ open_cc.T
    low, high = heights.min(axis=0) - 1.0, heights.max(axis=0) + 1.0
    cell = np.zeros((3, 3))
    cell[pbc] = periodic_cc
    cell[~pbc] = open_cc * (high - low)[:, None]
    return neighbour_list(
        quantities,
        positions=atoms.positions,
        cell=cell,
        pbc=pbc,
        cutoff=cutoff,
        cell_origin=low @ open_cc,
    )


def distance_to_nearest(
    n_atoms: int, pairs: tuple[np.ndarray, ...], members: np.ndarray, cutoff: float
) -> np.ndarray:
    """Distance from each atom to the nearest of ``members`` (bool mask).

    Members are at distance 0; atoms with no member within ``cutoff`` get
    ``inf``. ``pairs`` must come from :func:`pairs_within` with a cutoff of at
    least ``cutoff``.
    """
    i, j, d = pairs
    distance = np.full(n_atoms, np.inf)
    near = members[j] & (d < cutoff)
    np.minimum.at(distance, i[near], d[near])
    distance[members] = 0.0
    return distance


class NearestDistance:
    """Distances to the nearest member of any atom set, for one configuration.

    Parameters
    ----------
    atoms : ase.Atoms
        The configuration.
    cutoff : float
        Largest distance (Å) that will be asked for.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", cubic=True).repeat(3)
    >>> nearest = NearestDistance(atoms, cutoff=3.0)
    >>> members = np.zeros(len(atoms), bool); members[0] = True
    >>> int(np.sum(nearest(members, 3.0) < 3.0))  # the atom and 8 neighbours
    9
    """

    def __init__(self, atoms: Atoms, cutoff: float) -> None:
        self.atoms = atoms
        self.pairs = None
        if cutoff > 0 and _expected_pairs(atoms, cutoff) <= PAIR_BUDGET:
            self.pairs = pairs_within(atoms, cutoff)

    def __call__(self, members: np.ndarray, cutoff: float) -> np.ndarray:
        """Distance from each atom to the nearest member (inf beyond cutoff)."""
        if self.pairs is not None:
            return distance_to_nearest(len(members), self.pairs, members, cutoff)
        return self._direct(members, cutoff)

    def _direct(self, members: np.ndarray, cutoff: float) -> np.ndarray:
        distance = np.full(len(members), np.inf)
        distance[members] = 0.0
        others = np.flatnonzero(~members)
        if not members.any() or not len(others):
            return distance
        atoms, member_positions = self.atoms, self.atoms.positions[members]
        for start in range(0, len(others), BLOCK_ROWS):
            block = others[start : start + BLOCK_ROWS]
            _, d = get_distances(
                atoms.positions[block], member_positions, atoms.cell, atoms.pbc
            )
            nearest = d.min(axis=1)
            distance[block] = np.where(nearest < cutoff, nearest, np.inf)
        return distance


def _expected_pairs(atoms: Atoms, cutoff: float) -> float:
    if atoms.pbc.all():
        volume = atoms.cell.volume
    else:
        extent = np.ptp(atoms.positions, axis=0) + 1.0
        volume = float(np.prod(extent))
    density = len(atoms) / volume
    return len(atoms) * density * 4.0 / 3.0 * np.pi * cutoff**3
