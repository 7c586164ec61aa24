"""Wigner–Seitz occupancy against the perfect lattice (defects.py).

The analysis must find each kind of point defect the benchmarks move
around (vacancy, crowdion, He interstitial, substitution) at its own site
and nowhere else, through thermal-size displacements, in a scaled cell and
across the periodic boundary.
"""

import numpy as np
import pytest
from ase.build import bulk

from mixpot.distill.solutes import interstitial_cell, substitution_cell
from mixpot.mixing.defects import atoms_within, wigner_seitz
from mixpot.run.system import with_crowdion

A_W = 3.165


@pytest.fixture
def perfect():
    """Perfect bcc W, 4×4×4 conventional cells (128 sites)."""
    return bulk("W", "bcc", a=A_W, cubic=True).repeat(4)


def test_vacancy_found_at_its_site_through_thermal_noise(perfect):
    """A vacancy is the one empty site; 0.15 Å rattles leave every atom home."""
    atoms = perfect.copy()
    del atoms[37]
    atoms.rattle(0.15, seed=3)
    occupancy = wigner_seitz(atoms, perfect)
    assert occupancy.vacancies.tolist() == [37]
    assert occupancy.interstitials.tolist() == []
    assert occupancy.defect_sites.tolist() == [37]


def test_crowdion_is_one_doubly_occupied_site_on_its_row(perfect):
    """Six atoms on five sites of a <111> row: one site holds two, none is empty."""
    atoms = with_crowdion(perfect, 42, spread=2)
    occupancy = wigner_seitz(atoms, perfect)
    assert occupancy.vacancies.tolist() == []
    (site,) = occupancy.interstitials
    assert occupancy.occupancy_s[site] == 2
    row = perfect.get_distances(42, [site], mic=True, vector=True)[0]
    along = np.ones(3) / np.sqrt(3)
    # The crowded site lies on the crowdion's [111] row through site 42.
    assert np.linalg.norm(row - (row @ along) * along) < 0.1


def test_helium_interstitial_crowds_a_site_it_shares_with_tungsten():
    """A tetrahedral He makes one site of occupancy 2, held by a W and the He."""
    atoms = interstitial_cell("W", "bcc", A_W, 4, "He", "tetrahedral")
    perfect = bulk("W", "bcc", a=A_W, cubic=True).repeat(4)
    occupancy = wigner_seitz(atoms, perfect)
    (site,) = occupancy.interstitials
    holders = np.flatnonzero(occupancy.site_of_atom_n == site)
    assert sorted(atoms[holders].get_chemical_symbols()) == ["He", "W"]
    assert occupancy.vacancies.tolist() == []


def test_substitution_is_flagged_by_element_not_occupancy(perfect):
    """A He on a W site keeps occupancy 1 everywhere but is a defect site."""
    atoms = substitution_cell("W", "bcc", A_W, 4, "He")
    occupancy = wigner_seitz(atoms, perfect)
    assert (occupancy.occupancy_s == 1).all()
    he = atoms.get_chemical_symbols().index("He")
    assert occupancy.defect_sites.tolist() == [occupancy.site_of_atom_n[he]]


def test_sites_follow_a_scaled_cell(perfect):
    """Thermal expansion by 3%: sites are mapped by fractions, the vacancy stays."""
    atoms = perfect.copy()
    del atoms[5]
    atoms.set_cell(atoms.cell * 1.03, scale_atoms=True)
    occupancy = wigner_seitz(atoms, perfect)
    assert occupancy.vacancies.tolist() == [5]
    assert np.allclose(occupancy.site_positions_sc[6], atoms.positions[5])


def test_far_atom_of_an_open_cluster_still_gets_its_nearest_site():
    """An atom 6 Å from the cluster (beyond the first search radius) is assigned."""
    lattice = bulk("W", "bcc", a=A_W, cubic=True).repeat(2)
    lattice.pbc = False
    atoms = lattice.copy()
    corner = int(np.argmax(atoms.positions.sum(axis=1)))
    atoms.positions[corner] += [6.0, 0.0, 0.0]
    occupancy = wigner_seitz(atoms, lattice)
    assert occupancy.site_of_atom_n[corner] == corner


def test_mismatched_periodicity_is_refused(perfect):
    """An open lattice for a periodic configuration is a user error, named."""
    lattice = perfect.copy()
    lattice.pbc = False
    with pytest.raises(ValueError, match="'lattice' parameter of wigner_seitz"):
        wigner_seitz(perfect, lattice)


def test_atoms_within_counts_bcc_shells_across_the_boundary(perfect):
    """Around a corner site: 1 + 8 within 2.8 Å, + 6 within 3.2 Å, via images."""
    corner = perfect.positions[:1]
    assert int(atoms_within(perfect, corner, 2.8).sum()) == 9
    assert int(atoms_within(perfect, corner, 3.2).sum()) == 15


def test_atoms_within_refuses_a_radius_that_is_not_positive(perfect):
    """A zero radius is a user error, not an empty region."""
    with pytest.raises(ValueError, match="'radius' parameter of atoms_within"):
        atoms_within(perfect, perfect.positions[:1], 0.0)
