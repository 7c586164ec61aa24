"""The command line (src/mixpot/cli.py) and its demo (src/mixpot/demo.py)."""

import json

import pytest

from mixpot.cli import main


def test_demo_runs_the_pipeline_end_to_end(tmp_path, capsys):
    """`mixpot demo` prints the POPS coverage table, distils W (cheap lattice
    constant within 0.2% of the expensive one) and runs energy-mixed NVE with
    a small drift; it writes the plot, the model and the report.
    """
    assert main(["demo", "--out", str(tmp_path)]) == 0
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
    from mixpot.cli import DEFAULT_RECIPE, _distill_settings, _parser

    toml = tmp_path / "fit.toml"
    toml.write_text("[fit]\natom_energy_weight = 1.0\n")
    args = _parser().parse_args(
        ["distill", "--element", "W", "--out", str(tmp_path), "--recipe", str(toml)]
    )
    values = _distill_settings(args)
    assert values["fit"] == {"atom_energy_weight": 1.0}
    for key, value in DEFAULT_RECIPE.items():
        assert values["recipe"][key] == value
