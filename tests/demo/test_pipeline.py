"""The full demo (src/mixpot/demo/pipeline.py), with a fast expensive model.

``mixpot demo`` runs it with SevenNet-0 (minutes); here the SNAP shipped
with LAMMPS stands in (force mode, two cutoffs of buffer), on a small box,
so that every stage runs: distillation, mixed MD of a crowdion with
uncertainty regions (the expensive correction every 2 steps), the check of
a saved frame, plots and summary, and a rerun that reuses what is there.
"""

import json

import numpy as np
import pytest

from mixpot.demo import DemoSettings, projected_speedup, run_demo

SMALL = DemoSettings(
    expensive="lammps:W_snap",
    mode="force",
    r_buff=9.7,
    repeat=5,
    steps=4,
    expensive_every=2,
    n_every=2,
    trajectory_every=2,
    recipe={
        "repeat": 2,
        "temperatures": [300.0, 600.0],
        "n_frames": 3,
        "timestep": 2.0,
        "frame_interval": 20.0,
        "defects": ["vacancy"],
    },
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, run_demo(out, SMALL)


def test_every_stage_writes_its_files(demo):
    """The report folder holds the summary, every plot, the trajectory with
    λ, the rerunnable run.toml and the cheap potential's LAMMPS files.
    """
    out, numbers = demo
    assert (out / "summary.md").read_text().startswith("# mixpot demo")
    for name in numbers["figures"]:
        assert (out / name).stat().st_size > 5_000, name
    assert set(numbers["figures"]) >= {"calibration.png", "lambda_over_time.png"}
    assert "lambda" in (out / "md" / "trajectory.extxyz").read_text().splitlines()[1]
    assert (out / "md" / "run.toml").exists()
    assert (out / "distill" / "lammps" / "cheap.lammps").exists()


def test_uncertainty_region_covers_the_crowdion(demo):
    """The crowdion (never in the training set) is inside the expensive
    region: most atoms with a large cheap force error have λ > 0, and in the
    core the mixed forces are the expensive model's.
    """
    _, numbers = demo
    accuracy = numbers["accuracy"]
    assert accuracy["n_large_cheap_errors"] > 0
    assert accuracy["recall"] >= 0.8
    core = accuracy["core_force_rmse_meV_per_A"]
    # Two cutoffs of buffer make the core exact; the saved frame's forces
    # carry extxyz's ~8 significant digits (1e-5 meV/Å on 1 eV/Å).
    assert core["mixed"] < 1e-3 < 10.0 < core["cheap"]


def test_saved_frames_must_be_expensive_steps():
    """The frame check needs exact mixed forces: frames at expensive steps."""
    with pytest.raises(ValueError, match="multiple of expensive_every"):
        DemoSettings(expensive_every=5, trajectory_every=4)


def test_rerun_reuses_the_results(demo):
    """A second run on the same folder keeps the MD and the frame check."""
    out, numbers = demo
    again = run_demo(out, SMALL)
    assert again["accuracy"] == numbers["accuracy"]
    assert (
        json.loads((out / "summary.json").read_text())["accuracy"] == again["accuracy"]
    )


def test_projected_speedup_follows_the_cost_model():
    """Speedup = expensive·N / (fixed + cheap·N): tends to expensive/cheap."""
    speedup = projected_speedup([1e3, 1e9], 0.01, 1e-4, 5.0)
    np.testing.assert_allclose(speedup, [10 / 5.1, 100.0], rtol=1e-4)
