"""Distances to the nearest member of a set (:mod:`mixpot.neighbours`).

Every search strategy (one neighbour list, a search near the smaller set,
bounded direct blocks) must give the minimum-image distances that all
pairwise distances give, in periodic, triclinic and open cells.
"""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.geometry import get_distances

from mixpot.neighbours import NearestDistance, SearchCell

CUTOFF = 4.5


def _rattled(atoms: Atoms, seed: int = 0) -> Atoms:
    atoms.positions += np.random.default_rng(seed).normal(
        0.0, 0.05, atoms.positions.shape
    )
    return atoms


CELLS = {
    "cubic": lambda: _rattled(bulk("W", cubic=True).repeat(7)),
    "triclinic": lambda: _rattled(
        Atoms("W", cell=[[3.0, 0, 0], [1.1, 2.9, 0], [0.7, 0.4, 3.1]], pbc=True).repeat(
            (9, 9, 9)
        )
    ),
    "slab": lambda: _rattled(
        Atoms(bulk("W", cubic=True).repeat((7, 7, 4)), pbc=[True, True, False])
    ),
    "open cluster": lambda: _rattled(Atoms(bulk("W", cubic=True).repeat(5), pbc=False)),
}
# PAIR_BUDGET per strategy: None keeps the default (one neighbour list);
# 3000 forces the search near the smaller set; 0 forces direct blocks.
BUDGETS = {"neighbour list": None, "near the smaller set": 3000, "direct": 0}


def _brute_force(atoms: Atoms, members: np.ndarray, cutoff: float) -> np.ndarray:
    _, d = get_distances(
        atoms.positions, atoms.positions[members], atoms.cell, atoms.pbc
    )
    nearest = d.min(axis=1)
    return np.where(nearest < cutoff, nearest, np.inf)


def _member_sets(n_atoms: int) -> dict[str, np.ndarray]:
    corner = np.zeros(n_atoms, bool)
    corner[[0, n_atoms // 2]] = True
    rng = np.random.default_rng(1)
    return {
        "two atoms": corner,
        "all but a few": ~corner,
        "random half": rng.random(n_atoms) < 0.5,
    }


@pytest.mark.parametrize("budget", BUDGETS.values(), ids=list(BUDGETS))
@pytest.mark.parametrize("cell", CELLS)
def test_every_strategy_matches_all_pairwise_distances(cell, budget, monkeypatch):
    """Distances to the nearest member equal brute-force minimum-image ones
    (inf beyond the cutoff) for few, most and half of the atoms as members.
    """
    atoms = CELLS[cell]()
    if budget is not None:
        monkeypatch.setattr("mixpot.neighbours.PAIR_BUDGET", budget)
    nearest = NearestDistance(atoms, CUTOFF)
    assert (nearest.pairs is None) == (budget is not None)
    for name, members in _member_sets(len(atoms)).items():
        for cutoff in (CUTOFF, 2.9):
            np.testing.assert_allclose(
                nearest(members, cutoff),
                _brute_force(atoms, members, cutoff),
                atol=1e-12,
                err_msg=f"{name}, cutoff {cutoff}",
            )


def test_search_near_a_small_set_looks_at_few_atoms(monkeypatch):
    """With few members in a large cell, the search touches only the atoms
    of the bins around them: memory follows the region, not the cell.
    """
    atoms = bulk("W", cubic=True).repeat(12)  # 3456 atoms, 38 Å
    monkeypatch.setattr("mixpot.neighbours.PAIR_BUDGET", 3000)
    nearest = NearestDistance(atoms, CUTOFF)
    members = np.zeros(len(atoms), bool)
    members[0] = True
    near = nearest._near(members)
    within = np.flatnonzero(_brute_force(atoms, members, CUTOFF) < np.inf)
    assert np.isin(within, near).all()
    # 3 x 3 x 3 bins of a grid 8 bins across hold about 27/512 of the atoms.
    assert len(near) < 0.06 * len(atoms)


def test_bins_are_at_least_the_width_apart():
    """Two points closer than the bin width lie in the same or adjacent
    bins (adjacency across the periodic boundary included), in a skewed cell.
    """
    atoms = Atoms(
        "W", cell=[[3.0, 0, 0], [1.1, 2.9, 0], [0.7, 0.4, 3.1]], pbc=True
    ).repeat((9, 9, 9))
    search = SearchCell(atoms)
    index, n_bins = search.bins(atoms.positions, CUTOFF)
    i, j, _ = search.pairs(atoms.positions, CUTOFF)
    step = np.abs(index[i] - index[j])
    step = np.minimum(step, n_bins - step)  # periodic wrap
    assert step.max() <= 1
    assert (n_bins >= 3).all()
