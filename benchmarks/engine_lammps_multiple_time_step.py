"""Claim: in LAMMPS, the expensive correction every k steps cuts a step's cost ~k-fold.

The LAMMPS engine with ``expensive_every = k`` (impulse multiple time
stepping: the k-fold correction at every k-th step, the cheap SNAP natively
at every step) against the same engine with k = 1, in one process, on one
rank. System as in ``engine_lammps_speed.py``: bcc W at SevenNet-0's lattice
constant, ``--size``³ conventional cells minus one atom, the vacancy's 8
neighbours as seeds (r_core 3, r_blend 4 Å), energy mode with SevenNet-0's
10 Å buffer, 300 K velocities (seed 0), NVE at 1 fs. One untimed warm-up
step, then ``--steps`` timed steps (a multiple of every k). Printed per k:
seconds per step, its ratio to k = 1, the ideal ratio from the parts
(cheap-only step + (k = 1 step − cheap-only step) / k), expensive calls, and
how far the positions are from the k = 1 run after the timed steps.

Run: ``python benchmarks/engine_lammps_multiple_time_step.py [--size 16]
[--every 1 2 6] [--steps 12] [--work DIR]`` (runs in the order of
``--every``; ``DIR``: a ``mixpot distill``
folder of W from SevenNet-0, made there if missing; about 6 minutes at 16³).
"""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path

import numpy as np

from _common import markdown_table
from _mixing_w import (
    DEFAULT_WORK,
    R_BUFF_ENERGY,
    distilled,
    lattice_constant,
    load_average,
    vacancy_cell,
)
from engine_lammps_speed import expensive_model, lammps_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--every", type=int, nargs="+", default=[1, 2, 6])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument(
        "--expensive", choices=["sevennet", "w2940"], default="sevennet"
    )
    args = parser.parse_args()
    if 1 not in args.every or any(args.steps % k for k in args.every):
        raise SystemExit("--every must include 1, and --steps be a multiple of each k")
    cheap, report, _ = distilled(args.work)
    atoms, seeds = vacancy_cell(args.size, lattice_constant(report))
    expensive = expensive_model(args.expensive)
    print(
        f"engine_lammps_multiple_time_step.py: {datetime.date.today()}, "
        f"{len(atoms)} atoms, expensive {args.expensive}, {args.steps} timed steps; "
        f"load before {load_average()}",
        flush=True,
    )
    runs = {}
    for every in args.every:  # in the order given (the first run warms up)
        runs[every] = lammps_times(
            atoms,
            seeds,
            expensive,
            cheap,
            R_BUFF_ENERGY,
            args.steps,
            expensive_every=every,
        )
        print(
            f"k = {every}: {runs[every]['mixed']:.3g} s/step, load {load_average()}",
            flush=True,
        )
    base = runs[1]
    cheap_only = base["cheap_only"]
    cell = atoms.cell.array
    rows = []
    for every, result in runs.items():
        shift = result["positions"] - base["positions"]
        shift -= np.round(shift @ np.linalg.inv(cell)) @ cell
        ideal = cheap_only + (base["mixed"] - cheap_only) / every
        rows.append(
            [
                every,
                result["mixed"],
                result["mixed"] / base["mixed"],
                ideal / base["mixed"],
                result["expensive"],
                result["n_expensive"],
                float(np.abs(shift).max()),
            ]
        )
    print()
    print(
        markdown_table(
            [
                "k",
                "s / step",
                "÷ k = 1",
                "ideal ÷ k = 1",
                "expensive s / step",
                "expensive set",
                "max \\|Δx\\| vs k = 1 (Å)",
            ],
            rows,
        )
    )
    print(f"\ncheap-only LAMMPS step: {cheap_only:.3g} s; load after {load_average()}")


if __name__ == "__main__":
    main()
