"""Runs under ``mpirun -np 2``: the LAMMPS engine's results, saved for a test.

``python two_ranks.py OUT.npz`` evaluates :func:`cases` with
:class:`~mixpot.engines.lammps.LammpsMixedEngine` on every rank of
``MPI.COMM_WORLD`` and writes, from rank 0, the energy, forces, stress and
λ of each case, plus λ and positions after a short NVE run whose regions
are rebuilt every few steps. ``tests/engines/test_lammps.py`` compares them
with the ASE :class:`~mixpot.mixing.MixedCalculator` and a one-rank run.
"""

from __future__ import annotations

import sys

import numpy as np
from ase import Atoms
from ase.build import bulk

from mixpot.descriptors import SNAP
from mixpot.potentials import LinearPotential

#: Two 2J=2 SNAP potentials that differ: "expensive" and "cheap".
SETTINGS = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
EXPENSIVE_COEF = [-8.0, 0.1, 0.02, -0.03, 0.01, 0.005]
CHEAP_COEF = [-8.0, 0.1, 0.0, 0.0, 0.0, 0.0]
REGION = {"r_core": 2.0, "r_blend": 2.0, "r_buff": 9.41}
REBUILD_EVERY, MD_STEPS = 5, 20


def potentials() -> tuple[LinearPotential, LinearPotential]:
    """Return the (expensive, cheap) pair of linear SNAP potentials."""
    return (
        LinearPotential(SETTINGS, EXPENSIVE_COEF),
        LinearPotential(SETTINGS, CHEAP_COEF),
    )


def system(cell: str) -> Atoms:
    """A rattled W crystal: ``"cubic"`` 5×5×5 or ``"triclinic"`` primitive."""
    if cell == "cubic":
        atoms = bulk("W", "bcc", a=3.18, cubic=True).repeat(4)
    else:
        atoms = bulk("W", "bcc", a=3.18).repeat((7, 6, 5))
    atoms.rattle(0.05, seed=1)
    return atoms


def moving_system() -> Atoms:
    """The cubic crystal with 900 K Maxwell–Boltzmann velocities (seeded)."""
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution

    atoms = system("cubic")
    MaxwellBoltzmannDistribution(
        atoms, temperature_K=900.0, rng=np.random.default_rng(3)
    )
    return atoms


CASES = [
    (mode, cell) for mode in ("energy", "force") for cell in ("cubic", "triclinic")
]


def run_cases(comm=None) -> dict[str, np.ndarray]:
    """Evaluate every case and the rebuilt-region run; return arrays by name."""
    from mixpot.engines.lammps import LammpsMixedEngine
    from mixpot.mixing import Regions

    expensive, cheap = potentials()
    out = {}
    for mode, cell in CASES:
        with LammpsMixedEngine(
            system(cell), expensive, cheap, Regions([0], **REGION), mode, comm=comm
        ) as engine:
            result = engine.evaluate()
        key = f"{mode}_{cell}"
        out[f"{key}_forces"] = result.forces
        out[f"{key}_weights"] = result.weights
        if mode == "energy":
            out[f"{key}_energy"] = np.array(result.energy)
            out[f"{key}_stress"] = result.stress
    with LammpsMixedEngine(
        moving_system(),
        expensive,
        cheap,
        Regions([0], **REGION, n_every=REBUILD_EVERY),
        "energy",
        comm=comm,
    ) as engine:
        engine.set_timestep(2.0)
        engine.command("fix mixpot_nve all nve")
        engine.command(f"run {MD_STEPS}")
        out["md_positions"] = engine.positions()
        out["md_weights"] = engine.evaluate().weights
    return out


if __name__ == "__main__":
    from mpi4py import MPI

    arrays = run_cases()
    if MPI.COMM_WORLD.Get_rank() == 0:
        np.savez(sys.argv[1], n_ranks=MPI.COMM_WORLD.Get_size(), **arrays)
