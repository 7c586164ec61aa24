"""Tests of mixpot.potentials.calculator: the in-process LAMMPS ASE calculator.

Physics checked: forces and stress are derivatives of the energy, Newton's
third law, invariance under rotation, translation and permutation, agreement
with the SNAP fitting rows and with a stock LAMMPS run of the exported files,
periodic images in small cells, and POPS bounds that contain every member of
the parameter ensemble.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import PropertyNotImplementedError
from ase.calculators.singlepoint import SinglePointCalculator

from mixpot.descriptors import SNAP
from mixpot.potentials import LinearPotential

from .conftest import labels_as_targets, stock_lammps

TIGHT = 1e-10


def evaluated(atoms: Atoms, potential: LinearPotential, **options) -> Atoms:
    atoms = atoms.copy()
    atoms.calc = potential.calculator(**options)
    return atoms


# --- derivatives and symmetries ------------------------------------------------


def test_forces_are_minus_energy_gradient(tungsten, rattled_w):
    """F = -dE/dx by central finite differences (SNAP + ZBL, rattled bcc W)."""
    atoms = evaluated(rattled_w, tungsten)
    forces = atoms.get_forces()
    step = 1e-5
    for atom, axis in [(0, 0), (3, 1), (9, 2), (15, 0)]:
        energies = []
        for sign in (1, -1):
            atoms.positions[atom, axis] += sign * step
            energies.append(atoms.get_potential_energy())
            atoms.positions[atom, axis] -= sign * step
        numeric = -(energies[0] - energies[1]) / (2 * step)
        assert forces[atom, axis] == pytest.approx(numeric, abs=1e-6)


def test_stress_is_energy_strain_derivative(tungsten, triclinic_w):
    """sigma_ij = (1/V) dE/d(eps_ij) for symmetric strains of a triclinic cell."""
    atoms = evaluated(triclinic_w, tungsten)
    stress = atoms.get_stress(voigt=False)
    volume, cell = atoms.get_volume(), atoms.cell.array.copy()
    step = 1e-6
    for a, b in [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]:
        strain = np.zeros((3, 3))
        strain[a, b] = strain[b, a] = 1.0 if a == b else 0.5
        energies = []
        for sign in (1, -1):
            strained = atoms.copy()
            strained.calc = atoms.calc
            strained.set_cell(cell @ (np.eye(3) + sign * step * strain), True)
            energies.append(strained.get_potential_energy())
        numeric = (energies[0] - energies[1]) / (2 * step * volume)
        assert stress[a, b] == pytest.approx(numeric, abs=1e-7)


def test_forces_sum_to_zero(tungsten, triclinic_w):
    """Newton's third law: the total force on a periodic cell vanishes."""
    forces = evaluated(triclinic_w, tungsten).get_forces()
    np.testing.assert_allclose(forces.sum(axis=0), 0.0, atol=1e-10)


def test_energy_invariant_under_rotation_translation_permutation(tungsten, rattled_w):
    """E is unchanged and F co-rotates/co-permutes under rigid motions."""
    reference = evaluated(rattled_w, tungsten)
    energy, forces = reference.get_potential_energy(), reference.get_forces()

    moved = rattled_w.copy()
    moved.rotate(53, (1, -2, 0.5), rotate_cell=True)
    moved.translate([0.3, -1.7, 2.9])
    moved = evaluated(moved, tungsten)
    rotation = np.linalg.solve(rattled_w.cell.array, moved.cell.array)
    assert moved.get_potential_energy() == pytest.approx(energy, rel=TIGHT)
    np.testing.assert_allclose(moved.get_forces(), forces @ rotation, atol=1e-9)

    order = np.random.default_rng(0).permutation(len(rattled_w))
    permuted = evaluated(rattled_w[order], tungsten)
    assert permuted.get_potential_energy() == pytest.approx(energy, rel=TIGHT)
    np.testing.assert_allclose(permuted.get_forces(), forces[order], atol=1e-10)


