"""The conformance kit (src/mixpot/testing/conformance.py).

It must pass for calculators whose forces and stress are the exact
gradients of their energy (SnapCalculator; MixedCalculator in energy mode,
at fixed λ; ASE's EMT), and fail, naming the entry, for one whose forces or
stress are not (EMT with forces or stress scaled by 1.1).
"""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT

from mixpot.descriptors import SNAP
from mixpot.mixing import MixedCalculator, Regions
from mixpot.models import shipped_tungsten
from mixpot.potentials import LinearPotential
from mixpot.testing import check_forces, check_stress

#: Settings of the two small SNAPs of MixedCalculator's docstring.
SMALL_SNAP = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
FINE = [-8.0, 0.1, 0.02, -0.03, 0.01, 0.005]
ROUGH = [-8.0, 0.1, 0.0, 0.0, 0.0, 0.0]


class ScaledEMT(EMT):
    """EMT whose forces (or stress) are 1.1 times the true gradient."""

    def __init__(self, scaled: str = "forces", **kwargs):
        super().__init__(**kwargs)
        self.scaled = scaled

    def calculate(self, *args, **kwargs):
        super().calculate(*args, **kwargs)
        if self.scaled in self.results:
            self.results[self.scaled] = 1.1 * self.results[self.scaled]


@pytest.fixture
def rattled_cu():
    """Rattled fcc Cu, 2×2×2 cubic cells (32 atoms)."""
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True) * 2
    atoms.rattle(0.05, seed=7)
    return atoms


@pytest.fixture(scope="module")
def mixed_energy_calculator():
    """Energy-mode MixedCalculator of two linear SNAPs on rattled W (54 atoms)."""
    atoms = bulk("W", "bcc", a=3.18, cubic=True).repeat(3)
    atoms.rattle(0.05, seed=3)
    regions = Regions([0], r_core=0.5, r_blend=5.0, r_buff=4.7)
    atoms.calc = MixedCalculator(
        LinearPotential(SMALL_SNAP, FINE).calculator(),
        LinearPotential(SMALL_SNAP, ROUGH).calculator(),
        regions,
        mode="energy",
    )
    return atoms


def test_snap_calculator_forces_are_energy_gradients(rattled_w):
    """Shipped W SNAP (+ZBL), 16 atoms: forces equal -dE/dr to 1e-7 eV/Å
    (h = 1e-4 Å; measured 2e-8, and 2e-6 at h = 1e-3: the h² of the
    differences, not an error of the forces).
    """
    rattled_w.calc = shipped_tungsten().calculator(uncertainty=False)
    assert check_forces(rattled_w, displacement=1e-4, atol=1e-7, rtol=0) < 1e-7


def test_snap_calculator_stress_is_strain_derivative(rattled_w):
    """Shipped W SNAP (+ZBL): stress equals (1/V) dE/dε to 1e-8 eV/Å^3
    (strain 1e-5; measured 4e-10).
    """
    rattled_w.calc = shipped_tungsten().calculator(uncertainty=False)
    assert check_stress(rattled_w, strain=1e-5, atol=1e-8, rtol=0) < 1e-8


def test_mixed_energy_mode_forces_are_energy_gradients(mixed_energy_calculator):
    """Energy mixing at fixed λ is conservative: core, blend and cheap atoms'
    forces are -dE/dr of the mixed energy, to 1e-7 eV/Å (h = 1e-4 Å).
    """
    atoms = mixed_energy_calculator
    atoms.get_forces()
    weights = atoms.calc.results["lambda"]
    assert ((weights > 0) & (weights < 1)).sum() > 10  # a blend shell
    assert (weights == 0).any() and (weights == 1).any()
    assert check_forces(atoms, displacement=1e-4, atol=1e-7, rtol=0) < 1e-7


def test_mixed_energy_mode_stress_is_strain_derivative(mixed_energy_calculator):
    """Energy mixing at fixed λ: stress is (1/V) dE/dε of the mixed energy,
    to 1e-8 eV/Å^3 (strain 1e-5).
    """
    atoms = mixed_energy_calculator
    assert check_stress(atoms, strain=1e-5, atol=1e-8, rtol=0) < 1e-8


def test_correct_emt_passes(rattled_cu):
    """ASE's EMT, an exact-gradient calculator, passes both checks."""
    assert check_forces(rattled_cu, EMT(), indices=range(8)) < 1e-4
    assert check_stress(rattled_cu, EMT()) < 1e-6


def test_scaled_forces_are_detected(rattled_cu):
    """Forces 10% too large are caught, naming the worst atom and component."""
    with pytest.raises(AssertionError, match=r"forces of ScaledEMT are not .* atom"):
        check_forces(rattled_cu, ScaledEMT("forces"), indices=range(8))


def test_scaled_stress_is_detected(rattled_cu):
    """A stress 10% too large is caught."""
    with pytest.raises(AssertionError, match=r"stress of ScaledEMT is not"):
        check_stress(rattled_cu, ScaledEMT("stress"))


def test_returns_the_largest_error(rattled_cu):
    """With a loose tolerance the scaled forces pass, and the returned error
    is 0.1 of the largest force checked.
    """
    calc = ScaledEMT("forces")
    rattled_cu.calc = EMT()
    largest = np.abs(rattled_cu.get_forces()[:4]).max()
    error = check_forces(rattled_cu, calc, indices=range(4), atol=0, rtol=0.2)
    assert error == pytest.approx(0.1 * largest, rel=1e-3)


def test_force_only_calculator_is_refused(rattled_cu):
    """A force-mixing calculator has no energy to differentiate."""
    calc = MixedCalculator(EMT(), EMT(), Regions([0], r_buff=4.0))
    with pytest.raises(ValueError, match="'calc' parameter of check_forces must"):
        check_forces(rattled_cu, calc)


def test_open_cell_stress_is_refused(rattled_cu):
    """Stress needs a cell periodic in all three directions."""
    rattled_cu.pbc = [True, True, False]
    with pytest.raises(ValueError, match="'atoms' parameter of check_stress must"):
        check_stress(rattled_cu, EMT())


@pytest.mark.parametrize(
    ("keyword", "value"), [("displacement", 0.0), ("atol", -1.0), ("rtol", np.nan)]
)
def test_bad_tolerances_are_refused(rattled_cu, keyword, value):
    """Steps must be > 0 and tolerances >= 0, in the scikit-learn dialect."""
    with pytest.raises(ValueError, match=f"The '{keyword}' parameter of check_forces"):
        check_forces(rattled_cu, EMT(), **{keyword: value})


def test_atoms_are_not_moved(rattled_cu):
    """The check works on copies: the caller's positions stay as they were."""
    before = rattled_cu.positions.copy()
    check_forces(rattled_cu, EMT(), indices=[0, 1])
    np.testing.assert_array_equal(rattled_cu.positions, before)
