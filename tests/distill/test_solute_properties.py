"""Tests of mixpot.distill.solute_properties with the W–He potential.

Physics checked: He in W prefers a vacancy (substitutional) over the
tetrahedral interstitial site, and the tetrahedral over the octahedral site,
as DFT finds and the Juslin–Wirth W–He potential was fitted to reproduce;
He binds to a vacancy next to it. Small (16-atom) cells keep it fast: the
orderings hold there too.
"""

from __future__ import annotations

import pytest

from mixpot.distill.solute_properties import solute_properties, solute_property_lines
from mixpot.models import expensive_calculator


@pytest.fixture(scope="module")
def he_in_w():
    calc = expensive_calculator("lammps:W_He")
    return solute_properties(calc, "W", "bcc", 3.18, "He", repeat=2)


def test_he_site_preference_is_vacancy_then_tetrahedral_then_octahedral(he_in_w):
    """E_sub < E_tet < E_oct, all positive (He is insoluble in W)."""
    sub = he_in_w["He.solution_substitutional"]
    tet = he_in_w["He.solution_tetrahedral"]
    oct_ = he_in_w["He.solution_octahedral"]
    assert 0 < sub < tet < oct_


def test_he_binds_to_a_vacancy(he_in_w):
    """Both bindings are positive: a substitutional He next to a vacancy, and
    an interstitial He falling into one (several eV, as in DFT).
    """
    assert he_in_w["He.solute_vacancy_binding"] > 0
    assert he_in_w["He.vacancy_trapping"] > 2.0


def test_report_lines_name_each_property(he_in_w):
    """Every solute property gets one row of the report's property table."""
    lines = solute_property_lines({"expensive": he_in_w, "cheap": he_in_w})
    assert len(lines) == 5 and all(line.startswith("| He: ") for line in lines)