# --- agreement with the rows and with stock LAMMPS -----------------------------


def assert_matches_rows_and_lammps(atoms, potential, tmp_path) -> None:
    mine = evaluated(atoms, potential)
    rows = potential.descriptor.rows([atoms], baseline=potential.baseline)
    predicted = rows.predict(potential.coef)
    potential.to_lammps(tmp_path, name="exported")
    stock = stock_lammps(atoms, tmp_path / "exported.lammps", potential.elements)
    energy, forces, stress = (
        mine.get_potential_energy(),
        mine.get_forces(),
        mine.get_stress(),
    )
    for reference in (
        (
            predicted[rows.kind == "energy"][0],
            predicted[rows.kind == "force"],
            predicted[rows.kind == "stress"],
        ),
        (stock.energy, stock.forces, stock.stress),
    ):
        assert energy == pytest.approx(reference[0], rel=TIGHT, abs=0)
        forces_scale = np.abs(reference[1]).max()
        np.testing.assert_allclose(
            forces.ravel(), np.ravel(reference[1]), rtol=0, atol=TIGHT * forces_scale
        )
        stress_scale = np.abs(reference[2]).max()
        np.testing.assert_allclose(stress, reference[2], atol=TIGHT * stress_scale)
    np.testing.assert_allclose(
        mine.get_potential_energies(), stock.energies, rtol=TIGHT
    )


def test_matches_rows_and_stock_lammps_on_rattled_bcc(tungsten, rattled_w, tmp_path):
    """W_2940 + ZBL: calculator = rows @ coef + baseline = stock pair_style snap."""
    assert_matches_rows_and_lammps(rattled_w, tungsten, tmp_path)


def test_matches_rows_and_stock_lammps_on_triclinic_cell(
    tungsten, triclinic_w, tmp_path
):
    """A sheared, rotated cell: forces and stress are rotated back exactly."""
    assert_matches_rows_and_lammps(triclinic_w, tungsten, tmp_path)


def test_matches_rows_and_stock_lammps_with_two_elements(
    tungsten_beryllium, rattled_wbe, tmp_path
):
    """W-Be (bzeroflag 1, per-element weights, three ZBL pairs) agrees too."""
    assert_matches_rows_and_lammps(rattled_wbe, tungsten_beryllium, tmp_path)


def test_per_atom_energies_sum_to_total(tungsten_beryllium, rattled_wbe):
    """The per-atom energies (SNAP + half of each ZBL pair) add up to E."""
    atoms = evaluated(rattled_wbe, tungsten_beryllium)
    assert atoms.get_potential_energies().sum() == pytest.approx(
        atoms.get_potential_energy(), rel=1e-12
    )


def test_small_periodic_cell_sees_its_images(tungsten):
    """A 1-atom primitive bcc cell (cell << 2 cutoffs) = a 4x4x4 supercell per atom."""
    primitive = evaluated(bulk("W", "bcc", a=3.18), tungsten)
    supercell = evaluated(bulk("W", "bcc", a=3.18, cubic=True) * (4, 4, 4), tungsten)
    per_atom = supercell.get_potential_energy() / len(supercell)
    assert primitive.get_potential_energy() == pytest.approx(per_atom, rel=1e-12)
    np.testing.assert_allclose(
        primitive.get_stress(), supercell.get_stress(), atol=1e-12
    )


# --- in-place updates ------------------------------------------------------------


def test_position_updates_reuse_lammps_and_stay_exact(tungsten, triclinic_w):
    """MD-like moves (even across the cell walls) update LAMMPS in place, exactly."""
    atoms = evaluated(triclinic_w, tungsten)
    rng = np.random.default_rng(3)
    for _ in range(3):
        atoms.positions += rng.normal(0.0, 0.25, atoms.positions.shape)
        fresh = evaluated(atoms, tungsten)
        assert atoms.get_potential_energy() == pytest.approx(
            fresh.get_potential_energy(), rel=1e-12
        )
        np.testing.assert_allclose(atoms.get_forces(), fresh.get_forces(), atol=1e-10)
        np.testing.assert_allclose(atoms.get_stress(), fresh.get_stress(), atol=1e-12)
    assert atoms.calc.engine.n_builds == 1


