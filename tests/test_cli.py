"""The command line (src/mixpot/cli.py) and its demo (src/mixpot/demo.py)."""

import pytest

from mixpot.cli import main


def test_demo_writes_table_plot_and_model(tmp_path, capsys):
    """`mixpot demo` prints a coverage table and writes a plot and a model file."""
    assert main(["demo", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "| runge | POPS bounds | 1.000 |" in printed
    assert (tmp_path / "pops_bounds.png").stat().st_size > 10_000
    assert (tmp_path / "pops_sin10.npz").exists()


def test_no_command_prints_help(capsys):
    """Without a subcommand the CLI shows its help and exits with 2."""
    assert main([]) == 2
    assert "usage: mixpot" in capsys.readouterr().out


def test_unknown_command_is_an_error():
    """Argparse rejects an unknown subcommand."""
    with pytest.raises(SystemExit):
        main(["frobnicate"])
