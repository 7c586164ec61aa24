"""BlendLangevin (src/mixpot/mixing/thermostat.py): local temperature."""

import numpy as np
import pytest
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes

from mixpot.mixing import BlendLangevin, MixedCalculator, Regions


class NoForces(Calculator):
    """Free particles: zero force on every atom."""

    implemented_properties = ["forces"]

    def calculate(self, atoms=None, properties=("forces",), system_changes=all_changes):
        """Set every force to zero."""
        super().calculate(atoms, properties, system_changes)
        self.results = {"forces": np.zeros((len(self.atoms), 3))}


def test_blend_region_is_held_at_the_target_temperature():
    """Free atoms in the blend region (0 < λ < 1) equilibrate at T, not at λ·T;
    atoms outside it feel no friction and keep their initial (zero) velocity.
    """
    rng = np.random.default_rng(0)
    atoms = Atoms(
        "Ar400", positions=rng.uniform(0, 60, (400, 3)), cell=[60] * 3, pbc=True
    )
    atoms.positions[0] = [30, 30, 30]
    regions = Regions([0], r_core=5.0, r_blend=20.0, r_buff=0.0, blend="linear")
    atoms.calc = MixedCalculator(NoForces(), NoForces(), regions)
    dyn = BlendLangevin(atoms, 5 * units.fs, 300, 0.05 / units.fs, rng=rng)
    weights = atoms.calc.update_regions(atoms).weights
    blend = (weights > 0) & (weights < 1)
    assert blend.sum() > 50 and (~blend).sum() > 50
    temperatures = []
    for _ in range(300):
        dyn.run(5)
        velocities = atoms.get_velocities()[blend]
        masses = atoms.get_masses()[blend]
        kinetic = 0.5 * np.sum(masses[:, None] * velocities**2)
        temperatures.append(2 * kinetic / (3 * blend.sum() * units.kB))
    assert np.mean(temperatures[100:]) == pytest.approx(300, rel=0.05)
    assert np.all(atoms.get_velocities()[~blend] == 0)


def test_needs_a_mixed_calculator():
    """Any other calculator is refused with a clear TypeError."""
    atoms = Atoms("Ar", cell=[5] * 3, pbc=True)
    atoms.calc = NoForces()
    with pytest.raises(TypeError, match="needs atoms.calc to be a MixedCalculator"):
        BlendLangevin(atoms, units.fs, 300, 0.01)
