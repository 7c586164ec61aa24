"""Finite-difference helpers shared by the weighted-provider tests."""

import numpy as np
from ase.build import bulk

from mixpot.lammps import VOIGT_PAIRS


def rattled_cell(pbc, repeat=3, seed=3):
    """Rattled bcc W (a = 3.1803 Å) with the given periodicity."""
    atoms = bulk("W", "bcc", a=3.1803, cubic=True).repeat(repeat)
    atoms.rattle(0.1, seed=seed)
    atoms.pbc = pbc
    return atoms


def derivative(energy_of, h):
    """Central difference of ``energy_of(t)`` at t = 0."""
    return (energy_of(h) - energy_of(-h)) / (2 * h)


def moved(atoms, direction, t):
    """A copy of ``atoms`` with every atom moved by ``t * direction``."""
    other = atoms.copy()
    other.positions += t * direction
    return other


def strained(atoms, strain, t):
    """A copy of ``atoms`` under the homogeneous strain ``t * strain``."""
    other = atoms.copy()
    other.set_cell(atoms.cell.array @ (np.eye(3) + t * strain), scale_atoms=True)
    return other


def full_tensor(voigt):
    """The symmetric 3×3 tensor of a Voigt vector (xx yy zz yz xz xy)."""
    tensor = np.empty((3, 3))
    for value, (a, b) in zip(voigt, VOIGT_PAIRS, strict=True):
        tensor[a, b] = tensor[b, a] = value
    return tensor
