"""MixedCalculator(mode="energy") (src/mixpot/mixing/calculator.py).

Expensive: the shipped W_2940_2017_2 SNAP (2J = 8) with its ZBL. Cheap: a
2J = 4 SNAP + ZBL fitted to it with POPS on four rattled 16-atom cells.
Both have WeightedSnap providers.
"""

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.descriptors import ZBLBaseline
from mixpot.mixing import MixedCalculator, Regions
from mixpot.mixing.carve import carve
from mixpot.models import shipped_tungsten
from mixpot.potentials import LinearPotential
from mixpot.testing import small_tungsten_snap

ZBL = ZBLBaseline(4.0, 4.8)
CUTOFF = 4.8  # Å: max(SNAP 4.73, ZBL 4.8)
LATTICE = 3.1803
MIN_GAP = 5.0  # Å, above the cutoff


@pytest.fixture(scope="module")
def expensive() -> LinearPotential:
    return shipped_tungsten()


@pytest.fixture(scope="module")
def cheap(expensive) -> LinearPotential:
    return small_tungsten_snap(expensive)


def vacancy_cell(repeat):
    """Rattled bcc W with a vacancy; returns it and a neighbour of the vacancy."""
    atoms = bulk("W", "bcc", a=LATTICE, cubic=True).repeat(repeat)
    vacancy = len(atoms) // 2
    site = atoms.positions[vacancy].copy()
    del atoms[vacancy]
    atoms.rattle(0.05, seed=1)
    return atoms, int(np.argmin(np.linalg.norm(atoms.positions - site, axis=1)))


def mixed(expensive, cheap, regions, **kwargs):
    return MixedCalculator(
        expensive.calculator(),
        cheap.calculator(uncertainty=False),
        regions,
        mode="energy",
        **kwargs,
    )


# How the expensive cut-out comes out of each cell: with r_buff ≥ 2 cutoffs
# it covers a 4³ cell, spans 3x3 cells across but not 10 cells along z, and
# is an isolated cluster in a 10³ cell.
CUT_OUTS = {
    "periodic": ((4, 4, 4), [True, True, True]),
    "slab": ((3, 3, 10), [True, True, False]),
    "isolated": ((10, 10, 10), [False, False, False]),
}


@pytest.fixture(scope="module", params=list(CUT_OUTS))
def mixed_system(request, expensive, cheap):
    repeat, periodic = CUT_OUTS[request.param]
    atoms, seed = vacancy_cell(repeat)
    regions = Regions([seed], r_core=0.0, r_blend=3.0, r_buff=2 * CUTOFF + 0.1)
    atoms.calc = mixed(expensive, cheap, regions, min_gap=MIN_GAP)
    atoms.get_forces()
    state = atoms.calc.state
    piece_periodic = carve(atoms, state.expensive_atoms, MIN_GAP).periodic
    if state.n_expensive == len(atoms):
        piece_periodic = atoms.pbc
    assert piece_periodic.tolist() == periodic
    return atoms


def energy_at(atoms, change):
    other = atoms.copy()
    other.calc = atoms.calc
    change(other)
    return other.get_potential_energy()


def test_forces_are_gradient_of_mixed_energy(mixed_system):
    """Energy-mode forces are −∂E/∂r of the mixed energy at fixed λ (central
    differences along a random direction and on one component of the seed,
    for a periodic, a slab-like and an isolated cut-out).
    """
    atoms = mixed_system
    forces = atoms.get_forces()
    seed_component = np.zeros(forces.shape)
    seed_component[int(np.argmax(atoms.calc.results["lambda"])), 1] = 1.0
    random = np.random.default_rng(0).normal(size=forces.shape)
    h = 5e-5
    for direction in (random, seed_component):

        def move(t, d=direction):
            return lambda other: other.set_positions(other.positions + t * d)

        slope = (energy_at(atoms, move(h)) - energy_at(atoms, move(-h))) / (2 * h)
        expected = -np.sum(forces * direction)
        assert slope == pytest.approx(expected, rel=1e-6, abs=1e-5)


