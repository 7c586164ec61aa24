"""Seed criteria by name, and the cheap model's own uncertainty (criteria.py).

The uncertainty criterion is checked on the job it is for: finding defects
nobody named. Cheap model: a 2J = 6 SNAP + ZBL distilled by mixpot's own
pipeline (:func:`mixpot.testing.vacancy.cheap_config`: MD of 16-atom bcc
cells at 300 and 1200 K, strains, rattles and a 15-atom vacancy cell) from
the W_2940_2017_2 SNAP shipped with LAMMPS, with the default threshold the
distillation stores (99.9th percentile over the 1200 K MD frames). The test
cells hold 5×5×5 conventional cells (250 sites) relaxed with W_2940:

* a self-interstitial, never in the training set: it relaxes into a <111>
  crowdion (the extra atom shares a <111> row with its neighbours, bonds
  compressed from 2.75 to 2.3 Å);
* a vacancy, in the training set (in a 15-atom cell only);
* perfect bulk at 0 K and a 300 K MD frame (Langevin with the cheap model).
"""

import tempfile

import numpy as np
import pytest
from ase import Atoms, units
from ase.build import bulk
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import thermalize_momenta
from ase.optimize import FIRE
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.distill.pipeline import distil
from mixpot.mixing import MixedCalculator, Regions
from mixpot.mixing.criteria import (
    Coordination,
    Uncertainty,
    criterion_from_dict,
    criterion_to_dict,
)
from mixpot.models import shipped_tungsten
from mixpot.potentials import LinearPotential, hottest_crystal_frames
from mixpot.testing.vacancy import cheap_config

REPEAT = 5
#: A crowdion spreads along its <111> row: its seeds must lie on that row or
#: the six rows next to it (2.65 Å from its axis), within four atoms (2.3–2.6
#: Å apart) of the interstitial; the periodic row is 27.5 Å long.
NEIGHBOUR_ROWS = 2.8  # Å from the axis
CROWDION_REACH = 10.5  # Å along the axis


@pytest.fixture(scope="module")
def distilled():
    """The distillation's fit: the cheap potential and its training frames."""
    with tempfile.TemporaryDirectory() as folder:
        return distil(cheap_config(), folder, progress=False).fit


@pytest.fixture(scope="module")
def cheap(distilled) -> LinearPotential:
    """The cheap potential with the threshold a distillation attaches."""
    frames = hottest_crystal_frames(distilled.train + distilled.test)
    return distilled.potential.with_uncertainty_threshold(frames)


@pytest.fixture(scope="module")
def lattice(distilled) -> float:
    """W_2940's lattice constant, as the sampling relaxed it (Å)."""
    return float(distilled.train[0].info["lattice_constant"])


@pytest.fixture(scope="module")
def expensive():
    return shipped_tungsten()


def perfect(lattice: float) -> Atoms:
    return bulk("W", "bcc", a=lattice, cubic=True) * REPEAT


def relaxed(atoms: Atoms, expensive) -> Atoms:
    atoms = atoms.copy()
    atoms.calc = expensive.calculator()
    FIRE(atoms, logfile=None).run(fmax=0.02, steps=400)
    assert np.abs(atoms.get_forces()).max() < 0.02
    atoms.calc = None
    return atoms


@pytest.fixture(scope="module")
def crowdion(lattice, expensive) -> Atoms:
    """An atom added half-way along <111> between two lattice sites, relaxed."""
    atoms = perfect(lattice)
    centre = atoms.cell.diagonal() / 2
    site = np.argmin(np.linalg.norm(atoms.positions - centre, axis=1))
    atoms.append("W")
    atoms.positions[-1] = atoms.positions[site] + lattice * np.array([0.25] * 3)
    return relaxed(atoms, expensive)


@pytest.fixture(scope="module")
def vacancy(lattice, expensive) -> tuple[Atoms, np.ndarray]:
    """The site nearest the centre emptied, relaxed; and the vacant site (Å)."""
    atoms = perfect(lattice)
    site = np.argmin(
        np.linalg.norm(atoms.positions - atoms.cell.diagonal() / 2, axis=1)
    )
    vacant = atoms.positions[site].copy()
    del atoms[site]
    return relaxed(atoms, expensive), vacant


@pytest.fixture(scope="module")
def thermal(cheap, lattice) -> Atoms:
    """Perfect bulk after 0.2 ps of Langevin MD at 300 K (seeded)."""
    atoms = perfect(lattice)
    atoms.calc = cheap.calculator(uncertainty=False)
    rng = np.random.default_rng(0)
    thermalize_momenta(atoms, temperature_K=600.0, rng=rng)
    dynamics = Langevin(
        atoms, 2 * units.fs, temperature_K=300.0, friction=0.02, fixcm=False, rng=rng
    )
    dynamics.run(100)
    return atoms


