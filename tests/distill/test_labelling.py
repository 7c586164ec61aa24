"""Tests of mixpot.distill.labelling: the resumable labelled dataset.

Contracts checked: stored energies, forces and stresses equal a direct
calculation; a killed run resumes without recomputing any label and ends
with a file identical to an uninterrupted run; a partial last frame is cut
off; a file from another configuration list is refused; a configuration on
which the model fails or returns NaN is reported, recorded and never written.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
from ase.build import bulk
from ase.io import read

from mixpot.distill import config_id, label, labelled_copy, skipped_path

from .conftest import SimulatedKill, WrappedCalculator


@pytest.fixture(scope="module")
def reference_file(configurations, w_eam, tmp_path_factory):
    """The dataset of an uninterrupted run."""
    path = tmp_path_factory.mktemp("reference") / "dataset.xyz"
    label(configurations, w_eam, path, progress=False)
    return path


def test_labels_equal_direct_calculation(configurations, w_eam, reference_file):
    """Stored E, F, stress equal the model's on the original configurations."""
    stored = read(reference_file, index=":")
    assert len(stored) == len(configurations)
    for index, (atoms, labelled) in enumerate(zip(configurations, stored, strict=True)):
        direct = atoms.copy()
        direct.calc = w_eam
        assert labelled.info["config_id"] == config_id(index, atoms)
        assert labelled.info["group"] == atoms.info["group"]
        assert labelled.get_potential_energy() == pytest.approx(
            direct.get_potential_energy(), rel=1e-12
        )
        np.testing.assert_allclose(
            labelled.get_forces(), direct.get_forces(), atol=1e-7
        )
        np.testing.assert_allclose(
            labelled.get_stress(), direct.get_stress(), atol=1e-12
        )
        np.testing.assert_allclose(labelled.positions, atoms.positions, atol=1e-7)


def test_returned_dataset_is_the_file(configurations, w_eam, tmp_path, capsys):
    """The returned dataset is the frames as stored, in order; a bar shows ETA."""
    dataset = label(configurations, w_eam, tmp_path / "d.xyz", progress=True)
    assert "labelling: 100%" in capsys.readouterr().err
    assert dataset.skipped == []
    assert [a.info["config_id"] for a in dataset] == [
        a.info["config_id"] for a in read(tmp_path / "d.xyz", index=":")
    ]


def test_rerun_of_complete_dataset_computes_nothing(configurations, w_eam, tmp_path):
    """Running again on a finished dataset makes no model call."""
    path = tmp_path / "d.xyz"
    label(configurations, w_eam, path, progress=False)
    counting = WrappedCalculator(w_eam)
    assert len(label(configurations, counting, path, progress=False)) == len(
        configurations
    )
    assert counting.calls == 0


@pytest.mark.parametrize("kill_after", [0, 1, 7])
def test_kill_and_resume(configurations, w_eam, reference_file, tmp_path, kill_after):
    """After a kill, the rerun labels only the rest; the file equals a clean run."""
    path = tmp_path / "d.xyz"
    with pytest.raises(SimulatedKill):
        label(
            configurations, WrappedCalculator(w_eam, kill_after), path, progress=False
        )
    if kill_after:
        assert len(read(path, index=":")) == kill_after
    else:
        assert not path.exists()
    counting = WrappedCalculator(w_eam)
    dataset = label(configurations, counting, path, progress=False)
    assert counting.calls == len(configurations) - kill_after
    assert path.read_text() == reference_file.read_text()
    assert len(dataset) == len(configurations)


@pytest.mark.parametrize("cut", ["mid_line", "header_only", "partial_header"])
def test_truncated_last_frame_is_repaired(
    configurations, w_eam, reference_file, tmp_path, cut, caplog
):
    """A frame cut short by a kill is removed and relabelled; the rest kept."""
    text = reference_file.read_text()
    lines = text.splitlines(keepends=True)
    frame_lines = len(configurations[0]) + 2  # the first frames are 16-atom MD
    kept = "".join(lines[: 2 * frame_lines])
    partial = {
        "mid_line": "".join(lines[2 * frame_lines : 3 * frame_lines - 1])
        + lines[3 * frame_lines - 1][:20],
        "header_only": lines[2 * frame_lines],
        "partial_header": lines[2 * frame_lines][:1],
    }[cut]
    path = tmp_path / "d.xyz"
    path.write_text(kept + partial)
    counting = WrappedCalculator(w_eam)
    with caplog.at_level(logging.WARNING, logger="mixpot.distill.labelling"):
        label(configurations, counting, path, progress=False)
    assert "partial last frame" in caplog.text
    assert counting.calls == len(configurations) - 2
    assert path.read_text() == text


