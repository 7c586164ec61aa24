"""Do uncertainty regions follow moving defects nobody named? Against all-expensive.

Claim checked (issue 13, part 2): with ``criterion = {name = "uncertainty"}``
the expensive region (λ > 0) holds ≥ 90% of the atoms where the cheap model
is badly wrong, and is at most 1.5× a fixed-radius region around the true
defect, while the defect moves; compared, on the same frames, with the
coordination criterion a user would tune by hand.

Models. Expensive: the SNAPs shipped with LAMMPS, ``lammps:W_snap``
(W_2940_2017_2, 2J = 8, + ZBL) and ``lammps:W_He`` (the same + the JW2013
W–He and He–He tables). Cheap: 2J = 6 SNAP + ZBL(4.0, 4.8 Å) distilled from
each by ``mixpot distill`` with its default recipe (3×3×3 cells, MD at 300
and 1200 K, strains, rattles, the vacancy; ``--elements W He`` adds the He
substitution, tetrahedral and octahedral interstitials, He–vacancy pair and
He pair, each ideal, rattled, relaxing and in MD), cached in
``/tmp/mixpot-bench/`` (``--work``). So: the **vacancy** and the **He
interstitial** are trained defects, the **crowdion** is not.

Runs (ASE engine, ``mixpot.engines.ase.run``): bcc W, ``--repeat``³
conventional cells (``--vacancy-repeat``³ for the vacancy) at the expensive
model's lattice constant, force mixing
with r_buff = 2 × 4.81 Å (exact for these local models), region r_core 2 Å,
r_blend 3 Å (cubic), rebuilt every 10 steps, Langevin (2 fs, 0.01/fs):

1. crowdion (``defect = "crowdion"`` builder), 600 K, ``--steps`` steps;
2. vacancy at each of ``--vacancy-temperatures`` K (3200: hops; 1200: the
   hottest training temperature): the cheap model alone (LAMMPS
   ``pair_style snap`` from the distillation's files, Langevin) drives the
   sampling for ``--cheap-steps`` between ``--checks`` checks; each check
   is a mixed run of ``--check-steps`` from that configuration;
3. He in a tetrahedral site, 600 K, cheap W–He model (driven by
   :func:`direct_mixed_run`: ``mixpot run`` rejects ``lammps:W_He``).

A last table checks the core forces in a 2,001-atom crowdion cell, larger
than the cut-out (in the MD cells the cut-out is the whole cell).

Every ``--every`` steps a frame (λ and mixed forces) is saved and recomputed
with the expensive and the cheap model on the whole cell. Per frame:

* **large-error atoms**: the RMS over its three components of an atom's
  cheap force error exceeds 3× the cheap model's held-out force RMSE (per
  component, from the distillation report);
* **recall**: share of them with λ > 0 (pooled over frames; also the worst
  frame);
* **true defect**: Wigner–Seitz occupancy against the perfect lattice
  (:mod:`mixpot.mixing.defects`): empty, crowded or substituted sites. The
  fixed-radius region holds the atoms within r_core + r_blend = 5 Å of
  them; **size ratio** = atoms with λ > 0 ÷ atoms in it; **finds** = every
  atom within 3 Å of a defect site has λ > 0;
* **core force error**: RMS per component of mixed − expensive over λ = 1
  atoms (the run's λ), with the cheap model's there for contrast.

Criteria on each frame: the run's λ ("uncertainty, as run"); the
uncertainty criterion and the coordination criterion (cutoff 3.0 Å, bounds
(0, 7) for the vacancy and He — He has 4–6 neighbours within 3 Å — and
(9, 99) for the crowdion) built fresh on the frame; the fixed region itself.

Run: ``python benchmarks/uncertainty_regions.py [--cases crowdion vacancy
helium] [--steps 800] [--every 50]`` (about 10-14 min on 2 shared cores;
results in benchmarks/README.md); ``--sevennet`` adds the crowdion with
SevenNet-0 as the expensive model (energy mode, the cheap model of
``/tmp/mixpot-bench/w-7net-0``; slow: minutes per frame here).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.io import read, write
from mpi4py import MPI  # noqa: F401  (libmpi must load before lammps)

from mixpot.mixing import Coordination, Regions, Uncertainty
from mixpot.mixing.defects import atoms_within, wigner_seitz
from mixpot.potentials import LinearPotential

WORK = Path("/tmp/mixpot-bench")
R_CORE, R_BLEND, R_BUFF_FORCE, N_EVERY = 2.0, 3.0, 9.62, 10
FIRST_SHELL = 3.0  # Å: a defect site's own atoms and first neighbours
LARGE_ERROR_FACTOR = 3.0
ZBL_TOML = "[baseline]\ninner = 4.0\nouter = 4.8\n"


@dataclass(frozen=True)
class Case:
    """One moving defect: its models, start, temperature and criteria bounds."""

    name: str
    label: str
    trained: bool
    expensive: str
    cheap_dir: str
    coordination_bounds: tuple[float, float]
    temperature_K: float = 600.0
    mode: str = "force"
    r_buff: float = R_BUFF_FORCE
    distill_args: tuple[str, ...] = field(default=())


CASES = {
    "crowdion": Case(
        "crowdion",
        "W crowdion (self-interstitial)",
        False,
        "lammps:W_snap",
        "w-snap-2j6-zbl",
        (9, 99),
        distill_args=("--expensive", "lammps:W_snap", "--element", "W"),
    ),
    "vacancy": Case(
        "vacancy",
        "W vacancy",
        True,
        "lammps:W_snap",
        "w-snap-2j6-zbl",
        (0, 7),
        distill_args=("--expensive", "lammps:W_snap", "--element", "W"),
    ),
    "helium": Case(
        "helium",
        "He interstitial in W",
        True,
        "lammps:W_He",
        "w-he-2j6-zbl",
        (0, 7),
        distill_args=("--expensive", "lammps:W_He", "--elements", "W", "He"),
    ),
    "crowdion-7net": Case(
        "crowdion-7net",
        "W crowdion, SevenNet-0",
        False,
        "sevennet:7net-0",
        "w-7net-0",
        (9, 99),
        mode="energy",
        r_buff=10.0,
    ),
}


def load_average() -> str:
    """Return the 1-, 5- and 15-minute load averages (other jobs share the cores)."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def distilled(case: Case, work: Path) -> tuple[LinearPotential, dict, Path]:
    """Distil the case's cheap model into ``work`` unless cached; load it."""
    from mixpot.cli import main as mixpot

    folder = work / case.cheap_dir
    if not (folder / "report.json").exists():
        if not case.distill_args:
            raise FileNotFoundError(f"no cheap model in {folder}: distil it first")
        recipe = work / "zbl.toml"
        recipe.write_text(ZBL_TOML)
        args = ["distill", *case.distill_args, "--twojmax", "6"]
        code = mixpot([*args, "--recipe", str(recipe), "--out", str(folder)])
        if code != 0:
            raise RuntimeError(f"mixpot distill failed (exit code {code})")
    report = json.loads((folder / "report.json").read_text())
    return LinearPotential.load(folder / "potential.npz"), report, folder


