"""Tests of mixpot.distill.solutes: the geometry of solute cells.

Known answers of the bcc and fcc lattices: a tetrahedral site of bcc has 4
host neighbours at a√5/4, an octahedral one 2 at a/2 (then 4 at a/√2); in
fcc the tetrahedral site has 4 at a√3/4 and the octahedral 6 at a/2. Sites
per conventional cell: bcc 12 tetrahedral and 6 octahedral, fcc 8 and 4.
"""

from __future__ import annotations

import numpy as np
import pytest

from mixpot.distill.solutes import (
    _equivalent_sites,
    interstitial_cell,
    interstitial_positions,
    solute_vacancy_cell,
    substitution_cell,
)

A = 3.165


def neighbour_distances(atoms, index):
    distances = np.sort(atoms.get_distances(index, range(len(atoms)), mic=True))
    return distances[1:]


@pytest.mark.parametrize(
    ("lattice", "site", "count", "distance"),
    [
        ("bcc", "tetrahedral", 4, A * np.sqrt(5) / 4),
        ("bcc", "octahedral", 2, A / 2),
        ("fcc", "tetrahedral", 4, A * np.sqrt(3) / 4),
        ("fcc", "octahedral", 6, A / 2),
    ],
)
def test_interstitial_site_has_its_known_neighbour_shell(
    lattice, site, count, distance
):
    """The solute's first shell has the lattice's known size and radius."""
    atoms = interstitial_cell("W", lattice, A, 3, "He", site)
    shell = neighbour_distances(atoms, len(atoms) - 1)
    assert shell[:count] == pytest.approx(np.full(count, distance))
    assert shell[count] > distance + 0.1


@pytest.mark.parametrize(
    ("lattice", "site", "n_sites"),
    [
        ("bcc", "tetrahedral", 12),
        ("bcc", "octahedral", 6),
        ("fcc", "tetrahedral", 8),
        ("fcc", "octahedral", 4),
    ],
)
def test_sites_per_conventional_cell(lattice, site, n_sites):
    """Counting the symmetry images gives the textbook number of sites."""
    assert len(_equivalent_sites(lattice, site, 1)) == n_sites


def test_cluster_solutes_start_apart():
    """Three He on tetrahedral sites of bcc start at least a/2 apart."""
    positions = interstitial_positions("bcc", A, 3, "tetrahedral", 3)
    gaps = [
        np.linalg.norm(p - q) for i, p in enumerate(positions) for q in positions[:i]
    ]
    assert min(gaps) >= 0.499 * A


def test_cluster_too_large_for_the_cell_is_an_error():
    """More solutes than the cell has room for fail with the advice to grow it."""
    with pytest.raises(ValueError, match="larger repeat"):
        interstitial_positions("bcc", A, 1, "octahedral", 8)


def test_solute_vacancy_pair_is_nearest_neighbours():
    """The vacancy sits on a nearest-neighbour site of the solute: the solute
    has one host neighbour fewer at a√3/2 than the perfect lattice's 8.
    """
    atoms = solute_vacancy_cell("W", "bcc", A, 3, "He")
    solute = atoms.get_chemical_symbols().index("He")
    first_shell = neighbour_distances(atoms, solute) < A * np.sqrt(3) / 2 + 0.01
    assert first_shell.sum() == 7 and len(atoms) == 53


def test_substitution_keeps_the_site_count():
    """A substitution swaps one host atom: same number of atoms, one solute."""
    atoms = substitution_cell("W", "bcc", A, 2, "Re")
    assert len(atoms) == 16 and atoms.get_chemical_symbols().count("Re") == 1


def test_unknown_lattice_has_no_interstitial_sites():
    """Diamond has no interstitial sites here: the error lists the known lattices."""
    with pytest.raises(ValueError, match="known for"):
        interstitial_positions("diamond", 5.43, 2, "tetrahedral")
