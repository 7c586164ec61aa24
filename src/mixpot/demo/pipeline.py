"""The demonstration behind ``mixpot demo``: the real job, end to end.

1. **Distil** a cheap W SNAP from the expensive model (SevenNet-0 by default)
   with the default recipe (``distill/``: POPS report, plots, LAMMPS files).
2. **Mixed MD** of a crowdion (a self-interstitial the recipe never sampled)
   in a box of 2,001 atoms, force-mixed, with the expensive region chosen by
   the cheap model's own POPS uncertainty and the expensive correction every
   few steps (impulse multiple time stepping) (``md/``: trajectory with λ,
   thermo, log, checkpoints and the ``run.toml`` that reproduces it with
   ``mixpot run``).
3. **Check** a saved frame against the expensive model on the whole cell,
   measure each model's cost per step and project the speedup to 8k, 65k and
   1M atoms (``accuracy.json``).
4. **Report**: ``summary.md`` and plots (parity with bounds, calibration of
   bounds and intervals, λ over time, force error against distance from the
   defect, speedup against size).

Every stage writes its results as it goes and is skipped or resumed on a
rerun: the distillation resumes its labels, the MD its last checkpoint, the
check is kept in ``accuracy.json``.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from mixpot.distill.recipes import DEFAULT_RECIPE

from .accuracy import check_frame
from .figures import write_figures
from .summary import write_summary

logger = logging.getLogger(__name__)

#: Sizes (atoms) the speedup is projected to.
PROJECTED_SIZES = (8_192, 65_536, 1_048_576)


@dataclass(frozen=True)
class DemoSettings:
    """What ``mixpot demo`` runs (every field has a working default).

    Attributes
    ----------
    expensive : str
        Spec of the expensive model.
    element : str
        The bcc element distilled and simulated.
    repeat : int
        Conventional cells per side of the MD box (10: 2,000 sites plus the
        crowdion).
    temperature_K, timestep_fs, steps : float, float, int
        Langevin MD (friction ``friction_per_fs``): 240 steps of 5 fs at
        900 K. SevenNet-0's self-interstitial (a <111> dumbbell) did not hop
        in 0.6 ps at 600 K; at 900 K it made its first <111> hop after
        0.9 ps (benchmarks/README.md, "The demo"). The distilled SNAP alone
        moves its crowdion one spacing every ~0.35 ps at 600 K.
    expensive_every : int
        Steps per expensive correction (impulse multiple time stepping,
        :class:`~mixpot.mixing.MultipleTimeStep`): 6 × 5 fs = a 30 fs outer
        step, below a quarter of W's shortest phonon period (133 fs).
    n_every : int
        Steps between region rebuilds (the only steps that evaluate the
        per-atom uncertainty).
    trajectory_every : int
        Steps between saved frames (a multiple of ``expensive_every``: the
        saved forces are then the exact mixed ones).
    r_core, r_blend : float
        Region radii (Å): the crowdion's uncertain atoms and their first
        neighbours (λ = 1), a blend over the next shell.
    mode : {"force", "energy"}
        Mixing mode. Force mixing (as ML-MIX): in the core the forces are
        SevenNet-0's up to the buffer's error. Energy mixing conserves energy
        but adds ghost forces where λ changes, and for a message-passing
        model they reach every atom within its receptive field: in this demo
        (r_core 3, r_blend 4 Å) its core force error was 298 meV/Å against
        SevenNet-0, twice the cheap model's alone (148; benchmarks/README.md).
    r_buff : float or None
        Buffer (Å); None: the expensive model's measured one (14 Å for
        SevenNet-0 in force mode, 5 meV/Å core error); 10 Å here (34 meV/Å
        in the buffer benchmark) keeps the cut-out near 1,000 atoms.
    recipe : dict
        Sampling settings of the distillation (:class:`~mixpot.distill.Recipe`
        keywords; default ``DEFAULT_RECIPE``, that of ``mixpot distill``).
    random_state : int
        Seed of the distillation and of the MD.
    """

    expensive: str = "sevennet:7net-0"
    element: str = "W"
    repeat: int = 10
    temperature_K: float = 900.0
    timestep_fs: float = 5.0
    steps: int = 240
    friction_per_fs: float = 0.02
    expensive_every: int = 6
    n_every: int = 12
    trajectory_every: int = 12
    r_core: float = 2.0
    r_blend: float = 3.0
    mode: str = "force"
    r_buff: float | None = 10.0
    recipe: dict = field(default_factory=lambda: dict(DEFAULT_RECIPE))
    random_state: int = 0
    projected_sizes: tuple[int, ...] = field(default=PROJECTED_SIZES)

    def __post_init__(self) -> None:
        # The frame check compares saved forces with the expensive model:
        # they are the exact mixed ones only at expensive steps.
        for name in ("steps", "trajectory_every"):
            if getattr(self, name) % self.expensive_every:
                raise ValueError(
                    f"The {name!r} parameter of DemoSettings must be a multiple "
                    f"of expensive_every ({self.expensive_every}). Got "
                    f"{getattr(self, name)}."
                )


def run_demo(
    out_dir: str | Path,
    settings: DemoSettings | None = None,
    progress: bool = False,
    say: Callable[[str], None] = logger.info,
) -> dict:
    """Run (or resume) the whole demonstration into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Report folder (created; what is in it is reused).
    settings : DemoSettings, optional
        Defaults: SevenNet-0, W, 2,001 atoms, 900 K.
    progress : bool, default False
        Progress bars on the long stages.
    say : callable, default logging
        Receives one line per finished stage (the CLI prints them).

    Returns
    -------
    dict
        The numbers of ``summary.md`` (also in ``summary.json``).
    """
    settings = settings or DemoSettings()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    distilled = distil_stage(out_dir / "distill", settings, progress)
    timings["distillation_s"] = time.perf_counter() - start
    say(f"distilled: {out_dir / 'distill' / 'report.md'}")
    start = time.perf_counter()
    config = md_stage(out_dir / "md", settings, distilled, progress)
    timings["md_s"] = time.perf_counter() - start
    say(f"mixed MD: {config.output.folder}")
    start = time.perf_counter()
    accuracy = check_frame(out_dir, config, distilled, settings)
    timings["check_s"] = time.perf_counter() - start
    say("checked a saved frame against the expensive model on the whole cell")
    for name in ("parity.png", "uncertainty.png"):
        if (out_dir / "distill" / name).exists():
            shutil.copy(out_dir / "distill" / name, out_dir / f"distill_{name}")
    figures = write_figures(out_dir, config, distilled, accuracy)
    numbers = {
        "settings": asdict(settings),
        "distillation": _distillation_numbers(distilled.numbers),
        "accuracy": accuracy,
        "timings": timings,
        "figures": figures,
    }
    (out_dir / "summary.json").write_text(json.dumps(numbers, indent=2))
    write_summary(out_dir / "summary.md", numbers)
    say(f"summary: {out_dir / 'summary.md'}")
    return numbers


def distil_stage(out_dir: Path, settings: DemoSettings, progress: bool):
    """Distil the cheap model (resumes; returns the DistillResult)."""
    from mixpot.distill import Recipe
    from mixpot.distill.pipeline import DistillConfig, distil

    config = DistillConfig(
        expensive=settings.expensive,
        recipe=Recipe([settings.element], "bcc", **settings.recipe),
        random_state=settings.random_state,
    )
    return distil(config, out_dir, progress=progress)


def md_stage(out_dir: Path, settings: DemoSettings, distilled, progress: bool):
    """Run (or continue) the mixed MD; return its RunConfig."""
    from mixpot.engines.ase import run
    from mixpot.run import RunConfig

    config = RunConfig.from_dict(_run_table(out_dir, settings, distilled))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "run.toml").write_text(config.to_toml())
    bar = _progress_bar(settings.steps, "mixed MD", progress)
    try:
        run(config, on_step=lambda step, calc: bar.update(step - bar.n))
    finally:
        bar.close()
    return config


def _run_table(out_dir: Path, settings: DemoSettings, distilled) -> dict:
    """Return the run configuration as the TOML tables of ``run.toml``."""
    lattice_constant = distilled.numbers["properties"]["expensive"]["lattice_constant"]
    return {
        "system": {
            "lattice": "bcc",
            "element": settings.element,
            "lattice_constant": float(lattice_constant),
            "repeat": [settings.repeat] * 3,
            "defect": "crowdion",
            "seed": settings.random_state,
        },
        "expensive": {"model": settings.expensive},
        "cheap": {"potential": str((distilled.out_dir / "potential.npz").resolve())},
        "regions": {
            "criterion": {"name": "uncertainty"},
            "r_core": settings.r_core,
            "r_blend": settings.r_blend,
            "n_every": settings.n_every,
            **({} if settings.r_buff is None else {"r_buff": settings.r_buff}),
        },
        "mixing": {"mode": settings.mode, "expensive_every": settings.expensive_every},
        "dynamics": {
            "integrator": "langevin",
            "timestep_fs": settings.timestep_fs,
            "temperature_K": settings.temperature_K,
            "friction_per_fs": settings.friction_per_fs,
            "steps": settings.steps,
            "seed": settings.random_state,
        },
        "output": {
            "folder": str(out_dir.resolve()),
            "trajectory_every": settings.trajectory_every,
            "thermo_every": 1,
            "checkpoint_every": settings.trajectory_every,
        },
    }


def _distillation_numbers(numbers: dict) -> dict:
    """Return the report's held-out scores and properties (for the summary)."""
    keep = ("held_out", "training", "properties", "n_configurations", "timings")
    return {key: numbers[key] for key in keep if key in numbers}


def _progress_bar(total: int, description: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="step", disable=not progress)