def start_structure(case: Case, perfect: Atoms, a: float, repeat: int) -> Atoms:
    """Return the defect cell the run starts from (defect nearest the centre)."""
    from mixpot.distill.solutes import central_site, interstitial_cell
    from mixpot.run.system import with_crowdion

    atoms = perfect.copy()
    if case.name.startswith("crowdion"):
        return with_crowdion(atoms, central_site(atoms))
    if case.name == "vacancy":
        del atoms[central_site(atoms)]
        return atoms
    return interstitial_cell("W", "bcc", a, repeat, "He", "tetrahedral")


def mixed_run(case: Case, start: Atoms, cheap_path: Path, folder: Path, args, seed=0):
    """Run (or resume) the mixed MD in ``folder``; return its saved frames."""
    from mixpot.engines.ase import run
    from mixpot.run import RunConfig

    folder.mkdir(parents=True, exist_ok=True)
    write(folder / "start.extxyz", start)
    config = RunConfig.from_dict(
        {
            "system": {"file": str(folder / "start.extxyz")},
            "expensive": {"model": case.expensive},
            "cheap": {"potential": str(cheap_path / "potential.npz")},
            "regions": {
                "criterion": {"name": "uncertainty"},
                "r_core": R_CORE,
                "r_blend": R_BLEND,
                "r_buff": case.r_buff,
                "n_every": N_EVERY,
            },
            "mixing": {"mode": case.mode},
            "dynamics": {
                "integrator": "langevin",
                "timestep_fs": 2.0,
                "temperature_K": case.temperature_K,
                "friction_per_fs": 0.01,
                "steps": args.check_steps if case.name == "vacancy" else args.steps,
                "seed": seed,
            },
            "output": {
                "folder": str(folder / "md"),
                "trajectory_every": args.every,
                "thermo_every": args.every,
                "checkpoint_every": args.every,
            },
        }
    )
    run(config)
    frames = read(folder / "md" / "trajectory.extxyz", index=":")
    return [frame for frame in frames if frame.info["step"] > 0]


