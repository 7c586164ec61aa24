"""``mixpot run --engine lammps`` (src/mixpot/engines/lammps_run.py).

Contracts checked: a configuration runs in LAMMPS with the output the ASE
engine writes (thermo rows once per step, a dump with λ, a checkpoint); a
run stopped after a checkpoint and rerun ends where an uninterrupted run
ends; two MPI ranks launched by ``--np 2`` give the one-rank trajectory;
what the engine cannot run is refused before LAMMPS starts.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mixpot.engines.lammps_run import DUMP, run
from mixpot.run import ConfigError, RunConfig
from mixpot.run import build as run_build
from mixpot.run.output import THERMO, TRAJECTORY

from ..run.conftest import w_vacancy_settings, write_toml

LANGEVIN = {
    "dynamics": {"integrator": "blend-langevin", "steps": 12},
    "output": {"trajectory_every": 4, "thermo_every": 2, "checkpoint_every": 4},
}


def config_in(folder, cheap_npz, **sections) -> RunConfig:
    settings = w_vacancy_settings(cheap_npz, **{**LANGEVIN, **sections})
    return RunConfig.from_toml(write_toml(folder, settings))


def thermo_rows(folder) -> np.ndarray:
    """The thermo table without the timing columns (they differ run to run)."""
    return np.loadtxt(folder / THERMO)[:, :7]


def frame_steps(folder) -> list[int]:
    lines = (folder / DUMP).read_text().splitlines()
    return [
        int(lines[i + 1]) for i, line in enumerate(lines) if line == "ITEM: TIMESTEP"
    ]


def test_run_writes_thermo_dump_and_checkpoint(tmp_path, cheap_npz):
    """Every output the issue names, with one thermo row per thermo step."""
    config = config_in(tmp_path, cheap_npz)
    result = run(config)
    out = tmp_path / "out"
    assert result.finished and result.step == 12
    np.testing.assert_array_equal(thermo_rows(out)[:, 0], np.arange(0, 13, 2))
    assert frame_steps(out) == [0, 4, 8, 12]
    header = (out / DUMP).read_text().splitlines()[8]
    assert header.endswith("d_lambda")
    for name in ("log.lammps", "run.log", "config.toml", "lammps_checkpoint.npz"):
        assert (out / name).exists(), name
    assert run(config).already_complete


def test_resumed_run_ends_where_an_uninterrupted_one_ends(tmp_path, cheap_npz):
    """Stopped after the step-4 checkpoint and rerun: the same rows and atoms."""
    straight_folder, resumed_folder = tmp_path / "straight", tmp_path / "resumed"
    straight_folder.mkdir()
    resumed_folder.mkdir()
    straight = run(config_in(straight_folder, cheap_npz))
    config = config_in(resumed_folder, cheap_npz)
    first = run(config, max_steps=6)  # checkpoint at 4, stopped at 6
    assert first.step == 6 and not first.finished
    second = run(config)
    assert second.resumed_from == 6 and second.step == 12
    np.testing.assert_allclose(
        thermo_rows(resumed_folder / "out"),
        thermo_rows(straight_folder / "out"),
        rtol=0,
        atol=1e-8,
    )
    assert frame_steps(resumed_folder / "out") == [0, 4, 8, 12]
    shift = second.atoms.positions - straight.atoms.positions
    cell = straight.atoms.cell.array
    shift -= np.round(shift @ np.linalg.inv(cell)) @ cell
    assert np.abs(shift).max() < 1e-8


EVERYWHERE = {"dynamics": {"integrator": "langevin", "steps": 12}}
MULTIPLE_TIME_STEP = {**EVERYWHERE, "mixing": {"mode": "energy", "expensive_every": 2}}


@pytest.mark.parametrize(
    "sections",
    [{}, EVERYWHERE, MULTIPLE_TIME_STEP],
    ids=["blend-langevin", "langevin", "langevin-every-2"],
)
def test_two_ranks_follow_the_one_rank_run(tmp_path, cheap_npz, sections):
    """``mixpot run --engine lammps --np 2`` reproduces the one-rank rows:
    with the thermostat on the blend or on every atom (atoms that change
    rank keep their Langevin forces across a checkpoint) and with the
    expensive correction every second step.
    """
    one_folder, two_folder = tmp_path / "one", tmp_path / "two"
    one_folder.mkdir()
    two_folder.mkdir()
    run(config_in(one_folder, cheap_npz, **sections))
    settings = w_vacancy_settings(cheap_npz, **{**LANGEVIN, **sections})
    path = write_toml(two_folder, settings)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mixpot",
            "run",
            str(path),
            "--engine",
            "lammps",
            "--np",
            "2",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert "run complete: 12 steps" in completed.stdout
    np.testing.assert_allclose(
        thermo_rows(two_folder / "out"),
        thermo_rows(one_folder / "out"),
        rtol=0,
        atol=1e-8,
    )


def test_bfgs_is_refused_before_lammps_starts(tmp_path, cheap_npz, monkeypatch):
    """ASE's BFGS has no LAMMPS counterpart: a clear ConfigError, no model built."""

    def refuse(config):
        raise AssertionError("the expensive model was built")

    monkeypatch.setattr(run_build, "expensive_calculator_for", refuse)
    config = config_in(tmp_path, cheap_npz, dynamics={"integrator": "bfgs"})
    with pytest.raises(ConfigError, match="'integrator' parameter.*--engine lammps"):
        run(config)


