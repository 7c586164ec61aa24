"""WeightedSnap and weighted_zbl (src/mixpot/potentials/weighted.py): Σ w_i E_i
of a linear potential and its exact gradients.
"""

import numpy as np
import pytest
from ase.build import bulk
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.lammps import VOIGT_PAIRS
from mixpot.models import shipped_tungsten
from mixpot.potentials import LinearPotential, WeightedSnap, weighted_zbl
from mixpot.testing import lammps_reference

from ..finite_differences import derivative, moved, rattled_cell, strained


@pytest.fixture(scope="module")
def w_2940() -> LinearPotential:
    """W_2940_2017_2 (2J = 8, bzeroflag 0) with its ZBL 4.0–4.8 Å baseline."""
    return shipped_tungsten()


@pytest.fixture(scope="module")
def quadratic_bzero() -> LinearPotential:
    """A 2J = 4 quadratic SNAP with bzeroflag, random coefficients, no baseline."""
    snap = SNAP(["W"], [0.5], twojmax=4, bzeroflag=True, quadraticflag=True)
    coef = np.random.default_rng(3).normal(scale=0.02, size=snap.n_columns)
    coef[0] = -8.0
    return LinearPotential(snap, coef)


@pytest.fixture(params=["w_2940", "quadratic_bzero"])
def potential(request) -> LinearPotential:
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("pbc", [True, [True, True, False], False])
def test_uniform_weights_equal_plain_potential(w_2940, pbc):
    """Weights 1 everywhere reproduce the potential (SNAP + ZBL) to 1e-10:
    energy, forces and, for periodic cells, stress; weights 0.3 scale it.
    """
    atoms = rattled_cell(pbc)
    atoms.calc = w_2940.calculator()
    provider = WeightedSnap(w_2940)
    ones = provider.weighted(atoms, np.ones(len(atoms)))
    assert ones.energy == pytest.approx(atoms.get_potential_energy(), abs=1e-10)
    np.testing.assert_allclose(ones.forces, atoms.get_forces(), atol=1e-10)
    if atoms.pbc.all():
        np.testing.assert_allclose(ones.stress, atoms.get_stress(), atol=1e-10)
    third = provider.weighted(atoms, np.full(len(atoms), 0.3))
    assert third.energy == pytest.approx(0.3 * ones.energy, abs=1e-9)
    np.testing.assert_allclose(third.forces, 0.3 * ones.forces, atol=1e-10)


def test_energy_is_weighted_sum_of_atom_energies(potential):
    """With 250 distinct weights (250 LAMMPS types), the energy is
    Σ w_i E_i of the plain per-atom energies: constant terms, bzeroflag
    shifts and quadratic terms all scale with the weight.
    """
    atoms = rattled_cell(True, repeat=5)
    weights = np.random.default_rng(0).random(len(atoms))
    atoms.calc = potential.calculator()
    expected = np.dot(weights, atoms.get_potential_energies())
    got = WeightedSnap(potential).weighted(atoms, weights)
    assert got.energy == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("pbc", [True, [True, False, False], False])
def test_forces_are_gradient_of_weighted_energy(potential, pbc):
    """Random weights (zeros included): forces are −∂(Σ w_i E_i)/∂r, checked
    by central differences along random directions and on single components.
    """
    atoms = rattled_cell(pbc, repeat=2)
    rng = np.random.default_rng(1)
    weights = rng.random(len(atoms))
    weights[:3] = 0.0
    provider = WeightedSnap(potential)
    forces = provider.weighted(atoms, weights).forces
    directions = [rng.normal(size=(len(atoms), 3)) for _ in range(2)]
    for atom, axis in [(0, 2), (7, 0)]:
        directions.append(np.zeros((len(atoms), 3)))
        directions[-1][atom, axis] = 1.0
    for direction in directions:
        slope = derivative(
            lambda t, d=direction: (
                provider.weighted(moved(atoms, d, t), weights).energy
            ),
            1e-5,
        )
        assert slope == pytest.approx(-np.sum(forces * direction), abs=2e-6)


@pytest.mark.parametrize("pbc", [True, [True, True, False]])
def test_stress_is_strain_derivative(potential, pbc):
    """The stress is (1/V) ∂(Σ w_i E_i)/∂ε (V of the cell given), for every
    Voigt component, also with an open direction (only the parent cell's
    volume is used there).
    """
    atoms = rattled_cell(pbc, repeat=2)
    weights = np.random.default_rng(2).random(len(atoms))
    provider = WeightedSnap(potential)
    stress = provider.weighted(atoms, weights).stress
    for voigt, (a, b) in enumerate(VOIGT_PAIRS):
        strain = np.zeros((3, 3))
        strain[a, b] += 0.5
        strain[b, a] += 0.5
        slope = derivative(
            lambda t, s=strain: (
                provider.weighted(strained(atoms, s, t), weights).energy
            ),
            1e-5,
        )
        assert slope / atoms.get_volume() == pytest.approx(stress[voigt], abs=1e-7)


def test_lammps_rebuilt_only_when_weights_change(w_2940):
    """Moving atoms updates LAMMPS in place; new weights rebuild it."""
    atoms = rattled_cell(True, repeat=2)
    provider = WeightedSnap(w_2940)
    weights = np.linspace(0, 1, len(atoms))
    provider.weighted(atoms, weights)
    atoms.positions[0] += 0.05
    provider.weighted(atoms, weights)
    assert provider.n_builds == 1
    provider.weighted(atoms, weights[::-1])
    assert provider.n_builds == 2


def test_zbl_matches_lammps_pair_style_zbl():
    """weighted_zbl with weights 1 equals LAMMPS pair_style zbl (W and Be,
    compressed so that pairs fall on both sides of the switching radius):
    energy, forces and stress to 1e-10.
    """
    atoms = bulk("W", "bcc", a=0.9 * 3.1803, cubic=True).repeat(3)
    atoms.rattle(0.3, seed=2)
    atoms.symbols[[1, 5, 9]] = "Be"
    commands = [
        "pair_style zbl 2.0 3.5",
        "pair_coeff 1 1 74 74",
        "pair_coeff 1 2 74 4",
        "pair_coeff 2 2 4 4",
    ]
    reference = lammps_reference(atoms, commands, ["W", "Be"])
    got = weighted_zbl(atoms, np.ones(len(atoms)), ZBLBaseline(2.0, 3.5))
    assert got.energy == pytest.approx(reference.energy, abs=1e-10)
    np.testing.assert_allclose(got.forces, reference.forces, atol=1e-10)
    np.testing.assert_allclose(got.stress, reference.stress, atol=1e-10)


def test_chemflag_snap_is_refused():
    """A chemflag SNAP cannot be weighted by types: the classes would count
    as chemical elements.
    """
    snap = SNAP(["W", "Be"], [0.5, 0.4], twojmax=2, chemflag=True)
    with pytest.raises(ValueError, match="chemflag"):
        WeightedSnap(LinearPotential(snap, np.zeros(snap.n_columns)))
