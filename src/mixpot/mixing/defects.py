"""Where the point defects are: Wigner–Seitz occupancy against the perfect lattice.

An independent check of what a seed criterion finds. Every atom is assigned
to the nearest site of the perfect lattice (minimum-image distances), i.e.
to the site whose Wigner–Seitz cell holds it; a site's **occupancy** is the
number of atoms assigned to it. In a crystal with point defects a vacancy
is a site of occupancy 0, an interstitial (a self-interstitial, or a
foreign atom such as He in W) makes a site of occupancy 2 or more, and a
site whose single atom is of another element than the lattice's is a
substitution. Thermal motion does not disturb this as long as atoms stay
within their Wigner–Seitz cells (bcc: about 0.56 a from the site), which is
why the analysis suits hot, moving defects.

The lattice sites are given as a perfect crystal with the same number of
cells; their fractional coordinates are mapped into the analysed cell, so a
cell that has been scaled (NPT) is handled too.

:func:`wigner_seitz` returns an :class:`Occupancy`; :func:`atoms_within`
marks the atoms within a radius of given points (e.g. a fixed-radius region
around the defect sites).

Array names carry their axes: ``_n`` per atom, ``_s`` per site, ``_pc``
point × Cartesian.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms

from mixpot.neighbours import pairs_within

__all__ = ["Occupancy", "atoms_within", "wigner_seitz"]

#: Factor by which the site search radius grows when an atom found no site.
GROWTH = 1.5


@dataclass(frozen=True)
class Occupancy:
    """The Wigner–Seitz analysis of one configuration.

    Attributes
    ----------
    site_of_atom_n : ndarray of int, shape (n_atoms,)
        Index of the lattice site nearest each atom.
    occupancy_s : ndarray of int, shape (n_sites,)
        Atoms assigned to each site.
    site_positions_sc : ndarray, shape (n_sites, 3)
        Site positions (Å) in the analysed cell.
    substituted_s : ndarray of bool, shape (n_sites,)
        Sites holding one atom of another element than the lattice's.
    """

    site_of_atom_n: np.ndarray
    occupancy_s: np.ndarray
    site_positions_sc: np.ndarray
    substituted_s: np.ndarray

    @property
    def vacancies(self) -> np.ndarray:
        """Indices of the empty sites."""
        return np.flatnonzero(self.occupancy_s == 0)

    @property
    def interstitials(self) -> np.ndarray:
        """Indices of the sites holding two atoms or more."""
        return np.flatnonzero(self.occupancy_s >= 2)

    @property
    def defect_sites(self) -> np.ndarray:
        """Indices of every defective site: empty, crowded or substituted."""
        defective = (self.occupancy_s != 1) | self.substituted_s
        return np.flatnonzero(defective)


def wigner_seitz(atoms: Atoms, lattice: Atoms) -> Occupancy:
    """Assign each atom of ``atoms`` to its nearest site of ``lattice``.

    Parameters
    ----------
    atoms : ase.Atoms
        The configuration to analyse (periodic or not).
    lattice : ase.Atoms
        The perfect crystal whose atoms are the sites, with the same cell
        repeats as ``atoms`` (its fractional coordinates are mapped into
        ``atoms.cell``); its elements are the sites' elements.

    Returns
    -------
    Occupancy

    Raises
    ------
    ValueError
        If either structure is empty, or the two differ in periodicity.

    Examples
    --------
    >>> from ase.build import bulk
    >>> perfect = bulk("W", "bcc", a=3.16, cubic=True).repeat(3)
    >>> atoms = perfect.copy()
    >>> del atoms[13]
    >>> atoms.rattle(0.1, seed=0)
    >>> occupancy = wigner_seitz(atoms, perfect)
    >>> occupancy.vacancies.tolist(), occupancy.interstitials.tolist()
    ([13], [])
    """
    if len(atoms) == 0 or len(lattice) == 0:
        raise ValueError(
            "The 'atoms' and 'lattice' parameters of wigner_seitz must hold at "
            f"least one atom each. Got {len(atoms)} and {len(lattice)}."
        )
    if not np.array_equal(atoms.pbc, lattice.pbc):
        raise ValueError(
            "The 'lattice' parameter of wigner_seitz must have the periodicity "
            f"of 'atoms' ({atoms.pbc.tolist()}). Got {lattice.pbc.tolist()}."
        )
    if atoms.pbc.any():
        sites_sc = lattice.get_scaled_positions(wrap=False) @ atoms.cell.array
    else:
        sites_sc = lattice.positions.copy()
    site_of_atom = _nearest_site(atoms, sites_sc, _first_radius(lattice))
    occupancy = np.bincount(site_of_atom, minlength=len(lattice))
    single = occupancy == 1
    substituted = np.zeros(len(lattice), dtype=bool)
    occupant = np.full(len(lattice), -1)
    occupant[site_of_atom] = np.arange(len(atoms))
    substituted[single] = atoms.numbers[occupant[single]] != lattice.numbers[single]
    return Occupancy(site_of_atom, occupancy, sites_sc, substituted)


def atoms_within(atoms: Atoms, points_pc: np.ndarray, radius: float) -> np.ndarray:
    """Mark the atoms closer than ``radius`` Å to any of the points.

    Minimum-image distances in the periodic directions of ``atoms``.

    Parameters
    ----------
    atoms : ase.Atoms
    points_pc : array_like, shape (n_points, 3)
        Positions in Å (e.g. ``Occupancy.site_positions_sc[sites]``).
    radius : float
        Distance in Å (> 0).

    Returns
    -------
    ndarray of bool, shape (n_atoms,)

    Raises
    ------
    ValueError
        For a radius that is not > 0 or points that are not (n, 3).

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", "bcc", a=3.16, cubic=True).repeat(3)
    >>> int(atoms_within(atoms, atoms.positions[:1], 3.0).sum())  # site + 8
    9
    """
    points_pc = np.asarray(points_pc, dtype=float).reshape(-1, 3)
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(
            f"The 'radius' parameter of atoms_within must be a distance > 0 Å. "
            f"Got {radius!r}."
        )
    inside = np.zeros(len(atoms), dtype=bool)
    if not len(points_pc):
        return inside
    i, j, _ = _cross_pairs(atoms, points_pc, radius)
    inside[i] = True
    return inside


def _nearest_site(atoms: Atoms, sites_sc: np.ndarray, radius: float) -> np.ndarray:
    """Return the nearest site of each atom, widening the search as needed."""
    nearest = np.full(len(atoms), -1)
    best = np.full(len(atoms), np.inf)
    while True:
        i, j, d = _cross_pairs(atoms, sites_sc, radius)
        order = np.lexsort((d, i))  # by atom, then by distance
        i, j, d = i[order], j[order], d[order]
        first = np.r_[True, i[1:] != i[:-1]] if len(i) else np.zeros(0, bool)
        better = d[first] < best[i[first]]
        nearest[i[first][better]] = j[first][better]
        best[i[first][better]] = d[first][better]
        if (nearest >= 0).all():
            return nearest
        radius *= GROWTH


def _cross_pairs(atoms: Atoms, points_pc: np.ndarray, radius: float):
    """Pairs (atom i, point j, distance) closer than ``radius`` Å."""
    both = Atoms(
        numbers=np.r_[atoms.numbers, np.zeros(len(points_pc), dtype=int)],
        positions=np.r_[atoms.positions, points_pc],
        cell=atoms.cell,
        pbc=atoms.pbc,
    )
    i, j, d = pairs_within(both, radius)
    n_atoms = len(atoms)
    keep = (i < n_atoms) & (j >= n_atoms)
    return i[keep], j[keep] - n_atoms, d[keep]


def _first_radius(lattice: Atoms) -> float:
    """Return a first search radius (Å): one site spacing holds most atoms' site."""
    if lattice.pbc.all():
        return float((lattice.get_volume() / len(lattice)) ** (1 / 3))
    return 3.0