def distances(atoms: Atoms, point: np.ndarray) -> np.ndarray:
    """Minimum-image distances (Å) of every atom from ``point``."""
    probe = atoms + Atoms("W", [point])
    return probe.get_distances(len(atoms), range(len(atoms)), mic=True)


def seeds(regions: Regions, atoms: Atoms, cheap) -> np.ndarray:
    return regions.update(atoms, cheap=cheap).seeds


def uncertainty_regions(**criterion) -> Regions:
    return Regions(
        criterion=Uncertainty(**criterion), r_core=0.0, r_blend=0.0, r_buff=0.0
    )


def crowdion_geometry(crowdion: Atoms) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each atom's distance along and from the crowdion's axis (Å), and the core.

    The axis runs through the interstitial (the last atom) and its nearest
    neighbour; the core is the interstitial and its two nearest neighbours.
    """
    vectors = crowdion.get_distances(
        len(crowdion) - 1, range(len(crowdion)), mic=True, vector=True
    )
    order = np.argsort(np.linalg.norm(vectors, axis=1))
    axis = vectors[order[1]] / np.linalg.norm(vectors[order[1]])
    along = vectors @ axis
    radial = np.linalg.norm(vectors - np.outer(along, axis), axis=1)
    return along, radial, order[:3]


def assert_on_the_crowdion(found: np.ndarray, crowdion: Atoms) -> None:
    """Seeds lie on the crowdion's row or the rows next to it, near its centre."""
    along, radial, _ = crowdion_geometry(crowdion)
    assert radial[found].max() < NEIGHBOUR_ROWS
    assert np.abs(along[found]).max() < CROWDION_REACH
    assert len(found) < 0.2 * len(crowdion)


def test_uncertainty_finds_the_untrained_crowdion(crowdion, cheap):
    """The interstitial and its two compressed <111> neighbours are seeds, and
    every seed lies on the crowdion: the defect nobody named.
    """
    found = seeds(uncertainty_regions(), crowdion, cheap)
    _, _, core = crowdion_geometry(crowdion)
    assert set(core) <= set(found)
    assert_on_the_crowdion(found, crowdion)


def test_force_uncertainty_finds_the_crowdion_around_its_centre(crowdion, cheap):
    """By force std the two compressed neighbours are seeds, every seed on the
    crowdion. The centre itself sits on an inversion centre, where its force
    and every force row vanish: its force std is zero, so the core (r_core)
    must reach it from its neighbours.
    """
    found = seeds(uncertainty_regions(quantity="force"), crowdion, cheap)
    _, _, core = crowdion_geometry(crowdion)
    assert set(core[1:]) <= set(found)
    assert_on_the_crowdion(found, crowdion)
    assert cheap.atom_uncertainty(crowdion, "force")[core[0]] < 1e-6


def test_uncertainty_is_far_above_threshold_in_the_crowdion_core(crowdion, cheap):
    """The core atoms' energy uncertainty is several times the threshold (the
    criterion is not deciding on noise).
    """
    values = cheap.atom_uncertainty(crowdion)
    threshold = cheap.uncertainty_threshold.energy
    assert np.sort(values)[-3:].min() > 3 * threshold


@pytest.mark.parametrize("quantity", ["energy", "force"])
def test_uncertainty_makes_no_seed_in_perfect_bulk_at_0_K(lattice, cheap, quantity):
    """The perfect lattice is what the potential knows best: no seed."""
    assert (
        len(seeds(uncertainty_regions(quantity=quantity), perfect(lattice), cheap)) == 0
    )


def test_uncertainty_makes_no_seed_in_bulk_at_300_K(thermal, cheap):
    """Thermal rattle at 300 K, below the 1200 K training MD, makes no seed;
    the largest value stays clearly under the threshold.
    """
    assert 200 < thermal.get_temperature() < 400
    assert len(seeds(uncertainty_regions(), thermal, cheap)) == 0
    assert (
        cheap.atom_uncertainty(thermal).max() < 0.9 * cheap.uncertainty_threshold.energy
    )


def test_trained_vacancy_seeds_only_its_second_neighbours(vacancy, cheap, lattice):
    """The vacancy was trained, but only in a 15-atom cell, where each of its
    second neighbours (a away) has two vacant second-neighbour sites instead
    of one. The criterion picks exactly those six second neighbours; the
    eight first neighbours (√3 a/2), whose environment the small cell does
    reproduce, stay well below the threshold.
    """
    atoms, vacant = vacancy
    to_vacancy = distances(atoms, vacant)
    found = seeds(uncertainty_regions(), atoms, cheap)
    second_shell = np.flatnonzero(np.abs(to_vacancy - lattice) < 0.2)
    first_shell = np.flatnonzero(np.abs(to_vacancy - np.sqrt(3) / 2 * lattice) < 0.2)
    assert (len(first_shell), len(second_shell)) == (8, 6)
    np.testing.assert_array_equal(np.sort(found), np.sort(second_shell))
    threshold = cheap.uncertainty_threshold.energy
    assert cheap.atom_uncertainty(atoms)[first_shell].max() < 0.6 * threshold


