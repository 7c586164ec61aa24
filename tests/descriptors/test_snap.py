"""Tests of mixpot.descriptors: SNAP settings, fitting rows and per-atom descriptors.

The reference is LAMMPS's own ``pair_style snap`` (with the ZBL overlay of the
shipped potential files), evaluated in a separate LAMMPS instance.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk, fcc111

from mixpot.descriptors import SNAP, SnapRows, ZBLBaseline

from .conftest import ShippedSnap, lammps_reference, shipped_snap

TIGHT = 1e-10


def predicted(rows: SnapRows, coef: np.ndarray, structure: int = 0) -> dict:
    """Energy, forces and stress of one structure predicted by the rows."""
    values = rows.predict(coef)
    mine = rows.structure == structure
    return {
        "energy": values[mine & (rows.kind == "energy")][0],
        "forces": values[mine & (rows.kind == "force")].reshape(-1, 3),
        "stress": values[mine & (rows.kind == "stress")],
    }


def assert_matches_lammps(atoms: Atoms, potential: ShippedSnap, rtol: float) -> None:
    rows = potential.snap.rows([atoms], baseline=potential.zbl)
    mine = predicted(rows, potential.coef)
    reference = lammps_reference(atoms, potential)
    np.testing.assert_allclose(mine["energy"], reference.energy, rtol=rtol, atol=0)
    for name in ("forces", "stress"):
        scale = np.abs(getattr(reference, name)).max()
        np.testing.assert_allclose(
            mine[name], getattr(reference, name), rtol=0, atol=rtol * scale
        )


# --- rows reproduce LAMMPS's own pair_style snap ------------------------------


def test_rows_reproduce_pair_snap_on_rattled_bcc(tungsten, rattled_w):
    """Rows @ coef + ZBL baseline = pair_style snap E, F, stress (bcc W, 1e-10)."""
    assert_matches_lammps(rattled_w, tungsten, TIGHT)


def test_rows_reproduce_pair_snap_on_rotated_triclinic_cell(tungsten, triclinic_w):
    """A sheared, rotated cell is rotated into a LAMMPS prism and back exactly."""
    assert_matches_lammps(triclinic_w, tungsten, TIGHT)


def test_rows_reproduce_pair_snap_with_two_elements(tungsten_beryllium, rattled_w):
    """W-Be (bzeroflag 1, per-element weights, 3 ZBL pairs) matches pair_style snap."""
    atoms = rattled_w.copy()
    atoms.symbols[[1, 5, 7, 10]] = "Be"
    assert_matches_lammps(atoms, tungsten_beryllium, TIGHT)


def test_rows_reproduce_quadratic_snap():
    """Quadratic SNAP columns (1/2 B_i^2, B_i B_j) match pair_style snap (Mo)."""
    potential = shipped_snap("Mo_Zuo_JPCA2020.quadratic", None)
    atoms = bulk("Mo", "bcc", a=3.16, cubic=True) * (2, 2, 2)
    atoms.rattle(0.05, seed=3)
    assert potential.snap.n_coefficients == 496
    assert_matches_lammps(atoms, potential, TIGHT)


def test_rows_reproduce_chemical_snap():
    """Explicit multi-element SNAP (chemflag, InP) matches pair_style snap.

    With chemflag, LAMMPS's own compute snap and pair_style snap agree on
    energies to 1e-14 but on forces and virials only to ~1e-10 eV/Å and
    ~1e-10 eV/Å^3 (two code paths inside LAMMPS), hence absolute tolerances.
    """
    potential = shipped_snap("InP_JCPA2020", ZBLBaseline(4.0, 4.2))
    atoms = bulk("InP", "zincblende", a=5.87) * (2, 2, 2)
    atoms.rattle(0.05, seed=3)
    rows = potential.snap.rows([atoms], baseline=potential.zbl)
    mine = predicted(rows, potential.coef)
    reference = lammps_reference(atoms, potential)
    assert mine["energy"] == pytest.approx(reference.energy, rel=1e-12)
    np.testing.assert_allclose(mine["forces"], reference.forces, rtol=0, atol=5e-9)
    np.testing.assert_allclose(mine["stress"], reference.stress, rtol=0, atol=1e-9)


def test_left_handed_cell_gives_same_rows(tungsten, rattled_w):
    """Swapping two cell vectors (left-handed cell) changes nothing physical."""
    swapped = rattled_w.copy()
    swapped.set_cell(rattled_w.cell.array[[1, 0, 2]])
    rows = tungsten.snap.rows([rattled_w, swapped], baseline=tungsten.zbl)
    first, second = (predicted(rows, tungsten.coef, k) for k in (0, 1))
    for name in ("energy", "forces", "stress"):
        np.testing.assert_allclose(first[name], second[name], rtol=0, atol=1e-10)


# --- physics of the rows --------------------------------------------------------


def test_force_rows_sum_to_zero(tungsten, triclinic_w):
    """Newton's third law: every column of the force rows sums to zero per axis."""
    rows = tungsten.snap.rows([triclinic_w], baseline=tungsten.zbl)
    force = rows.kind == "force"
    for axis in range(3):
        selected = force & (rows.component == axis)
        np.testing.assert_allclose(rows.X[selected].sum(axis=0), 0, atol=1e-9)
        assert abs(rows.baseline[selected].sum()) < 1e-9


