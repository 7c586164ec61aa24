"""Tests of mixpot.distill.groups: errors per group and the outlier warning.

Contracts: the per-configuration energy error is the per-atom one times the
atoms of the configuration; a group far above the median is named, groups
within the spread are not, and a single group is never an outlier.
"""

from __future__ import annotations

import numpy as np
import pytest

from mixpot.distill.groups import energy_outliers, group_lines, group_scores
from mixpot.distill.report import RowPredictions


def predictions():
    kind = np.array(["energy", "force", "energy", "energy", "force"])
    group = np.array(["md_300K", "md_300K", "sub_He", "sub_He", "sub_He"])
    target = np.zeros(5)
    mean = np.array([1.0, 10.0, 3.0, -4.0, 20.0])
    zeros = np.zeros(5)
    return RowPredictions(
        kind, group, target, mean, zeros, zeros, zeros, n_atoms=np.full(5, 54)
    )


def test_group_scores_give_totals_and_counts():
    """sub_He: two configurations, RMSE 3.54 meV/atom, i.e. 191 meV per cell."""
    table = group_scores(predictions())
    assert table["sub_He"]["n_configurations"] == 2
    assert table["sub_He"]["energy_rmse"] == pytest.approx(np.sqrt(12.5))
    assert table["sub_He"]["energy_rmse_total"] == pytest.approx(54 * np.sqrt(12.5))
    assert table["md_300K"]["force_rmse"] == pytest.approx(10.0)


def test_far_group_is_an_outlier_and_close_ones_are_not():
    """60 meV/atom among groups of 1–2 is named; 1–2 among themselves not."""
    table = {"a": {"energy_rmse": 1.0}, "b": {"energy_rmse": 2.0}}
    assert energy_outliers(table) == []
    table["c"] = {"energy_rmse": 60.0}
    assert energy_outliers(table) == ["c"]


def test_small_errors_are_never_outliers():
    """Below the 2 meV/atom floor nothing is flagged, however uneven."""
    table = {"a": {"energy_rmse": 0.01}, "b": {"energy_rmse": 1.5}}
    assert energy_outliers(table) == []


def test_markdown_table_has_a_row_per_group():
    """The report table lists every group with its configuration count."""
    lines = group_lines("Training errors by group", group_scores(predictions()))
    assert lines[0] == "## Training errors by group"
    assert any(line.startswith("| sub_He | 2 |") for line in lines)
