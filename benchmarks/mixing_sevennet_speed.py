"""Speed of mixing SevenNet-0 with a distilled SNAP around a vacancy in W.

Claim checked: the cost of a mixed MD step scales with the expensive region,
not with the system, so at 8192 sites the step is ≥ 10x faster than
SevenNet-0 on the whole cell, and ≥ 80% of the ideal speedup of the cost
model ``ideal = t_exp N / (t_exp N_exp + t_cheap N)``, where t_exp and
t_cheap are the per-atom, per-step costs of the expensive-only and
cheap-only runs at the same size and N_exp = ``results["n_expensive"]`` (the
cut-out the expensive model sees).

System: bcc W at SevenNet-0's lattice constant (3.1901 Å, from the
distillation report), 8³, 10³, 13³ and 16³ conventional cells minus one atom
(1023, 1999, 4393, 8191 atoms), velocities from a 300 K Maxwell-Boltzmann
distribution (seed 0, zero total momentum); ASE velocity Verlet, 1 fs. Runs
at each size: SevenNet-0 on the whole cell ("expensive"), the SNAP
distilled from it by ``mixpot distill`` with its defaults ("cheap"; 2J = 8,
4.7 Å cutoff), and ``MixedCalculator(expensive, cheap, regions)`` in force
mode and in energy mode. Region: the vacancy's 8 neighbours as seeds,
``r_core=3`` Å, ``r_blend=4`` Å (cubic; 34 core and 110 blend atoms), and
the buffer that ``mixing_sevennet_buffer.py`` supports for each mode (core
force RMS error ≤ 10% of the cheap model's): ``r_buff=14`` Å in force mode,
10 Å in energy mode; built once, at the first step. Each run
takes one untimed warm-up step (it includes the first force evaluation and
the region build) and then ``--steps`` timed steps (fewer for the expensive
runs: ``--expensive-steps``).

SevenNet-0 needs about 3 MB of memory per atom for a force call (autograd
graph); when the whole cell does not fit in the memory available
(``/proc/meminfo``, with 1.5 GB to spare), the expensive-only run is skipped
and its per-atom cost is taken from the largest size that was measured (the
cost per atom is flat in N); such rows say "extrapolated".

Run: ``python benchmarks/mixing_sevennet_speed.py`` (about 22 minutes on 2
idle cores; ``--quick`` for a smoke run of about 2 minutes on 4³ and 5³
cells, with r_buff 4 Å so that the cells are not all buffer; ``--sizes 8
16`` for chosen sizes in conventional cells per side).

Measured 2026-11-24 (idle 2-core machine; SevenNet-0 on the whole 8191-atom
cell extrapolated from 13³):

| size | mode, r_buff | N_exp | s/step | 7net-0 s/step | speedup | ideal | fraction |
|---|---|---:|---:|---:|---:|---:|---:|
| 8³ | force, 14 Å | 1023 | 8.91 | 9.22 | 1.04 | 0.98 | 1.06 |
| 8³ | energy, 10 Å | 981 | 7.71 | 9.22 | 1.20 | 1.02 | 1.17 |
| 10³ | force, 14 Å | 1903 | 22.8 | 25.1 | 1.10 | 1.03 | 1.06 |
| 10³ | energy, 10 Å | 1335 | 11.5 | 25.1 | 2.18 | 1.46 | 1.49 |
| 13³ | force, 14 Å | 2572 | 29.8 | 69.1 | 2.31 | 1.67 | 1.38 |
| 13³ | energy, 10 Å | 1362 | 10.6 | 69.1 | 6.52 | 3.11 | 2.10 |
| 16³ | force, 14 Å | 2572 | 29.9 | 129 (extrap.) | 4.30 | 3.07 | 1.40 |
| 16³ | energy, 10 Å | 1362 | 10.1 | 129 (extrap.) | 12.8 | 5.61 | 2.27 |

≥ 10x at 8191 atoms: met in energy mode, not in force mode (its 14 Å buffer
makes the expensive set 31% of the cell). Fractions above 1: SevenNet-0's
cost per atom grows with N (9.0, 12.6, 15.7 ms/atom/step at 1023, 1999,
4393 atoms), so the whole-cell t_exp overstates the cut-out's cost. Details
in ``benchmarks/README.md`` ("Mixing with SevenNet").
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from pathlib import Path

import numpy as np
from ase import Atoms, units
from ase.build import bulk
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet

from _common import markdown_table, met
from _mixing_w import (
    DEFAULT_WORK,
    R_BLEND,
    R_BUFF_ENERGY,
    R_BUFF_FORCE,
    R_CORE,
    distilled,
    lattice_constant,
    load_average,
    sevennet,
    vacancy_cell,
)
from mixpot.mixing import MixedCalculator, Regions

#: Peak memory of a SevenNet-0 force call per atom (MB), measured on 431 and
#: 1023 atoms (3.1 MB/atom above a 0.6 GB base), with a margin.
SEVENNET_MB_PER_ATOM = 3.4
SPARE_MB = 1500.0


def available_mb() -> float:
    """MemAvailable from /proc/meminfo in MB (inf where unknown)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")


