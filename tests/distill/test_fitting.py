"""Row weights, held-out split and strain constraint (distill/fitting.py)."""

from dataclasses import replace

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.singlepoint import SinglePointCalculator

from mixpot.descriptors import SNAP
from mixpot.distill import labelled_copy
from mixpot.distill.fitting import (
    FitSettings,
    fit_distilled,
    row_weights,
    split_held_out,
)
from mixpot.models import expensive_calculator

W_EAM = "lammps:pair_style eam/alloy;pair_coeff * * W_zhou.eam.alloy W"


def labelled_w(n_rattled=6, n_strains=7):
    """Rattled and homogeneously strained bcc W labelled by EAM."""
    calc = expensive_calculator(W_EAM)
    configs = []
    for seed in range(n_rattled):
        atoms = bulk("W", cubic=True).repeat(2)
        atoms.rattle(0.08, seed=seed)
        atoms.info["group"] = "rattle"
        configs.append(atoms)
    for strain in np.linspace(-0.005, 0.005, n_strains):
        atoms = bulk("W", cubic=True)
        atoms.set_cell(atoms.cell * (1 + strain), scale_atoms=True)
        atoms.info["group"] = "strain_hydrostatic"
        configs.append(atoms)
    return [labelled_copy(atoms, calc) for atoms in configs]


def test_held_out_split_is_seeded_and_spares_strains():
    """Only MD/rattled configurations are held out, reproducibly."""
    configs = labelled_w(n_rattled=10, n_strains=3)
    train, test = split_held_out(configs, 0.3, random_state=4)
    assert (train, test) == split_held_out(configs, 0.3, random_state=4)
    assert len(test) == 3
    assert all(configs[i].info["group"] == "rattle" for i in test)


def test_energy_rows_are_weighted_per_atom():
    """A weight w on energy per atom is w/N² on the total-energy row."""
    configs = labelled_w(n_rattled=1, n_strains=1)
    rows = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7).rows(configs)
    weights = row_weights(rows, configs, FitSettings(energy_weight=30))
    energy = rows.kind == "energy"
    np.testing.assert_allclose(weights[energy], 30 / rows.n_atoms**2)
    rattled_forces = (rows.kind == "force") & (rows.structure == 0)
    assert np.all(weights[rattled_forces] == 1.0)


def test_rows_vanishing_by_symmetry_get_no_weight():
    """Forces in a perfect strained crystal are zero by symmetry: their rows
    carry only label round-off and are left out (weight 0).
    """
    configs = labelled_w(n_rattled=1, n_strains=1)
    rows = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7).rows(configs)
    weights = row_weights(rows, configs, FitSettings())
    perfect_forces = (rows.kind == "force") & (rows.structure == 1)
    assert perfect_forces.any() and np.all(weights[perfect_forces] == 0)


def test_strain_constraint_raises_the_strain_weight_until_met():
    """The strain-set RMSE ends below the tolerance, after raising its weight."""
    configs = labelled_w()
    settings = FitSettings(
        holdout_fraction=0.0, elastic_constraint="soft", strain_tolerance=1e-5
    )
    fit = fit_distilled(SNAP(["W"], [0.5], twojmax=4, rcutfac=4.7), configs, settings)
    assert fit.strain_rmse_history[-1] <= 1e-5
    assert fit.strain_weight > 1
    assert fit.strain_rmse_history[0] > fit.strain_rmse_history[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"holdout_fraction": 1.0}, "The 'holdout_fraction' parameter of FitSettings"),
        ({"strain_tolerance": 0.0}, "The 'strain_tolerance' parameter of FitSettings"),
        ({"force_weight": -1.0}, "The 'force_weight' parameter of FitSettings"),
        (
            {"elastic_constraint": "hard"},
            "The 'elastic_constraint' parameter of FitSettings",
        ),
        (
            {"strain_weight_factor": 1.0},
            "The 'strain_weight_factor' parameter of FitSettings",
        ),
    ],
)
def test_bad_settings(kwargs, message):
    """Invalid fit settings raise a ValueError naming the setting."""
    with pytest.raises(ValueError, match=message):
        FitSettings(**kwargs)


