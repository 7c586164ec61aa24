"""SevenNet (src/mixpot/models/sevennet.py): shipped weights, the optional
extra, and its λ-weighted provider's exact gradients.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from ase.build import bulk

from mixpot.models import (
    WeightedSevenNet,
    expensive_calculator,
    shipped_sevennet_models,
    weighted_provider,
)

from ..finite_differences import full_tensor, moved, rattled_cell, strained


def test_sevennet_missing_gives_install_hint(monkeypatch):
    """Without sevenn, a sevennet spec says: pip install 'mixpot[sevennet]'."""
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "sevenn" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert shipped_sevennet_models() == {}
    with pytest.raises(ImportError, match=r"pip install 'mixpot\[sevennet\]'"):
        expensive_calculator("sevennet:7net-0")


def test_unknown_sevennet_model_lists_shipped_ones():
    """Only models whose weights ship in the wheel are accepted; never downloaded."""
    pytest.importorskip("sevenn", reason="SevenNet extra not installed")
    assert "7net-0" in shipped_sevennet_models()
    with pytest.raises(ValueError, match="7net-0"):
        expensive_calculator("sevennet:7net-omni")


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning")
def test_sevennet_energy_of_small_w_cell():
    """SevenNet-0 on 2-atom bcc W: finite energy, zero forces by symmetry."""
    pytest.importorskip("sevenn", reason="SevenNet extra not installed")
    calc = expensive_calculator("sevennet:7net-0")
    atoms = bulk("W", "bcc", a=3.17, cubic=True)
    atoms.calc = calc
    assert -13.5 < atoms.get_potential_energy() / len(atoms) < -12.0
    np.testing.assert_allclose(atoms.get_forces(), 0.0, atol=1e-4)
    assert atoms.get_stress().shape == (6,)


@pytest.fixture(scope="module")
def sevennet():
    if importlib.util.find_spec("sevenn") is None:
        pytest.skip("sevenn is not installed (optional extra mixpot[sevennet])")
    from mixpot.models import sevennet_calculator

    return sevennet_calculator("7net-0")


def test_sevennet_weighted_gradients(sevennet):
    """SevenNet-0 with a hook on its per-atom energies, on 8 W atoms:
    one-hot weights give that atom's energy (atom order kept); the weighted
    forces and stress match five-point differences of Σ w_i E_i along the
    direction (and strain) where they differ most from the plain model's
    (float32 model: 2e-3 eV tolerance against a separation of > 1 eV); the
    calculator's own results are unweighted afterwards.
    """
    atoms = rattled_cell(True, repeat=(2, 2, 1), seed=4)
    provider = weighted_provider(sevennet)
    assert isinstance(provider, WeightedSevenNet)
    atoms.calc = sevennet
    plain_energies = atoms.get_potential_energies()
    plain_forces, plain_stress = atoms.get_forces(), full_tensor(atoms.get_stress())
    one_hot = np.zeros(len(atoms))
    one_hot[5] = 1.0
    assert provider.weighted(atoms, one_hot).energy == pytest.approx(
        plain_energies[5], abs=1e-4
    )
    weights = np.random.default_rng(5).random(len(atoms))
    result = provider.weighted(atoms, weights)
    assert result.energy == pytest.approx(np.dot(weights, plain_energies), abs=1e-3)
    direction = result.forces - plain_forces
    strain = full_tensor(result.stress) - plain_stress
    strain /= np.linalg.norm(strain)
    volume = atoms.get_volume()
    h = 0.005
    for change, weighted, plain in [
        (
            lambda t: moved(atoms, direction, t),
            -np.sum(result.forces * direction),
            -np.sum(plain_forces * direction),
        ),
        (
            lambda t: strained(atoms, strain, t),
            volume * np.sum(full_tensor(result.stress) * strain),
            volume * np.sum(plain_stress * strain),
        ),
    ]:
        steps = (-2 * h, -h, h, 2 * h)
        energy = [provider.weighted(change(t), weights).energy for t in steps]
        slope = (energy[0] - 8 * energy[1] + 8 * energy[2] - energy[3]) / (12 * h)
        assert slope == pytest.approx(weighted, abs=2e-3)
        assert abs(weighted - plain) > 1.0
    assert atoms.get_potential_energy() == pytest.approx(plain_energies.sum())
