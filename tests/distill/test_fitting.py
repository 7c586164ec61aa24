"""Row weights, held-out split and strain constraint (distill/fitting.py)."""

import numpy as np
import pytest
from ase.build import bulk

from mixpot.descriptors import SNAP
from mixpot.distill import expensive_calculator, labelled_copy
from mixpot.distill.fitting import (
    FitSettings,
    fit_distilled,
    row_weights,
    split_held_out,
)

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
    settings = FitSettings(holdout_fraction=0.0, strain_tolerance=1e-5)
    fit = fit_distilled(SNAP(["W"], [0.5], twojmax=4, rcutfac=4.7), configs, settings)
    assert fit.strain_rmse_history[-1] <= 1e-5
    assert fit.strain_weight > 1
    assert fit.strain_rmse_history[0] > fit.strain_rmse_history[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"holdout_fraction": 1.0}, "holdout_fraction"),
        ({"strain_tolerance": 0.0}, "strain_tolerance"),
        ({"force_weight": -1.0}, "force_weight"),
        ({"strain_weight_factor": 1.0}, "strain_weight_factor"),
    ],
)
def test_bad_settings(kwargs, message):
    """Invalid fit settings raise a ValueError naming the setting."""
    with pytest.raises(ValueError, match=message):
        FitSettings(**kwargs)
