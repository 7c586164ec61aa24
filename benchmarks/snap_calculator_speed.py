"""How fast the ASE SNAP calculator runs MD compared with LAMMPS's own loop.

Claim checked: driving ``pair_style snap`` from ASE (one in-process LAMMPS,
positions written in place between steps) costs at most 1.5x a native
LAMMPS ``run`` of the same potential, and the POPS uncertainty is cheap
enough to leave on.

System: bcc W, 10x10x10 conventional cells (2000 atoms), 300 K. Potential:
the shipped W_2940_2017_2 (2J = 8, 55 descriptors) with its ZBL overlay.
For the uncertainty rows, a 2J = 8 SNAP + ZBL fitted with POPS to EAM
(W_zhou) labels of a few rattled cells gives a posterior of non-zero width;
its ``pair_style snap`` cost is that of W_2940_2017_2.

* ASE: ``VelocityVerlet`` with a 1 fs step, 2 warm-up steps, then 20 steps
  timed one by one.
* LAMMPS: the exported files through ``include``, ``fix nve``, 1 fs,
  ``run 2`` warm-up, then 20 times ``run 1 pre no post no`` (one force
  evaluation per step, as in ASE; no setup).

The time per step is the median of the 20 (other jobs share the machine).

Run: ``python benchmarks/snap_calculator_speed.py``

Measured (2 cores shared with other jobs, load ~3; serial LAMMPS; ratios
varied by about ±0.3 between runs):

| run | s/step | ratio to LAMMPS |
|---|---:|---:|
| LAMMPS `run` (fix nve) | 0.38 | 1.00 |
| ASE calculator, no uncertainty | 0.37 | 0.97 |
| ASE + POPS energies (E, per-atom) | 0.61 | 1.58 |
| ASE + POPS energies and forces_std | 1.12 | 2.90 |
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

import numpy as np
from ase import Atoms, units
from ase.build import bulk
from ase.calculators.lammpslib import LAMMPSlib
from ase.md.velocitydistribution import thermalize_momenta
from ase.md.verlet import VelocityVerlet
from mpi4py import MPI  # noqa: F401  (libmpi must load before lammps)

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.distill import labelled_copy
from mixpot.lammps import (
    build_system,
    element_masses,
    element_types,
    lammps_frame,
    start_lammps,
)
from mixpot.models import shipped_potentials_dir
from mixpot.pops import POPSRegressor
from mixpot.potentials import LinearPotential

logger = logging.getLogger(__name__)

REPEATS = (10, 10, 10)
WARM_UP, TIMED = 2, 20
TEMPERATURE_K = 300.0
ZBL = ZBLBaseline(4.0, 4.8)


def tungsten() -> LinearPotential:
    folder = shipped_potentials_dir()
    return LinearPotential.from_lammps(
        folder / "W_2940_2017_2.snapcoeff", folder / "W_2940_2017_2.snapparam", ZBL
    )


def pops_tungsten(settings: SNAP) -> LinearPotential:
    """2J=8 SNAP + ZBL fitted with POPS to EAM W_zhou on rattled cells."""
    eam = LAMMPSlib(
        lmpcmds=[
            "pair_style eam/alloy",
            f"pair_coeff * * {shipped_potentials_dir() / 'W_zhou.eam.alloy'} W",
        ],
        log_file=None,
    )
    labelled = []
    for seed in range(8):
        atoms = bulk("W", "bcc", a=3.14 + 0.01 * seed, cubic=True) * (3, 3, 3)
        atoms.rattle(0.12, seed=seed)
        labelled.append(labelled_copy(atoms, eam))
    rows = settings.rows(labelled, baseline=ZBL)
    targets = rows.targets_from(labelled)
    return LinearPotential.fit(
        settings,
        rows,
        targets,
        regressor=POPSRegressor(fit_intercept=False),
        baseline=ZBL,
    )


def md_cell() -> Atoms:
    atoms = bulk("W", "bcc", a=3.1803, cubic=True) * REPEATS
    thermalize_momenta(atoms, temperature_K=TEMPERATURE_K, rng=np.random.default_rng(0))
    return atoms


def median_step_seconds(step) -> float:
    """Median wall time of ``TIMED`` calls of ``step()``: robust to load spikes."""
    seconds = []
    for _ in range(TIMED):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def ase_seconds_per_step(potential: LinearPotential, **options) -> float:
    atoms = md_cell()
    atoms.calc = potential.calculator(**options)
    dynamics = VelocityVerlet(atoms, timestep=1.0 * units.fs)
    dynamics.run(WARM_UP)
    seconds = median_step_seconds(lambda: dynamics.run(1))
    atoms.calc.close()
    return seconds


def lammps_seconds_per_step(potential: LinearPotential) -> float:
    atoms = md_cell()
    with tempfile.TemporaryDirectory() as folder:
        potential.to_lammps(folder, name="w")
        lmp = start_lammps()
        frame = lammps_frame(atoms)
        types = element_types(atoms, ["W"])
        build_system(lmp, atoms, frame, types, element_masses(["W"]))
        lmp.commands_list(
            [
                f"include {Path(folder) / 'w.lammps'}",
                f"velocity all create {TEMPERATURE_K} 1 dist gaussian",
                "fix integrate all nve",
                "timestep 0.001",
                f"run {WARM_UP}",
            ]
        )
        seconds = median_step_seconds(lambda: lmp.command("run 1 pre no post no"))
        lmp.close()
    return seconds


def main() -> None:
    plain = tungsten()
    fitted = pops_tungsten(plain.descriptor)
    lammps_step = lammps_seconds_per_step(plain)
    cases = [
        ("LAMMPS `run` (fix nve)", lammps_step),
        ("ASE calculator, no uncertainty", ase_seconds_per_step(plain)),
        (
            "ASE + POPS energies (E, per-atom)",
            ase_seconds_per_step(fitted, force_uncertainty=False),
        ),
        ("ASE + POPS energies and forces_std", ase_seconds_per_step(fitted)),
    ]
    n_atoms = int(np.prod(REPEATS)) * 2
    print(f"bcc W, {n_atoms} atoms, W_2940_2017_2 (2J=8) + ZBL, 1 fs steps")
    print()
    print("| run | s/step | µs/atom/step | ratio to LAMMPS |")
    print("|---|---:|---:|---:|")
    for label, seconds in cases:
        print(
            f"| {label} | {seconds:.3f} | {1e6 * seconds / n_atoms:.0f} | "
            f"{seconds / lammps_step:.2f} |"
        )


if __name__ == "__main__":
    main()
