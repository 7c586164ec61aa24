"""Distances from every atom to the nearest member of a set, in O(N).

Built on :func:`matscipy.neighbours.neighbour_list`, which handles periodic,
open and triclinic cells with minimum-image distances (and periodic images
beyond the first when a cutoff exceeds the cell). Open cells get a bounding
box, so the search stays linear in the number of atoms.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from matscipy.neighbours import neighbour_list


def pairs_within(atoms: Atoms, cutoff: float) -> tuple[np.ndarray, ...]:
    """All pairs ``(i, j, d_ij)`` closer than ``cutoff`` Å (both orders).

    Examples
    --------
    >>> from ase.build import bulk
    >>> i, j, d = pairs_within(bulk("W", cubic=True), 2.8)
    >>> len(i)  # 2 atoms x 8 nearest neighbours
    16
    """
    positions = atoms.positions
    pbc = atoms.pbc
    if pbc.all():
        return neighbour_list("ijd", atoms=atoms, cutoff=cutoff)
    cell = atoms.cell.array.copy()
    origin = np.zeros(3)
    if not pbc.any():
        # A box around the atoms keeps the cell-list search linear.
        low, high = positions.min(axis=0), positions.max(axis=0)
        cell = np.diag(np.maximum(high - low, 1.0) + 1e-6)
        origin = low - 0.5e-6
    return neighbour_list(
        "ijd",
        positions=positions,
        cell=cell,
        pbc=pbc,
        cutoff=cutoff,
        cell_origin=origin,
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