def time_md(
    atoms: Atoms, calc, steps: int, temperature: float, seed: int
) -> tuple[float, list[dict]]:
    """Seconds per velocity-Verlet step after one warm-up step, and results."""
    atoms = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
    atoms.calc = calc
    thermalize_momenta(atoms, temperature, rng=np.random.default_rng(seed))
    Stationary(atoms)
    dynamics = VelocityVerlet(atoms, timestep=1.0 * units.fs)
    dynamics.run(1)  # warm-up: first forces, region build, LAMMPS set-up
    records: list[dict] = []
    dynamics.attach(lambda: records.append(dict(calc.results)), interval=1)
    start = time.perf_counter()
    dynamics.run(steps)
    elapsed = time.perf_counter() - start
    # After the warm-up, observers fire once per step (none before the first).
    return elapsed / steps, records


def mixed_row(
    label: str,
    n_atoms: int,
    s_step: float,
    records: list[dict],
    t_exp: float,
    t_cheap: float,
    s_exp: float,
) -> list:
    n_exp = int(records[-1]["n_expensive"])
    ideal = t_exp * n_atoms / (t_exp * n_exp + t_cheap * n_atoms)
    speedup = s_exp / s_step
    return [
        label,
        n_exp,
        s_step,
        float(np.mean([r["time_expensive"] for r in records])),
        float(np.mean([r["time_cheap"] for r in records])),
        speedup,
        ideal,
        speedup / ideal,
    ]