def direct_mixed_run(case: Case, start: Atoms, cheap: LinearPotential, args):
    """Run the mixed MD of :func:`mixed_run` with ASE directly; return frames.

    For the He case: when this was measured, ``mixpot run``'s validation
    rejected the ``lammps:W_He`` alias (fixed since); kept so the numbers in
    benchmarks/README.md stay reproducible. Same settings: MixedCalculator,
    regions rebuilt every ``N_EVERY`` steps, seeded Langevin; frames keep λ
    and the mixed forces.
    """
    from ase import units
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    from mixpot.mixing import MixedCalculator
    from mixpot.models import expensive_calculator

    regions = criteria_regions(case)["uncertainty"]
    atoms = start.copy()
    atoms.calc = MixedCalculator(
        expensive_calculator(case.expensive),
        cheap.calculator(uncertainty=False),
        dataclasses.replace(regions, n_every=N_EVERY),
        mode=case.mode,
    )
    rng = np.random.default_rng([0, 0])
    MaxwellBoltzmannDistribution(atoms, temperature_K=case.temperature_K, rng=rng)
    Stationary(atoms)
    atoms.calc.update_regions(atoms)
    dynamics = Langevin(
        atoms,
        2.0 * units.fs,
        temperature_K=case.temperature_K,
        friction=0.01 / units.fs,
        rng=np.random.default_rng([0, 1]),
    )
    atoms.calc.attach_updater(dynamics)
    frames = []
    for step in range(args.every, args.steps + 1, args.every):
        dynamics.run(args.every)
        frame = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=True)
        frame.arrays["lambda"] = atoms.calc.state.weights.copy()
        frame.info["step"] = step
        frame.calc = SinglePointCalculator(frame, forces=atoms.get_forces().copy())
        frames.append(frame)
    return frames


def cheap_sampling(cheap_dir: Path, start: Atoms, temperature_K: float, args):
    """Yield configurations every ``--cheap-steps`` of cheap-only LAMMPS MD."""
    from mixpot.lammps.frame import lammps_frame
    from mixpot.lammps.system import (
        build_system,
        element_masses,
        element_types,
        start_lammps,
    )

    lmp = start_lammps()
    frame = lammps_frame(start)
    build_system(lmp, start, frame, element_types(start, ["W"]), element_masses(["W"]))
    lmp.commands_list(
        [
            f"variable cheap_dir string {cheap_dir / 'lammps'}",
            f"include {cheap_dir / 'lammps' / 'cheap.lammps'}",
            f"velocity all create {temperature_K} 4928 dist gaussian mom yes",
            "fix md all nve",
            f"fix heat all langevin {temperature_K} {temperature_K} 0.1 7331 zero yes",
            "timestep 0.002",
        ]
    )
    try:
        for _ in range(args.checks):
            lmp.command(f"run {args.cheap_steps}")
            x_nc = np.array(lmp.gather_atoms("x", 1, 3)).reshape(-1, 3)
            atoms = start.copy()
            atoms.positions = frame.to_ase_vectors(x_nc)
            atoms.wrap()
            yield atoms
    finally:
        lmp.close()


def whole_cell_forces(frame: Atoms, calc) -> np.ndarray:
    """Return the forces (eV/Å) of one model on the whole frame."""
    atoms = Atoms(frame.numbers, frame.positions, cell=frame.cell, pbc=frame.pbc)
    atoms.calc = calc
    return atoms.get_forces()


def criteria_regions(case: Case) -> dict[str, Regions]:
    """Return the regions built fresh on each frame, by criterion."""
    shared = {"r_core": R_CORE, "r_blend": R_BLEND, "r_buff": case.r_buff}
    return {
        "uncertainty": Regions(criterion=Uncertainty(), **shared),
        "coordination": Regions(
            criterion=Coordination(3.0),
            criterion_bounds=case.coordination_bounds,
            **shared,
        ),
    }


