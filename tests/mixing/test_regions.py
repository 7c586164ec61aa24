"""Region builder (src/mixpot/mixing/regions.py) against brute force."""

import dataclasses
import logging

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from mixpot.mixing import CoordinationNumber, Regions, RegionState
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
    first = regions.update(atoms)  # no memory: jump to target (atom 0 expensive)
    moved = dataclasses.replace(regions, seeds=(1,))
    state = moved.update(atoms, previous=first, elapsed_fs=10.0)
    assert state.weights[1] == pytest.approx(1 - np.exp(-1.0))
    assert state.weights[0] == pytest.approx(np.exp(-0.1))
    state = moved.update(atoms, previous=state, elapsed_fs=1000.0)
    assert state.weights[1] == 1.0 and state.weights[0] == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"r_core": -1.0},
            r"The 'r_core' parameter of Regions must be a distance >= 0 Å\. "
            r"Got -1\.0\.",
        ),
        ({"r_buff": np.nan}, "'r_buff' parameter of Regions must be a distance"),
        ({"blend": "gaussian"}, "'blend' parameter of Regions must be one of"),
        ({"criterion": CoordinationNumber(3.0)}, "must be given together"),
        ({"tau_grow": 0.0}, "'tau_grow' parameter of Regions must be None or a"),
        ({"n_every": 2.5}, "'n_every' parameter of Regions must be an int >= 0"),
        ({"seed_elements": ("Xx",)}, "'seed_elements' .* chemical symbols"),
        (
            {"criterion": lambda atoms: atoms.numbers, "criterion_bounds": (0, 1)},
            "must be a registered criterion",
        ),
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
    monkeypatch.setattr("mixpot.mixing.neighbours.PAIR_BUDGET", 0)
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


@pytest.mark.parametrize("seed", [1.5, True, np.float64(np.nan), "3"])
def test_non_integer_seed_is_rejected(seed):
    """A seed index that is not an integer (1.5 used to become 1) is an error."""
    with pytest.raises(ValueError, match="'seeds' parameter of Regions must be int"):
        Regions(seeds=[0, seed])


def test_integral_float_seed_is_an_index():
    """A seed given as 2.0 (e.g. read from a file) is the index 2."""
    assert Regions(seeds=[2.0, np.int64(3)]).seeds == (2, 3)


def test_non_finite_positions_are_rejected():
    """NaN or infinite positions are named before any distance is computed."""
    atoms = bulk("W", cubic=True).repeat(3)
    atoms.positions[4, 1] = np.inf
    with pytest.raises(ValueError, match=r"finite positions.*atoms \[4\]"):
        Regions(seeds=[0], r_buff=3.0).update(atoms)


def test_seed_elements_make_every_such_atom_a_seed():
    """seed_elements=("He",) seeds exactly the He atoms."""
    atoms = bulk("W", cubic=True).repeat(3)
    atoms.symbols[[5, 11]] = "He"
    state = Regions(seed_elements=("He",), r_core=0.0, r_blend=0.0, r_buff=0.0).update(
        atoms
    )
    assert state.seeds.tolist() == [5, 11]


def test_settings_round_trip_through_a_dict():
    """to_dict gives plain values; from_dict rebuilds equal settings."""
    regions = Regions(
        [3, 4],
        seed_elements=("He",),
        criterion=CoordinationNumber(2.9),
        criterion_bounds=(0, 7),
        r_buff=5.0,
        tau_grow=10.0,
        n_every=5,
    )
    values = regions.to_dict()
    assert values["criterion"] == {"name": "coordination", "cutoff": 2.9}
    assert Regions.from_dict(values) == regions


def test_unknown_setting_names_the_allowed_ones():
    """from_dict with a misspelt key names it and lists the settings."""
    with pytest.raises(ValueError, match=r"no setting 'rcore'.*'r_core'"):
        Regions.from_dict({"rcore": 3.0})


def test_settings_are_frozen():
    """The settings cannot be changed in place: state lives in RegionState."""
    regions = Regions([0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        regions.r_buff = 3.0


def test_region_state_saves_and_loads(tmp_path):
    """A RegionState written to .npz reads back equal (checkpoints use it)."""
    state = Regions([0], r_core=3.0, r_blend=2.0, r_buff=3.0).update(
        bulk("W", cubic=True).repeat(4)
    )
    assert RegionState.load(state.save(tmp_path / "state.npz")) == state


def test_previous_must_be_a_region_state():
    """The old positional ``update(atoms, elapsed)`` is refused clearly: the
    second argument is now the previous RegionState.
    """
    with pytest.raises(TypeError, match="'previous' parameter.*elapsed_fs"):
        Regions([0], r_buff=3.0).update(bulk("W", cubic=True).repeat(3), 10.0)


def test_legacy_elapsed_keyword_still_relaxes():
    """``elapsed=`` (the keyword's old name) is elapsed_fs."""
    atoms = bulk("W", cubic=True).repeat(3)
    regions = Regions([0], r_core=0.0, r_blend=0.0, r_buff=0.0, tau_shrink=10.0)
    first = regions.update(atoms)
    moved = dataclasses.replace(regions, seeds=(1,))
    state = moved.update(atoms, previous=first, elapsed=10.0)
    assert state.weights[0] == pytest.approx(np.exp(-1.0))