def test_extras_after_in_place_moves_match_a_fresh_calculator(fitted, rattled_w):
    """Per-atom energies and POPS extras are recomputed at the moved positions."""
    atoms = evaluated(rattled_w, fitted)
    atoms.get_potential_energy()
    atoms.positions += np.random.default_rng(5).normal(0.0, 0.1, (len(atoms), 3))
    atoms.get_potential_energy()
    fresh = evaluated(atoms, fitted)
    fresh.get_potential_energy()
    assert atoms.calc.engine.n_builds == 1
    for name, value in fresh.calc.results.items():
        np.testing.assert_allclose(
            atoms.calc.results[name], value, rtol=1e-10, atol=1e-12, err_msg=name
        )


def test_cell_change_rebuilds(tungsten, rattled_w):
    """A new cell rebuilds the LAMMPS system and gives the fresh answer."""
    atoms = evaluated(rattled_w, tungsten)
    atoms.get_potential_energy()
    atoms.set_cell(atoms.cell * 1.01, scale_atoms=True)
    energy = atoms.get_potential_energy()
    assert atoms.calc.engine.n_builds == 2
    assert energy == pytest.approx(evaluated(atoms, tungsten).get_potential_energy())


def test_cluster_has_forces_but_no_stress(tungsten):
    """A free cluster: forces sum to zero; stress is not defined."""
    cluster = bulk("W", "bcc", a=3.18, cubic=True) * (2, 2, 2)
    cluster.pbc = False
    cluster.center(vacuum=3.0)
    atoms = evaluated(cluster, tungsten)
    np.testing.assert_allclose(atoms.get_forces().sum(axis=0), 0.0, atol=1e-10)
    with pytest.raises(PropertyNotImplementedError):
        atoms.get_stress()


# --- POPS uncertainty ---------------------------------------------------------------


def test_bounds_contain_every_ensemble_member(fitted, rattled_w):
    """Per-atom and total POPS bounds contain the energies of sampled potentials."""
    rattled_w.rattle(0.05, seed=11)  # not a training configuration
    atoms = evaluated(rattled_w, fitted)
    atoms.get_potential_energy()
    results = atoms.calc.results
    assert np.all(results["energies_upper"] > results["energies_lower"])
    assert results["energy_std"] > 0
    for coef in fitted.sample_coefficients(8, random_state=0):
        member = evaluated(
            rattled_w, LinearPotential(fitted.descriptor, coef, fitted.baseline)
        )
        energies = member.get_potential_energies()
        assert np.all(energies >= results["energies_lower"] - 1e-9)
        assert np.all(energies <= results["energies_upper"] + 1e-9)
        energy = member.get_potential_energy()
        assert (
            results["energy_lower"] - 1e-9 <= energy <= results["energy_upper"] + 1e-9
        )


def test_uncertainties_match_regressor_on_rows(fitted, triclinic_w):
    """energy_std and forces_std equal the regressor's std on the fitting rows."""
    atoms = evaluated(triclinic_w, fitted)
    atoms.get_potential_energy()
    rows = fitted.descriptor.rows([triclinic_w], baseline=fitted.baseline)
    _, std = fitted.regressor.predict(rows.X, return_std=True)
    results = atoms.calc.results
    assert results["energy_std"] == pytest.approx(std[0], rel=1e-9)
    assert results["forces_std"].shape == (len(atoms), 3)
    np.testing.assert_allclose(
        results["forces_std"].ravel(), std[rows.kind == "force"], rtol=1e-8
    )


