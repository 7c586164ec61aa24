"""Region builder (src/mixpot/mixing/regions.py) against brute force."""

import logging

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from mixpot.mixing import CoordinationNumber, Regions
from mixpot.mixing.regions import BLEND_SHAPES


def brute_force(atoms, seeds, r_core, r_blend, r_buff, blend="cubic"):
    """λ and atom sets from all minimum-image distances (O(N²))."""
    D = atoms.get_all_distances(mic=True)
    core = D[:, seeds].min(axis=1) < r_core
    core[seeds] = True
    to_core = D[:, core].min(axis=1)
    weights = np.where(core, 1.0, 0.0)
    shell = ~core & (to_core < r_blend)
    weights[shell] = BLEND_SHAPES[blend](to_core[shell] / r_blend)
    active, partial = weights > 0, weights < 1
    expensive = active | (D[:, active].min(axis=1) < r_buff)
    near_partial = D[:, partial].min(axis=1) < r_buff if partial.any() else False
    deep = (weights == 1) & ~near_partial
    return weights, np.flatnonzero(expensive), np.flatnonzero(~deep)


def rattled(atoms, seed=0, amount=0.05):
    atoms = atoms.copy()
    atoms.rattle(amount, seed=seed)
    return atoms


CELLS = {
    "cubic": lambda: rattled(bulk("W", cubic=True).repeat(6)),
    "triclinic": lambda: rattled(
        Atoms("W", cell=[[3.0, 0, 0], [1.1, 2.9, 0], [0.7, 0.4, 3.1]], pbc=True).repeat(
            (6, 6, 6)
        )
    ),
    "open cluster": lambda: rattled(Atoms(bulk("W", cubic=True).repeat(5), pbc=False)),
    "slab": lambda: rattled(
        Atoms(bulk("W", cubic=True).repeat((5, 5, 4)), pbc=[True, True, False])
    ),
}


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("blend", ["linear", "cubic"])
def test_weights_and_sets_match_brute_force(cell, blend):
    """λ, expensive and cheap sets equal those from all pairwise distances,
    with seeds at a corner of the cell (the region wraps across the boundary).
    """
    atoms = CELLS[cell]()
    corner = int(np.argmin(np.linalg.norm(atoms.positions, axis=1)))
    seeds = [corner, len(atoms) // 2]
    radii = {"r_core": 3.0, "r_blend": 4.0, "r_buff": 3.5}
    state = Regions(seeds, blend=blend, **radii).update(atoms)
    weights, expensive, cheap = brute_force(atoms, seeds, blend=blend, **radii)
    np.testing.assert_allclose(state.weights, weights, atol=1e-12)
    np.testing.assert_array_equal(state.expensive_atoms, expensive)
    np.testing.assert_array_equal(state.cheap_atoms, cheap)
    assert 0 < (state.weights == 1).sum() < len(atoms)
    assert np.any((state.weights > 0) & (state.weights < 1))


def test_coordination_criterion_seeds_the_vacancy_shell():
    """In bcc W with a vacancy, CN = 7 picks exactly the 8 first neighbours."""
    atoms = bulk("W", cubic=True).repeat(5)
    vacancy = atoms.positions[62].copy()
    del atoms[62]
    state = Regions(
        criterion=CoordinationNumber(cutoff=3.0),
        criterion_bounds=(0, 7),
        r_core=0.0,
        r_buff=3.0,
    ).update(atoms)
    distances = np.linalg.norm(atoms.positions[state.seeds] - vacancy, axis=1)
    assert len(state.seeds) == 8
    lattice_constant = atoms.cell[0, 0] / 5
    np.testing.assert_allclose(distances, np.sqrt(3) / 2 * lattice_constant)


def test_no_seeds_means_all_cheap(caplog):
    """Without seeds every λ is 0, the expensive set is empty, and a log says so."""
    atoms = bulk("W", cubic=True).repeat(3)
    with caplog.at_level(logging.INFO, logger="mixpot.mixing.regions"):
        state = Regions(seeds=[], r_buff=3.0).update(atoms)
    assert not state.weights.any()
    assert state.n_expensive == 0 and state.n_cheap == len(atoms)
    assert "no seeds" in caplog.text


def test_region_larger_than_cell_is_all_expensive():
    """A core wider than the cell makes every atom expensive and none cheap."""
    atoms = bulk("W", cubic=True).repeat(2)
    state = Regions(seeds=[0], r_core=20.0, r_buff=3.0).update(atoms)
    assert np.all(state.weights == 1)
    assert state.n_expensive == len(atoms) and state.n_cheap == 0


def test_hysteresis_relaxes_with_time_constants():
    """λ approaches its target as 1 − exp(−t/τ), growing and shrinking at
    their own rates, and snaps to 0 / 1 near the ends.
    """
    atoms = bulk("W", cubic=True).repeat(4)
    regions = Regions(
        seeds=[0], r_core=0.0, r_blend=0.0, r_buff=0.0, tau_grow=10.0, tau_shrink=100.0
    )
    regions.update(atoms)  # first call: jump to target (atom 0 expensive)
    regions.seeds = np.array([1])
    state = regions.update(atoms, elapsed=10.0)
    assert state.weights[1] == pytest.approx(1 - np.exp(-1.0))
    assert state.weights[0] == pytest.approx(np.exp(-0.1))
    state = regions.update(atoms, elapsed=1000.0)
    assert state.weights[1] == 1.0 and state.weights[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"r_core": -1.0}, "r_core must be a finite distance"),
        ({"r_buff": np.nan}, "r_buff must be a finite distance"),
        ({"blend": "gaussian"}, "blend must be one of"),
        ({"criterion": CoordinationNumber(3.0)}, "given together"),
        ({"tau_grow": 0.0}, "tau_grow must be None or a time > 0"),
    ],
)
def test_bad_settings(kwargs, message):
    """Invalid settings raise a ValueError naming the setting."""
    with pytest.raises(ValueError, match=message):
        Regions(seeds=[0], **kwargs)


def test_unknown_seed_index():
    """A seed index beyond the atoms is named in the error."""
    with pytest.raises(ValueError, match=r"seed indices \[54\] are out of range"):
        Regions(seeds=[0, 54], r_buff=3.0).update(bulk("W", cubic=True).repeat(3))


@pytest.mark.parametrize("cell", ["triclinic", "slab"])
def test_direct_distances_match_neighbour_lists(cell, monkeypatch):
    """The direct (no neighbour list) path for huge radii gives the same region."""
    atoms = CELLS[cell]()
    regions = Regions([0, 7], r_core=3.0, r_blend=4.0, r_buff=3.5)
    with_pairs = regions.update(atoms)
    monkeypatch.setattr("mixpot.neighbours.PAIR_BUDGET", 0)
    direct = regions.update(atoms)
    np.testing.assert_allclose(direct.weights, with_pairs.weights, atol=1e-12)
    np.testing.assert_array_equal(direct.expensive_atoms, with_pairs.expensive_atoms)
    np.testing.assert_array_equal(direct.cheap_atoms, with_pairs.cheap_atoms)


def test_buffer_must_be_set_before_a_direct_update():
    """Regions without r_buff wait for a MixedCalculator to choose it; a
    direct update says so.
    """
    with pytest.raises(ValueError, match="r_buff is not set"):
        Regions(seeds=[0]).update(bulk("W", cubic=True).repeat(3))