def test_file_of_another_list_is_refused(
    configurations, w_eam, reference_file, tmp_path
):
    """Resuming with a different configuration list raises a clear ValueError."""
    path = tmp_path / "d.xyz"
    path.write_text(reference_file.read_text())
    shuffled = configurations[1:] + configurations[:1]
    counting = WrappedCalculator(w_eam)
    with pytest.raises(ValueError, match="different configuration list"):
        label(shuffled, counting, path, progress=False)
    moved = [atoms.copy() for atoms in configurations]
    moved[3].positions[0, 0] += 0.01
    with pytest.raises(ValueError, match="different configuration list"):
        label(moved, counting, path, progress=False)
    assert counting.calls == 0


def test_longer_list_with_same_prefix_labels_only_new(
    configurations, w_eam, reference_file, tmp_path
):
    """Appending configurations to the list labels only the appended ones."""
    path = tmp_path / "d.xyz"
    label(configurations[:5], w_eam, path, progress=False)
    counting = WrappedCalculator(w_eam)
    label(configurations, counting, path, progress=False)
    assert counting.calls == len(configurations) - 5
    assert path.read_text() == reference_file.read_text()


def test_nan_configuration_is_skipped_and_never_written(
    configurations, w_eam, tmp_path, caplog
):
    """A NaN energy is logged, listed in skipped and the sidecar, not stored."""
    target = 2  # an MD frame: unlike the unstrained cell, it occurs once
    bad_id = config_id(target, configurations[target])
    poisoned = WrappedCalculator(
        w_eam, poisoned=lambda atoms: config_id(target, atoms) == bad_id
    )
    path = tmp_path / "d.xyz"
    with caplog.at_level(logging.WARNING, logger="mixpot.distill.labelling"):
        dataset = label(configurations, poisoned, path, progress=False)
    assert bad_id in caplog.text
    assert [(s.index, s.config_id) for s in dataset.skipped] == [(target, bad_id)]
    assert "non-finite energy" in dataset.skipped[0].reason
    stored_ids = [a.info["config_id"] for a in read(path, index=":")]
    assert bad_id not in stored_ids and len(stored_ids) == len(configurations) - 1
    sidecar = json.loads(skipped_path(path).read_text())
    assert sidecar == [
        {"index": target, "config_id": bad_id, "reason": "non-finite energy"}
    ]
    counting = WrappedCalculator(w_eam)
    again = label(configurations, counting, path, progress=False)
    assert counting.calls == 0 and len(again.skipped) == 1


def test_raising_model_is_skipped(configurations, w_eam, tmp_path):
    """An exception of the model on one configuration skips it with the reason."""
    broken = WrappedCalculator(w_eam, broken=lambda atoms: len(atoms) == 15)
    dataset = label(configurations, broken, tmp_path / "d.xyz", progress=False)
    vacancies = [i for i, atoms in enumerate(configurations) if len(atoms) == 15]
    assert [entry.index for entry in dataset.skipped] == vacancies
    assert all("RuntimeError: the model diverged" in s.reason for s in dataset.skipped)
    assert len(dataset) == len(configurations) - len(vacancies)


def test_per_atom_energies_are_kept_when_the_model_gives_them(w_eam):
    """labelled_copy keeps 'energies' (they sum to the energy)."""
    atoms = bulk("W", cubic=True).repeat(2)
    atoms.rattle(0.05, seed=0)
    labelled = labelled_copy(atoms, w_eam)
    energies = labelled.get_potential_energies()
    assert energies.shape == (len(atoms),)
    assert energies.sum() == pytest.approx(labelled.get_potential_energy(), rel=1e-12)
