"""The ASE engine (src/mixpot/engines/ase.py): a run from a configuration."""

import dataclasses

import numpy as np
import pytest
from ase import units
from ase.build import bulk
from ase.calculators.calculator import all_changes
from ase.calculators.emt import EMT
from ase.io import read
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

from mixpot.engines.ase import dry_run, run
from mixpot.mixing import BlendLangevin, Coordination, MixedCalculator, Regions
from mixpot.models import expensive_calculator
from mixpot.potentials import LinearPotential
from mixpot.run import CheckpointError, RunConfig, validate
from mixpot.run.checkpoint import NAME as CHECKPOINT

from ..run.conftest import w_vacancy_settings

FORCE_MODE = {
    "expensive": {"model": "lammps:W_snap"},
    "mixing": {"mode": "force"},
    "regions": {"r_buff": 3.0},
    "dynamics": {"integrator": "blend-langevin"},
}


def force_mode_config(cheap_path, folder):
    settings = w_vacancy_settings(cheap_path, **FORCE_MODE)
    for key in ("snapcoeff", "snapparam", "zbl"):
        del settings["expensive"][key]
    return RunConfig.from_dict(settings, base=folder)


def hand_written_run(cheap_path):
    """The force-mode run of force_mode_config, wired by hand in Python."""
    atoms = bulk("W", "bcc", a=3.1803, cubic=True).repeat(4)
    centre = atoms.cell.sum(axis=0) / 2
    del atoms[int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))]
    atoms.rattle(0.02, seed=1)
    regions = Regions(
        criterion=Coordination(3.0),
        criterion_bounds=(0, 7),
        r_core=0.5,
        r_blend=2.5,
        r_buff=3.0,
    )
    cheap = LinearPotential.load(cheap_path).calculator(uncertainty=False)
    atoms.calc = MixedCalculator(expensive_calculator("lammps:W_snap"), cheap, regions)
    MaxwellBoltzmannDistribution(
        atoms, temperature_K=600.0, rng=np.random.default_rng([3, 0])
    )
    Stationary(atoms)
    dynamics = BlendLangevin(
        atoms, 2.0 * units.fs, 600.0, 0.02 / units.fs, rng=np.random.default_rng([3, 1])
    )
    atoms.calc.attach_updater(dynamics, 2)
    frames = []
    dynamics.attach(
        lambda: frames.append((atoms.positions.copy(), atoms.calc.state.weights)),
        interval=2,
    )
    dynamics.run(6)
    return atoms, frames


def test_run_equals_the_hand_written_python(cheap_npz, tmp_path):
    """Force mixing with BlendLangevin from the TOML settings follows the same
    trajectory as the same simulation wired by hand (same seeds), frame by
    frame, with the same λ.
    """
    result = run(force_mode_config(cheap_npz, tmp_path))
    atoms, frames = hand_written_run(cheap_npz)
    written = read(tmp_path / "out" / "trajectory.extxyz", ":")
    assert [frame.info["step"] for frame in written] == [0, 2, 4, 6]
    for frame, (positions, weights) in zip(written, frames, strict=True):
        np.testing.assert_allclose(frame.positions, positions, atol=2e-8)
        np.testing.assert_array_equal(frame.arrays["lambda"], weights)
    np.testing.assert_array_equal(result.atoms.positions, atoms.positions)
    np.testing.assert_array_equal(result.atoms.get_momenta(), atoms.get_momenta())


def test_force_mode_output_has_no_energy(cheap_npz, tmp_path):
    """Force mode: the thermo header says there is no energy, E columns are
    nan; frames carry forces and λ but no energy.
    """
    config = force_mode_config(cheap_npz, tmp_path)
    config = dataclasses.replace(
        config, dynamics=dataclasses.replace(config.dynamics, steps=1)
    )
    run(config)
    folder = tmp_path / "out"
    header = (folder / "thermo.dat").read_text().splitlines()[0]
    assert "force mode" in header and "nan" in header
    table = np.loadtxt(folder / "thermo.dat")
    assert np.isnan(table[:, 3:5]).all() and np.isfinite(table[:, 2]).all()
    frame = read(folder / "trajectory.extxyz", -1)
    assert frame.get_forces().shape == (127, 3)
    assert "energy" not in frame.calc.results
    assert 0 < (frame.arrays["lambda"] > 0).sum() < 127