def test_energy_invariant_under_translation_and_permutation(tungsten, rattled_w):
    """Energy is unchanged by a rigid shift and by relabelling the atoms."""
    shifted = rattled_w.copy()
    shifted.translate([0.37, -1.2, 2.9])
    order = np.random.default_rng(0).permutation(len(rattled_w))
    permuted = rattled_w[order]
    rows = tungsten.snap.rows([rattled_w, shifted, permuted], progress=True)
    energy_rows = rows.X[rows.kind == "energy"]
    np.testing.assert_allclose(energy_rows[1], energy_rows[0], rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(energy_rows[2], energy_rows[0], rtol=1e-12, atol=1e-10)
    forces = rows.X[(rows.structure == 2) & (rows.kind == "force")]
    reference = rows.X[(rows.structure == 0) & (rows.kind == "force")]
    np.testing.assert_allclose(
        forces.reshape(-1, 3, rows.X.shape[1]),
        reference.reshape(-1, 3, rows.X.shape[1])[order],
        atol=1e-10,
    )


def test_stress_rows_match_finite_difference_of_energy(tungsten, triclinic_w):
    """Stress rows equal (1/V) dE/dstrain, checked by central differences."""
    rows = tungsten.snap.rows([triclinic_w], baseline=tungsten.zbl)
    stress = predicted(rows, tungsten.coef)["stress"]
    step, volume = 1e-5, triclinic_w.get_volume()
    strained = []
    for sign in (1, -1):
        atoms = triclinic_w.copy()
        deformation = np.eye(3)
        deformation[0, 1] = deformation[1, 0] = sign * step / 2  # xy shear
        atoms.set_cell(atoms.cell.array @ deformation, scale_atoms=True)
        strained.append(atoms)
    energies = tungsten.snap.rows(strained, baseline=tungsten.zbl)
    e_plus, e_minus = energies.predict(tungsten.coef)[energies.kind == "energy"]
    finite_difference = (e_plus - e_minus) / (2 * step) / volume
    assert stress[5] == pytest.approx(finite_difference, rel=1e-6)


def test_free_cluster_and_slab_match_periodic_with_vacuum(tungsten):
    """Non-periodic and slab boundaries equal a periodic box with wide vacuum."""
    slab = fcc111("W", size=(3, 3, 3), a=4.0, vacuum=12.0, orthogonal=False)
    slab.rattle(0.05, seed=4)
    slab.pbc = (True, True, True)
    open_slab = slab.copy()
    open_slab.pbc = (True, True, False)
    cluster = slab.copy()
    cluster.pbc = False
    boxed = cluster.copy()
    boxed.set_cell(np.diag([40.0, 40.0, 40.0]))
    boxed.center()
    boxed.pbc = True
    rows = tungsten.snap.rows([slab, open_slab, cluster, boxed], baseline=tungsten.zbl)
    values = [predicted(rows, tungsten.coef, k) for k in range(4)]
    for periodic, open_ in ((values[0], values[1]), (values[3], values[2])):
        assert open_["energy"] == pytest.approx(periodic["energy"], rel=1e-12)
        np.testing.assert_allclose(open_["forces"], periodic["forces"], atol=1e-10)
    assert values[1]["stress"].size == 0 and values[2]["stress"].size == 0


def test_per_atom_descriptors_sum_to_energy(tungsten_beryllium, rattled_w):
    """Sum over atoms of per_atom @ coef(element) is the SNAP energy of rows."""
    potential = tungsten_beryllium
    atoms = rattled_w.copy()
    atoms.symbols[[0, 3, 9]] = "Be"
    n_coefficients = potential.snap.n_coefficients
    coef_by_element = potential.coef.reshape(potential.snap.n_elements, -1)
    element_index = [potential.snap.elements.index(s) for s in atoms.symbols]
    per_atom = potential.snap.per_atom(atoms)
    assert per_atom.shape == (len(atoms), n_coefficients)
    atom_energies = np.einsum("nk,nk->n", per_atom, coef_by_element[element_index])
    rows = potential.snap.rows([atoms])
    energy = predicted(rows, potential.coef)["energy"]
    assert atom_energies.sum() == pytest.approx(energy, rel=1e-12)


def test_atom_energy_rows_match_lammps_per_atom_energies(tungsten, rattled_w):
    """With per_atom_energies, each atom's row predicts its LAMMPS ``pe/atom``
    (SNAP and its share of the ZBL pairs), and the rows sum to the energy row.
    """
    atoms = rattled_w.copy()
    atoms.positions[1] = atoms.positions[0] + [1.9, 0.3, 0.0]  # inside the ZBL
    rows = tungsten.snap.rows([atoms], baseline=tungsten.zbl, per_atom_energies=True)
    values = rows.predict(tungsten.coef)
    atom_rows = rows.kind == "atom_energy"
    assert rows.atom[atom_rows].tolist() == list(range(len(atoms)))
    reference = lammps_reference(atoms, tungsten)
    np.testing.assert_allclose(
        values[atom_rows], reference.energies, rtol=0, atol=1e-10
    )
    energy = values[rows.kind == "energy"][0]
    assert values[atom_rows].sum() == pytest.approx(energy, rel=1e-13)
    without = tungsten.snap.rows([atoms], baseline=tungsten.zbl)
    np.testing.assert_array_equal(without.X, rows.X[~atom_rows])


def test_atom_energy_rows_put_each_atom_in_its_element_block(
    tungsten_beryllium, rattled_w
):
    """A Be atom's row has zeros in the W block and 1 in the Be constant column."""
    atoms = rattled_w.copy()
    atoms.symbols[[0, 3]] = "Be"
    snap = tungsten_beryllium.snap
    rows = snap.rows([atoms], per_atom_energies=True)
    block = rows.X[rows.kind == "atom_energy"].reshape(len(atoms), 2, -1)
    is_be = np.array([s == "Be" for s in atoms.symbols])
    be = snap.elements.index("Be")
    assert np.all(block[is_be, 1 - be] == 0) and np.all(block[is_be, be, 0] == 1)
    assert np.all(block[~is_be, be] == 0) and np.all(block[~is_be, 1 - be, 0] == 1)
    np.testing.assert_allclose(block[:, :, 1:].sum(axis=1), snap.per_atom(atoms)[:, 1:])


def test_atom_energy_targets_need_per_atom_labels(tungsten, rattled_w):
    """Rows with atom_energy rows read 'energies'; without them the error says so."""
    from ase.calculators.singlepoint import SinglePointCalculator

    atoms = rattled_w.copy()
    atoms.calc = SinglePointCalculator(
        atoms, energy=1.0, forces=np.zeros((len(atoms), 3)), stress=np.zeros(6)
    )
    rows = tungsten.snap.rows([atoms], per_atom_energies=True)
    with pytest.raises(ValueError, match="no per-atom energies"):
        rows.targets_from([atoms])


# --- bookkeeping ----------------------------------------------------------------


def test_row_bookkeeping(tungsten, rattled_w):
    """Row order, labels, constant columns and shapes follow the documented layout."""
    cluster = Atoms("W3", positions=[[0, 0, 0], [2.7, 0, 0], [0, 2.6, 0.4]])
    rows = tungsten.snap.rows([rattled_w, cluster], baseline=tungsten.zbl)
    n = len(rattled_w)
    assert rows.X.shape == (1 + 3 * n + 6 + 1 + 9, 56)
    assert rows.n_atoms.tolist() == [n, 3]
    assert rows.kind[0] == "energy" and rows.kind[1 + 3 * n] == "stress"
    assert rows.atom[1:7].tolist() == [0, 0, 0, 1, 1, 1]
    assert rows.component[1 + 3 * n : 7 + 3 * n].tolist() == list(range(6))
    assert rows.X[0, 0] == n and rows.X[1 + 3 * n + 6, 0] == 3
    assert np.all(rows.X[rows.kind != "energy", 0] == 0)
    assert rows.structure[-1] == 1 and np.all(rows.baseline[:1] > 0)


def test_snapparam_text_drives_pair_snap(tungsten, rattled_w, tmp_path):
    """to_snapparam_text() written to disk gives the same pair_style snap forces."""
    param_path = tmp_path / "W.snapparam"
    param_path.write_text(tungsten.snap.to_snapparam_text())
    rewritten = dataclasses.replace(tungsten, param_path=param_path)
    original = lammps_reference(rattled_w, tungsten)
    assert lammps_reference(rattled_w, rewritten).forces == pytest.approx(
        original.forces, abs=1e-12
    )


def test_settings_properties():
    """Descriptor counts and cutoff follow LAMMPS (2J=8: 55; chem: x n^3)."""
    snap = SNAP(["W", "Be"], [0.5, 0.417932], twojmax=8, rcutfac=4.8123)
    assert (snap.n_descriptors, snap.n_coefficients, snap.n_columns) == (55, 56, 112)
    assert snap.cutoff == pytest.approx(4.8123)
    chem = dataclasses.replace(snap, twojmax=6, chemflag=True)
    assert chem.n_descriptors == 30 * 8
    assert "chem 2 0 1" in chem.lammps_compute_args()


# --- bad input ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"radii": [-0.5]}, "radii"),
        ({"radii": [0.5, 0.5]}, "radii"),
        ({"weights": [1.0, 2.0]}, "weights"),
        ({"twojmax": 7}, "twojmax"),
        ({"twojmax": -2}, "twojmax"),
        ({"elements": ["Wx"]}, "elements"),
        ({"rcutfac": 0.0}, "rcutfac"),
        ({"rfac0": 1.5}, "rfac0"),
        ({"bzeroflag": 1}, "bzeroflag"),
    ],
)
def test_invalid_settings_name_the_argument(kwargs, name):
    """Each invalid setting raises a ValueError naming the argument."""
    settings = {"elements": ["W"], "radii": [0.5]} | kwargs
    with pytest.raises(ValueError, match=name):
        SNAP(**settings)