def test_stress_is_strain_derivative_of_mixed_energy(mixed_system):
    """Energy-mode stress is (1/V) ∂E/∂ε, checked along two random symmetric
    strains (all six components at once): the provider's stress where the
    cut-out stays periodic, −Σ r ⊗ f of the cut-out where it is isolated.
    """
    atoms = mixed_system
    stress = atoms.get_stress(voigt=False)
    cell = atoms.cell.array.copy()
    rng = np.random.default_rng(1)
    h = 5e-5
    for _ in range(2):
        strain = rng.normal(size=(3, 3))
        strain = 0.5 * (strain + strain.T)

        def deform(t, s=strain):
            return lambda other: other.set_cell(
                cell @ (np.eye(3) + t * s), scale_atoms=True
            )

        slope = (energy_at(atoms, deform(h)) - energy_at(atoms, deform(-h))) / (2 * h)
        expected = atoms.get_volume() * np.sum(stress * strain)
        assert slope == pytest.approx(expected, rel=1e-6, abs=1e-4)


def full_system(atoms, potential):
    other = atoms.copy()
    other.calc = potential.calculator()
    return other


@pytest.mark.parametrize("everywhere", [1.0, 0.0])
def test_uniform_lambda_limits(expensive, cheap, everywhere):
    """λ = 1 everywhere gives the expensive model, λ = 0 (no seeds) the cheap
    one: energy, forces and stress.
    """
    atoms, seed = vacancy_cell((4, 4, 4))
    regions = Regions([seed], r_core=100.0) if everywhere else Regions([])
    atoms.calc = mixed(expensive, cheap, regions)
    reference = full_system(atoms, expensive if everywhere else cheap)
    assert atoms.get_potential_energy() == pytest.approx(
        reference.get_potential_energy(), abs=1e-8
    )
    np.testing.assert_allclose(atoms.get_forces(), reference.get_forces(), atol=1e-9)
    np.testing.assert_allclose(atoms.get_stress(), reference.get_stress(), atol=1e-10)
    assert np.all(atoms.calc.results["lambda"] == everywhere)


def test_results_carry_region_and_timings(mixed_system):
    """Energy mode reports energy and free energy alike, plus λ, the sizes
    each potential saw and the time spent in each.
    """
    results = mixed_system.calc.results
    assert results["free_energy"] == results["energy"]
    assert results["n_cheap"] == len(mixed_system)
    assert 0 < results["n_expensive"] <= len(mixed_system)
    assert results["time_expensive"] > 0 and results["time_cheap"] > 0
    assert results["lambda"].shape == (len(mixed_system),)


def test_nve_conserves_energy(expensive, cheap):
    """Velocity-Verlet NVE (1 fs, 250 fs) of 249-atom bcc W with a vacancy,
    velocities drawn at 600 K (≈ 300 K after equipartition), regions built
    once: the total energy stays within 1 meV/atom (the 2 ps run is
    benchmarks/mixing_energy_drift.py).
    """
    atoms, seed = vacancy_cell(5)
    regions = Regions([seed], r_core=3.0, r_blend=3.0, r_buff=5.0)
    atoms.calc = mixed(expensive, cheap, regions)
    thermalize_momenta(atoms, 600.0, rng=np.random.default_rng(0))
    Stationary(atoms)
    totals = []
    dynamics = VelocityVerlet(atoms, timestep=1.0 * units.fs)
    dynamics.attach(
        lambda: totals.append(atoms.get_potential_energy() + atoms.get_kinetic_energy())
    )
    dynamics.run(250)
    weights = atoms.calc.results["lambda"]
    assert np.any((weights > 0) & (weights < 1))
    drift = np.abs(np.array(totals) - totals[0]).max() / len(atoms)
    assert drift < 1e-3


def test_calculator_without_provider_is_refused():
    """Energy mode needs λ-weighted gradients: EMT has none, and the error
    says so and points to force mode.
    """
    with pytest.raises(ValueError, match="EMT cannot provide.*mode='force'"):
        MixedCalculator(EMT(), EMT(), Regions([0]), mode="energy")