def energy_mode_config(cheap_path, folder):
    settings = w_vacancy_settings(
        cheap_path, regions={"tau_grow": 4.0, "tau_shrink": 8.0}
    )
    return RunConfig.from_dict(settings, base=folder)


def kill_and_resume(config_of, folder):
    """Run uninterrupted; and stopped after step 4 (checkpoint at 3), rerun."""
    whole = run(config_of(folder / "whole"))
    config = config_of(folder / "parts")
    first = run(config, max_steps=4)
    assert not first.finished and first.step == 4
    resumed = run(config)
    assert resumed.resumed_from == 3 and resumed.finished and resumed.step == 6
    return whole, resumed


class FreshEMT(EMT):
    """EMT with a new neighbour list at every call: a result depends on the
    positions only (EMT's own list is reused until atoms move a skin).
    """

    def calculate(self, atoms=None, properties=("energy",), system_changes=()):
        super().calculate(atoms, properties, all_changes)


@pytest.fixture
def emt_models(monkeypatch):
    """Build history-free EMT for both models, on fcc Cu."""
    from mixpot.run import build, validation

    monkeypatch.setattr(build, "expensive_calculator_for", lambda config: FreshEMT())
    monkeypatch.setattr(build, "cheap_calculator_for", lambda config: FreshEMT())
    monkeypatch.setattr(validation, "expensive_elements", lambda config: ["Cu"])
    monkeypatch.setattr(validation, "potential_elements", lambda role, s: ["Cu"])


def test_kill_and_resume_is_bit_identical_with_emt(cheap_npz, tmp_path, emt_models):
    """With a deterministic calculator (EMT, fresh neighbour list), a run
    stopped after step 4 and rerun from its step-3 checkpoint ends
    bit-identical to an uninterrupted one: positions, momenta, λ (with
    hysteresis), and the trajectory and thermo energies byte for byte.
    """

    def config_of(folder):
        settings = w_vacancy_settings(
            cheap_npz,
            system={"lattice": "fcc", "element": "Cu", "lattice_constant": 3.6},
            mixing={"mode": "force"},
            regions={"r_buff": 3.0, "tau_grow": 4.0, "tau_shrink": 8.0},
        )
        return RunConfig.from_dict(settings, base=folder)

    whole, resumed = kill_and_resume(config_of, tmp_path)
    np.testing.assert_array_equal(resumed.atoms.positions, whole.atoms.positions)
    np.testing.assert_array_equal(
        resumed.atoms.get_momenta(), whole.atoms.get_momenta()
    )
    np.testing.assert_array_equal(
        resumed.atoms.calc.state.weights, whole.atoms.calc.state.weights
    )
    parts, uninterrupted = tmp_path / "parts" / "out", tmp_path / "whole" / "out"
    name = "trajectory.extxyz"
    assert (parts / name).read_bytes() == (uninterrupted / name).read_bytes()
    rows = np.loadtxt(parts / "thermo.dat")[:, :7]  # all but the timings
    assert rows[:, 0].tolist() == [0, 1, 2, 3, 4, 5, 6]
    np.testing.assert_array_equal(rows, np.loadtxt(uninterrupted / "thermo.dat")[:, :7])