def frame_metrics(frame, perfect, forces, cheap, regions, rmse_meV) -> dict:
    """Everything measured on one frame (module docstring), by criterion."""
    occupancy = wigner_seitz(frame, perfect)
    sites = occupancy.site_positions_sc[occupancy.defect_sites]
    fixed = atoms_within(frame, sites, R_CORE + R_BLEND)
    shell = atoms_within(frame, sites, FIRST_SHELL)
    error_n = 1e3 * np.sqrt(np.mean((forces["cheap"] - forces["expensive"]) ** 2, 1))
    large = error_n > LARGE_ERROR_FACTOR * rmse_meV
    masks = {"uncertainty, as run": frame.arrays["lambda"] > 0}
    for name, region in regions.items():
        state = region.update(frame, cheap=cheap if region.needs_cheap else None)
        masks[name] = state.weights > 0
    masks["fixed radius (Wigner–Seitz)"] = fixed
    core = frame.arrays["lambda"] == 1.0
    per_criterion = {
        name: {
            "n_large_in": int(np.count_nonzero(large & mask)),
            "size": int(mask.sum()),
            "finds": bool(shell[~mask].sum() == 0) if len(sites) else None,
        }
        for name, mask in masks.items()
    }
    return {
        "step": int(frame.info["step"]),
        "n_large": int(large.sum()),
        "n_fixed": int(fixed.sum()),
        "n_defect_sites": int(len(sites)),
        "defect_site_ids": occupancy.defect_sites.tolist(),
        "defect_centre": sites.mean(axis=0).tolist() if len(sites) else None,
        "criteria": per_criterion,
        "core_n": int(core.sum()),
        "core_sq_mixed": float(
            np.sum((1e3 * (forces["mixed"] - forces["expensive"])[core]) ** 2)
        ),
        "core_sq_cheap": float(
            np.sum((1e3 * (forces["cheap"] - forces["expensive"])[core]) ** 2)
        ),
        "core_max_mixed": float(
            1e3 * np.abs(forces["mixed"] - forces["expensive"])[core].max(initial=0.0)
        ),
    }


def analyse(case, frames, perfect, cheap, rmse_meV) -> list[dict]:
    """Recompute every frame with both models on the whole cell; measure."""
    from mixpot.models import expensive_calculator

    expensive = expensive_calculator(case.expensive)
    cheap_calc = cheap.calculator(uncertainty=False)
    regions = criteria_regions(case)
    rows = []
    for frame in frames:
        forces = {
            "expensive": whole_cell_forces(frame, expensive),
            "cheap": whole_cell_forces(frame, cheap_calc),
            "mixed": frame.get_forces(),
        }
        rows.append(frame_metrics(frame, perfect, forces, cheap, regions, rmse_meV))
    return rows


def run_case(case: Case, args) -> dict:
    """Distil (cached), run, analyse one case; return its per-frame rows."""
    start = time.perf_counter()
    cheap, report, cheap_dir = distilled(case, args.work)
    rmse = float(report["held_out"]["force"]["rmse"])
    a = float(report["properties"]["expensive"]["lattice_constant"])
    repeat = args.vacancy_repeat if case.name == "vacancy" else args.repeat
    perfect = bulk("W", "bcc", a=a, cubic=True).repeat(repeat)
    initial = start_structure(case, perfect, a, repeat)
    folder = args.work / "regions" / f"{case.name}-{repeat}"
    if case.name == "vacancy":
        folder = folder.with_name(f"{folder.name}-{case.temperature_K:g}K")
    frames = []
    if case.name == "vacancy":
        sampled = cheap_sampling(cheap_dir, initial, case.temperature_K, args)
        for k, atoms in enumerate(sampled):
            frames += mixed_run(case, atoms, cheap_dir, folder / f"check{k}", args, k)
    elif case.expensive == "lammps:W_He":
        frames = direct_mixed_run(case, initial, cheap, args)
    else:
        frames = mixed_run(case, initial, cheap_dir, folder, args)
    rows = analyse(case, frames, perfect, cheap, rmse)
    minutes = (time.perf_counter() - start) / 60
    return {
        "case": case,
        "rows": rows,
        "rmse": rmse,
        "minutes": minutes,
        "cell": perfect.cell.array,
    }