def test_zbl_baseline_rejects_inner_beyond_outer():
    """ZBL needs 0 < inner < outer."""
    with pytest.raises(ValueError, match="inner"):
        ZBLBaseline(inner=5.0, outer=4.0)


def test_bad_structures_are_reported_by_index(tungsten, rattled_w):
    """Unknown elements, NaN positions, empty lists, flat cells: clear ValueErrors."""
    foreign = rattled_w.copy()
    foreign.symbols[2] = "Fe"
    with pytest.raises(ValueError, match=r"Structure 1 .*'Fe'"):
        tungsten.snap.rows([rattled_w, foreign])
    broken = rattled_w.copy()
    broken.positions[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"Structure 0 .*\[4\]"):
        tungsten.snap.rows([broken])
    with pytest.raises(ValueError, match="empty"):
        tungsten.snap.rows([])
    flat = rattled_w.copy()
    flat.cell[2] = 0.0
    with pytest.raises(ValueError, match="Structure 0 is periodic"):
        tungsten.snap.rows([flat])


def test_close_atoms_need_a_baseline(tungsten, rattled_w):
    """Atoms < 0.5 Å apart fail without a baseline (naming both) and pass with ZBL."""
    squeezed = rattled_w.copy()
    squeezed.positions[7] = squeezed.positions[3] + [0.3, 0.0, 0.0]
    with pytest.raises(ValueError, match=r"Structure 1: atoms 3 and 7 are 0\.300"):
        tungsten.snap.rows([rattled_w, squeezed])
    rows = tungsten.snap.rows([squeezed], baseline=tungsten.zbl)
    assert np.isfinite(rows.X).all() and rows.baseline[0] > 0