def test_uncertainty_off_leaves_plain_results(fitted, rattled_w):
    """uncertainty=False fills only the standard properties; forces_std is optional."""
    plain = evaluated(rattled_w, fitted, uncertainty=False)
    plain.get_potential_energy()
    assert "energy_std" not in plain.calc.results
    energy_only = evaluated(rattled_w, fitted, force_uncertainty=False)
    energy_only.get_potential_energy()
    assert "energies_std" in energy_only.calc.results
    assert "forces_std" not in energy_only.calc.results


# --- bad input ------------------------------------------------------------------------


def test_unknown_element_is_refused(tungsten):
    """An element the potential does not describe fails before reaching LAMMPS."""
    atoms = evaluated(bulk("Fe", "bcc", a=2.87), tungsten)
    with pytest.raises(ValueError, match=r"element\(s\) \['Fe'\]"):
        atoms.get_potential_energy()


def test_close_atoms_need_a_baseline():
    """Without ZBL, atoms closer than 0.5 Å are an error (SNAP is not repulsive)."""
    snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    potential = LinearPotential(snap, np.zeros(snap.n_columns))
    atoms = evaluated(Atoms("W2", positions=[[0, 0, 0], [0.3, 0, 0]]), potential)
    with pytest.raises(ValueError, match="closer|apart"):
        atoms.get_potential_energy()


def test_close_atoms_with_baseline_are_repelled(tungsten):
    """With ZBL the same close pair is evaluated and pushed apart."""
    atoms = evaluated(Atoms("W2", positions=[[0, 0, 0], [0.4, 0, 0]]), tungsten)
    assert atoms.get_forces()[1, 0] > 0


def test_uncertainty_without_posterior_is_refused(tungsten):
    """uncertainty=True needs a POPS posterior."""
    with pytest.raises(
        ValueError, match="The 'uncertainty' parameter of SnapCalculator"
    ):
        tungsten.calculator(uncertainty=True)


def test_forces_std_with_two_elements_and_rotated_cell(tungsten_beryllium, rattled_wbe):
    """Per-type descriptor gradients are assembled and rotated like the rows.

    A 2J=2 W-Be SNAP fitted with POPS to WBe_Wood_PRB2019 labels; its
    forces_std in a rotated cell equals the regressor's std on the force rows
    of ``SNAP.rows``.
    """
    labeller = tungsten_beryllium.calculator()
    labelled = []
    for seed in range(3):
        atoms = rattled_wbe.copy()
        atoms.rattle(0.05, seed=seed)
        atoms.pbc = [True, True, False]  # a slab: no stress rows needed
        atoms.calc = labeller
        labels = {"energy": atoms.get_potential_energy(), "forces": atoms.get_forces()}
        atoms.calc = SinglePointCalculator(atoms, **labels)
        labelled.append(atoms)
    settings = SNAP(["W", "Be"], [0.5, 0.417932], [1.0, 0.959049], twojmax=2)
    rows = settings.rows(labelled, baseline=tungsten_beryllium.baseline)
    fitted = LinearPotential.fit(
        settings,
        rows,
        labels_as_targets(rows, labelled),
        baseline=tungsten_beryllium.baseline,
    )
    probe = rattled_wbe.copy()
    probe.rotate(41, (2, -1, 1), rotate_cell=True)
    atoms = evaluated(probe, fitted)
    atoms.get_forces()
    probe_rows = settings.rows([probe], baseline=fitted.baseline)
    _, std = fitted.regressor.predict(probe_rows.X, return_std=True)
    np.testing.assert_allclose(
        atoms.calc.results["forces_std"].ravel(),
        std[probe_rows.kind == "force"],
        rtol=1e-8,
    )
    assert atoms.calc.results["energy_std"] == pytest.approx(std[0], rel=1e-9)


def test_closed_calculator_can_be_used_again(tungsten, rattled_w):
    """close() frees LAMMPS; the next evaluation starts a new instance."""
    atoms = evaluated(rattled_w, tungsten)
    energy = atoms.get_potential_energy()
    atoms.calc.close()
    atoms.calc.reset()
    assert atoms.get_potential_energy() == pytest.approx(energy, rel=1e-12)
