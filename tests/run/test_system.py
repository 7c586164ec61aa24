"""build_system (src/mixpot/run/system.py): files and the crystal builder."""

import dataclasses

import numpy as np
import pytest
from ase.build import bulk
from ase.io import write

from mixpot.run.config import ConfigError, SystemSection
from mixpot.run.system import build_system


def test_vacancy_builder_removes_the_central_atom():
    """A vacancy defect takes out the site nearest the cell centre."""
    perfect = build_system(SystemSection(element="W", repeat=(4, 4, 4)))
    vacancy = build_system(
        SystemSection(element="W", repeat=(4, 4, 4), defect="vacancy")
    )
    assert len(perfect) == 128 and len(vacancy) == 127
    centre = perfect.cell.sum(axis=0) / 2
    assert np.linalg.norm(vacancy.positions - centre, axis=1).min() > 2.0


def test_default_lattice_and_constant_are_ases():
    """Without lattice and lattice_constant, ASE's reference bcc W is built."""
    atoms = build_system(SystemSection(element="W"))
    np.testing.assert_allclose(atoms.cell.array, bulk("W", cubic=True).cell.array)


def test_rattle_is_seeded():
    """The same seed gives the same rattled structure; another seed does not."""
    first, again, other = (
        build_system(SystemSection(element="W", repeat=(2, 2, 2), rattle=0.05, seed=s))
        for s in (0, 0, 1)
    )
    np.testing.assert_array_equal(first.positions, again.positions)
    assert not np.allclose(first.positions, other.positions)


def test_extxyz_file_is_read(tmp_path):
    """An extended-XYZ file gives its last frame's numbers, positions and cell."""
    atoms = bulk("W", cubic=True).repeat(2)
    atoms.rattle(0.03, seed=4)
    write(tmp_path / "start.extxyz", atoms)
    read_back = build_system(SystemSection(file=str(tmp_path / "start.extxyz")))
    np.testing.assert_allclose(read_back.positions, atoms.positions, atol=1e-8)
    assert read_back.pbc.all() and read_back.get_chemical_formula() == "W16"


def test_crowdion_builder_compresses_the_central_111_row():
    """A crowdion adds one atom to the central [111] row: the row's ten atoms
    around the centre are evenly spaced at 10/11 of the bond, every other
    atom stays on its lattice site.
    """
    a = 3.16
    section = SystemSection(element="W", repeat=(6, 6, 6), lattice_constant=a)
    perfect = build_system(section)
    atoms = build_system(dataclasses.replace(section, defect="crowdion"))
    assert len(atoms) == len(perfect) + 1
    moved = np.flatnonzero(
        np.linalg.norm(atoms.positions[:-1] - perfect.positions, axis=1) > 1e-9
    )
    row = np.r_[moved, len(atoms) - 1]
    assert len(row) == 10
    bond = a * np.sqrt(3) / 2
    distances = np.sort(atoms.get_all_distances(mic=True)[np.ix_(row, row)], axis=1)
    np.testing.assert_allclose(distances[:, 1], bond * 10 / 11, atol=1e-9)
    others = atoms.get_all_distances(mic=True)[np.triu_indices(len(atoms), 1)]
    assert others.min() == pytest.approx(bond * 10 / 11)


def test_crowdion_needs_a_bcc_row():
    """An fcc crystal has no nearest neighbour along [111]: no crowdion."""
    with pytest.raises(ConfigError, match="crowdion needs a bcc"):
        build_system(
            SystemSection(
                element="Cu", lattice="fcc", repeat=(2, 2, 2), defect="crowdion"
            )
        )
