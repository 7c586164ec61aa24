"""Blend Langevin in LAMMPS: the blend region is held at T, not at λ·T."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

from mixpot.engines.lammps import LammpsMixedEngine
from mixpot.engines.langevin import BlendLangevin
from mixpot.mixing import Regions


def test_noise_depends_only_on_seed_step_and_atom():
    """Each atom's noise is fixed by (seed, step, ID): any partition gives it."""
    thermostat = BlendLangevin(300.0, 0.01, seed=7)
    tags = np.arange(1, 201)
    whole = thermostat.noise(3, tags)
    np.testing.assert_array_equal(whole[150:], thermostat.noise(3, tags[150:]))
    assert not np.allclose(whole, thermostat.noise(4, tags))
    assert not np.allclose(whole, BlendLangevin(300.0, 0.01, seed=8).noise(3, tags))


def test_hashed_noise_is_standard_normal():
    """60,000 draws: mean 0, variance 1, uncorrelated components."""
    from mixpot.engines.langevin import hashed_normals

    draws = hashed_normals(0, 11, np.arange(20_000))
    assert abs(draws.mean()) < 0.02
    assert abs(draws.var() - 1.0) < 0.03
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 0.03


@pytest.mark.parametrize(
    "field, value", [("temperature_K", -1.0), ("friction", 0.0), ("seed", -2)]
)
def test_bad_settings_are_refused(field, value):
    """Non-positive temperature or friction and negative seeds are errors."""
    settings = {"temperature_K": 300.0, "friction": 0.01, "seed": 0, field: value}
    with pytest.raises(ValueError, match=f"'{field}' parameter of BlendLangevin"):
        BlendLangevin(**settings)


def test_drag_matches_lammps_fix_langevin_damping():
    """Without noise, the drag is −m v / damp in LAMMPS metal units."""
    thermostat = BlendLangevin(300.0, 0.01, seed=0)  # damp = 100 fs = 0.1 ps
    units = (8.617343e-5, 1.0364269e-4, 9648.5330394)  # boltz, mvv2e, ftm2v
    masses = np.array([183.84])
    velocities = np.array([[1.0, -2.0, 0.5]])
    forces = thermostat.forces(masses, velocities, np.zeros((1, 3)), 2.0, units)
    np.testing.assert_allclose(forces, -masses[0] * velocities / 0.1 / units[2])


def test_blend_region_reaches_target_temperature(tungsten_pair):
    """With every atom but the seed in the blend, NVE + blend Langevin gives T."""
    _, cheap = tungsten_pair
    atoms = bulk("W", "bcc", a=3.18, cubic=True).repeat(4)
    MaxwellBoltzmannDistribution(
        atoms, temperature_K=100.0, rng=np.random.default_rng(0)
    )
    # r_blend wider than the cell: every atom but the seed has 0 < λ < 1.
    regions = Regions([0], r_core=0.0, r_blend=20.0, r_buff=9.7)
    with LammpsMixedEngine(atoms, cheap, cheap, regions, "force") as engine:
        engine.set_timestep(2.0)
        engine.set_blend_langevin(BlendLangevin(500.0, 0.05, seed=1))
        engine.command("fix mixpot_nve all nve")
        engine.command("variable mixpot_temp equal temp")
        engine.command("run 200")  # equilibrate: 0.4 ps, damping time 20 fs
        temperatures = []
        for _ in range(30):
            engine.command("run 25")
            temperatures.append(engine.lmp.extract_variable("mixpot_temp"))
        assert len(engine.blend_atoms) == len(atoms) - 1
    assert abs(np.mean(temperatures) - 500.0) < 25.0
