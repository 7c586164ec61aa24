"""How large a buffer a message-passing model needs in a carved cut-out.

Claim checked: SevenNet-0 is a 5-layer message-passing model with a 5 Å
cutoff, so a force is exact only 2 × 25 = 50 Å inside a cut; in practice the
error on the core atoms decays with ``r_buff`` much faster, and a few Å of
buffer bring it well below the cheap model's own error. The default
``r_buff`` is chosen from this table: the smallest buffer whose core force
RMS error is below ``--fraction`` (10%) of the distilled SNAP's held-out force
RMSE.

System: bcc W at SevenNet-0's own lattice constant (from the distillation
report, 3.1901 Å), 13x13x13 conventional cells with one vacancy (4393 atoms),
every atom rattled (``ase`` rattle, stdev 0.05 Å, seed 0) so that forces are
non-zero. Region: ``Regions(seeds=<the vacancy's 8 neighbours>, r_core=3,
r_blend=4, r_buff=...)`` (the region of ``mixing_sevennet_speed.py``): 34
core atoms (λ = 1; the seeds and their first neighbours, up to 5.5 Å from
the vacancy), 110 blend atoms (0 < λ < 1). Reference: SevenNet-0 on the whole
cell. Cut-out: ``state.expensive_atoms`` carved with
``mixpot.mixing.carve.carve(atoms, indices, min_gap=6, vacuum=6)``, exactly
what ``MixedCalculator(mode="force")`` gives the expensive model.

Reported for each ``r_buff``: size of the cut-out (and whether it stayed
periodic), max and RMS force error on core and blend atoms against the full
calculation (max over atoms of |ΔF|; RMS per component, like the
distillation's RMSE), the time of the cut-out's SevenNet evaluation, and
the force-mode ``MixedCalculator`` against the ideal mix
``λ F_exp + (1 − λ) F_cheap`` of two whole-cell calculations (max over all
atoms: this also sees the cheap model's hole in the deep core). A second
table does the same for energy mixing: ``WeightedSevenNet(calc).weighted``
of the cut-out with its λ against the same on the whole cell (energy, and
forces on every atom of the system: atoms outside the cut-out count with
their whole-cell weighted force). ``--no-energy`` skips it.

Run: ``python benchmarks/mixing_sevennet_buffer.py [--buffers 0 4 8 12 16]``
(about 10 minutes on 2 cores once the cheap model exists, 14 GB of memory
for SevenNet-0 on the whole cell; the first run distils the cheap model
into ``--work``, 2-5 minutes more).

Measured 2026-11-24 (2 cores, 1-min load 1.5-3 from another job; the 14
and 16 Å rows from a second run, ``--buffers 14 16 --no-energy``). Cheap
model: held-out force RMSE 72 meV/Å; against SevenNet-0 on this cell 32
meV/Å RMS over all atoms, 50 on the core atoms. SevenNet-0 on the whole
cell: 77 s. Force mode (RMS per component, max of |ΔF|, meV/Å):

| r_buff (Å) | cut-out atoms | core max | core RMS | blend max | blend RMS | time (s) |
|---:|---:|---:|---:|---:|---:|---:|
| 0 | 144 | 2360 | 819 | 6180 | 1900 | 0.5 |
| 4 | 338 | 953 | 229 | 2050 | 682 | 1.0 |
| 6 | 586 | 635 | 173 | 632 | 170 | 2.9 |
| 8 | 916 | 188 | 53.8 | 612 | 140 | 5.8 |
| 10 | 1371 | 90.4 | 34.0 | 162 | 38.9 | 11.5 |
| 12 | 1906 | 26.8 | 8.74 | 77.8 | 27.6 | 20.1 |
| 14 | 2568 (periodic) | 12.8 | 5.28 | 33.1 | 9.56 | 24.1 |
| 16 | 3196 (periodic) | 5.2 | 1.68 | 8.14 | 2.74 | 32.0 |

Energy mode, weighted SevenNet-0 on the cut-out against the whole cell:

| r_buff (Å) | ΔE_w (meV) | max abs(ΔF), all atoms | RMS ΔF, λ > 0 | RMS ΔF, core |
|---:|---:|---:|---:|---:|
| 4 | 5110 | 386 | 123 | 109 |
| 6 | 388 | 205 | 40.4 | 26.7 |
| 8 | 1470 | 59.8 | 12.5 | 10.3 |
| 10 | 418 | 11.1 | 2.06 | 1.99 |
| 12 | 54.9 | 2.41 | 0.43 | 0.26 |

Rule (core RMS ≤ 10% of the cheap model's 72 meV/Å): r_buff = 14 Å in
force mode (5.3 meV/Å; 12 Å gives 8.7), 10 Å in energy mode (2.0 meV/Å;
8 Å gives 10.3). These are the defaults of ``mixing_sevennet_speed.py``.
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import bulk

from _common import markdown_table
from _mixing_w import (
    DEFAULT_WORK,
    R_BLEND,
    R_CORE,
    distilled,
    held_out_force_rmse,
    lattice_constant,
    load_average,
    sevennet,
    vacancy_cell,
)
from mixpot.mixing import MixedCalculator, Regions
from mixpot.mixing.carve import carve
from mixpot.models import WeightedSevenNet

MEV = 1e3


def forces_of(calc, atoms: Atoms) -> tuple[np.ndarray, float]:
    """Return the forces on a fresh copy of ``atoms`` and the call's time."""
    copy = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    copy.calc = calc
    start = time.perf_counter()
    forces = copy.get_forces()
    return np.array(forces, dtype=float), time.perf_counter() - start


