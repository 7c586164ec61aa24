"""Tests of mixpot.models.coverage: which elements a calculator covers.

Contract: the covered elements come from what each calculator keeps (LAMMPS
type map, a mixpot SNAP's descriptor); unknown calculators say nothing and
are not refused; a missing element is named in the error.
"""

from __future__ import annotations

import pytest
from ase.calculators.emt import EMT

from mixpot.models import (
    check_covers,
    covered_elements,
    expensive_calculator,
    shipped_tungsten,
)


def test_lammps_type_map_is_the_coverage():
    """The W–He include covers W and He, in type order."""
    assert covered_elements(expensive_calculator("lammps:W_He")) == ["W", "He"]


def test_snap_calculator_covers_its_descriptor_elements():
    """A mixpot SnapCalculator covers the elements of its descriptor."""
    assert covered_elements(shipped_tungsten().calculator()) == ["W"]


def test_unknown_calculator_is_not_refused():
    """EMT keeps no element list: nothing to check, no error."""
    assert covered_elements(EMT()) is None
    check_covers(EMT(), ["Cu", "He"], "EMT")


def test_missing_element_is_named():
    """A W-only SNAP asked for He raises, naming He and the role."""
    with pytest.raises(ValueError, match=r"The cheap model covers only \['W'\]"):
        check_covers(shipped_tungsten().calculator(), ["W", "He"], "The cheap model")


def he_in_tungsten():
    from ase.build import bulk

    atoms = bulk("W", "bcc", a=3.17, cubic=True) * 3
    atoms[7].symbol = "He"
    return atoms


@pytest.mark.parametrize(
    ("expensive", "cheap", "role"),
    [("lammps:W_snap", "lammps:W_He", "expensive"), ("lammps:W_He", None, "cheap")],
)
def test_mixed_calculator_refuses_an_uncovered_element(expensive, cheap, role):
    """A He atom in a mixed system whose expensive LAMMPSlib model (or cheap
    SNAP) covers only W fails before either potential runs, naming the role.
    """
    from mixpot.mixing import MixedCalculator, Regions

    cheap_calc = (
        shipped_tungsten().calculator()
        if cheap is None
        else expensive_calculator(cheap)
    )
    atoms = he_in_tungsten()
    atoms.calc = MixedCalculator(
        expensive_calculator(expensive), cheap_calc, Regions([0], r_buff=5.0)
    )
    with pytest.raises(ValueError, match=rf"The {role} potential .* covers only"):
        atoms.get_forces()
