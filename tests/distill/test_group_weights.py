"""Tests of mixpot.distill.group_weights and its use in row_weights.

Contracts: the host is the most common element; a configuration with any
other element holds a solute and its energy row is weighted as a total
energy; group multipliers apply to every row of a group, the longest prefix
winning; bad settings are refused by FitSettings.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from mixpot.descriptors import SNAP
from mixpot.distill.fitting import FitSettings, row_weights
from mixpot.distill.group_weights import group_factor, holds_solute, host_element


def cells():
    host = bulk("W", "bcc", a=3.17, cubic=True) * 2
    host.info["group"] = "md_300K"
    solute = host.copy()
    solute[0].symbol = "He"
    solute.info["group"] = "substitution_He"
    return [host, solute]


def test_host_is_the_most_common_element():
    """31 W and 1 He: W is the host; only the He cell holds a solute."""
    assert host_element(cells()) == "W"
    assert holds_solute(cells()).tolist() == [False, True]


def test_longest_group_prefix_wins():
    """'substitution_He' beats 'sub' for a substitution_He configuration."""
    factors = group_factor(cells(), {"sub": 2.0, "substitution_He": 5.0})
    assert factors.tolist() == [1.0, 5.0]


def test_solute_energy_row_is_weighted_as_a_total_energy():
    """The He cell's energy row gets weight 30/eV² (not 30/N²); the host cell's
    keeps 30/N²; group_weights multiply every row of their group.
    """
    configs = cells()
    rows = SNAP(["W", "He"], [0.5, 0.5], twojmax=2).rows(configs)
    settings = FitSettings(solute_energy_weight=30.0, group_weights={"md": 0.5})
    weights = row_weights(rows, configs, settings)
    energy = np.flatnonzero(rows.kind == "energy")
    assert weights[energy[0]] == pytest.approx(0.5 * 30.0 / 16**2)
    assert weights[energy[1]] == pytest.approx(30.0)


@pytest.mark.parametrize("bad", [{"md": -1.0}, {"md": "x"}, ["md"]])
def test_bad_group_weights_are_refused(bad):
    """Negative, non-numeric or non-mapping group weights raise ValueError."""
    with pytest.raises(ValueError, match="'group_weights' parameter of FitSettings"):
        FitSettings(group_weights=bad)


def test_isolated_atom_holds_a_solute():
    """An isolated He atom counts as a solute configuration."""
    configs = [*cells(), Atoms("He", cell=[16.0] * 3, pbc=True)]
    assert holds_solute(configs).tolist() == [False, True, True]
