"""Per-atom uncertainty of a structure and its threshold (per_atom_uncertainty.py).

The descriptor-only evaluation (``pair_style zero`` + ``compute sna/atom`` /
``snad/atom``) must give the same numbers as the SnapCalculator's POPS extras
(which run the real pair style); the force value is a trace, so it does not
depend on the frame. The threshold is a quantile over the atoms of the given
frames, survives save/load, and files written before thresholds existed load.
"""

import json

import numpy as np
import pytest
from ase import Atoms

from mixpot._npz import read_versioned, write_versioned
from mixpot.potentials import (
    LinearPotential,
    atom_uncertainty,
    hottest_crystal_frames,
    uncertainty_threshold,
)
from mixpot.potentials.linear import FORMAT_TAG, FORMAT_VERSION


def test_values_equal_the_calculators_pops_extras(fitted, triclinic_w):
    """Energy: ``energies_std``; force: the norm of ``forces_std`` per atom."""
    atoms = triclinic_w.copy()
    calc = fitted.calculator(uncertainty=True, force_uncertainty=True)
    atoms.calc = calc
    atoms.get_potential_energy()
    np.testing.assert_allclose(
        atom_uncertainty(fitted, atoms, "energy"),
        calc.results["energies_std"],
        rtol=1e-10,
    )
    np.testing.assert_allclose(
        atom_uncertainty(fitted, atoms, "force"),
        np.linalg.norm(calc.results["forces_std"], axis=1),
        rtol=1e-10,
    )


def test_force_value_is_the_same_in_a_rotated_frame(fitted, rattled_w):
    """√(σx² + σy² + σz²) is a trace: rotating the system leaves it unchanged."""
    rotated = rattled_w.copy()
    rotated.rotate(41, (1, -2, 3), rotate_cell=True)
    np.testing.assert_allclose(
        atom_uncertainty(fitted, rotated, "force"),
        atom_uncertainty(fitted, rattled_w, "force"),
        rtol=1e-8,
    )


def test_threshold_is_the_quantile_over_every_atom_of_the_frames(fitted, rattled_w):
    """Threshold = np.quantile over the pooled atoms; medians likewise."""
    frames = [rattled_w.copy() for _ in range(3)]
    for seed, atoms in enumerate(frames):
        atoms.rattle(0.03, seed=10 + seed)
    found = uncertainty_threshold(fitted, frames, quantile=0.9, source="test")
    for quantity in ("energy", "force"):
        pooled = np.concatenate([atom_uncertainty(fitted, a, quantity) for a in frames])
        assert found.value(quantity) == pytest.approx(np.quantile(pooled, 0.9))
        assert found.median(quantity) == pytest.approx(np.median(pooled))
    assert (found.n_atoms, found.quantile, found.source) == (48, 0.9, "test")
    maximum = uncertainty_threshold(fitted, frames, quantile=1.0)
    assert maximum.energy == pytest.approx(
        max(atom_uncertainty(fitted, a).max() for a in frames)
    )


def test_threshold_survives_save_and_load(fitted, rattled_w, tmp_path):
    """with_uncertainty_threshold → save → load gives the same threshold."""
    with_threshold = fitted.with_uncertainty_threshold([rattled_w])
    assert fitted.uncertainty_threshold is None  # a copy, the original unchanged
    loaded = LinearPotential.load(with_threshold.save(tmp_path / "cheap.npz"))
    assert loaded.uncertainty_threshold == with_threshold.uncertainty_threshold


def test_files_written_before_thresholds_load_without_one(fitted, tmp_path):
    """A file whose settings have no 'uncertainty_threshold' key still loads."""
    arrays = read_versioned(fitted.save(tmp_path / "new.npz"), FORMAT_TAG, 1)
    settings = json.loads(str(arrays["settings"]))
    del settings["uncertainty_threshold"]
    old = {
        "settings": np.array(json.dumps(settings)),
        "coef": arrays["coef"],
        "regressor_npz": arrays["regressor_npz"],
    }
    path = write_versioned(tmp_path / "old.npz", FORMAT_TAG, FORMAT_VERSION, old)
    loaded = LinearPotential.load(path)
    assert loaded.uncertainty_threshold is None
    np.testing.assert_array_equal(loaded.coef, fitted.coef)


