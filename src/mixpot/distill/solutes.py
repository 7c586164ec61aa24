"""Solute cells: substitutional and interstitial solutes, solute–vacancy pairs.

The cells sampled for alloys and impurities and the cells the solute
properties are computed on are built here, so both see the same geometry.
Sites, in fractions of the conventional cubic cell:

* bcc: tetrahedral (1/2, 1/4, 0), octahedral (1/2, 1/2, 0) (face centre);
* fcc: tetrahedral (1/4, 1/4, 1/4), octahedral (1/2, 1/2, 1/2) (cube centre).

Every cell is a ``repeat³`` supercell of the conventional cell with the
defect near its centre; nothing is random, so a cell is the same for the
expensive and the cheap model. A cluster of n solutes fills the interstitial
sites nearest the centre that lie at least the second tetrahedral–tetrahedral
distance (a/2 in bcc) apart, so no two solutes start on top of each other.

Examples
--------
>>> cell = interstitial_cell("W", "bcc", 3.165, 2, "He", "tetrahedral")
>>> cell.get_chemical_formula(), len(cell)
('HeW16', 17)
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.build import bulk

#: Interstitial sites (fractions of the conventional cubic cell).
INTERSTITIAL_SITES: dict[str, dict[str, tuple[float, float, float]]] = {
    "bcc": {"tetrahedral": (0.5, 0.25, 0.0), "octahedral": (0.5, 0.5, 0.0)},
    "fcc": {"tetrahedral": (0.25, 0.25, 0.25), "octahedral": (0.5, 0.5, 0.5)},
}
SITE_KINDS = ("tetrahedral", "octahedral")
#: Isolated-atom box edge (Å): beyond the cutoffs of the usual potentials.
ISOLATED_BOX = 16.0


def host_supercell(host: str, lattice: str, a: float, repeat: int) -> Atoms:
    """Perfect ``repeat³`` supercell of the conventional cubic cell."""
    return bulk(host, lattice, a=a, cubic=True) * repeat


def central_site(atoms: Atoms) -> int:
    """Index of the lattice atom nearest the centre of the cell."""
    centre = atoms.cell.array.sum(axis=0) / 2
    return int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))


def nearest_neighbour(atoms: Atoms, index: int) -> int:
    """Index of a nearest neighbour of atom ``index`` (minimum image)."""
    distances = atoms.get_distances(index, range(len(atoms)), mic=True)
    distances[index] = np.inf
    return int(np.argmin(distances))


def substitution_cell(
    host: str, lattice: str, a: float, repeat: int, solute: str
) -> Atoms:
    """Supercell with the central atom replaced by ``solute``.

    Examples
    --------
    >>> substitution_cell("W", "bcc", 3.165, 2, "Re").get_chemical_formula()
    'ReW15'
    """
    atoms = host_supercell(host, lattice, a, repeat)
    atoms[central_site(atoms)].symbol = solute
    return atoms


def solute_vacancy_cell(
    host: str, lattice: str, a: float, repeat: int, solute: str
) -> Atoms:
    """Substitutional solute with a vacancy on a nearest-neighbour site.

    Examples
    --------
    >>> solute_vacancy_cell("W", "bcc", 3.165, 2, "He").get_chemical_formula()
    'HeW14'
    """
    atoms = host_supercell(host, lattice, a, repeat)
    site = central_site(atoms)
    atoms[site].symbol = solute
    del atoms[nearest_neighbour(atoms, site)]
    return atoms


def interstitial_positions(
    lattice: str, a: float, repeat: int, site: str, count: int = 1
) -> np.ndarray:
    """Cartesian positions (Å) of ``count`` interstitial sites near the centre.

    Raises
    ------
    ValueError
        For a lattice or site kind without known interstitial sites.

    Examples
    --------
    >>> interstitial_positions("bcc", 2.0, 2, "octahedral").tolist()
    [[1.0, 2.0, 2.0]]
    """
    sites = INTERSTITIAL_SITES.get(lattice, {})
    if site not in sites:
        raise ValueError(
            f"Interstitial sites are known for {sorted(INTERSTITIAL_SITES)} "
            f"lattices, of kinds {list(SITE_KINDS)}. Got {site!r} in {lattice!r}."
        )
    candidates = _equivalent_sites(lattice, site, repeat) * a
    centre = np.full(3, repeat * a / 2)
    order = np.argsort(np.linalg.norm(candidates - centre, axis=1), kind="stable")
    chosen: list[np.ndarray] = []
    for position in candidates[order]:
        if all(np.linalg.norm(position - other) >= 0.499 * a for other in chosen):
            chosen.append(position)
        if len(chosen) == count:
            return np.array(chosen)
    raise ValueError(
        f"A {repeat}³ cell has room for only {len(chosen)} {site} solutes "
        f"{0.5 * a:.2f} Å apart; got {count}: use a larger repeat."
    )


def interstitial_cell(
    host: str,
    lattice: str,
    a: float,
    repeat: int,
    solute: str,
    site: str,
    count: int = 1,
) -> Atoms:
    """Perfect supercell plus ``count`` solutes on interstitial sites."""
    atoms = host_supercell(host, lattice, a, repeat)
    for position in interstitial_positions(lattice, a, repeat, site, count):
        atoms.append(solute)
        atoms.positions[-1] = position
    return atoms


def isolated_atom(symbol: str, box: float = ISOLATED_BOX) -> Atoms:
    """One atom in a periodic cube of ``box`` Å (its reference energy μ).

    Examples
    --------
    >>> round(float(isolated_atom("He").get_volume()))
    4096
    """
    return Atoms(symbol, positions=[[box / 2] * 3], cell=[box] * 3, pbc=True)


def _equivalent_sites(lattice: str, site: str, repeat: int) -> np.ndarray:
    """All sites of one kind in the supercell (fractions of the unit cell)."""
    base = np.array(INTERSTITIAL_SITES[lattice][site])
    translations = [np.zeros(3)]
    if lattice == "bcc":
        translations.append(np.full(3, 0.5))
    else:
        translations += [
            np.array(t) for t in ((0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0))
        ]
    # Permutations and inversion of the base site give the point-group images.
    images = [np.roll(b, shift) for b in (base, base[::-1]) for shift in range(3)]
    permuted = {tuple(p) for image in images for p in (image, -image)}
    cells = np.array(
        [(i, j, k) for i in range(repeat) for j in range(repeat) for k in range(repeat)]
    )
    sites = {
        tuple(np.round((np.array(p) + t + c) % repeat, 6))
        for p in permuted
        for t in translations
        for c in cells
    }
    return np.array(sorted(sites))