def test_an_expensive_model_that_fails_to_build_is_a_config_error(
    tmp_path, cheap_npz, monkeypatch
):
    """A model that cannot be loaded ends the run before LAMMPS starts."""

    def broken(config):
        raise OSError("weights file unreadable")

    monkeypatch.setattr(run_build, "expensive_calculator_for", broken)
    with pytest.raises(ConfigError, match="could not be built.*weights file"):
        run(config_in(tmp_path, cheap_npz))


def test_killed_run_continues_to_the_uninterrupted_state(tmp_path, cheap_npz):
    """SIGKILL after the first checkpoint, rerun: the uninterrupted rows and atoms.

    The kill lands between checkpoints, so the rerun must also cut the
    thermo table and the dump back to the checkpoint's step.
    """
    import os
    import signal
    import time

    sections = {
        "dynamics": {"integrator": "blend-langevin", "steps": 40},
        "output": {"trajectory_every": 4, "thermo_every": 2, "checkpoint_every": 4},
    }
    killed_folder, whole_folder = tmp_path / "killed", tmp_path / "whole"
    killed_folder.mkdir()
    whole_folder.mkdir()
    path = write_toml(killed_folder, w_vacancy_settings(cheap_npz, **sections))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mixpot",
            "run",
            str(path),
            "--engine",
            "lammps",
            "--no-progress",
        ],
        env=dict(os.environ),
    )
    checkpoint = killed_folder / "out" / "lammps_checkpoint.npz"
    while not checkpoint.exists() and process.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # let it run on past the checkpoint
    process.send_signal(signal.SIGKILL)
    process.wait()
    resumed = run(RunConfig.from_toml(path))
    assert resumed.resumed_from is not None and resumed.resumed_from < 40
    whole = run(
        RunConfig.from_toml(
            write_toml(whole_folder, w_vacancy_settings(cheap_npz, **sections))
        )
    )
    np.testing.assert_allclose(
        thermo_rows(killed_folder / "out"),
        thermo_rows(whole_folder / "out"),
        rtol=0,
        atol=1e-8,
    )
    assert frame_steps(killed_folder / "out") == list(range(0, 41, 4))
    shift = resumed.atoms.positions - whole.atoms.positions
    cell = whole.atoms.cell.array
    shift -= np.round(shift @ np.linalg.inv(cell)) @ cell
    assert np.abs(shift).max() < 1e-8


def test_npt_runs_in_energy_mode(tmp_path, cheap_npz):
    """LAMMPS fix npt on the mixed virial: the box shrinks under 5 GPa."""
    from ase.io import read

    config = config_in(
        tmp_path,
        cheap_npz,
        dynamics={
            "integrator": "npt",
            "steps": 40,
            "pressure_GPa": 5.0,
            "taup_fs": 100.0,
        },
    )
    result = run(config)
    assert result.finished
    frames = read(tmp_path / "out" / DUMP, ":", format="lammps-dump-text")
    # W (B ≈ 310 GPa) heads for 1.6% less volume; 80 fs is part of the way.
    assert frames[-1].get_volume() < 0.998 * frames[0].get_volume()


def run_in_both_engines(tmp_path, settings: dict) -> None:
    """Run the same settings in ``tmp_path/lammps`` and ``tmp_path/ase``."""
    from mixpot.engines import ase as ase_engine

    for engine, runner in (("lammps", run), ("ase", ase_engine.run)):
        folder = tmp_path / engine
        folder.mkdir()
        runner(RunConfig.from_toml(write_toml(folder, settings)))


def dump_forces(dump_path) -> list[np.ndarray]:
    """Forces (``fx fy fz`` columns) by atom ID of every frame of a dump."""
    lines = dump_path.read_text().splitlines()
    frames = []
    for i, line in enumerate(lines):
        if not line.startswith("ITEM: ATOMS"):
            continue
        columns = line.split()[2:]
        n_atoms = int(lines[i - 5])
        rows = np.array([row.split() for row in lines[i + 1 : i + 1 + n_atoms]])
        ids = rows[:, columns.index("id")].astype(int)
        picked = [columns.index(name) for name in ("fx", "fy", "fz")]
        frames.append(rows[:, picked].astype(float)[np.argsort(ids)])
    return frames


