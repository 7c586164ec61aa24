"""Test kit: what mixpot's tests and users' own conformance checks need.

* :func:`check_forces`, :func:`check_stress` (:mod:`.conformance`) check
  that any ASE calculator's forces and stress are the gradients of its
  energy, by finite differences;
* :func:`lammps_reference` evaluates a configuration with a fresh, stock
  LAMMPS instance, placing atoms with ASE's own ``Prism`` (not mixpot's
  frame code), so agreement with it checks both a potential and mixpot's
  cell handling; handy for checking any LAMMPS-backed model;
* :func:`small_tungsten_snap` fits a small SNAP for tests, and
  :mod:`.vacancy` is the W vacancy-hop kit of the mixing tests and
  benchmarks.

Library code never imports this package.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.calculators.lammps import Prism

from mixpot.lammps import (
    THERMO_COMMANDS,
    element_masses,
    element_types,
    per_atom_compute,
    pressure_tensor,
    start_lammps,
    voigt,
)

from .conformance import check_forces, check_stress

__all__ = [
    "Reference",
    "check_forces",
    "check_stress",
    "lammps_reference",
    "small_tungsten_snap",
]


@dataclass(frozen=True)
class Reference:
    """Energy (eV), forces (eV/Å), ASE stress (eV/Å³), per-atom energies (eV)."""

    energy: float
    forces: np.ndarray
    stress: np.ndarray
    energies: np.ndarray


def lammps_reference(
    atoms: Atoms, pair_commands: list[str], elements: list[str]
) -> Reference:
    """Evaluate a periodic configuration with stock LAMMPS.

    Parameters
    ----------
    atoms : ase.Atoms
        Fully periodic configuration.
    pair_commands : list of str
        ``pair_style`` / ``pair_coeff`` (or ``include``) commands.
    elements : list of str
        Element of each LAMMPS type, in type order.

    Examples
    --------
    >>> from ase.build import bulk
    >>> from mixpot.models import shipped_potentials_dir
    >>> folder = shipped_potentials_dir()
    >>> commands = ["pair_style eam/alloy",
    ...             f"pair_coeff * * {folder}/W_zhou.eam.alloy W"]
    >>> ref = lammps_reference(bulk("W", cubic=True), commands, ["W"])
    >>> bool(abs(ref.forces).max() < 1e-10)
    True
    """
    prism = Prism(atoms.cell.array, atoms.pbc)
    lmp = start_lammps()
    try:
        _build_system(lmp, atoms, prism, elements)
        lmp.commands_list(
            [
                *pair_commands,
                "compute atom_energy all pe/atom",
                *THERMO_COMMANDS,
                "run 0",
            ]
        )
        forces = np.array(lmp.gather_atoms("f", 1, 3)).reshape(-1, 3)
        energies = per_atom_compute(lmp, "atom_energy", len(atoms))
        pressure = prism.tensor2_to_ase(pressure_tensor(lmp))
        energy = lmp.get_thermo("pe")
    finally:
        lmp.close()
    return Reference(energy, prism.vector_to_ase(forces), -voigt(pressure), energies)


def _build_system(lmp, atoms: Atoms, prism: Prism, elements: list[str]) -> None:
    """Place ``atoms`` with ASE's Prism, independently of mixpot's frame code."""
    lx, ly, lz, xy, xz, yz = map(float, prism.get_lammps_prism())
    lmp.commands_list(
        [
            "units metal",
            "atom_style atomic",
            "atom_modify map array",
            "boundary p p p",
            f"region box prism 0 {lx!r} 0 {ly!r} 0 {lz!r} {xy!r} {xz!r} {yz!r}",
            f"create_box {len(elements)} box",
            *[f"mass {k + 1} {m!r}" for k, m in enumerate(element_masses(elements))],
        ]
    )
    positions = prism.vector_to_lammps(atoms.positions, wrap=True)
    lmp.create_atoms(
        len(atoms),
        list(range(1, len(atoms) + 1)),
        element_types(atoms, elements).tolist(),
        positions.ravel().tolist(),
    )


def small_tungsten_snap(labeller, twojmax: int = 4, lattice: float = 3.1803):
    """Fit a cheap 2J=``twojmax`` SNAP + ZBL with POPS to ``labeller``.

    Labels: four rattled 16-atom bcc W cells at −1, 0, +1 and +2 % strain.
    ``labeller`` is a LinearPotential or any ASE calculator.
    """
    from ase.build import bulk

    from mixpot.descriptors import DEFAULT_RCUTFAC, SNAP, ZBLBaseline
    from mixpot.distill.labelling import labelled_copy
    from mixpot.potentials import LinearPotential

    calc = labeller.calculator() if isinstance(labeller, LinearPotential) else labeller
    cells = []
    for seed, strain in enumerate([-0.01, 0.0, 0.01, 0.02]):
        atoms = bulk("W", "bcc", a=lattice * (1 + strain), cubic=True) * 2
        atoms.rattle(0.1, seed=seed)
        cells.append(labelled_copy(atoms, calc))
    zbl = ZBLBaseline(4.0, 4.8)
    snap = SNAP(["W"], [0.5], twojmax=twojmax, rcutfac=DEFAULT_RCUTFAC)
    rows = snap.rows(cells, baseline=zbl)
    return LinearPotential.fit(snap, rows, rows.targets_from(cells), baseline=zbl)
