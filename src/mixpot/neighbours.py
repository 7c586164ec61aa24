"""Distances from every atom to the nearest member of a set, in O(N).

Built on :func:`matscipy.neighbours.neighbour_list`, which handles periodic,
open and triclinic cells with minimum-image distances (and periodic images
beyond the first when a cutoff exceeds the cell). Open cells get a bounding
box, so the search stays linear in the number of atoms.

:class:`NearestDistance` picks the strategy: one neighbour list while the
expected number of pairs is modest; else a search near the smaller of the
two sets only (a binned grid finds its neighbourhood in O(N)), and direct
minimum-image distances in bounded blocks where even that is too large.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.geometry import get_distances
from matscipy.neighbours import neighbour_list

# Above this many expected pairs a neighbour list costs more than it saves.
PAIR_BUDGET = 2e7
# Pairs per block of direct distances (27 periodic images each in a
# triclinic cell: about 40 MB).
BLOCK_PAIRS = 2**16


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
    if atoms.pbc.all():
        return neighbour_list(quantities, atoms=atoms, cutoff=cutoff)
    return SearchCell(atoms).pairs(atoms.positions, cutoff, quantities)


class SearchCell:
    """The cell a neighbour search uses: the atoms' cell, boxed where open.

    Periodic directions keep their cell vectors; each open direction gets a
    vector orthogonal to the periodic ones, spanning the atoms plus 1 Å on
    either side, so that a cell list over it stays linear in N.

    Attributes
    ----------
    cell_cc : ndarray, shape (3, 3)
        Search cell vectors (rows, Å).
    origin_c : ndarray, shape (3,)
        Corner of the search cell (Å).
    pbc : ndarray of bool, shape (3,)
    """

    def __init__(self, atoms: Atoms) -> None:
        pbc = np.asarray(atoms.pbc, dtype=bool)
        self.pbc = pbc
        if pbc.all():
            self.cell_cc = atoms.cell.array.copy()
            self.origin_c = np.zeros(3)
            return
        periodic_cc = atoms.cell.array[pbc]
        # Orthonormal basis whose first vectors span the periodic ones.
        basis_cc = np.linalg.qr(np.vstack([periodic_cc, np.eye(3)]).T)[0].T
        open_cc = basis_cc[len(periodic_cc) :]
        heights = atoms.positions @ open_cc.T
        low, high = heights.min(axis=0) - 1.0, heights.max(axis=0) + 1.0
        self.cell_cc = np.zeros((3, 3))
        self.cell_cc[pbc] = periodic_cc
        self.cell_cc[~pbc] = open_cc * (high - low)[:, None]
        self.origin_c = low @ open_cc

    def pairs(
        self, positions_nc: np.ndarray, cutoff: float, quantities: str = "ijd"
    ) -> tuple[np.ndarray, ...]:
        """Pairs of ``positions_nc`` (any subset of the atoms) within ``cutoff``."""
        return neighbour_list(
            quantities,
            positions=positions_nc,
            cell=self.cell_cc,
            pbc=self.pbc,
            cutoff=cutoff,
            cell_origin=self.origin_c,
        )

    def bins(
        self, positions_nc: np.ndarray, width: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Bin index (n, 3) of each position, and bins per axis (3,).

        Bins are at least ``width`` Å apart between their opposite faces, so
        two points closer than ``width`` lie in the same or adjacent bins
        (adjacent across the boundary in periodic directions).
        """
        volume = abs(np.linalg.det(self.cell_cc))
        a, b, c = self.cell_cc
        face_areas = np.linalg.norm(
            [np.cross(b, c), np.cross(c, a), np.cross(a, b)], axis=1
        )
        plane_spacing = volume / face_areas
        n_bins = np.maximum(1, np.floor(plane_spacing / width)).astype(int)
        fractional = np.linalg.solve(self.cell_cc.T, (positions_nc - self.origin_c).T).T
        fractional[:, self.pbc] %= 1.0
        index = np.floor(fractional * n_bins).astype(int)
        return np.clip(index, 0, n_bins - 1), n_bins


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

    Below :data:`PAIR_BUDGET` expected pairs, one neighbour list of the whole
    configuration answers every query. Above it (a wide reach in a large
    cell), each query searches only near the smaller of the two sets,
    members or non-members: atoms in the same or adjacent bins of a grid at
    least ``cutoff`` wide, so memory and time follow the region, not the
    cell. Only if that neighbourhood is itself too large are distances
    computed directly, in bounded blocks.

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
        self.cutoff = cutoff
        self.pairs = None
        self._bins = None
        if cutoff > 0 and _expected_pairs(atoms, cutoff) <= PAIR_BUDGET:
            self.pairs = pairs_within(atoms, cutoff)

    def __call__(self, members: np.ndarray, cutoff: float) -> np.ndarray:
        """Distance from each atom to the nearest member (inf beyond cutoff)."""
        if self.pairs is not None:
            return distance_to_nearest(len(members), self.pairs, members, cutoff)
        distance = np.full(len(members), np.inf)
        distance[members] = 0.0
        if not members.any() or members.all() or cutoff <= 0:
            return distance
        nearby = self._near(members if members.sum() <= len(members) / 2 else ~members)
        density = len(self.atoms) / max(_search_volume(self.atoms), 1e-300)
        if len(nearby) * density * 4.0 / 3.0 * np.pi * cutoff**3 <= PAIR_BUDGET:
            pairs = self._search.pairs(self.atoms.positions[nearby], cutoff)
            local = distance_to_nearest(len(nearby), pairs, members[nearby], cutoff)
        else:
            local = self._direct(nearby, members[nearby], cutoff)
        distance[nearby] = local
        return distance

    def _near(self, chosen: np.ndarray) -> np.ndarray:
        """Return the atoms in the same or adjacent bins as any chosen atom.

        A superset of the atoms within ``self.cutoff`` of the chosen ones.
        """
        if self._bins is None:
            self._search = SearchCell(self.atoms)
            index_n3, n_bins = self._search.bins(self.atoms.positions, self.cutoff)
            self._n_bins = n_bins
            self._bins = np.ravel_multi_index(index_n3.T, n_bins)
        n_bins = self._n_bins
        occupied = np.array(np.unravel_index(np.unique(self._bins[chosen]), n_bins)).T
        offsets = (
            np.array(np.meshgrid(*[(-1, 0, 1)] * 3, indexing="ij")).reshape(3, -1).T
        )
        around = (occupied[:, None, :] + offsets[None]).reshape(-1, 3)
        pbc = self._search.pbc
        around[:, pbc] %= n_bins[pbc]
        inside = np.all((around >= 0) & (around < n_bins), axis=1)
        wanted = np.unique(np.ravel_multi_index(around[inside].T, n_bins))
        return np.flatnonzero(np.isin(self._bins, wanted))

    def _direct(
        self, subset: np.ndarray, members: np.ndarray, cutoff: float
    ) -> np.ndarray:
        """Return minimum-image distances to the nearest member in ``subset``.

        ``members`` is a mask over the subset; blocks hold at most
        :data:`BLOCK_PAIRS` pairs.
        """
        atoms = self.atoms
        distance = np.where(members, 0.0, np.inf)
        others = np.flatnonzero(~members)
        member_positions = atoms.positions[subset[members]]
        columns = max(1, min(len(member_positions), BLOCK_PAIRS))
        rows = max(1, BLOCK_PAIRS // columns)
        for start in range(0, len(others), rows):
            block = others[start : start + rows]
            nearest = np.full(len(block), np.inf)
            for column in range(0, len(member_positions), columns):
                _, d = get_distances(
                    atoms.positions[subset[block]],
                    member_positions[column : column + columns],
                    atoms.cell,
                    atoms.pbc,
                )
                nearest = np.minimum(nearest, d.min(axis=1))
            distance[block] = np.where(nearest < cutoff, nearest, np.inf)
        return distance


def _search_volume(atoms: Atoms) -> float:
    if atoms.pbc.all():
        return atoms.cell.volume
    return float(np.prod(np.ptp(atoms.positions, axis=0) + 1.0))


def _expected_pairs(atoms: Atoms, cutoff: float) -> float:
    density = len(atoms) / _search_volume(atoms)
    return len(atoms) * density * 4.0 / 3.0 * np.pi * cutoff**3
