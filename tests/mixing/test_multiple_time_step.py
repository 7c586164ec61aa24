"""MultipleTimeStep (src/mixpot/mixing/multiple_time_step.py).

Expensive: the shipped W_2940_2017_2 SNAP (2J = 8) with its ZBL. Cheap: a
2J = 4 SNAP + ZBL fitted to it (mixpot.testing.small_tungsten_snap).
"""

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.mixing import MixedCalculator, MultipleTimeStep, Regions
from mixpot.models import shipped_tungsten
from mixpot.testing import small_tungsten_snap

LATTICE = 3.1803


@pytest.fixture(scope="module")
def expensive():
    return shipped_tungsten()


@pytest.fixture(scope="module")
def cheap(expensive):
    return small_tungsten_snap(expensive)


def vacancy_cell(repeat=4):
    atoms = bulk("W", "bcc", a=LATTICE, cubic=True).repeat(repeat)
    site = atoms.positions[len(atoms) // 2].copy()
    del atoms[len(atoms) // 2]
    atoms.rattle(0.05, seed=1)
    return atoms, int(np.argmin(np.linalg.norm(atoms.positions - site, axis=1)))


def mixed(expensive, cheap, seed, mode="energy"):
    regions = Regions([seed], r_core=3.0, r_blend=3.0, r_buff=10.0)
    return MixedCalculator(
        expensive.calculator(), cheap.calculator(uncertainty=False), regions, mode=mode
    )


@pytest.mark.parametrize("mode", ["energy", "force"])
def test_expensive_step_is_the_mixed_force_times_every(expensive, cheap, mode):
    """At an expensive step the reported forces (and energy) are the mixed
    calculator's; the integrator's forces carry every × the correction.
    """
    atoms, seed = vacancy_cell()
    reference = atoms.copy()
    reference.calc = mixed(expensive, cheap, seed, mode)
    atoms.calc = MultipleTimeStep(mixed(expensive, cheap, seed, mode), every=3)
    forces = atoms.get_forces()
    results = atoms.calc.results
    np.testing.assert_allclose(
        results["mixed_forces"], reference.get_forces(), atol=1e-10
    )
    whole = atoms.copy()
    whole.calc = cheap.calculator(uncertainty=False)
    np.testing.assert_allclose(
        forces,
        whole.get_forces() + 3 * (reference.get_forces() - whole.get_forces()),
        atol=1e-9,
    )
    assert results["expensive_step"]
    if mode == "energy":
        assert atoms.get_potential_energy() == pytest.approx(
            reference.get_potential_energy(), abs=1e-9
        )


def test_between_expensive_steps_the_force_is_cheap(expensive, cheap):
    """Steps 1 … every−1 use the cheap force alone and keep the last correction."""
    atoms, seed = vacancy_cell()
    atoms.calc = MultipleTimeStep(mixed(expensive, cheap, seed), every=2)
    atoms.get_forces()
    atoms.positions[0] += 0.01
    forces = atoms.get_forces()
    whole = atoms.copy()
    whole.calc = cheap.calculator(uncertainty=False)
    np.testing.assert_allclose(forces, whole.get_forces(), atol=1e-12)
    assert not atoms.calc.results["expensive_step"]
    assert atoms.calc.results["time_expensive"] == 0.0
    assert atoms.calc.step == 1 and atoms.calc.expensive_steps == 1


def test_every_one_is_the_mixed_trajectory(expensive, cheap):
    """With every = 1 the run follows the plain mixed calculator step for step."""
    trajectories = []
    for wrap in (False, True):
        atoms, seed = vacancy_cell()
        calc = mixed(expensive, cheap, seed)
        atoms.calc = MultipleTimeStep(calc, every=1) if wrap else calc
        thermalize_momenta(atoms, 600.0, rng=np.random.default_rng(0))
        VelocityVerlet(atoms, timestep=2.0 * units.fs).run(10)
        trajectories.append(atoms.positions.copy())
    np.testing.assert_allclose(trajectories[1], trajectories[0], atol=1e-12)


def nve_totals(expensive, cheap, every, steps=160):
    """Total energy at the expensive steps of a 2 fs NVE run (eV)."""
    atoms, seed = vacancy_cell(5)
    atoms.calc = MultipleTimeStep(mixed(expensive, cheap, seed), every=every)
    thermalize_momenta(atoms, 600.0, rng=np.random.default_rng(0))
    Stationary(atoms)
    totals = []
    dynamics = VelocityVerlet(atoms, timestep=2.0 * units.fs)

    def record():
        if atoms.calc.results["expensive_step"]:
            totals.append(atoms.get_potential_energy() + atoms.get_kinetic_energy())

    dynamics.attach(record)
    dynamics.run(steps)
    return np.array(totals), len(atoms)


def test_impulse_nve_conserves_the_mixed_energy(expensive, cheap):
    """Impulse MTS (every 4 steps of 2 fs: an 8 fs outer step) keeps the
    mixed total energy, read at the expensive steps, within 1 meV/atom over
    320 fs of 249-atom W at ≈ 300 K, like every step does.
    """
    for every in (1, 4):
        totals, n_atoms = nve_totals(expensive, cheap, every)
        assert len(totals) == 160 // every + 1
        assert np.abs(totals - totals[0]).max() / n_atoms < 1e-3


def test_memory_restores_the_run(expensive, cheap):
    """A run continued from memory() between corrections follows the
    uninterrupted run.
    """
    atoms, seed = vacancy_cell()
    atoms.calc = MultipleTimeStep(mixed(expensive, cheap, seed), every=3)
    thermalize_momenta(atoms, 600.0, rng=np.random.default_rng(0))
    dynamics = VelocityVerlet(atoms, timestep=2.0 * units.fs)
    dynamics.run(4)
    saved = atoms.calc.memory(), atoms.positions.copy(), atoms.get_momenta()
    dynamics.run(5)
    straight = atoms.positions.copy(), atoms.get_potential_energy()

    resumed, _ = vacancy_cell()
    resumed.calc = MultipleTimeStep(mixed(expensive, cheap, seed), every=3)
    resumed.calc.fix_regions(atoms.calc.state)
    resumed.calc.restore(saved[0])
    resumed.positions, resumed.arrays["momenta"] = saved[1], saved[2]
    VelocityVerlet(resumed, timestep=2.0 * units.fs).run(5)
    np.testing.assert_allclose(resumed.positions, straight[0], atol=1e-12)
    assert resumed.get_potential_energy() == pytest.approx(straight[1], abs=1e-10)


@pytest.mark.parametrize("every", [0, 1.5, True])
def test_bad_every_is_refused(expensive, cheap, every):
    atoms, seed = vacancy_cell()
    with pytest.raises((TypeError, ValueError), match="'every' parameter"):
        MultipleTimeStep(mixed(expensive, cheap, seed), every=every)


def test_needs_a_mixed_calculator(cheap):
    with pytest.raises(TypeError, match="must be a MixedCalculator"):
        MultipleTimeStep(cheap.calculator(), every=2)