def run_size(
    repeat: int,
    lattice: float,
    expensive,
    cheap,
    args: argparse.Namespace,
    measured_t_exp: list[float],
) -> tuple[dict, list[list]]:
    atoms, seeds = vacancy_cell(repeat, lattice)
    n_atoms = len(atoms)
    load_before = load_average()
    need_mb = SEVENNET_MB_PER_ATOM * n_atoms + SPARE_MB
    if need_mb < available_mb() and not args.skip_expensive:
        steps = args.expensive_steps if n_atoms <= 3000 else args.large_steps
        s_exp, _ = time_md(atoms, expensive, steps, args.temperature, args.seed)
        t_exp = s_exp / n_atoms
        measured_t_exp.append(t_exp)
        exp_label = "measured"
    elif measured_t_exp:
        t_exp = measured_t_exp[-1]
        s_exp = t_exp * n_atoms
        exp_label = f"extrapolated (needs ~{need_mb / 1024:.0f} GB)"
    else:
        raise RuntimeError(f"no memory for SevenNet-0 on {n_atoms} atoms")
    s_cheap, _ = time_md(atoms, cheap, args.steps, args.temperature, args.seed)
    t_cheap = s_cheap / n_atoms
    rows = []
    for mode in args.modes:
        r_buff = args.r_buff_force if mode == "force" else args.r_buff_energy
        regions = Regions(
            seeds=seeds, r_core=args.r_core, r_blend=args.r_blend, r_buff=r_buff
        )
        mixed = MixedCalculator(expensive, cheap, regions, mode=mode)
        s_mixed, records = time_md(
            atoms, mixed, args.steps, args.temperature, args.seed
        )
        rows.append(
            mixed_row(
                f"{mode}, r_buff {r_buff:g} Å",
                n_atoms,
                s_mixed,
                records,
                t_exp,
                t_cheap,
                s_exp,
            )
        )
        weights = mixed.state.weights
    n_core = int((weights == 1).sum())
    n_blend = int(((weights > 0) & (weights < 1)).sum())
    summary = {
        "size": f"{repeat}³",
        "atoms": n_atoms,
        "core / blend": f"{n_core} / {n_blend}",
        "expensive s/step": s_exp,
        "expensive": exp_label,
        "cheap s/step": s_cheap,
        "t_exp (ms/atom/step)": 1e3 * t_exp,
        "t_cheap (ms/atom/step)": 1e3 * t_cheap,
        "t_exp / t_cheap": t_exp / t_cheap,
        "load before / after": f"{load_before.split(' / ')[0]} / "
        f"{load_average().split(' / ')[0]}",
    }
    print(f"  {repeat}³ done (load {load_average()})", flush=True)
    return summary, [[f"{repeat}³", n_atoms, *row] for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK, help="cheap model")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[8, 10, 13, 16], help="cells/side"
    )
    parser.add_argument(
        "--quick", action="store_true", help="4³, 5³; 2 steps; r_buff 4 Å"
    )
    parser.add_argument("--steps", type=int, default=3, help="timed mixed steps")
    parser.add_argument(
        "--expensive-steps", type=int, default=2, help="timed, up to 3000 atoms"
    )
    parser.add_argument(
        "--large-steps", type=int, default=1, help="timed expensive, > 3000 atoms"
    )
    parser.add_argument(
        "--modes", nargs="+", default=["force", "energy"], choices=["force", "energy"]
    )
    parser.add_argument("--r-core", type=float, default=R_CORE)
    parser.add_argument("--r-blend", type=float, default=R_BLEND)
    parser.add_argument("--r-buff-force", type=float, default=R_BUFF_FORCE)
    parser.add_argument("--r-buff-energy", type=float, default=R_BUFF_ENERGY)
    parser.add_argument("--temperature", type=float, default=300.0, help="K")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--skip-expensive",
        action="store_true",
        help="never run SevenNet-0 on a whole cell (needs a measured smaller size)",
    )
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.steps, args.expensive_steps = [4, 5], 2, 1
        args.large_steps = 1
        if (args.r_buff_force, args.r_buff_energy) == (R_BUFF_FORCE, R_BUFF_ENERGY):
            # Cells this small would be all buffer: exercise a real split.
            args.r_buff_force = args.r_buff_energy = 4.0
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore", message="No tensor product accelerator")

    print(f"1/5/15-min load average at start: {load_average()}")
    cheap_potential, report, minutes = distilled(args.work)
    lattice = lattice_constant(report)
    expensive = sevennet()
    cheap = cheap_potential.calculator(uncertainty=False)
    warm = bulk("W", "bcc", a=lattice, cubic=True).repeat(2)
    for calc in (expensive, cheap):  # first-call overheads out of the timings
        warm.calc = calc
        warm.get_forces()
        warm = warm.copy()
    summaries, rows, measured = [], [], []
    for repeat in sorted(args.sizes):
        summary, size_rows = run_size(repeat, lattice, expensive, cheap, args, measured)
        summaries.append(summary)
        rows += size_rows

    print(
        f"\nbcc W, a = {lattice:.4f} Å, one vacancy; region: 8 seeds, r_core "
        f"{args.r_core} Å, r_blend {args.r_blend} Å (cubic), r_buff "
        f"{args.r_buff_force:g} Å (force mode) / {args.r_buff_energy:g} Å (energy "
        f"mode); 1 fs velocity Verlet from {args.temperature:g} K; timed steps: "
        f"{args.expensive_steps} expensive ({args.large_steps} above 3000 atoms), "
        f"{args.steps} cheap and mixed"
        + (
            f"; cheap model distilled now in {minutes:.1f} min"
            if minutes > 0.05
            else ""
        )
    )
    print("\n### Single-potential runs\n")
    print(
        markdown_table(
            list(summaries[0]), [list(summary.values()) for summary in summaries]
        )
    )
    print("\n### Mixed runs\n")
    print(
        markdown_table(
            [
                "size",
                "atoms",
                "mode",
                "N_exp",
                "s/step",
                "time_expensive (s)",
                "time_cheap (s)",
                "speedup vs expensive",
                "ideal speedup",
                "fraction of ideal",
            ],
            rows,
        )
    )
    largest = [row for row in rows if row[1] == max(row[1] for row in rows)]
    print("\nGoals at the largest size:")
    for row in largest:
        print(
            f"- {row[2]}: speedup ≥ 10x: {met(row[7] >= 10)} ({row[7]:.1f}x); "
            f"≥ 80% of ideal: {met(row[9] >= 0.8)} ({100 * row[9]:.0f}%)"
        )
    print(f"\n1/5/15-min load average at end: {load_average()}")


if __name__ == "__main__":
    main()
