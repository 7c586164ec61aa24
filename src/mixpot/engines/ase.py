"""The ASE engine: a :class:`~mixpot.run.RunConfig` run with ``MixedCalculator``.

:func:`run` validates the configuration (before any model is built), builds
both models and the :class:`~mixpot.mixing.MixedCalculator`, and steps the
integrator itself, so that it controls what happens between steps:

* the regions are rebuilt after every ``n_every``-th step (hysteresis
  memory: the previous state; elapsed time: ``n_every`` time steps);
* with ``[mixing] expensive_every = k > 1`` the calculator is a
  :class:`~mixpot.mixing.MultipleTimeStep`: the expensive correction every
  k steps as a k-fold kick (frames and thermo rows report the mixed forces
  and energy; between corrections with the last correction);
* thermo rows, trajectory frames and checkpoints are written every k steps
  (:mod:`mixpot.run.output`, :mod:`mixpot.run.checkpoint`);
* ``on_step(step, calc)`` is called after each step (the CLI's progress bar).

A rerun of the same configuration continues from the checkpoint in the
output folder: positions, momenta, cell, the thermostat's random-generator
state, the region state and the integrator's own state are restored, and the
output files are cut back to that step. With a deterministic calculator the
resumed run is bit-identical to an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ase import Atoms

from mixpot.mixing import MixedCalculator, MultipleTimeStep
from mixpot.run import build
from mixpot.run.checkpoint import Checkpoint, CheckpointError, config_digest
from mixpot.run.checkpoint import read_if_present as read_checkpoint
from mixpot.run.config import RunConfig
from mixpot.run.output import OutputFiles, ThermoRow
from mixpot.run.validation import validate

from .integrators import (
    initial_velocities,
    integrator_state,
    make_integrator,
    restore_integrator,
)

logger = logging.getLogger(__name__)

StepCallback = Callable[[int, MixedCalculator | MultipleTimeStep], None]


@dataclass(frozen=True)
class RunResult:
    """How a run ended.

    Attributes
    ----------
    atoms : ase.Atoms
        The final structure (its calculator is the MixedCalculator).
    step : int
        Steps done in total.
    finished : bool
        All steps done (or the relaxation converged).
    already_complete : bool
        The output folder held a finished run: nothing was computed.
    resumed_from : int or None
        The checkpoint step this run continued from.
    """

    atoms: Atoms
    step: int
    finished: bool
    already_complete: bool = False
    resumed_from: int | None = None


def build_calculator(config: RunConfig) -> MixedCalculator | MultipleTimeStep:
    """Build the calculator of a (validated) configuration.

    A MixedCalculator, wrapped in a MultipleTimeStep for ``expensive_every``
    above 1.
    """
    expensive = build.expensive_calculator_for(config)
    cheap = build.cheap_calculator_for(config)
    mixed = MixedCalculator(
        expensive,
        cheap,
        config.regions,
        mode=config.mixing.mode,
        min_gap=config.mixing.min_gap,
        vacuum=config.mixing.vacuum,
    )
    every = config.mixing.expensive_every
    return mixed if every == 1 else MultipleTimeStep(mixed, every)


def run(
    config: RunConfig,
    on_step: StepCallback | None = None,
    max_steps: int | None = None,
) -> RunResult:
    """Run (or continue) the simulation ``config`` describes.

    Parameters
    ----------
    config : RunConfig
        With absolute paths (as :meth:`RunConfig.from_toml` gives).
    on_step : callable, optional
        ``on_step(step, calc)`` after each step.
    max_steps : int, optional
        Stop after this many steps of this call (the run stays resumable).

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        For an invalid configuration (before any model is built).
    CheckpointError
        For an unreadable checkpoint, or one of another configuration.
    """
    atoms = validate(config)
    text = config.to_toml()
    digest = run_digest(config)
    out = OutputFiles(config.output.folder, config.mixing.mode)
    checkpoint = read_checkpoint(out.folder)
    if checkpoint is not None and checkpoint.config_digest != digest:
        raise CheckpointError(
            f"The output folder {str(out.folder)!r} holds a run of another "
            f"configuration (see its config.toml; only [dynamics] steps may "
            f"change): choose another [output] folder, or delete it to start "
            f"again."
        )
    if checkpoint is not None and checkpoint.finished:
        if config.dynamics.is_relaxation or checkpoint.step >= config.dynamics.steps:
            logger.info("the run in %s is complete", out.folder)
            return RunResult(atoms, checkpoint.step, True, already_complete=True)
    out.open_log()
    try:
        return _run(config, atoms, out, checkpoint, text, on_step, max_steps)
    finally:
        out.close_log()


def _run(config, atoms, out, checkpoint, text, on_step, max_steps) -> RunResult:
    dynamics_section = config.dynamics
    calc = build_calculator(config)
    atoms.calc = calc
    rng = np.random.default_rng([dynamics_section.seed, 1])
    if checkpoint is None:
        if any(out.sizes().values()):
            logger.warning(
                "no checkpoint in %s: the run starts again from step 0 and "
                "overwrites the output there",
                out.folder,
            )
        out.start_thermo()
        initial_velocities(atoms, dynamics_section)
        calc.update_regions(atoms)
        step = 0
        logger.info("run started: %d atoms, %s", len(atoms), dynamics_section)
    else:
        out.truncate(checkpoint.files)
        _restore(atoms, calc, rng, checkpoint)
        step = checkpoint.step
        logger.info("run resumed from the checkpoint at step %d", step)
    dynamics = make_integrator(atoms, dynamics_section, rng)
    if checkpoint is not None:
        restore_integrator(dynamics, dynamics_section, checkpoint.integrator)
    else:
        _record(out, config, atoms, calc, step)
    out.write_config(text)
    loop = _Loop(config, atoms, calc, dynamics, rng, out, run_digest(config))
    finished = loop.advance(step, on_step, max_steps)
    return RunResult(
        atoms,
        loop.step,
        finished,
        resumed_from=None if checkpoint is None else checkpoint.step,
    )


class _Loop:
    """Steps, region rebuilds and the periodic writes of one run."""

    def __init__(self, config, atoms, calc, dynamics, rng, out, digest) -> None:
        self.config, self.atoms, self.calc = config, atoms, calc
        self.dynamics, self.rng, self.out = dynamics, rng, out
        self.digest = digest
        self.step = 0

    def advance(self, step: int, on_step, max_steps) -> bool:
        section = self.config.dynamics
        n_every = self.config.regions.n_every
        elapsed_fs = n_every * section.timestep_fs
        self.step = step
        if self._converged() or self.step >= section.steps:
            self._checkpoint(finished=True)  # nothing to do (0 steps, converged)
            return True
        for _ in range(section.steps if max_steps is None else max_steps):
            self.dynamics.step()
            self.step += 1
            if n_every and self.step % n_every == 0:
                self.calc.update_regions(self.atoms, elapsed=elapsed_fs)
            finished = self._converged() or self.step == section.steps
            self._write(finished)
            if on_step is not None:
                on_step(self.step, self.calc)
            if finished:
                logger.info("run finished at step %d", self.step)
                return True
        return False

    def _converged(self) -> bool:
        section = self.config.dynamics
        if not section.is_relaxation:
            return False
        forces = self.atoms.get_forces()
        return bool(np.sqrt((forces**2).sum(axis=1)).max() < section.fmax)

    def _write(self, finished: bool) -> None:
        output, step = self.config.output, self.step
        if finished or _due(step, output.thermo_every):
            _thermo(self.out, self.config, self.atoms, self.calc, step)
        if finished or _due(step, output.trajectory_every):
            _frame(self.out, self.config, self.atoms, self.calc, step)
        if finished or _due(step, output.checkpoint_every):
            self._checkpoint(finished)

    def _checkpoint(self, finished: bool) -> None:
        Checkpoint(
            step=self.step,
            positions=self.atoms.positions.copy(),
            momenta=self.atoms.get_momenta(),
            cell=self.atoms.cell.array.copy(),
            region=self.calc.state,
            rng_state=self.rng.bit_generator.state,
            integrator={
                **integrator_state(self.dynamics, self.config.dynamics),
                **_calculator_memory(self.calc),
            },
            files=self.out.sizes(),
            config_digest=self.digest,
            finished=finished,
        ).save(self.out.folder)


def run_digest(config: RunConfig) -> str:
    """Digest of everything that must not change when a run is continued.

    All of the configuration but ``[dynamics] steps``: a finished MD run
    rerun with more steps continues from its last checkpoint.
    """
    fixed = dataclasses.replace(
        config, dynamics=dataclasses.replace(config.dynamics, steps=0)
    )
    return config_digest(fixed.to_toml())


def _due(step: int, every: int) -> bool:
    return every > 0 and step % every == 0


def _record(out, config, atoms, calc, step) -> None:
    """Thermo row and frame of the initial state."""
    if config.output.thermo_every:
        _thermo(out, config, atoms, calc, step)
    if config.output.trajectory_every:
        _frame(out, config, atoms, calc, step)


def _thermo(out, config, atoms, calc, step) -> None:
    results = _results(atoms, calc)
    kinetic = atoms.get_kinetic_energy()
    energy = results.get("energy", math.nan)
    out.thermo(
        ThermoRow(
            step=step,
            time_fs=step * config.dynamics.timestep_fs,
            temperature_K=atoms.get_temperature(),
            potential_energy=energy,
            total_energy=energy + kinetic,
            n_expensive=int(results["n_expensive"]),
            n_cheap=int(results["n_cheap"]),
            time_expensive=float(results["time_expensive"]),
            time_cheap=float(results["time_cheap"]),
        )
    )


def _frame(out, config, atoms, calc, step) -> None:
    results = _results(atoms, calc)
    out.frame(atoms, step, step * config.dynamics.timestep_fs, results)


def _results(atoms, calc) -> dict:
    """Return the results at the current positions (computed if needed).

    The mixed forces: with multiple time stepping ``forces`` is the
    integrator's (a k-fold kick at the expensive steps).
    """
    atoms.get_forces()
    results = calc.results
    if "mixed_forces" in results:
        results = {**results, "forces": results["mixed_forces"]}
    return results


def _calculator_memory(calc) -> dict[str, np.ndarray]:
    """Return the calculator's own checkpoint state (multiple time stepping)."""
    return calc.memory() if isinstance(calc, MultipleTimeStep) else {}


