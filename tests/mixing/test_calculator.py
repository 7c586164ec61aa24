"""MixedCalculator (src/mixpot/mixing/calculator.py) with two LAMMPS potentials."""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from mixpot.mixing import MixedCalculator, Regions

from .conftest import W_SNAP_CUTOFF


@pytest.fixture(scope="module")
def vacancy_cell():
    """Bcc W, 12³ cells (3455 atoms) with a vacancy, slightly rattled."""
    atoms = bulk("W", cubic=True).repeat(12)
    del atoms[len(atoms) // 2 + 6]
    atoms.rattle(0.03, seed=0)
    return atoms


def full_forces(atoms, calc):
    atoms = atoms.copy()
    atoms.calc = calc
    return atoms.get_forces()


def test_forces_equal_blend_of_full_calculations(vacancy_cell, w_snap, w_eam):
    """With r_buff ≥ 2 cutoffs, mixed forces equal λF_exp + (1−λ)F_cheap of the
    two full-system calculations (to 1e-6 eV/Å) while the expensive model sees
    a cut-out only.
    """
    atoms = vacancy_cell.copy()
    seed = len(atoms) // 2
    regions = Regions([seed], r_core=2.0, r_blend=3.0, r_buff=2 * W_SNAP_CUTOFF + 0.1)
    atoms.calc = MixedCalculator(w_snap, w_eam, regions)
    mixed = atoms.get_forces()
    weights = atoms.calc.results["lambda"]
    expected = weights[:, None] * full_forces(atoms, w_snap) + (
        1 - weights[:, None]
    ) * full_forces(atoms, w_eam)
    assert np.max(np.abs(mixed - expected)) < 1e-6
    assert 0 < atoms.calc.results["n_expensive"] < 0.5 * len(atoms)
    assert np.any((weights > 0) & (weights < 1))


def test_all_expensive_equals_expensive_model(vacancy_cell, w_snap, w_eam):
    """λ = 1 everywhere reproduces the expensive model."""
    atoms = vacancy_cell.copy()
    atoms.calc = MixedCalculator(w_snap, w_eam, Regions([0], r_core=100.0, r_buff=0.0))
    expected = full_forces(atoms, w_snap)
    np.testing.assert_allclose(atoms.get_forces(), expected, atol=1e-10)
    assert atoms.calc.results["n_cheap"] == 0


def test_all_cheap_equals_cheap_model(vacancy_cell, w_snap, w_eam):
    """No seeds (λ = 0 everywhere) reproduces the cheap model."""
    atoms = vacancy_cell.copy()
    atoms.calc = MixedCalculator(w_snap, w_eam, Regions([], r_buff=0.0))
    expected = full_forces(atoms, w_eam)
    np.testing.assert_allclose(atoms.get_forces(), expected, atol=1e-10)
    assert atoms.calc.results["n_expensive"] == 0


def test_force_mode_claims_no_energy(vacancy_cell, w_snap, w_eam):
    """Force mixing has no energy: asking for one is an error, not 0.0."""
    atoms = vacancy_cell.copy()
    atoms.calc = MixedCalculator(w_snap, w_eam, Regions([0], r_buff=2 * W_SNAP_CUTOFF))
    assert "energy" not in atoms.calc.implemented_properties
    with pytest.raises(Exception, match="energy"):
        atoms.get_potential_energy()


def test_unknown_mode():
    """An unknown mixing mode is named in the error."""
    with pytest.raises(ValueError, match="'mode' parameter of MixedCalculator"):
        MixedCalculator(None, None, Regions([0]), mode="average")


def test_fixed_regions_are_kept_and_checked(w_eam):
    """fix_regions sets λ from outside (kept through moves); a region for
    another number of atoms, or something else than a RegionState, is refused.
    """
    atoms = bulk("W", cubic=True).repeat(4)
    regions = Regions([0], r_core=2.0, r_blend=2.0, r_buff=4.0)
    state = regions.update(atoms)
    atoms.calc = MixedCalculator(w_eam, w_eam, Regions([5], r_buff=4.0))
    atoms.calc.fix_regions(state)
    atoms.rattle(0.05, seed=2)
    atoms.get_forces()
    np.testing.assert_array_equal(atoms.calc.results["lambda"], state.weights)
    with pytest.raises(TypeError, match="needs a RegionState"):
        atoms.calc.fix_regions(state.weights)
    del atoms[3]
    with pytest.raises(ValueError, match="128 atoms but the system has 127"):
        atoms.get_forces()


class ExplodingCalculator(EMT):
    """EMT that fails if it is ever asked for anything."""

    def calculate(self, *args, **kwargs):
        raise AssertionError("a potential ran on an invalid system")


def test_given_regions_are_not_changed():
    """A chosen r_buff lives in the calculator's own copy of the settings."""
    from mixpot.testing import shipped_tungsten

    regions = Regions([0], r_core=2.0)
    calc = MixedCalculator(shipped_tungsten(), shipped_tungsten(), regions)
    assert regions.r_buff is None
    assert calc.regions.r_buff == pytest.approx(2 * W_SNAP_CUTOFF + 0.01)
    assert calc.regions.r_core == regions.r_core


def test_non_finite_positions_fail_before_any_potential_runs():
    """NaN positions are named before either (possibly slow) model is called."""
    atoms = bulk("Cu", cubic=True).repeat(3)
    atoms.positions[7, 0] = np.nan
    atoms.calc = MixedCalculator(
        ExplodingCalculator(), ExplodingCalculator(), Regions([0], r_buff=3.0)
    )
    with pytest.raises(ValueError, match=r"finite positions.*atoms \[7\]"):
        atoms.get_forces()


def test_element_a_lammps_potential_does_not_map(w_snap, w_eam):
    """A He atom in a W-only LAMMPSlib potential is named before LAMMPS runs
    (ASE's own error is a bare KeyError from deep inside the calculator).
    """
    atoms = bulk("W", cubic=True).repeat(3)
    atoms.symbols[4] = "He"
    atoms.calc = MixedCalculator(w_snap, w_eam, Regions([0], r_buff=2 * W_SNAP_CUTOFF))
    with pytest.raises(ValueError, match=r"expensive potential.*\['W'\].*\['He'\]"):
        atoms.get_forces()
