"""Weighted providers (src/mixpot/mixing/weighted.py): Σ w_i E_i and its gradients."""

import importlib.util

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.lammps import VOIGT_PAIRS
from mixpot.mixing.weighted import (
    WeightedSevenNet,
    WeightedSnap,
    weighted_provider,
    weighted_zbl,
)
from mixpot.potentials import LinearPotential
from mixpot.testing import lammps_reference, shipped_tungsten


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


def rattled_cell(pbc, repeat=3, seed=3):
    atoms = bulk("W", "bcc", a=3.1803, cubic=True).repeat(repeat)
    atoms.rattle(0.1, seed=seed)
    atoms.pbc = pbc
    return atoms


def derivative(energy_of, h):
    """Central difference of ``energy_of(t)`` at t = 0."""
    return (energy_of(h) - energy_of(-h)) / (2 * h)


def moved(atoms, direction, t):
    other = atoms.copy()
    other.positions += t * direction
    return other


def strained(atoms, strain, t):
    other = atoms.copy()
    other.set_cell(atoms.cell.array @ (np.eye(3) + t * strain), scale_atoms=True)
    return other


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


def test_provider_dispatch(w_2940):
    """SNAP calculators and potentials get WeightedSnap; others a clear error."""
    assert isinstance(weighted_provider(w_2940), WeightedSnap)
    assert isinstance(weighted_provider(w_2940.calculator()), WeightedSnap)
    with pytest.raises(ValueError, match="EMT cannot provide λ-weighted energy"):
        weighted_provider(EMT())


def test_chemflag_snap_is_refused():
    """A chemflag SNAP cannot be weighted by types: the classes would count
    as chemical elements.
    """
    snap = SNAP(["W", "Be"], [0.5, 0.4], twojmax=2, chemflag=True)
    with pytest.raises(ValueError, match="chemflag"):
        WeightedSnap(LinearPotential(snap, np.zeros(snap.n_columns)))


@pytest.fixture(scope="module")
def sevennet():
    if importlib.util.find_spec("sevenn") is None:
        pytest.skip("sevenn is not installed (optional extra mixpot[sevennet])")
    from mixpot.distill.expensive import sevennet_calculator

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
    plain_forces, plain_stress = atoms.get_forces(), _full(atoms.get_stress())
    one_hot = np.zeros(len(atoms))
    one_hot[5] = 1.0
    assert provider.weighted(atoms, one_hot).energy == pytest.approx(
        plain_energies[5], abs=1e-4
    )
    weights = np.random.default_rng(5).random(len(atoms))
    result = provider.weighted(atoms, weights)
    assert result.energy == pytest.approx(np.dot(weights, plain_energies), abs=1e-3)
    direction = result.forces - plain_forces
    strain = _full(result.stress) - plain_stress
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
            volume * np.sum(_full(result.stress) * strain),
            volume * np.sum(plain_stress * strain),
        ),
    ]:
        steps = (-2 * h, -h, h, 2 * h)
        energy = [provider.weighted(change(t), weights).energy for t in steps]
        slope = (energy[0] - 8 * energy[1] + 8 * energy[2] - energy[3]) / (12 * h)
        assert slope == pytest.approx(weighted, abs=2e-3)
        assert abs(weighted - plain) > 1.0
    assert atoms.get_potential_energy() == pytest.approx(plain_energies.sum())


def _full(voigt):
    tensor = np.empty((3, 3))
    for value, (a, b) in zip(voigt, VOIGT_PAIRS, strict=True):
        tensor[a, b] = tensor[b, a] = value
    return tensor