def test_a_potential_without_posterior_is_refused(tungsten, rattled_w):
    """LAMMPS files carry no posterior: no per-atom uncertainty, no threshold."""
    with pytest.raises(ValueError, match="POPS posterior"):
        tungsten.atom_uncertainty(rattled_w)
    with pytest.raises(ValueError, match="POPS posterior"):
        atom_uncertainty(tungsten, rattled_w)
    with pytest.raises(ValueError, match="POPS posterior"):
        tungsten.with_uncertainty_threshold([rattled_w])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quantile": 0.0}, "'quantile' parameter"),
        ({"quantile": 1.5}, "'quantile' parameter"),
        ({"frames": []}, "'frames' parameter"),
    ],
)
def test_bad_threshold_inputs_are_refused(fitted, rattled_w, kwargs, message):
    """A quantile outside (0, 1] or no frames is a ValueError naming it."""
    arguments = {"frames": [rattled_w], **kwargs}
    with pytest.raises(ValueError, match=message):
        uncertainty_threshold(fitted, **arguments)


def test_an_unknown_quantity_is_refused(fitted, rattled_w):
    """Only 'energy' and 'force' are measured."""
    with pytest.raises(ValueError, match="'quantity' parameter"):
        atom_uncertainty(fitted, rattled_w, "stress")


def test_hottest_crystal_frames_are_the_md_frames_at_the_top_temperature():
    """md_1200K beats md_300K; defect MD (vacancy_md_1200K) is not perfect crystal;
    without MD frames the rattled cells are used; with neither, an error.
    """
    groups = ["md_300K", "md_1200K", "rattle", "vacancy_md_1200K", "md_1200K"]
    frames = [Atoms("W", info={"group": group}) for group in groups]
    assert [a.info["group"] for a in hottest_crystal_frames(frames)] == [
        "md_1200K",
        "md_1200K",
    ]
    assert [a.info["group"] for a in hottest_crystal_frames(frames[2:4])] == ["rattle"]
    with pytest.raises(ValueError, match="'md_<T>K' or 'rattle'"):
        hottest_crystal_frames(frames[3:4])


def test_force_value_uses_the_force_stratum(fitted_by_kind, rattled_w):
    """With strata, each atom's force uncertainty is the norm of the force
    rows' std under the "force" stratum's covering factor, narrower than
    under the pooled one (set by the per-atom energy rows).
    """
    rows = fitted_by_kind.descriptor.rows([rattled_w])
    force_rows = rows.X[rows.kind == "force"]
    regressor = fitted_by_kind.regressor
    labels = np.full(len(force_rows), "force")
    _, std = regressor.predict(force_rows, return_std=True, strata=labels)
    _, pooled = regressor.predict(force_rows, return_std=True)
    found = atom_uncertainty(fitted_by_kind, rattled_w, "force")
    np.testing.assert_allclose(
        found, np.linalg.norm(std.reshape(-1, 3), axis=1), rtol=1e-8
    )
    assert np.all(found < 0.9 * np.linalg.norm(pooled.reshape(-1, 3), axis=1))


def test_energy_value_uses_the_atom_energy_stratum(fitted_by_kind, rattled_w):
    """Per-atom energy uncertainties use the "atom_energy" stratum: rows of
    the same form and target as the per-atom energy rows of the fit.
    """
    from mixpot.potentials.uncertainty import atom_energy_rows

    per_atom = fitted_by_kind.descriptor.per_atom(rattled_w)
    rows = atom_energy_rows(fitted_by_kind.descriptor, per_atom, [0] * len(per_atom))
    labels = np.full(len(rows), "atom_energy")
    _, std = fitted_by_kind.regressor.predict(rows, return_std=True, strata=labels)
    np.testing.assert_allclose(
        atom_uncertainty(fitted_by_kind, rattled_w, "energy"), std, rtol=1e-8
    )
