"""Lattice and elastic constants, vacancy energy (distill/properties.py)."""

import numpy as np
import pytest
from ase.build import bulk
from ase.units import GPa

from mixpot.distill.properties import elastic_constants, vacancy_formation_energy
from mixpot.distill.sampling import relaxed_lattice_constant
from mixpot.models import expensive_calculator

W_EAM = "lammps:pair_style eam/alloy;pair_coeff * * W_zhou.eam.alloy W"


@pytest.fixture(scope="module")
def eam():
    return expensive_calculator(W_EAM)


def energy_per_atom(calc, a):
    atoms = bulk("W", cubic=True, a=a)
    atoms.calc = calc
    return atoms.get_potential_energy() / len(atoms)


def test_lattice_constant_is_the_energy_minimum(eam):
    """The result has zero pressure and lower energy than its neighbours."""
    a = relaxed_lattice_constant("W", "bcc", eam, 3.2)
    atoms = bulk("W", cubic=True, a=a)
    atoms.calc = eam
    assert abs(atoms.get_stress()[:3]).max() / GPa < 0.05
    assert energy_per_atom(eam, a) < energy_per_atom(eam, a * 1.001)
    assert energy_per_atom(eam, a) < energy_per_atom(eam, a * 0.999)


def test_bulk_modulus_from_stresses_matches_energy_curvature(eam):
    """(C11 + 2 C12)/3 equals the bulk modulus V d²E/dV² from energies alone."""
    a = relaxed_lattice_constant("W", "bcc", eam, 3.165)
    c11, c12, _ = elastic_constants(eam, "W", "bcc", a)
    volumes, energies = [], []
    for scale in np.linspace(0.997, 1.003, 7):
        volumes.append((a * scale) ** 3 / 2)
        energies.append(energy_per_atom(eam, a * scale))
    curvature = 2 * np.polyfit(volumes, energies, 2)[0]
    bulk_modulus = a**3 / 2 * curvature / GPa
    assert (c11 + 2 * c12) / 3 == pytest.approx(bulk_modulus, rel=5e-3)


def test_vacancy_formation_energy_is_positive_and_relaxed(eam):
    """Relaxing the vacancy lowers its formation energy below the unrelaxed one."""
    relaxed = vacancy_formation_energy(eam, "W", "bcc", 3.165, repeat=3)
    unrelaxed = vacancy_formation_energy(eam, "W", "bcc", 3.165, repeat=3, fmax=1e9)
    assert 0 < relaxed < unrelaxed
