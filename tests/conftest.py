"""Configurations shared by the test suites of several subpackages."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk


@pytest.fixture
def rattled_w() -> Atoms:
    """Rattled bcc W, 2x2x2 conventional cells (16 atoms)."""
    atoms = bulk("W", "bcc", a=3.1803, cubic=True) * (2, 2, 2)
    atoms.rattle(0.08, seed=1)
    return atoms


@pytest.fixture
def triclinic_w() -> Atoms:
    """Rattled, sheared and rotated bcc W: a general (non lower-triangular) cell."""
    atoms = bulk("W", "bcc", a=3.1803) * (3, 3, 3)
    shear = np.array([[1.0, 0.05, -0.08], [0.03, 0.97, 0.1], [-0.06, 0.02, 1.04]])
    atoms.set_cell(atoms.cell.array @ shear, scale_atoms=True)
    atoms.rotate(37, (1, 2, 3), rotate_cell=True)
    atoms.rattle(0.08, seed=2)
    return atoms


@pytest.fixture(scope="session")
def cheap_npz(tmp_path_factory):
    """A 2J=4 SNAP + ZBL fitted to W_2940 on four 16-atom cells, as .npz."""
    from mixpot.testing import shipped_tungsten, small_tungsten_snap

    folder = tmp_path_factory.mktemp("cheap")
    return small_tungsten_snap(shipped_tungsten(), twojmax=4).save(folder / "cheap.npz")