def summary_rows(result: dict) -> list[str]:
    """Markdown rows, one per criterion, of one case."""
    case, rows = result["case"], result["rows"]
    n_large = sum(row["n_large"] for row in rows)
    n_fixed = np.array([row["n_fixed"] for row in rows], dtype=float)
    lines = []
    for name in rows[0]["criteria"]:
        inside = np.array([row["criteria"][name]["n_large_in"] for row in rows])
        large = np.array([row["n_large"] for row in rows])
        size = np.array([row["criteria"][name]["size"] for row in rows], float)
        finds = [row["criteria"][name]["finds"] for row in rows]
        finds = [value for value in finds if value is not None]
        has = large > 0
        worst = f"{np.min(inside[has] / large[has]):.2f}" if has.any() else "–"
        pooled = f"{inside.sum() / n_large:.3f}" if n_large else "–"
        lines.append(
            f"| {case.label} | {'yes' if case.trained else 'no'} | {name} | "
            f"{pooled} | {worst} | {size.mean():.0f} | {np.mean(size / n_fixed):.2f} "
            f"({np.max(size / n_fixed):.2f}) | "
            f"{sum(finds)}/{len(finds)} |"
        )
    return lines


def frame_table(result: dict) -> list[str]:
    """Markdown rows per frame: defect, error atoms, region sizes, core error."""
    case = result["case"]
    lines = []
    for row in result["rows"]:
        crit = row["criteria"]
        core = np.sqrt(row["core_sq_mixed"] / max(3 * row["core_n"], 1))
        core_cheap = np.sqrt(row["core_sq_cheap"] / max(3 * row["core_n"], 1))
        lines.append(
            f"| {case.name} | {row['step']} | {row['defect_site_ids'][:4]} | "
            f"{row['n_large']} | {crit['uncertainty, as run']['n_large_in']} | "
            f"{crit['coordination']['n_large_in']} | "
            f"{crit['uncertainty, as run']['size']} | "
            f"{crit['coordination']['size']} | {row['n_fixed']} | "
            f"{row['core_n']} | {core:.2f} | {core_cheap:.0f} |"
        )
    return lines


def core_line(result: dict) -> str:
    """Pooled core-force errors of one case (meV/Å)."""
    rows = result["rows"]
    n = 3 * sum(row["core_n"] for row in rows)
    mixed = np.sqrt(sum(row["core_sq_mixed"] for row in rows) / max(n, 1))
    cheap = np.sqrt(sum(row["core_sq_cheap"] for row in rows) / max(n, 1))
    worst = max(row["core_max_mixed"] for row in rows)
    return (
        f"| {result['case'].label} | {len(rows)} | {n // 3} | {mixed:.3f} | "
        f"{worst:.3f} | {cheap:.0f} | {result['rmse']:.0f} | "
        f"{result['minutes']:.1f} |"
    )


def motion_line(result: dict) -> str:
    """How far the true defect moved: sites visited, largest shift (Å)."""
    rows = result["rows"]
    visited = sorted({tuple(row["defect_site_ids"]) for row in rows})
    centres = [row["defect_centre"] for row in rows if row["defect_centre"]]
    cell = result["cell"]
    shifts = []
    for centre in centres:
        step = np.asarray(centre) - np.asarray(centres[0])
        fractions = np.linalg.solve(cell.T, step)
        shifts.append(np.linalg.norm((fractions - np.round(fractions)) @ cell))
    return (
        f"| {result['case'].label} | {len(visited)} | "
        f"{', '.join(str(list(v)) for v in visited[:6])} | {max(shifts):.2f} |"
    )