def test_kill_and_resume_with_lammps_snap(cheap_npz, tmp_path):
    """Energy-mixed SNAP (LAMMPS) Langevin with hysteresis, stopped and
    resumed, ends where the uninterrupted run does to 1e-12 Å and 1e-10
    momentum units (measured: 7e-16 Å, 2e-13). Not bit-identical: mixpot's
    LAMMPS calculators reuse their neighbour list between calls (``run 1 pre
    no``, rebuilt only when atoms moved half a skin), so a fresh instance
    after the resume sums the same pairs in another order (last-bit
    differences of E, 2e-13 eV of 1400).
    """
    whole, resumed = kill_and_resume(
        lambda folder: energy_mode_config(cheap_npz, folder), tmp_path
    )
    np.testing.assert_allclose(
        resumed.atoms.positions, whole.atoms.positions, atol=1e-12
    )
    np.testing.assert_allclose(
        resumed.atoms.get_momenta(), whole.atoms.get_momenta(), atol=1e-10
    )
    np.testing.assert_array_equal(
        resumed.atoms.calc.state.weights > 0, whole.atoms.calc.state.weights > 0
    )
    rows = np.loadtxt(tmp_path / "parts" / "out" / "thermo.dat")
    assert rows[:, 0].tolist() == [0, 1, 2, 3, 4, 5, 6]


def test_finished_run_is_not_run_again(cheap_npz, tmp_path):
    """Rerunning a finished run computes nothing and says it is complete."""
    config = energy_mode_config(cheap_npz, tmp_path)
    config = dataclasses.replace(
        config, dynamics=dataclasses.replace(config.dynamics, steps=1)
    )
    run(config)
    again = run(config)
    assert again.already_complete and again.step == 1


@pytest.mark.parametrize("damage", ["truncated", "flipped byte"])
def test_damaged_checkpoint_is_an_error(cheap_npz, tmp_path, damage):
    """A truncated or corrupted checkpoint stops the rerun with a clear error
    (never a silent restart from step 0).
    """
    config = energy_mode_config(cheap_npz, tmp_path)
    run(config, max_steps=3)
    path = tmp_path / "out" / CHECKPOINT
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted|cannot be read"):
        run(config)


def test_changed_configuration_does_not_continue_an_old_run(cheap_npz, tmp_path):
    """A checkpoint of other settings in the output folder is refused."""
    config = energy_mode_config(cheap_npz, tmp_path)
    run(config, max_steps=3)
    changed = dataclasses.replace(
        config, dynamics=dataclasses.replace(config.dynamics, temperature_K=900.0)
    )
    with pytest.raises(CheckpointError, match="another configuration"):
        run(changed)


def test_dry_run_counts_the_regions(cheap_npz, tmp_path):
    """The dry run reports the region on the initial structure (8 vacancy
    neighbours as core seeds) and positive model times, and writes nothing.
    """
    cost = dry_run(energy_mode_config(cheap_npz, tmp_path))
    assert cost["n_atoms"] == 127 and cost["n_core"] == 8
    assert 8 < cost["n_expensive"] < 127 and cost["n_cheap"] == 127
    assert cost["time_expensive"] > 0 and cost["time_cheap"] > 0
    assert not (tmp_path / "out").exists()


def emt_copper(cheap_path, folder, **sections):
    settings = w_vacancy_settings(
        cheap_path,
        system={"lattice": "fcc", "element": "Cu", "lattice_constant": 3.6},
        mixing={"mode": "force"},
        regions={"r_buff": 3.0},
    )
    for name, values in sections.items():
        settings[name] = {**settings[name], **values}
    return RunConfig.from_dict(settings, base=folder)


def test_fire_relaxation_resumes_with_its_own_state(cheap_npz, tmp_path, emt_models):
    """A FIRE relaxation stopped after step 4 and rerun continues with FIRE's
    velocities and step control from the checkpoint: same final positions,
    bit for bit, as without the stop.
    """
    fire = {"integrator": "fire", "steps": 6, "fmax": 1e-4}
    whole, resumed = kill_and_resume(
        lambda folder: emt_copper(cheap_npz, folder, dynamics=fire), tmp_path
    )
    np.testing.assert_array_equal(resumed.atoms.positions, whole.atoms.positions)


def test_relaxation_stops_when_converged(cheap_npz, tmp_path, emt_models):
    """FIRE stops below fmax, before its step limit, and the run is finished."""
    fire = {"integrator": "fire", "steps": 500, "fmax": 0.05}
    result = run(emt_copper(cheap_npz, tmp_path, dynamics=fire))
    forces = result.atoms.get_forces()
    assert result.finished and result.step < 500
    assert np.linalg.norm(forces, axis=1).max() < 0.05


