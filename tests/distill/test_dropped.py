"""Tests of mixpot.distill.dropped: rows left out of the fit are accounted for.

The case of issue 11: the W–He expensive model (W SNAP that does not see He,
plus W–He and He–He pair tables) puts forces of ~20 meV/Å on W atoms
beyond the reach of a substitutional He's own descriptor. A cheap SNAP that
weighs He like W sees a perfect crystal there: those force rows vanish and
are dropped, and the summary must say they carry real labels. Weighing He
apart from W makes the rows fittable: none is dropped with a real label.
"""

from __future__ import annotations

import numpy as np
import pytest

from mixpot.descriptors import SNAP
from mixpot.distill.dropped import dropped_summary, report_scale, vanishing_rows
from mixpot.distill.labelling import labelled_copy
from mixpot.distill.solutes import substitution_cell
from mixpot.models import expensive_calculator


@pytest.fixture(scope="module")
def he_substitution():
    """The ideal 54-atom He substitution cell, labelled by W–He."""
    cell = substitution_cell("W", "bcc", 3.18, 3, "He")
    return labelled_copy(cell, expensive_calculator("lammps:W_He"))


def summary_for(snap, labelled):
    rows = snap.rows([labelled])
    target = rows.targets_from([labelled])
    dropped = vanishing_rows(rows.X, rows.kind)
    return dropped_summary(rows.kind, target, dropped, report_scale(rows))


def test_equal_weights_drop_rows_with_real_labels(he_substitution):
    """He weighed like W: W force rows beyond He's cutoff vanish although the
    expensive model puts 20 meV/Å there; the summary counts them.
    """
    summary = summary_for(SNAP(["W", "He"], [0.5, 0.5]), he_substitution)
    assert summary["force"]["n_nonzero_label"] > 0
    assert summary["force"]["max_abs_label"] > 10.0  # meV/Å


def test_distinct_solute_weight_keeps_those_rows(he_substitution):
    """He weighed 0.3: the same rows see the solute; none with a real label is
    dropped (only round-off ones, at symmetric sites).
    """
    summary = summary_for(
        SNAP(["W", "He"], [0.5, 0.5], weights=[1, 0.3]), he_substitution
    )
    assert summary.get("force", {"n_nonzero_label": 0})["n_nonzero_label"] == 0


def test_summary_splits_round_off_from_real_labels():
    """Of two dropped rows, the 1e-9 one is round-off, the 0.02 one is not."""
    kind = np.array(["force"] * 4)
    summary = dropped_summary(
        kind,
        np.array([0.5, -0.4, 1e-9, 0.02]),
        np.array([False, False, True, True]),
        np.full(4, 1e3),
    )
    assert summary["force"] == {
        "n_rows": 4,
        "n_dropped": 2,
        "n_nonzero_label": 1,
        "max_abs_label": pytest.approx(20.0),
    }
