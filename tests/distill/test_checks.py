"""Tests of mixpot.distill.checks: bad input caught before expensive work.

Contracts: a mis-cased symbol gets the right one suggested, an unknown one
is named; a lattice constant whose nearest-neighbour distance is far from
the element's known one, or at which the expensive model puts the perfect
crystal under a huge pressure, is refused with advice; a plausible one passes.
"""

from __future__ import annotations

import pytest

from mixpot.distill.checks import check_crystal, check_elements


def test_mis_cased_symbol_gets_a_suggestion():
    """'w' and 'HE' are not symbols; the message suggests 'W' and 'He'."""
    for given, right in (("w", "W"), ("HE", "He")):
        with pytest.raises(ValueError, match=f"did you mean '{right}'"):
            check_elements([given])


def test_unknown_symbol_is_named():
    """'Xx' is no element: the message names it."""
    with pytest.raises(ValueError, match="Got 'Xx', which is no element"):
        check_elements(["W", "Xx"])


def test_repeated_symbol_is_refused():
    """A host listed twice is a mistake, not two elements."""
    with pytest.raises(ValueError, match="distinct"):
        check_elements(["W", "W"])


def test_plausible_lattice_constant_passes(w_eam):
    """W at 3.165 Å: bound, no forces, small pressure: no error."""
    check_crystal(w_eam, "W", "bcc", 3.165)


def test_neighbour_distance_far_off_is_refused_without_evaluation(w_eam):
    """At a = 2.0 Å W neighbours are 1.73 Å apart (0.63 × 2.74 Å): refused,
    with the advice to check or leave out the lattice constant.
    """
    with pytest.raises(ValueError, match=r"1\.732 Å apart, 0\.63 ×.*leave it out"):
        check_crystal(w_eam, "W", "bcc", 2.0)


def test_huge_pressure_is_refused(w_eam):
    """At a = 2.75 Å the distance check passes (0.87 ×) but the expensive model
    puts the crystal above 100 GPa: refused, naming the pressure.
    """
    with pytest.raises(ValueError, match="pressure of .* GPa"):
        check_crystal(w_eam, "W", "bcc", 2.75)