def test_a_given_threshold_replaces_the_stored_one(crowdion, cheap):
    """A higher threshold is looser: fewer seeds, a subset of the default's."""
    default = seeds(uncertainty_regions(), crowdion, cheap)
    stored = cheap.uncertainty_threshold.energy
    looser = seeds(uncertainty_regions(threshold=3 * stored), crowdion, cheap)
    assert 0 < len(looser) < len(default)
    assert set(looser) <= set(default)


def test_a_threshold_below_the_crystal_median_warns(cheap):
    """Most atoms of the perfect crystal would be seeds: warn, naming a
    threshold that would not.
    """
    median = cheap.uncertainty_threshold.energy_median
    regions = uncertainty_regions(threshold=0.5 * median)
    with pytest.warns(UserWarning, match="threshold above it would not"):
        regions.check_cheap(cheap)


def test_a_rebuild_that_seeds_most_atoms_warns(thermal, cheap):
    """A rebuild making over half the atoms seeds warns with the median."""
    values = cheap.atom_uncertainty(thermal)
    regions = uncertainty_regions(threshold=float(np.quantile(values, 0.1)))
    with pytest.warns(UserWarning, match="would make at most half of them seeds"):
        regions.update(thermal, cheap=cheap)


def test_a_cheap_potential_without_posterior_is_refused(cheap, expensive):
    """The criterion reads the POPS posterior: LAMMPS files have none."""
    with pytest.raises(ValueError, match="POPS posterior"):
        uncertainty_regions().check_cheap(expensive)
    with pytest.raises(ValueError, match="POPS posterior"):
        MixedCalculator(
            expensive.calculator(),
            expensive.calculator(),
            uncertainty_regions(),
            mode="energy",
        )


def test_without_a_stored_threshold_one_must_be_given(cheap, crowdion):
    """A potential saved before thresholds existed needs an explicit one."""
    bare = LinearPotential(
        cheap.descriptor, cheap.coef, cheap.baseline, cheap.regressor
    )
    with pytest.raises(ValueError, match="'threshold' parameter"):
        uncertainty_regions().check_cheap(bare)
    given = uncertainty_regions(threshold=cheap.uncertainty_threshold.energy)
    assert len(seeds(given, crowdion, bare)) > 0


def test_update_without_the_cheap_potential_is_refused(crowdion):
    """Regions.update cannot evaluate the criterion without the potential."""
    with pytest.raises(ValueError, match="'cheap' parameter of Regions.update"):
        uncertainty_regions().update(crowdion)


def test_bad_settings_are_refused():
    """Unknown quantity, a threshold <= 0, and bounds next to the criterion."""
    with pytest.raises(ValueError, match="'quantity' parameter"):
        Uncertainty(quantity="stress")
    with pytest.raises(ValueError, match="'threshold' parameter"):
        Uncertainty(threshold=-1.0)
    with pytest.raises(ValueError, match="'criterion_bounds' parameter"):
        Regions(criterion=Uncertainty(), criterion_bounds=(0.1, 1.0))


def test_the_criterion_round_trips_through_plain_values():
    """{"name": "uncertainty"} needs no second path; unset threshold omitted."""
    regions = Regions.from_dict(
        {"criterion": {"name": "uncertainty", "quantity": "force"}, "r_buff": 5.0}
    )
    assert regions.criterion == Uncertainty(quantity="force")
    assert regions.to_dict()["criterion_bounds"] is None
    assert Regions.from_dict(regions.to_dict()) == regions
    given = Uncertainty(threshold=0.1)
    assert criterion_from_dict(criterion_to_dict(given)) == given
    assert criterion_to_dict(Coordination(2.9)) == {
        "name": "coordination",
        "cutoff": 2.9,
    }


def test_both_engines_seed_the_same_atoms(crowdion, cheap, expensive):
    """The ASE MixedCalculator and the LAMMPS engine (regions rebuilt on rank
    0 from the LAMMPS-frame positions) give the same seeds and the same λ.
    """
    from mixpot.engines.lammps import LammpsMixedEngine

    regions = Regions(criterion=Uncertainty(), r_core=2.0, r_blend=2.0, r_buff=5.0)
    calc = MixedCalculator(
        expensive.calculator(), cheap.calculator(uncertainty=False), regions, "energy"
    )
    ase_state = calc.update_regions(crowdion)
    with LammpsMixedEngine(crowdion, expensive, cheap, regions, "energy") as engine:
        engine.evaluate()
        lammps_state = engine.stepper.state
        lammps_weights = engine.weights
    assert len(ase_state.seeds) > 0
    np.testing.assert_array_equal(lammps_state.seeds, ase_state.seeds)
    np.testing.assert_allclose(lammps_weights, ase_state.weights, atol=1e-9)