def errors(delta: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """Max |ΔF| over the atoms in ``mask`` and the RMS per component, meV/Å."""
    if not mask.any():
        return float("nan"), float("nan")
    part = delta[mask]
    return (
        MEV * float(np.linalg.norm(part, axis=1).max()),
        MEV * float(np.sqrt(np.mean(part**2))),
    )


def periodic_label(periodic: np.ndarray) -> str:
    """'isolated' or the cell directions that stayed periodic."""
    if not periodic.any():
        return "isolated"
    return "periodic " + "".join("abc"[k] for k in np.flatnonzero(periodic))


def run(args: argparse.Namespace) -> None:
    print(f"1/5/15-min load average at start: {load_average()}")
    cheap, report, minutes = distilled(args.work)
    lattice = lattice_constant(report)
    cheap_rmse = held_out_force_rmse(report)
    atoms, seeds = vacancy_cell(args.repeat, lattice, args.rattle, args.seed)
    expensive = sevennet()
    cheap_calc = cheap.calculator(uncertainty=False)
    forces_of(expensive, bulk("W", "bcc", a=lattice, cubic=True).repeat(2))  # warm up

    f_full, t_full = forces_of(expensive, atoms)
    f_cheap, t_cheap = forces_of(cheap_calc, atoms)
    weights = None
    rows, energy_rows, state0 = [], [], None
    full_weighted = None
    for r_buff in args.buffers:
        regions = Regions(
            seeds=seeds, r_core=args.r_core, r_blend=args.r_blend, r_buff=r_buff
        )
        state = regions.update(atoms)
        weights = state.weights
        state0 = state0 or state
        core = weights == 1.0
        blend = (weights > 0) & (weights < 1)
        piece = carve(atoms, state.expensive_atoms, args.min_gap, args.vacuum)
        f_piece, t_piece = forces_of(expensive, piece.atoms)
        delta = np.zeros_like(f_full)
        delta[piece.indices] = f_piece - f_full[piece.indices]
        mixed = MixedCalculator(
            expensive,
            cheap_calc,
            regions,
            mode="force",
            min_gap=args.min_gap,
            vacuum=args.vacuum,
        )
        mixed_forces, _ = forces_of(mixed, atoms)
        ideal = weights[:, None] * f_full + (1 - weights[:, None]) * f_cheap
        mixed_error = MEV * np.linalg.norm(mixed_forces - ideal, axis=1)
        rows.append(
            [
                r_buff,
                len(piece.indices),
                periodic_label(piece.periodic),
                *errors(delta, core),
                *errors(delta, blend),
                t_piece,
                float(mixed_error.max()),
            ]
        )
        if args.energy:
            if full_weighted is None:
                start = time.perf_counter()
                full_weighted = WeightedSevenNet(expensive).weighted(atoms, weights)
                t_full_weighted = time.perf_counter() - start
            start = time.perf_counter()
            cut = WeightedSevenNet(expensive).weighted(
                piece.atoms, weights[piece.indices]
            )
            t_cut = time.perf_counter() - start
            delta_w = -full_weighted.forces.copy()  # atoms left out: all missing
            delta_w[piece.indices] += cut.forces
            active = weights > 0
            energy_rows.append(
                [
                    r_buff,
                    len(piece.indices),
                    MEV * (cut.energy - full_weighted.energy),
                    MEV * float(np.linalg.norm(delta_w, axis=1).max()),
                    *errors(delta_w, active)[1:],
                    *errors(delta_w, core)[1:],
                    t_cut,
                ]
            )
        print(f"  r_buff {r_buff:g} Å done (load {load_average()})", flush=True)

    core = state0.weights == 1.0
    blend = (state0.weights > 0) & (state0.weights < 1)
    cheap_core = errors(f_cheap - f_full, core)
    cheap_all = errors(f_cheap - f_full, np.ones(len(atoms), bool))
    print(
        f"\nbcc W {args.repeat}^3 cells with a vacancy: {len(atoms)} atoms, "
        f"a = {lattice:.4f} Å, rattle {args.rattle} Å (seed {args.seed}); "
        f"r_core {args.r_core} Å, r_blend {args.r_blend} Å (cubic): "
        f"{int(core.sum())} core, {int(blend.sum())} blend atoms; "
        f"carve min_gap {args.min_gap} Å, vacuum {args.vacuum} Å"
    )
    print(
        f"SevenNet-0 on the whole cell: {t_full:.1f} s "
        f"({MEV * t_full / len(atoms):.2f} ms/atom); RMS force "
        f"{MEV * np.sqrt(np.mean(f_full**2)):.0f} meV/Å per component, "
        f"max |F| {MEV * np.linalg.norm(f_full, axis=1).max():.0f} meV/Å"
    )
    print(
        f"cheap model (distilled SNAP) on the whole cell: {t_cheap:.2f} s; "
        f"held-out force RMSE {cheap_rmse:.0f} meV/Å; against SevenNet-0 here: "
        f"RMS {cheap_all[1]:.0f} meV/Å (all atoms), {cheap_core[1]:.0f} meV/Å "
        f"(core atoms; max {cheap_core[0]:.0f})"
        + (f"; distilled now in {minutes:.1f} min" if minutes > 0.05 else "")
    )
    print("\n### Force mode: cut-out of the expensive set against the whole cell\n")
    print(
        markdown_table(
            [
                "r_buff (Å)",
                "cut-out atoms",
                "cut-out",
                "core max abs(ΔF) (meV/Å)",
                "core RMS ΔF (meV/Å)",
                "blend max abs(ΔF) (meV/Å)",
                "blend RMS ΔF (meV/Å)",
                "cut-out time (s)",
                "mixed − ideal mix, max abs(ΔF) (meV/Å)",
            ],
            rows,
        )
    )
    if energy_rows:
        print(
            "\n### Energy mode: weighted SevenNet-0 on the cut-out against the "
            f"whole cell ({t_full_weighted:.1f} s)\n"
        )
        print(
            markdown_table(
                [
                    "r_buff (Å)",
                    "cut-out atoms",
                    "ΔE_w (meV)",
                    "max abs(ΔF), all atoms (meV/Å)",
                    "RMS ΔF, λ > 0 (meV/Å)",
                    "RMS ΔF, core (meV/Å)",
                    "time (s)",
                ],
                energy_rows,
            )
        )
    reference = cheap_rmse if np.isfinite(cheap_rmse) else cheap_all[1]
    threshold = args.fraction * reference
    good = [row[0] for row in rows if row[4] <= threshold]
    print(
        f"\nRule: smallest r_buff whose core RMS error is ≤ {args.fraction:g} × "
        f"the cheap model's held-out force RMSE ({threshold:.1f} meV/Å): "
        + (f"r_buff = {min(good):g} Å" if good else "none of those tried")
    )
    good_blend = [row[0] for row in rows if row[4] <= threshold and row[6] <= threshold]
    print(
        "  ... with the blend RMS error below it as well: "
        + (f"r_buff = {min(good_blend):g} Å" if good_blend else "none of those tried")
    )
    if energy_rows:
        good_energy = [row[0] for row in energy_rows if row[5] <= threshold]
        print(
            "Energy mode, smallest r_buff whose weighted core RMS error is below "
            "it: "
            + (f"r_buff = {min(good_energy):g} Å" if good_energy else "none tried")
        )
    print(f"\n1/5/15-min load average at end: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="cheap model")
    parser.add_argument("--repeat", type=int, default=13, help="cells per side")
    parser.add_argument("--rattle", type=float, default=0.05, help="stdev, Å")
    parser.add_argument("--seed", type=int, default=0, help="rattle seed")
    parser.add_argument("--r-core", type=float, default=R_CORE)
    parser.add_argument("--r-blend", type=float, default=R_BLEND)
    parser.add_argument(
        "--buffers",
        type=float,
        nargs="+",
        default=[0, 2, 4, 6, 8, 10, 12, 14, 16],
    )
    parser.add_argument("--min-gap", type=float, default=6.0)
    parser.add_argument("--vacuum", type=float, default=6.0)
    parser.add_argument(
        "--fraction", type=float, default=0.1, help="of the cheap model's RMSE"
    )
    parser.add_argument(
        "--no-energy", dest="energy", action="store_false", help="skip energy mode"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message="No tensor product accelerator")
    run(args)


if __name__ == "__main__":
    main()
