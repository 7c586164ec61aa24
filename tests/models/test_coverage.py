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
