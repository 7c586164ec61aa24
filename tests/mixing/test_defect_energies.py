"""Vacancy energetics with energy mixing (calculator.py, energetics.py).

Bcc W, 8x8x8 conventional cells (1024 sites, 1023 atoms). Expensive: the
shipped W_2940_2017_2 SNAP (2J = 8) with its ZBL. Cheap: a 2J = 6 SNAP + ZBL
distilled from it with mixpot's pipeline (small recipe with a vacancy cell,
per-atom energies fitted), which alone misses the vacancy formation energy
and migration barrier by about 0.3 eV. Mixed: λ = 1 within 3 Å of the atoms
next to either end of the hop, a 5 Å cubic blend, r_buff 5 Å (≥ the 4.8 Å
cutoff, as energy mode needs); one region shared by all images. (With a 3 Å
blend the formation energy is 15 meV off: where λ changes, the two models'
per-atom energies still differ a little, see MixedCalculator's notes.)

The formation energy is E − Σ_i μ_i with each model's bulk energy per atom,
weighted by λ for the mixed model (:func:`mixpot.mixing.reference_energy`);
the barrier is the climbing-image NEB maximum (3 images) over the relaxed
initial state. Issue tolerances: 10 meV and 20 meV of the all-expensive
answers.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.mep import NEB
from ase.optimize import FIRE, LBFGS
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.distill import Recipe
from mixpot.distill.fitting import FitSettings
from mixpot.distill.pipeline import DistillConfig, distil
from mixpot.mixing import MixedCalculator, Regions, reference_energy
from mixpot.testing import shipped_tungsten

LATTICE = 3.1803  # Å, W_2940_2017_2
REPEAT = 8
FORMATION_TOLERANCE = 0.010  # eV
BARRIER_TOLERANCE = 0.020  # eV


@pytest.fixture(scope="module")
def expensive():
    return shipped_tungsten()


def cheap_config(**fit) -> DistillConfig:
    """Distil a 2J = 6 SNAP from W_2940 with a small recipe (a few seconds)."""
    return DistillConfig(
        expensive="lammps:W_snap",
        recipe=Recipe(
            ["W"],
            "bcc",
            None,
            repeat=2,
            temperatures=[300.0, 1200.0],
            n_frames=6,
            timestep=2.0,
            frame_interval=40.0,
            n_rattled=4,
            defects=["vacancy"],
        ),
        descriptor=SNAP(["W"], [0.5], twojmax=6, rcutfac=4.73442),
        baseline=ZBLBaseline(4.0, 4.8),
        fit=FitSettings(**fit),
        n_ensemble=0,
        properties=False,
    )


@pytest.fixture(scope="module")
def cheap(tmp_path_factory):
    out = tmp_path_factory.mktemp("distilled")
    return distil(cheap_config(), out, progress=False).fit.potential


def perfect_crystal() -> Atoms:
    return bulk("W", "bcc", a=LATTICE, cubic=True).repeat(REPEAT)


def hop_endpoints() -> tuple[Atoms, Atoms, np.ndarray, np.ndarray]:
    """A central vacancy and the same with a nearest neighbour moved into it."""
    initial = perfect_crystal()
    centre = initial.cell.sum(axis=0) / 2
    site = int(np.argmin(np.linalg.norm(initial.positions - centre, axis=1)))
    vacancy = initial.positions[site].copy()
    del initial[site]
    hop = int(np.argmin(np.linalg.norm(initial.positions - vacancy, axis=1)))
    start = initial.positions[hop].copy()
    final = initial.copy()
    final.positions[hop] = vacancy
    return initial, final, vacancy, start


def bulk_energy_per_atom(potential) -> float:
    atoms = perfect_crystal()
    atoms.calc = potential.calculator(uncertainty=False)
    return atoms.get_potential_energy() / len(atoms)


def relaxed_energy(atoms: Atoms) -> float:
    LBFGS(atoms, logfile=None).run(fmax=2e-3, steps=500)
    return atoms.get_potential_energy()


def vacancy_energetics(make_calculator) -> tuple[float, float]:
    """Relaxed initial-state energy and CI-NEB barrier of the vacancy hop."""
    initial, final, _, _ = hop_endpoints()
    images = [initial] + [initial.copy() for _ in range(3)] + [final]
    for image in images:
        image.calc = make_calculator()
    energy = relaxed_energy(initial)
    relaxed_energy(final)
    band = NEB(images, climb=True, method="improvedtangent")
    band.interpolate()
    FIRE(band, logfile=None).run(fmax=0.01, steps=1000)
    barrier = max(image.get_potential_energy() for image in images) - energy
    return energy, barrier


def single_model(potential) -> dict[str, float]:
    energy, barrier = vacancy_energetics(
        lambda: potential.calculator(uncertainty=False)
    )
    n_atoms = len(perfect_crystal()) - 1
    return {
        "formation": energy - n_atoms * bulk_energy_per_atom(potential),
        "barrier": barrier,
    }


@pytest.fixture(scope="module")
def all_expensive(expensive):
    return single_model(expensive)


@pytest.fixture(scope="module")
def all_cheap(cheap):
    return single_model(cheap)


@pytest.fixture(scope="module")
def mixed(expensive, cheap):
    return mixed_model(expensive, cheap)


def mixed_model(expensive, cheap, r_blend: float = 5.0) -> dict:
    initial, _, vacancy, start = hop_endpoints()
    near_either_end = (
        np.minimum(
            np.linalg.norm(initial.positions - vacancy, axis=1),
            np.linalg.norm(initial.positions - start, axis=1),
        )
        < 3.0
    )
    regions = Regions(
        np.flatnonzero(near_either_end), r_core=3.0, r_blend=r_blend, r_buff=5.0
    )
    state = regions.update(initial)

    def make_calculator():
        calc = MixedCalculator(
            expensive.calculator(uncertainty=False),
            cheap.calculator(uncertainty=False),
            regions,
            mode="energy",
        )
        calc.fix_regions(state)
        return calc

    energy, barrier = vacancy_energetics(make_calculator)
    reference = reference_energy(
        initial,
        state.weights,
        {"W": bulk_energy_per_atom(expensive)},
        {"W": bulk_energy_per_atom(cheap)},
    )
    return {"formation": energy - reference, "barrier": barrier, "state": state}


def test_region_leaves_the_far_field_to_the_cheap_model(mixed):
    """Over a third of the 1023 atoms are cheap only (λ = 0, outside the
    expensive set); λ = 1 and a blend shell around the hop.
    """
    state = mixed["state"]
    weights = state.weights
    assert len(weights) - state.n_expensive > len(weights) / 3
    assert np.any(weights == 1) and np.any((weights > 0) & (weights < 1))


def test_vacancy_formation_energy_matches_all_expensive(
    mixed, all_expensive, all_cheap
):
    """Mixed E_f within 10 meV of all-expensive, where the cheap model alone
    is more than 10× further off.
    """
    error = mixed["formation"] - all_expensive["formation"]
    cheap_error = all_cheap["formation"] - all_expensive["formation"]
    assert abs(error) < FORMATION_TOLERANCE
    assert abs(cheap_error) > 10 * FORMATION_TOLERANCE


def test_migration_barrier_matches_all_expensive(mixed, all_expensive, all_cheap):
    """Mixed CI-NEB barrier within 20 meV of all-expensive, where the cheap
    model alone is more than 5× further off.
    """
    error = mixed["barrier"] - all_expensive["barrier"]
    cheap_error = all_cheap["barrier"] - all_expensive["barrier"]
    assert abs(error) < BARRIER_TOLERANCE
    assert abs(cheap_error) > 5 * BARRIER_TOLERANCE
