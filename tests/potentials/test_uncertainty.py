"""Per-atom POPS maths on LinearPotential (src/mixpot/potentials/uncertainty.py).

The per-atom energy rows built from ``SNAP.per_atom`` sum to the energy row
of ``SNAP.rows`` (compute snap), so the total-energy std and bounds equal
the regressor's on that row; bad shapes and a missing posterior are refused.
"""

import numpy as np
import pytest

from mixpot.potentials import LinearPotential
from mixpot.potentials.uncertainty import atom_energy_rows


def element_index(potential, atoms):
    return np.array([potential.elements.index(s) for s in atoms.get_chemical_symbols()])


def test_atom_rows_sum_to_the_energy_row(fitted, rattled_w):
    """Σ_i of the per-atom energy rows is compute snap's energy row."""
    per_atom = fitted.descriptor.per_atom(rattled_w)
    rows = atom_energy_rows(
        fitted.descriptor, per_atom, element_index(fitted, rattled_w)
    )
    energy_row = fitted.descriptor.rows([rattled_w]).X[0]
    np.testing.assert_allclose(rows.sum(axis=0), energy_row, rtol=1e-10, atol=1e-10)


def test_total_energy_interval_is_the_regressors_on_the_energy_row(fitted, rattled_w):
    """Total std and bounds equal predict/predict_bounds on the energy row."""
    found = fitted.atom_energy_uncertainty(
        fitted.descriptor.per_atom(rattled_w), element_index(fitted, rattled_w)
    )
    energy_row = fitted.descriptor.rows([rattled_w]).X[:1]
    mean, std = fitted.regressor.predict(energy_row, return_std=True)
    lower, upper = fitted.regressor.predict_bounds(energy_row)
    assert found.std == pytest.approx(std[0], rel=1e-8)
    assert found.lower == pytest.approx(lower[0] - mean[0], rel=1e-8)
    assert found.upper == pytest.approx(upper[0] - mean[0], rel=1e-8)
    assert found.atom_std.shape == (len(rattled_w),)
    assert np.all(found.atom_lower <= 0) and np.all(found.atom_upper >= 0)


def test_wrong_descriptor_width_is_refused(fitted, rattled_w):
    """Descriptors without the constant column are named in the error."""
    per_atom = fitted.descriptor.per_atom(rattled_w)[:, 1:]
    with pytest.raises(ValueError, match="The 'descriptors' parameter"):
        fitted.atom_energy_uncertainty(per_atom, element_index(fitted, rattled_w))


def test_unknown_type_is_refused(fitted, rattled_w):
    """An element index outside the potential's elements is refused."""
    per_atom = fitted.descriptor.per_atom(rattled_w)
    with pytest.raises(ValueError, match="The 'types' parameter"):
        fitted.atom_energy_uncertainty(per_atom, np.full(len(rattled_w), 3))


def test_wrong_gradient_shape_is_refused(fitted):
    """force_std needs (n_atoms, n_elements, 3, K) gradients."""
    with pytest.raises(ValueError, match="The 'gradients' parameter of force_std"):
        fitted.force_std(np.zeros((4, 3, 2)))


def test_no_posterior_is_refused(fitted):
    """Without POPS there is no uncertainty to give."""
    plain = LinearPotential(fitted.descriptor, fitted.coef)
    with pytest.raises(ValueError, match="needs a POPS posterior"):
        plain.force_std(np.zeros((1, 1, 3, fitted.descriptor.n_coefficients - 1)))


def test_strata_pick_the_matching_covering_factor(fitted_by_kind, rattled_w):
    """Total energy: the "energy" stratum's bounds; per-atom energies: the
    "atom_energy" stratum's; force std: the "force" stratum's.
    """
    regressor = fitted_by_kind.regressor
    per_atom = fitted_by_kind.descriptor.per_atom(rattled_w)
    types = element_index(fitted_by_kind, rattled_w)
    found = fitted_by_kind.atom_energy_uncertainty(per_atom, types)
    rows = fitted_by_kind.descriptor.rows([rattled_w])
    energy_row = rows.X[:1]
    mean = regressor.predict(energy_row)
    _, upper = regressor.predict_bounds(energy_row, strata=["energy"])
    assert found.upper == pytest.approx(upper[0] - mean[0], rel=1e-8)
    atom_rows = atom_energy_rows(fitted_by_kind.descriptor, per_atom, types)
    labels = np.full(len(atom_rows), "atom_energy")
    _, atom_upper = regressor.predict_bounds(atom_rows, strata=labels)
    np.testing.assert_allclose(
        found.atom_upper, atom_upper - regressor.predict(atom_rows), rtol=1e-8
    )