def first_frame_lambda(dump_path) -> np.ndarray:
    """λ by atom ID of the first frame of the LAMMPS dump (last column)."""
    lines = dump_path.read_text().splitlines()
    n_atoms = int(lines[3])
    rows = [line.split() for line in lines[9 : 9 + n_atoms]]
    ids = np.array([int(row[0]) for row in rows])
    return np.array([float(row[-1]) for row in rows])[np.argsort(ids)]


def test_uncertainty_regions_are_those_of_the_ase_engine(tmp_path, cheap_npz):
    """With ``criterion = {name = "uncertainty"}`` and the threshold stored in
    the cheap potential's .npz (no second path), the LAMMPS and the ASE
    engines start from the same λ, with seeds.
    """
    from ase.build import bulk
    from ase.io import read

    from mixpot.potentials import LinearPotential

    frames = []
    for seed in range(4):  # like cheap_npz's own training cells
        atoms = bulk("W", "bcc", a=3.1803, cubic=True) * 2
        atoms.rattle(0.1, seed=seed)
        frames.append(atoms)
    cheap = LinearPotential.load(cheap_npz).with_uncertainty_threshold(frames)
    cheap_path = cheap.save(tmp_path / "cheap_with_threshold.npz")
    settings = w_vacancy_settings(
        cheap_path,
        regions={"criterion": {"name": "uncertainty"}},
        dynamics={"steps": 2},
        output={"trajectory_every": 2, "thermo_every": 1, "checkpoint_every": 0},
    )
    del settings["regions"]["criterion_bounds"]
    run_in_both_engines(tmp_path, settings)
    lammps_lambda = first_frame_lambda(tmp_path / "lammps" / "out" / DUMP)
    ase_lambda = read(tmp_path / "ase" / "out" / "trajectory.extxyz", 0).arrays[
        "lambda"
    ]
    assert np.count_nonzero(ase_lambda == 1) > 0
    np.testing.assert_allclose(lammps_lambda, ase_lambda, atol=1e-9)


def test_multiple_time_step_run_follows_the_ase_engine(tmp_path, cheap_npz):
    """With ``expensive_every = 2`` LAMMPS' thermo energies are the ASE engine's.

    8 NVE steps; the energies are the cheap energy plus the last correction,
    and the total energy, step by step. Temperatures differ by LAMMPS' 3N − 3
    degrees of freedom against ASE's 3N.
    """
    from ase.io import read

    settings = w_vacancy_settings(
        cheap_npz,
        mixing={"mode": "energy", "expensive_every": 2},
        dynamics={"integrator": "nve", "steps": 8},
        output={"trajectory_every": 1, "thermo_every": 1, "checkpoint_every": 0},
    )
    run_in_both_engines(tmp_path, settings)
    lammps_rows = thermo_rows(tmp_path / "lammps" / "out")
    ase_rows = thermo_rows(tmp_path / "ase" / "out")
    np.testing.assert_array_equal(lammps_rows[:, 0], np.arange(9))
    np.testing.assert_allclose(lammps_rows[:, 3:5], ase_rows[:, 3:5], rtol=1e-8)
    # Saved forces: the mixed ones (cheap plus the last correction) in both.
    lammps_forces = dump_forces(tmp_path / "lammps" / "out" / DUMP)
    ase_frames = read(tmp_path / "ase" / "out" / TRAJECTORY, ":")
    ase_forces = [frame.get_forces() for frame in ase_frames]
    assert len(lammps_forces) == len(ase_forces) == 9
    for lammps_frame, ase_frame in zip(lammps_forces, ase_forces, strict=True):
        # The dump's default format keeps 6 significant digits.
        np.testing.assert_allclose(lammps_frame, ase_frame, rtol=1e-5, atol=1e-6)
    # Total energy at the correction steps: within 1 meV/atom, as the other
    # NVE tests ask (127 atoms).
    assert np.ptp(lammps_rows[::2, 4]) / 127 < 1e-3


def test_regions_off_the_multiple_time_step_beat_are_refused(tmp_path, cheap_npz):
    config = config_in(
        tmp_path,
        cheap_npz,
        mixing={"mode": "energy", "expensive_every": 4},
        dynamics={"integrator": "nve", "steps": 8},
    )
    with pytest.raises(ConfigError, match=r"n_every.*\(2\) must be a multiple"):
        run(config)