def _restore(atoms: Atoms, calc, rng, checkpoint: Checkpoint) -> None:
    if checkpoint.positions.shape != atoms.positions.shape:
        raise CheckpointError(
            f"The checkpoint holds {len(checkpoint.positions)} atoms; the "
            f"configuration's system has {len(atoms)}."
        )
    atoms.set_cell(checkpoint.cell)
    atoms.positions = checkpoint.positions
    atoms.set_momenta(checkpoint.momenta)
    if checkpoint.rng_state is not None:
        rng.bit_generator.state = checkpoint.rng_state
    calc.fix_regions(checkpoint.region)
    if isinstance(calc, MultipleTimeStep):
        calc.restore(checkpoint.integrator)


def dry_run(config: RunConfig) -> dict:
    """Measure region sizes and the cost of one step of each model.

    Builds the models and evaluates the initial structure twice (the first
    call starts the models; the second is timed); runs no dynamics and
    writes nothing.

    Returns
    -------
    dict
        ``n_atoms``, ``n_expensive``, ``n_cheap``, ``n_core`` (λ = 1),
        ``n_blend`` (0 < λ < 1), ``r_buff`` (Å), ``time_expensive`` and
        ``time_cheap`` (s per step; the expensive one at an expensive
        step), ``seconds_per_step`` (averaged over ``expensive_every``
        steps) and ``estimated_seconds`` for all steps.
    """
    atoms = validate(config)
    built = build_calculator(config)
    calc = built.mixed if isinstance(built, MultipleTimeStep) else built
    atoms.calc = calc
    state = calc.update_regions(atoms)
    atoms.get_forces()
    calc.reset()
    start = time.perf_counter()
    atoms.get_forces()
    seconds = time.perf_counter() - start
    # With multiple time stepping, one expensive call per expensive_every steps.
    every = config.mixing.expensive_every
    seconds_per_step = seconds - (1 - 1 / every) * calc.results["time_expensive"]
    weights = state.weights
    return {
        "n_atoms": len(atoms),
        "n_expensive": state.n_expensive,
        "n_cheap": int(calc.results["n_cheap"]),
        "n_core": int((weights == 1).sum()),
        "n_blend": int(((weights > 0) & (weights < 1)).sum()),
        "r_buff": calc.regions.r_buff,
        "time_expensive": float(calc.results["time_expensive"]),
        "time_cheap": float(calc.results["time_cheap"]),
        "seconds_per_step": seconds_per_step,
        "estimated_seconds": seconds_per_step * config.dynamics.steps,
    }
