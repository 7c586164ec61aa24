"""Tests of mixpot.distill.sampling: the configurations a recipe samples.

Contracts checked: sampling gives exactly the requested groups and counts,
tagged, and is reproducible for a random_state; strains are the homogeneous deformations
they claim; defect cells have the right atoms; the relaxed lattice constant
of W EAM matches a fine scan.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from ase.build import bulk

from mixpot.distill import (
    Recipe,
    all_configurations,
    relaxed_lattice_constant,
    sample,
    strain_tensors,
)

from .conftest import W_LATTICE_CONSTANT

STRAIN_KINDS = [
    "hydrostatic",
    "uniaxial_100",
    "uniaxial_111",
    "shear_yz",
    "shear_xz",
    "shear_xy",
]


def test_groups_and_counts(small_groups):
    """Every requested group is there, in order, with the requested size."""
    expected = {"md_300K": 2, "md_1000K": 2}
    expected |= {f"strain_{kind}": 5 for kind in STRAIN_KINDS}
    expected["rattle"] = 3
    for tag in ["vacancy", "self_interstitial", "substitution_Mo", "surface_110"]:
        expected |= {tag: 2, f"{tag}_md_300K": 1, f"{tag}_md_1000K": 1}
    # "Mo" is W with another mass here: its substitution relaxes in no step,
    # so it has no relaxation frames; its isolated atom comes last.
    expected["isolated_Mo"] = 1
    assert [(tag, len(frames)) for tag, frames in small_groups] == list(
        expected.items()
    )


def test_every_configuration_is_tagged(small_groups):
    """info["group"] equals the group tag; strain cells carry their strain."""
    for tag, frames in small_groups:
        for atoms in frames:
            assert atoms.info["group"] == tag
            assert atoms.info["lattice_constant"] == W_LATTICE_CONSTANT
            assert ("strain" in atoms.info) == tag.startswith("strain_")


def test_sampling_is_reproducible(small_recipe, small_groups, w_eam_with_mo):
    """The same random_state gives the same configurations, bit for bit."""
    again = all_configurations(sample(small_recipe, w_eam_with_mo, random_state=7))
    for first, second in zip(all_configurations(small_groups), again, strict=True):
        assert first.get_chemical_symbols() == second.get_chemical_symbols()
        np.testing.assert_array_equal(first.positions, second.positions)
        np.testing.assert_array_equal(first.cell.array, second.cell.array)


def test_random_state_changes_md_and_rattles(small_recipe, w_eam_with_mo):
    """Another random_state gives other MD frames; strains stay the same."""
    groups = dict(sample(small_recipe, w_eam_with_mo, random_state=7))
    other = dict(sample(small_recipe, w_eam_with_mo, random_state=8))
    for tag in ["md_300K", "rattle"]:
        assert not np.allclose(groups[tag][0].positions, other[tag][0].positions)
    np.testing.assert_array_equal(
        groups["strain_shear_xy"][0].cell.array, other["strain_shear_xy"][0].cell.array
    )


def test_adding_a_defect_keeps_md_frames(small_recipe, w_eam_with_mo):
    """Each stage has its own random stream: defects do not perturb the MD."""
    fewer = dataclasses.replace(small_recipe, defects=["vacancy"])
    groups = dict(sample(small_recipe, w_eam_with_mo, random_state=7))
    fewer_groups = dict(sample(fewer, w_eam_with_mo, random_state=7))
    for tag in ["md_300K", "md_1000K", "rattle", "vacancy", "vacancy_md_300K"]:
        for first, second in zip(groups[tag], fewer_groups[tag], strict=True):
            np.testing.assert_array_equal(first.positions, second.positions)


def test_md_frames_move_and_record_temperature(small_groups):
    """MD frames are thermal displacements from the lattice at their temperature."""
    perfect = bulk("W", "bcc", a=W_LATTICE_CONSTANT, cubic=True) * 2
    for atoms in dict(small_groups)["md_1000K"]:
        assert atoms.info["temperature"] == 1000.0
        displacement = atoms.positions - perfect.positions
        assert 1e-3 < np.abs(displacement).max() < 0.5
        assert "momenta" not in atoms.arrays


def test_strain_values_and_cells(small_groups):
    """Strain cells are cell0 (I + eps) with evenly spread eps, atoms scaled."""
    unit = bulk("W", "bcc", a=W_LATTICE_CONSTANT, cubic=True)
    groups = dict(small_groups)
    for kind in STRAIN_KINDS:
        frames = groups[f"strain_{kind}"]
        values = [atoms.info["strain"] for atoms in frames]
        np.testing.assert_allclose(values, np.linspace(-0.005, 0.005, 5))
        for atoms in frames:
            exx, eyy, ezz, gyz, gxz, gxy = atoms.info["strain_voigt"]
            strain = np.array(
                [
                    [exx, gxy / 2, gxz / 2],
                    [gxy / 2, eyy, gyz / 2],
                    [gxz / 2, gyz / 2, ezz],
                ]
            )
            np.testing.assert_allclose(
                atoms.cell.array, unit.cell.array @ (np.eye(3) + strain), atol=1e-12
            )
            np.testing.assert_allclose(
                atoms.get_scaled_positions(), unit.get_scaled_positions(), atol=1e-12
            )


def test_strain_tensors_have_the_named_shapes():
    """Hydrostatic scales volume by (1+s)^3; [111] stretches [111] by 1+s."""
    tensors = {kind: strain for kind, s, strain in strain_tensors(0.01, 2) if s > 0}
    assert np.linalg.det(np.eye(3) + tensors["hydrostatic"]) == pytest.approx(1.01**3)
    direction = np.ones(3) / np.sqrt(3)
    stretched = (np.eye(3) + tensors["uniaxial_111"]) @ direction
    assert np.linalg.norm(stretched) == pytest.approx(1.01)
    np.testing.assert_allclose(tensors["uniaxial_100"], np.diag([0.01, 0, 0]))
    assert tensors["shear_xy"][0, 1] == tensors["shear_xy"][1, 0] == 0.005
    assert np.trace(tensors["shear_yz"]) == 0


def test_defect_cells(small_groups):
    """Vacancy: N-1 atoms; interstitial: N+1; substitution: one Mo; slab: vacuum."""
    groups = dict(small_groups)
    assert len(groups["vacancy"][0]) == 15
    assert len(groups["self_interstitial"][0]) == 17
    assert groups["substitution_Mo"][0].get_chemical_symbols().count("Mo") == 1
    slab = groups["surface_110"][0]
    heights = slab.positions[:, 2]
    assert slab.pbc.all()
    assert slab.cell.lengths()[2] - (heights.max() - heights.min()) > 15.0
    interstitial = groups["self_interstitial"][0]
    assert interstitial.get_all_distances(mic=True)[np.triu_indices(17, 1)].min() > 1.5


def test_relaxed_lattice_constant_matches_fine_scan(w_eam):
    """Relaxed W EAM lattice constant within 0.1% of a 1e-4 Å scan's minimum."""
    scan = np.arange(3.10, 3.23, 1e-4)
    energies = []
    for a in scan:
        atoms = bulk("W", "bcc", a=a, cubic=True)
        atoms.calc = w_eam
        energies.append(atoms.get_potential_energy())
    reference = scan[int(np.argmin(energies))]
    relaxed = relaxed_lattice_constant("W", "bcc", w_eam)
    assert relaxed == pytest.approx(reference, rel=1e-3)
    assert relaxed == pytest.approx(reference, abs=2e-4)


def test_missing_lattice_constant_is_relaxed(w_eam):
    """Recipe(lattice_constant=None) samples at the relaxed lattice constant."""
    recipe = Recipe(["W"], "bcc", None, temperatures=[], n_strains=0, n_rattled=1)
    groups = sample(recipe, w_eam, random_state=0)
    relaxed = relaxed_lattice_constant("W", "bcc", w_eam)
    assert groups[0][1][0].info["lattice_constant"] == pytest.approx(relaxed)


def test_relaxation_without_minimum_in_range_fails(w_eam):
    """A guess far from the minimum raises RuntimeError asking for the constant."""
    with pytest.raises(RuntimeError, match="lattice_constant"):
        relaxed_lattice_constant("W", "bcc", w_eam, guess=2.2)
