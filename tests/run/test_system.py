"""build_system (src/mixpot/run/system.py): files and the crystal builder."""

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


def test_crowdion_builder_adds_an_atom_on_the_central_111_bond():
    """A crowdion puts one extra atom halfway along [111] from the central
    site: its two nearest atoms are that site and its [111] neighbour, each at
    a quarter of the cube diagonal.
    """
    a = 3.16
    atoms = build_system(
        SystemSection(
            element="W", repeat=(4, 4, 4), lattice_constant=a, defect="crowdion"
        )
    )
    assert len(atoms) == 129
    distances = np.sort(atoms.get_distances(-1, range(len(atoms) - 1), mic=True))
    np.testing.assert_allclose(distances[:2], a * np.sqrt(3) / 4, atol=1e-12)
    assert distances[2] > distances[1] + 0.3


def test_crowdion_needs_a_bcc_row():
    """An fcc crystal has no nearest neighbour along [111]: no crowdion."""
    with pytest.raises(ConfigError, match="crowdion needs a bcc"):
        build_system(
            SystemSection(
                element="Cu", lattice="fcc", repeat=(2, 2, 2), defect="crowdion"
            )
        )