def core_check(report: dict, cheap: LinearPotential, repeat: int = 10) -> str:
    """Mixed against all-expensive forces in a cell larger than the cut-out.

    In the MD cells above the cut-out (region + 9.62 Å buffer) is the whole
    cell, so the core is exact by construction; here a 10³ crowdion
    (2,001 atoms), rattled by 0.06 Å (about the RMS thermal displacement of
    W at 600 K), gets one mixed force call with the uncertainty region.
    """
    from mixpot.distill.solutes import central_site
    from mixpot.mixing import MixedCalculator
    from mixpot.models import expensive_calculator
    from mixpot.run.system import with_crowdion

    a = float(report["properties"]["expensive"]["lattice_constant"])
    perfect = bulk("W", "bcc", a=a, cubic=True).repeat(repeat)
    atoms = with_crowdion(perfect, central_site(perfect))
    atoms.rattle(0.06, seed=1)
    expensive = expensive_calculator("lammps:W_snap")
    reference = whole_cell_forces(atoms, expensive)
    regions = criteria_regions(CASES["crowdion"])["uncertainty"]
    mixed = atoms.copy()
    mixed.calc = MixedCalculator(
        expensive, cheap.calculator(uncertainty=False), regions, mode="force"
    )
    forces = mixed.get_forces()
    weights = mixed.calc.state.weights
    core = weights == 1.0
    error = 1e3 * (forces - reference)
    return (
        f"| {len(atoms)} | {mixed.calc.results['n_expensive']} | {int(core.sum())} | "
        f"{int((weights > 0).sum())} | {np.sqrt(np.mean(error[core] ** 2)):.2e} | "
        f"{np.abs(error[core]).max():.2e} |"
    )


def print_tables(results: list[dict]) -> None:
    """Print the summary, the core-force and the per-frame tables."""
    print(
        "\n| defect | trained | criterion | recall (pooled) | worst frame | "
        "mean λ>0 atoms | size ÷ fixed: mean (max) | finds defect |\n"
        "|---|---|---|---:|---:|---:|---:|---:|"
    )
    for result in results:
        print("\n".join(summary_rows(result)))
    print(
        "\n| defect | frames | core atom-frames | mixed core RMSE (meV/Å) | "
        "max |ΔF| component | cheap core RMSE | cheap held-out RMSE | minutes |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for result in results:
        print(core_line(result))
    print(
        "\n| defect | WS defect sites visited | sites | largest shift of the "
        "defect centre (Å) |\n|---|---:|---|---:|"
    )
    for result in results:
        print(motion_line(result))
    print(
        "\n| case | step | defect sites (WS) | large-error atoms | in uncert. "
        "(as run) | in coord. | λ>0 uncert. | λ>0 coord. | fixed | core atoms | "
        "core RMSE mixed | core RMSE cheap |\n"
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    for result in results:
        print("\n".join(frame_table(result)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=["crowdion", "vacancy", "helium"])
    parser.add_argument("--sevennet", action="store_true", help="add crowdion-7net")
    parser.add_argument("--repeat", type=int, default=6, help="cells per side")
    parser.add_argument("--steps", type=int, default=800, help="mixed MD steps")
    parser.add_argument("--every", type=int, default=50, help="steps between frames")
    parser.add_argument("--vacancy-repeat", type=int, default=4)
    parser.add_argument(
        "--vacancy-temperatures", type=float, nargs="+", default=[3200.0, 1200.0]
    )
    parser.add_argument("--checks", type=int, default=8, help="vacancy checks")
    parser.add_argument("--cheap-steps", type=int, default=1500)
    parser.add_argument("--check-steps", type=int, default=50)
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args()
    names = args.cases + (["crowdion-7net"] if args.sevennet else [])
    start = time.perf_counter()
    print(f"load average at the start: {load_average()} (2 cores, shared)")
    results = []
    cases = []
    for name in names:
        if name != "vacancy":
            cases.append(CASES[name])
            continue
        for kelvin in args.vacancy_temperatures:
            label = f"W vacancy, {kelvin:g} K"
            cases.append(
                dataclasses.replace(CASES[name], temperature_K=kelvin, label=label)
            )
    for case in cases:
        results.append(run_case(case, args))
        name = f"{case.name} {case.temperature_K:g} K"
        print(f"{name}: {result_line(results[-1])}; load {load_average()}", flush=True)
    print_tables(results)
    if "crowdion" in names:
        cheap, report, _ = distilled(CASES["crowdion"], args.work)
        print(
            "\n| atoms | expensive set | core | λ>0 | mixed core RMSE (meV/Å) | "
            "max |ΔF| (meV/Å) |\n|---:|---:|---:|---:|---:|---:|"
        )
        print(core_check(report, cheap))
    minutes = (time.perf_counter() - start) / 60
    print(f"\nwall time {minutes:.1f} min; load average at the end {load_average()}")


def result_line(result: dict) -> str:
    """One progress line: frames analysed and minutes taken."""
    return f"{len(result['rows'])} frames in {result['minutes']:.1f} min"


if __name__ == "__main__":
    main()