def training_rmse(fit, kind) -> float:
    rows = fit.potential.descriptor.rows(fit.train, per_atom_energies=True)
    mine = rows.kind == kind
    error = rows.predict(fit.potential.coef) - rows.targets_from(fit.train)
    return float(np.sqrt(np.mean(error[mine] ** 2)))


def test_atom_energy_rows_match_the_labels_share_of_energy():
    """Labels that carry per-atom energies get atom-energy rows (weight
    ``atom_energy_weight``), and fitting them brings the cheap model's
    per-atom energies closer to the expensive model's (EAM here, which shares
    energy its own way) at a similar force error.
    """
    configs = labelled_w()
    assert all("energies" in a.calc.results for a in configs)
    snap = SNAP(["W"], [0.5], twojmax=4, rcutfac=4.7)
    settings = FitSettings(
        holdout_fraction=0, elastic_constraint="off", atom_energy_weight=30
    )
    plain = fit_distilled(snap, configs, replace(settings, atom_energy_weight=0))
    shared = fit_distilled(snap, configs, settings)
    assert "atom_energy" not in plain.train_rows.kind
    atom_rows = shared.train_rows.kind == "atom_energy"
    assert atom_rows.sum() == sum(len(a) for a in configs)
    weights = row_weights(shared.train_rows, configs, settings)
    assert np.all(weights[atom_rows] == 30)
    rmse = {
        kind: [training_rmse(fit, kind) for fit in (plain, shared)]
        for kind in ("atom_energy", "force")
    }
    assert rmse["atom_energy"][1] < 0.75 * rmse["atom_energy"][0]
    assert rmse["force"][1] < 1.25 * rmse["force"][0]


def test_labels_without_per_atom_energies_are_fitted_without_them(caplog):
    """One label without 'energies' drops the atom-energy rows, with a warning."""
    configs = labelled_w(n_rattled=2, n_strains=2)
    first = configs[0]
    first.calc = SinglePointCalculator(
        first, **{k: v for k, v in first.calc.results.items() if k != "energies"}
    )
    snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    settings = FitSettings(holdout_fraction=0, elastic_constraint="off")
    fit = fit_distilled(snap, configs, settings)
    assert "atom_energy" not in fit.train_rows.kind
    assert "1 of 4 labels have no per-atom energies" in caplog.text


def test_the_fit_is_calibrated_per_row_kind():
    """The POPS fit takes one stratum per row kind; the report predicts each
    row with its kind's covering factor, so every training row of each kind
    is inside its bounds and the force half-widths are those of the "force"
    stratum.
    """
    from mixpot.distill.report import predict_rows

    configs = labelled_w()
    snap = SNAP(["W"], [0.5], twojmax=4, rcutfac=4.7)
    settings = FitSettings(holdout_fraction=0, elastic_constraint="off")
    fit = fit_distilled(snap, configs, settings)
    regressor = fit.potential.regressor
    rows = fit.train_rows
    assert set(regressor.strata_.tolist()) == set(rows.kind.tolist())
    predicted = predict_rows(fit.potential, rows, fit.train)
    used = fit.train_weights > 0
    slack = 1e-9 * np.abs(predicted.target).max()
    assert np.all(predicted.lower[used] - slack <= predicted.target[used])
    assert np.all(predicted.target[used] <= predicted.upper[used] + slack)
    force = rows.kind == "force"
    lower, upper = regressor.predict_bounds(
        rows.X[force], strata=np.full(force.sum(), "force")
    )
    scale = predicted.upper[force] - predicted.lower[force]
    np.testing.assert_allclose(scale, (upper - lower) * 1e3, rtol=1e-10)