def test_npt_changes_the_cell_in_energy_mode(cheap_npz, tmp_path):
    """Berendsen NPT at 10 GPa (energy mode has a stress) shrinks the cell."""
    npt = {"integrator": "npt", "steps": 3, "pressure_GPa": 10.0, "taup_fs": 20.0}
    settings = w_vacancy_settings(cheap_npz, dynamics=npt)
    config = RunConfig.from_dict(settings, base=tmp_path)
    start = validate(config).get_volume()
    result = run(config)
    assert result.atoms.get_volume() < start
    assert np.isfinite(np.loadtxt(tmp_path / "out" / "thermo.dat")[:, 3]).all()


def test_finished_run_continues_with_more_steps(cheap_npz, tmp_path, emt_models):
    """A finished 3-step run rerun with steps = 6 continues from its last
    checkpoint and writes what a 6-step run writes (history-free EMT).
    """

    def config_of(folder, steps):
        return emt_copper(cheap_npz, folder, dynamics={"steps": steps})

    whole = run(config_of(tmp_path / "whole", 6))
    run(config_of(tmp_path / "parts", 3))
    extended = run(config_of(tmp_path / "parts", 6))
    assert extended.resumed_from == 3 and extended.step == 6
    np.testing.assert_array_equal(extended.atoms.positions, whole.atoms.positions)
    rows = np.loadtxt(tmp_path / "parts" / "out" / "thermo.dat")[:, :7]
    expected = np.loadtxt(tmp_path / "whole" / "out" / "thermo.dat")[:, :7]
    np.testing.assert_array_equal(rows, expected)


def test_multiple_time_step_resumes_bit_identical(cheap_npz, tmp_path, emt_models):
    """A run with expensive_every = 2, resumed between two corrections.

    The step-3 checkpoint lies between corrections: the resumed run ends
    bit-identical to the uninterrupted one, and its frames carry the mixed
    forces (here, with EMT on both sides, the correction is zero:
    tests/mixing/test_multiple_time_step.py checks the kick).
    """

    def config_of(folder):
        settings = w_vacancy_settings(
            cheap_npz,
            system={"lattice": "fcc", "element": "Cu", "lattice_constant": 3.6},
            mixing={"mode": "force", "expensive_every": 2},
            regions={"r_buff": 3.0},
        )
        return RunConfig.from_dict(settings, base=folder)

    whole, resumed = kill_and_resume(config_of, tmp_path)
    np.testing.assert_array_equal(resumed.atoms.positions, whole.atoms.positions)
    np.testing.assert_array_equal(
        resumed.atoms.get_momenta(), whole.atoms.get_momenta()
    )
    parts, uninterrupted = tmp_path / "parts" / "out", tmp_path / "whole" / "out"
    name = "trajectory.extxyz"
    assert (parts / name).read_bytes() == (uninterrupted / name).read_bytes()
    rows = np.loadtxt(parts / "thermo.dat")  # expensive time at steps 0, 2, 4, 6
    assert [row[7] > 0 for row in rows] == [True, False] * 3 + [True]
    frame = read(uninterrupted / name, -1)  # step 6: an expensive step
    calc = whole.atoms.calc
    np.testing.assert_allclose(  # extxyz keeps 8 digits
        frame.get_forces(), calc.results["mixed_forces"], atol=1e-7
    )


@pytest.mark.parametrize(
    ("sections", "match"),
    [
        ({"mixing": {"expensive_every": 0}}, r"\[mixing\] must be an integer >= 1"),
        ({"mixing": {"expensive_every": 2.5}}, r"\[mixing\] must be an integer"),
        (
            {"mixing": {"expensive_every": 2}, "dynamics": {"integrator": "fire"}},
            "needs an MD integrator",
        ),
    ],
)
def test_bad_expensive_every_is_a_config_error(cheap_npz, tmp_path, sections, match):
    settings = w_vacancy_settings(cheap_npz)
    for name, values in sections.items():
        settings[name].update(values)
    with pytest.raises(ValueError, match=match):
        validate(RunConfig.from_dict(settings, base=tmp_path))
