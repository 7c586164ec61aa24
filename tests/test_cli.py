"""The command line (src/mixpot/cli.py) and the quick demo (demo/quick.py)."""

import json

import pytest

from mixpot.cli import main


def test_demo_runs_the_pipeline_end_to_end(tmp_path, capsys):
    """`mixpot demo` prints the POPS coverage table, distils W (cheap lattice
    constant within 0.2% of the expensive one) and runs energy-mixed NVE with
    a small drift; it writes the plot, the model and the report.
    """
    assert main(["demo", "--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    # The default (ellipsoid) bounds: test coverage ≥ 0.99 (issue 10's goal).
    runge_row = printed.split("| runge | POPS bounds | ")[1]
    assert float(runge_row.split(" |")[0]) >= 0.99
    assert (tmp_path / "pops" / "pops_bounds.png").stat().st_size > 10_000
    assert (tmp_path / "pops" / "pops_sin10.npz").exists()
    report = json.loads((tmp_path / "distill" / "report.json").read_text())
    props = report["properties"]
    assert props["cheap"]["lattice_constant"] == pytest.approx(
        props["expensive"]["lattice_constant"], rel=2e-3
    )
    drift = float(printed.split("energy drift ")[1].split(" meV/atom")[0])
    assert abs(drift) < 0.1


def test_no_command_prints_help(capsys):
    """Without a subcommand the CLI shows its help and exits with 2."""
    assert main([]) == 2
    assert "usage: mixpot" in capsys.readouterr().out


def test_unknown_command_is_an_error():
    """Argparse rejects an unknown subcommand."""
    with pytest.raises(SystemExit):
        main(["frobnicate"])


W_EAM = "lammps:pair_style eam/alloy;pair_coeff * * W_zhou.eam.alloy W"


def test_distill_end_to_end_writes_the_report(tmp_path, capsys):
    """`mixpot distill` runs from the command line into a folder and leaves
    the report, the dataset and the cheap model there; `mixpot report`
    rewrites the same numbers from those files.
    """
    out = tmp_path / "W_cheap"
    argv = [
        "distill",
        "--expensive",
        W_EAM,
        "--element",
        "W",
        "--out",
        str(out),
        "--repeat",
        "2",
        "--frames",
        "2",
        "--twojmax",
        "4",
        "--ensemble",
        "1",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "# Distillation report" in printed and "E_vac (eV)" in printed
    for name in (
        "report.md",
        "report.json",
        "parity.png",
        "dataset.extxyz",
        "potential.npz",
        "lammps/cheap.snapcoeff",
    ):
        assert (out / name).exists(), name
    before = json.loads((out / "report.json").read_text())
    assert main(["report", str(out)]) == 0
    after = json.loads((out / "report.json").read_text())
    for kind, scores in before["train"].items():
        assert after["train"][kind] == pytest.approx(scores)
    assert after["properties"] == before["properties"]


def test_report_of_a_folder_without_a_run(tmp_path, capsys):
    """`mixpot report` on a folder that holds no run says what is missing."""
    assert main(["report", str(tmp_path)]) == 2
    assert "distill.json is missing" in capsys.readouterr().err


def test_distill_with_a_bad_recipe_key(tmp_path, capsys):
    """A misspelt key in the TOML recipe is an error naming the key."""
    recipe = tmp_path / "recipe.toml"
    recipe.write_text('expensive = "lammps:W_zhou"\n[recipe]\nelement = "W"\n')
    assert main(["distill", "--recipe", str(recipe), "--out", str(tmp_path)]) == 2
    assert "unknown keys ['element']" in capsys.readouterr().err


def test_toml_without_recipe_table_keeps_the_default_recipe(tmp_path):
    """A TOML that sets only [fit] changes the fit, not the sampling recipe."""
    from mixpot.cli import _distill_settings, _parser
    from mixpot.distill import DEFAULT_RECIPE

    toml = tmp_path / "fit.toml"
    toml.write_text("[fit]\natom_energy_weight = 1.0\n")
    args = _parser().parse_args(
        ["distill", "--element", "W", "--out", str(tmp_path), "--recipe", str(toml)]
    )
    values = _distill_settings(args)
    assert values["fit"] == {"atom_energy_weight": 1.0}
    for key, value in DEFAULT_RECIPE.items():
        assert values["recipe"][key] == value


W_HE_RECIPE = """
expensive = "lammps:include W_2940_2017_2_He_JW2013.snap"
n_ensemble = 2
solute_repeat = 2

[recipe]
elements = ["W", "He"]
lattice = "bcc"
repeat = 2
temperatures = [600.0]
n_frames = 4
timestep = 2.0
frame_interval = 20.0
n_strains = 5
n_rattled = 3
defects = ["vacancy", "substitution:He", "interstitial:He:tetrahedral",
           "interstitial:He:octahedral", "solute-vacancy:He", "cluster:He:2"]
n_defect_rattled = 2
n_defect_frames = 2
"""


def test_two_element_distillation_keeps_the_he_energies(tmp_path, capsys):
    """`mixpot distill` of W–He from the wheel's W_2940_2017_2_He_JW2013 file
    (an include with a NULL type, completed from the recipe's elements) on
    16-atom cells: the cheap He solution energies (substitutional,
    tetrahedral, octahedral) are within 0.1 eV of the expensive model's
    (measured: 0.06 eV at most) with the tetrahedral site below the
    octahedral one; host properties are computed for W; the report counts
    the configurations of each kind and says which rows were left out.
    """
    recipe = tmp_path / "w_he.toml"
    recipe.write_text(W_HE_RECIPE)
    out = tmp_path / "w_he"
    assert main(["distill", "--recipe", str(recipe), "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    expensive, cheap = report["properties"]["expensive"], report["properties"]["cheap"]
    for site in ("substitutional", "tetrahedral", "octahedral"):
        key = f"He.solution_{site}"
        assert cheap[key] == pytest.approx(expensive[key], abs=0.1), key
    assert cheap["He.solution_tetrahedral"] < cheap["He.solution_octahedral"]
    assert cheap["lattice_constant"] == pytest.approx(
        expensive["lattice_constant"], rel=1e-3
    )
    counts = report["n_configurations_by_group"]
    assert counts["interstitial_He_tetrahedral"] == 3 and counts["isolated_He"] == 1
    assert report["train_by_group"]["cluster_He2_tetrahedral"]["n_configurations"] == 3
    markdown = (out / "report.md").read_text()
    assert "He: E_sol tetrahedral (eV)" in markdown
    assert "Training errors by group" in markdown and "left out of the fit" in markdown


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--element", "Xx", "--expensive", "lammps:W_zhou"], "'Xx', which is no"),
        (["--element", "w", "--expensive", "lammps:W_zhou"], "did you mean 'W'"),
        (
            [
                "--element",
                "W",
                "--expensive",
                "lammps:pair_style eam/alloy;pair_coeff * * no_such.eam.alloy W",
            ],
            "'no_such.eam.alloy' not found",
        ),
        (["--elements", "W", "He", "--expensive", "lammps:W_zhou"], "['He']"),
        (
            [
                "--element",
                "W",
                "--expensive",
                "lammps:W_zhou",
                "--lattice-constant",
                "2",
            ],
            "puts nearest neighbours 1.732 Å apart",
        ),
    ],
    ids=["unknown", "lower-case", "missing-file", "element-lacking", "lattice"],
)
def test_bad_distill_input_is_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    """Each common mistake: exit code 2, one line on stderr naming the problem,
    no traceback, and nothing sampled (it is caught before expensive work).
    """
    out = tmp_path / "out"
    assert main(["distill", "--out", str(out), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not (out / "configurations.extxyz").exists()


def test_verbose_shows_the_traceback(tmp_path):
    """With --verbose the error propagates (for a bug report)."""
    with pytest.raises(ValueError, match="did you mean"):
        main(["-v", "distill", "--out", str(tmp_path), "--element", "w"])


@pytest.mark.parametrize(
    ("options", "mode"),
    [
        ([], None),
        (["--elastic-constraint", "soft"], "soft"),
        (["--no-strain-constraint"], "off"),
    ],
)
def test_elastic_constraint_option_sets_the_fit_mode(tmp_path, options, mode):
    """--elastic-constraint picks the mode; --no-strain-constraint means "off";
    without either the fit keeps its default ("exact").
    """
    from mixpot.cli import _distill_settings, _parser

    args = _parser().parse_args(
        ["distill", "--element", "W", "--out", str(tmp_path), *options]
    )
    assert _distill_settings(args).get("fit", {}).get("elastic_constraint") == mode


# ---------------------------------------------------------------- mixpot run
def run_settings(cheap_path, **sections):
    from .run.conftest import w_vacancy_settings

    return w_vacancy_settings(cheap_path, **sections)


def test_run_writes_the_output_and_a_rerun_says_complete(tmp_path, capsys, cheap_npz):
    """`mixpot run` writes trajectory, thermo, log, resolved configuration and
    checkpoint; the same command again computes nothing and says so.
    """
    from .run.conftest import write_toml

    path = write_toml(tmp_path, run_settings(cheap_npz, dynamics={"steps": 2}))
    assert main(["run", "--no-progress", str(path)]) == 0
    assert "run complete: 2 steps" in capsys.readouterr().out
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == [
        "checkpoint.npz",
        "config.toml",
        "run.log",
        "thermo.dat",
        "trajectory.extxyz",
    ]
    assert "run finished at step 2" in (tmp_path / "out" / "run.log").read_text()
    assert main(["run", "--no-progress", str(path)]) == 0
    assert "is complete (2 steps); nothing to do" in capsys.readouterr().out


def test_run_dry_run_prints_settings_and_region_sizes(tmp_path, capsys, cheap_npz):
    """--dry-run prints the resolved TOML, the region sizes on the initial
    structure and the cost per step, and runs nothing.
    """
    from .run.conftest import write_toml

    path = write_toml(tmp_path, run_settings(cheap_npz))
    assert main(["run", "--dry-run", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "[regions]" in printed and f'folder = "{tmp_path / "out"}"' in printed
    assert "127 atoms, 8 core (λ = 1)" in printed
    assert "cost per step: expensive" in printed
    assert not (tmp_path / "out").exists()


def test_run_with_a_bad_field_prints_one_line_and_exits_2(tmp_path, capsys, cheap_npz):
    """A configuration error is one line `mixpot run: ...` and exit code 2."""
    from .run.conftest import write_toml

    path = write_toml(tmp_path, run_settings(cheap_npz, regions={"r_core": -1.0}))
    assert main(["run", str(path)]) == 2
    error = capsys.readouterr().err
    assert error == (
        "mixpot run: [regions] The 'r_core' parameter of Regions must be a "
        "distance >= 0 Å. Got -1.0.\n"
    )


def test_run_of_a_missing_file_exits_2(tmp_path, capsys):
    """A configuration file that does not exist is named."""
    assert main(["run", str(tmp_path / "nothing.toml")]) == 2
    assert "nothing.toml' does not exist" in capsys.readouterr().err


def test_killed_run_continues_from_its_checkpoint(tmp_path, cheap_npz):
    """`mixpot run` killed (SIGKILL) after its first checkpoint, then rerun,
    continues from that checkpoint and ends where an uninterrupted run does
    (to 1e-12 Å: LAMMPS neighbour-list order, see tests/engines/test_ase.py).
    """
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    import numpy as np

    from mixpot.engines.ase import run
    from mixpot.run import RunConfig

    from .run.conftest import write_toml

    settings = run_settings(cheap_npz, dynamics={"steps": 12})
    path = write_toml(tmp_path, settings)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mixpot", "run", "--no-progress", str(path)], env=env
    )
    checkpoint = tmp_path / "out" / "checkpoint.npz"
    while not checkpoint.exists() and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    resumed = run(RunConfig.from_toml(path))
    assert resumed.resumed_from is not None and 3 <= resumed.resumed_from < 12
    whole = run(RunConfig.from_dict(settings, base=tmp_path / "whole"))
    np.testing.assert_allclose(
        resumed.atoms.positions, whole.atoms.positions, atol=1e-12
    )
    rows = np.loadtxt(tmp_path / "out" / "thermo.dat")
    assert rows[:, 0].tolist() == list(range(13))
