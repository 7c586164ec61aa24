"""Shared potentials, configurations and an independent LAMMPS reference.

The reference runs a separate, stock LAMMPS instance that reads the files
written by ``LinearPotential.to_lammps`` through the written include file,
with the configuration placed by ASE's ``Prism`` (not mixpot's frame code).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from mpi4py import MPI  # noqa: F401  (libmpi must load before lammps)

from mixpot.descriptors import SNAP, SnapRows, ZBLBaseline
from mixpot.distill import labelled_copy
from mixpot.models import shipped_potentials_dir
from mixpot.pops import POPSRegressor
from mixpot.potentials import LinearPotential
from mixpot.testing import Reference, lammps_reference

SHIPPED_ZBL = ZBLBaseline(4.0, 4.8)


potentials_dir = shipped_potentials_dir  # the folder of the wheel's potentials


def shipped(stem: str, baseline: ZBLBaseline | None = SHIPPED_ZBL) -> LinearPotential:
    """Import a shipped SNAP potential with the ZBL of its ``.snap`` file."""
    folder = potentials_dir()
    return LinearPotential.from_lammps(
        folder / f"{stem}.snapcoeff", folder / f"{stem}.snapparam", baseline
    )


@pytest.fixture(scope="session")
def tungsten() -> LinearPotential:
    """W_2940_2017_2: linear SNAP, 2J=8, bzeroflag 0, ZBL 4.0-4.8 Å."""
    return shipped("W_2940_2017_2")


@pytest.fixture(scope="session")
def tungsten_beryllium() -> LinearPotential:
    """WBe_Wood_PRB2019: two elements, bzeroflag 1, ZBL on all pairs."""
    return shipped("WBe_Wood_PRB2019")


@pytest.fixture
def rattled_wbe(rattled_w) -> Atoms:
    """The rattled W cell with four atoms turned into Be."""
    atoms = rattled_w.copy()
    atoms.symbols[[1, 5, 7, 10]] = "Be"
    return atoms


def stock_lammps(atoms: Atoms, include_file: Path, elements) -> Reference:
    """Evaluate with a fresh LAMMPS reading the exported include file.

    The file names its files relative to ``<stem>_dir``; it is set to the
    file's folder, as a user including it from elsewhere does.
    """
    folder_variable = f"variable {include_file.stem}_dir string {include_file.parent}"
    commands = [folder_variable, f"include {include_file}"]
    return lammps_reference(atoms, commands, list(elements))


def labels_as_targets(rows: SnapRows, labelled: list[Atoms]) -> np.ndarray:
    """Reference values of every row, from configurations with results."""
    return rows.targets_from(labelled)


def _labelled_w2940() -> list[Atoms]:
    labeller = shipped("W_2940_2017_2").calculator()
    labelled = []
    for seed in range(4):
        atoms = bulk("W", "bcc", a=3.16 + 0.02 * seed, cubic=True) * (2, 2, 2)
        atoms.rattle(0.1, seed=seed)
        labelled.append(labelled_copy(atoms, labeller))
    return labelled


@pytest.fixture(scope="session")
def fitted() -> LinearPotential:
    """A 2J=4 SNAP + ZBL fitted with POPS to W_2940_2017_2 (misspecified).

    The labelling potential has 55 descriptors, the fitted one 14: no
    coefficient vector reproduces every row, so the posterior has width.
    """
    labelled = _labelled_w2940()
    descriptor = SNAP(["W"], [0.5], twojmax=4, rcutfac=4.73442, bzeroflag=False)
    rows = descriptor.rows(labelled, baseline=SHIPPED_ZBL)
    targets = labels_as_targets(rows, labelled)
    weights = np.where(rows.kind == "energy", 10.0, 1.0)
    return LinearPotential.fit(
        descriptor,
        rows,
        targets,
        weights,
        POPSRegressor(fit_intercept=False),
        baseline=SHIPPED_ZBL,
    )


@pytest.fixture(scope="session")
def fitted_by_kind() -> LinearPotential:
    """The same data with per-atom energies, fit with one stratum per row kind.

    Two per-atom energy labels of one cell are moved by ±3 eV (its total
    kept): a share of energy the SNAP cannot follow, as SevenNet's. Those
    rows set the pooled covering factor; the "force" stratum's is smaller.
    """
    labelled = _labelled_w2940()
    descriptor = SNAP(["W"], [0.5], twojmax=4, rcutfac=4.73442, bzeroflag=False)
    rows = descriptor.rows(labelled, baseline=SHIPPED_ZBL, per_atom_energies=True)
    targets = labels_as_targets(rows, labelled)
    shares = np.flatnonzero(rows.kind == "atom_energy")
    targets[shares[5]] += 3.0
    targets[shares[6]] -= 3.0
    weights = np.where(rows.kind == "energy", 10.0, 1.0)
    return LinearPotential.fit(
        descriptor,
        rows,
        targets,
        weights,
        POPSRegressor(fit_intercept=False),
        baseline=SHIPPED_ZBL,
        strata=rows.kind,
    )
