"""``mixpot run --engine lammps``: a :class:`~mixpot.run.RunConfig` in LAMMPS.

:func:`run` reads the same configuration as the ASE engine and runs it with
:class:`~mixpot.engines.lammps.LammpsMixedEngine` on the ranks of
``MPI.COMM_WORLD`` (``mpirun -np N python -m mixpot run CONFIG.toml
--engine lammps``). Rank 0 alone builds and evaluates the expensive model.

Integrators: ``nve`` (``fix nve``), ``langevin`` and ``blend-langevin``
(``fix nve`` plus mixpot's Langevin forces on every atom, or on the blend
atoms only: exact on restart and on any number of ranks), ``npt``
(``fix npt``, energy mode), ``fire`` (``min_style fire``, ``min_modify norm
max`` so that ``fmax`` means what it means in ASE). ``bfgs`` is ASE's and
is refused here. ``[mixing] expensive_every = k`` > 1 (nve, langevin)
evaluates the expensive correction every k steps and applies it k-fold
(impulse multiple time stepping, as in the ASE engine); ``[regions]
n_every`` must then be a multiple of k. Thermo's energy and the dumped
forces are then, as in the ASE engine, the cheap ones plus the last
correction.

The output folder holds what the ASE engine writes, in LAMMPS' own formats
where it has one:

* ``trajectory.lammpstrj`` — ``dump custom`` every ``trajectory_every``
  steps: id, element, positions, velocities, the mixed forces (as ``fx fy
  fz``: cheap plus correction, without the thermostat's forces, as the ASE
  engine saves them) and ``d_lambda`` (OVITO reads it);
* ``thermo.dat`` — the ASE engine's columns (``fix print``);
* ``log.lammps`` (LAMMPS) and ``run.log`` (mixpot), ``config.toml``;
* ``lammps_checkpoint.restart`` + ``.npz`` every ``checkpoint_every``
  steps. A rerun continues from it (output files cut back to its step).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import numpy as np

from mixpot.models import default_buffer
from mixpot.run import build
from mixpot.run.checkpoint import CheckpointError
from mixpot.run.config import ConfigError, RunConfig
from mixpot.run.output import THERMO, TRAJECTORY, OutputFiles, ThermoRow
from mixpot.run.validation import validate

from .ase import RunResult, run_digest
from .checkpoint import read_state
from .integrators import initial_velocities
from .lammps import FIX_ID, LAMBDA_PROPERTY, LammpsMixedEngine
from .langevin import BlendLangevin
from .step import MIXED_FORCE_PROPERTIES

logger = logging.getLogger(__name__)

DUMP, LAMMPS_LOG, STEM = "trajectory.lammpstrj", "log.lammps", "lammps_checkpoint"
THERMO_TITLE = "# rows written by LAMMPS fix print"
INTEGRATORS = ("nve", "langevin", "blend-langevin", "npt", "fire")
BAR_PER_GPA = 1.0e4
#: Bytes read back from the end of thermo.dat to find its last row.
TAIL_BYTES = 4096


def run(config: RunConfig, on_step=None, max_steps: int | None = None, comm=None):
    """Run (or continue) ``config`` in LAMMPS on the ranks of ``comm``.

    Parameters
    ----------
    config : RunConfig
        With absolute paths (as :meth:`RunConfig.from_toml` gives).
    on_step : callable, optional
        ``on_step(step, n_expensive)`` on rank 0 after each chunk of steps.
    max_steps : int, optional
        Stop after about this many steps of this call (the run stays
        resumable: a checkpoint is written where it stops).
    comm : mpi4py communicator, optional
        Default ``MPI.COMM_WORLD``.

    Returns
    -------
    RunResult
        Its ``atoms`` holds the final positions (ASE frame).

    Raises
    ------
    ConfigError
        For an invalid configuration or one this engine cannot run, before
        LAMMPS starts (on every rank).
    CheckpointError
        For a checkpoint of another configuration, or an unreadable one.
    """
    from mpi4py import MPI

    comm = MPI.COMM_WORLD if comm is None else comm
    atoms = validate(config)
    _check_engine(config)
    digest = run_digest(config)
    folder = Path(config.output.folder)
    state = _checkpoint_state(folder, digest, comm)
    section = config.dynamics
    if state is not None and bool(state["finished"]):
        if section.is_relaxation or int(state["step"]) >= section.steps:
            return RunResult(atoms, int(state["step"]), True, already_complete=True)
    out = OutputFiles(folder, config.mixing.mode) if comm.Get_rank() == 0 else None
    if out is not None:
        out.open_log()
    try:
        return _Run(config, atoms, out, state, digest, comm).go(on_step, max_steps)
    finally:
        if out is not None:
            out.close_log()


def _check_engine(config: RunConfig) -> None:
    integrator = config.dynamics.integrator
    if integrator not in INTEGRATORS:
        raise ConfigError(
            f"The 'integrator' parameter of [dynamics] must be one of "
            f"{list(INTEGRATORS)} with --engine lammps. Got {integrator!r} (use "
            "'fire' for a relaxation, or the ASE engine)."
        )
    every, n_every = config.mixing.expensive_every, config.regions.n_every
    if n_every % every:
        raise ConfigError(
            f"The 'n_every' parameter of [regions] ({n_every}) must be a multiple "
            f"of [mixing] expensive_every ({every}) with --engine lammps: it "
            "rebuilds the regions at correction steps only."
        )


def _checkpoint_state(folder: Path, digest: str, comm) -> dict | None:
    stem = folder / STEM
    if not stem.with_suffix(".npz").exists():
        return None
    try:
        state = read_state(stem.with_suffix(".npz"))
    except ValueError as error:
        raise CheckpointError(str(error)) from error
    if str(state.get("config_digest")) != digest:
        raise CheckpointError(
            f"The output folder {str(folder)!r} holds a LAMMPS run of another "
            "configuration (only [dynamics] steps may change): choose another "
            "[output] folder, or delete it to start again."
        )
    return state


class _Run:
    """One call of :func:`run`: models, engine, fixes, the loop of chunks."""

    def __init__(self, config, atoms, out, state, digest, comm) -> None:
        self.config, self.atoms, self.out = config, atoms, out
        self.state, self.digest, self.comm = state, digest, comm
        self.rank = comm.Get_rank()
        self.folder = Path(config.output.folder)

    def go(self, on_step, max_steps) -> RunResult:
        expensive, regions = self._expensive_model()
        cheap = build.linear_potential(self.config.cheap)
        engine = self._engine(expensive, cheap, regions)
        try:
            self._prepare(engine)
            if self.config.dynamics.is_relaxation:
                return self._relax(engine)
            return self._dynamics(engine, on_step, max_steps)
        finally:
            engine.close()

    def _expensive_model(self):
        """Build the expensive model on rank 0; every rank gets r_buff."""
        expensive, outcome = None, None
        regions = self.config.regions
        if self.rank == 0:
            try:
                expensive = build.expensive_calculator_for(self.config)
                r_buff = regions.r_buff
                if r_buff is None:
                    r_buff = default_buffer(expensive, self.config.mixing.mode)
                outcome = ("ok", r_buff)
            except Exception as error:  # noqa: BLE001  (reported on every rank)
                outcome = ("error", f"{type(error).__name__}: {error}")
        kind, value = self.comm.bcast(outcome, root=0)
        if kind == "error":
            raise ConfigError(
                f"The expensive model of [expensive] could not be built: {value}"
            )
        return expensive, dataclasses.replace(regions, r_buff=float(value))

    def _engine(self, expensive, cheap, regions) -> LammpsMixedEngine:
        mixing = self.config.mixing
        options = {
            "comm": self.comm,
            "min_gap": mixing.min_gap,
            "vacuum": mixing.vacuum,
            "workdir": self.folder / "lammps",
            "expensive_every": mixing.expensive_every,
        }
        if self.rank == 0:
            (self.folder / "lammps").mkdir(parents=True, exist_ok=True)
        self.comm.Barrier()
        if self.state is None:
            initial_velocities(self.atoms, self.config.dynamics)
            return LammpsMixedEngine(
                self.atoms, expensive, cheap, regions, mixing.mode, **options
            )
        if self.out is not None:
            self.out.truncate(
                {
                    THERMO: int(self.state["thermo_size"]),
                    DUMP: int(self.state["dump_size"]),
                }
            )
        try:
            return LammpsMixedEngine.resume(
                self.folder / STEM, expensive, cheap, regions, mixing.mode, **options
            )
        except (FileNotFoundError, ValueError) as error:
            raise CheckpointError(str(error)) from error

    def _prepare(self, engine: LammpsMixedEngine) -> None:
        section, output = self.config.dynamics, self.config.output
        engine.set_timestep(section.timestep_fs)
        engine.command(f"log {self.folder / LAMMPS_LOG} append")
        for line in _integrator_commands(section, self.config.mixing.mode):
            engine.command(line)
        if section.integrator in ("langevin", "blend-langevin"):
            thermostat = BlendLangevin(
                section.temperature_K, section.friction_per_fs, section.seed
            )
            engine.set_blend_langevin(
                thermostat, everywhere=section.integrator == "langevin"
            )
        resumed = self.state is not None
        if self.out is not None:
            self.out.write_config(self.config.to_toml())
        if self.out is not None and not resumed:
            self.out.start_thermo()
            (self.folder / TRAJECTORY).unlink()  # the ASE engine's format
            (self.folder / DUMP).write_text("")
        self.comm.Barrier()
        if output.trajectory_every:
            elements = " ".join(engine.cheap.descriptor.elements)
            engine.command(
                f"dump mixpot_traj all custom {output.trajectory_every} "
                f"{self.folder / DUMP} id element x y z vx vy vz "
                f"{' '.join(f'd_{name}' for name in MIXED_FORCE_PROPERTIES)} "
                f"d_{LAMBDA_PROPERTY}"
            )
            # The mixed forces (no thermostat, no impulse) under LAMMPS' own
            # column names, which OVITO and ASE read as forces.
            renamed = " ".join(
                f"colname d_{name} f{axis}"
                for name, axis in zip(MIXED_FORCE_PROPERTIES, "xyz", strict=True)
            )
            modify = (
                f"dump_modify mixpot_traj element {elements} sort id flush yes "
                f"{renamed}"
            )
            if resumed:  # the checkpoint step's frame is already written
                modify += f" append yes delay {engine.step + 1}"
            engine.command(modify)
        if output.thermo_every:
            engine.command(
                f"fix mixpot_thermo all print {output.thermo_every} "
                f'"{_thermo_line(self.config.mixing.mode)}" append '
                f'{self.folder / THERMO} screen no title "{THERMO_TITLE}"'
            )
        # Forces, energy and regions of the start; also initialises the fixes
        # above, which the chunks' 'run N pre no' would not.
        self._run_command(engine, "run 0 post no")

    def _dynamics(self, engine, on_step, max_steps) -> RunResult:
        section, output = self.config.dynamics, self.config.output
        target = section.steps
        if max_steps is not None:
            target = min(target, engine.step + max_steps)
        every = output.checkpoint_every or target
        initialised = True
        while engine.step < target:
            chunk = min(every - engine.step % every, target - engine.step)
            # write_restart re-initialises LAMMPS, after which fix print
            # needs a run with set-up ('pre yes') to print again.
            pre = "no" if initialised else "yes"
            self._run_command(engine, f"run {chunk} pre {pre} post no")
            initialised = True
            if on_step is not None and self.rank == 0:
                on_step(engine.step, engine.n_expensive)
            if output.checkpoint_every and engine.step % every == 0:
                self._checkpoint(engine, finished=engine.step >= section.steps)
                initialised = False
        finished = engine.step >= section.steps
        self._checkpoint(engine, finished=finished)
        return self._result(engine, finished)

    def _relax(self, engine) -> RunResult:
        section = self.config.dynamics
        engine.command(
            f"minimize 0 {section.fmax!r} {section.steps} {10 * section.steps}"
        )
        self._thermo_row(engine)
        if self.config.output.trajectory_every:
            engine.command(
                f"write_dump all custom {self.folder / DUMP} id element x y z "
                f"fx fy fz d_{LAMBDA_PROPERTY} modify element "
                f"{' '.join(engine.cheap.descriptor.elements)} sort id append yes"
            )
        forces = engine.evaluate().forces
        converged = bool(np.linalg.norm(forces, axis=1).max() <= section.fmax)
        self._checkpoint(engine, finished=True)
        if not converged:
            logger.warning("FIRE stopped after %d steps above fmax", section.steps)
        return self._result(engine, converged)

    def _run_command(self, engine, line: str) -> None:
        """Run ``line``; drop the thermo row its set-up printed a second time.

        ``fix print`` prints at every run's set-up: the row of the step the
        previous run ended on (or of a checkpoint resumed from) comes twice.
        """
        thermo = self.folder / THERMO
        before = thermo.stat().st_size if self.out is not None else 0
        engine.command(line)
        if self.out is None or not self.config.output.thermo_every:
            return
        with thermo.open("r+b") as handle:
            # The last row before this run lies in the file's last few lines.
            handle.seek(max(0, before - TAIL_BYTES))
            head, tail = handle.read(before - handle.tell()), handle.read()
            last = _last_row_step(head)
            # fix print also repeats its title line on every (re)creation.
            kept = [
                line
                for line in tail.splitlines(keepends=True)
                if not (line.strip() == THERMO_TITLE.encode() and before)
            ]
            rows = [k for k, line in enumerate(kept) if _row_step(line) is not None]
            if rows and _row_step(kept[rows[0]]) == last:
                del kept[rows[0]]
            handle.seek(before)
            handle.write(b"".join(kept))
            handle.truncate()

    def _checkpoint(self, engine, finished: bool) -> None:
        extra = {"config_digest": np.array(self.digest), "finished": np.array(finished)}
        if self.out is not None:
            sizes = self.out.sizes()
            dump = self.folder / DUMP
            extra.update(
                thermo_size=np.array(sizes[THERMO]),
                dump_size=np.array(dump.stat().st_size if dump.exists() else 0),
            )
        engine.checkpoint(self.folder / STEM, extra)

    def _thermo_row(self, engine) -> None:
        """Write one thermo row from rank 0 (a relaxed state)."""
        # get_thermo sums over ranks: every rank calls it.
        values = {name: engine.lmp.get_thermo(name) for name in ("temp", "pe", "ke")}
        if self.out is None or not self.config.output.thermo_every:
            return
        energy = values["pe"] if self.config.mixing.mode == "energy" else math.nan
        self.out.thermo(
            ThermoRow(
                step=engine.step,
                time_fs=engine.step * self.config.dynamics.timestep_fs,
                temperature_K=values["temp"],
                potential_energy=energy,
                total_energy=energy + values["ke"],
                n_expensive=engine.n_expensive,
                n_cheap=engine.n_atoms,
                time_expensive=0.0,  # a relaxation has no "last step"
                time_cheap=0.0,
            )
        )

    def _result(self, engine, finished: bool) -> RunResult:
        atoms = self.atoms.copy()
        atoms.positions = engine.positions()
        return RunResult(
            atoms,
            engine.step,
            finished,
            resumed_from=None if self.state is None else int(self.state["step"]),
        )


def _integrator_commands(section, mode: str) -> list[str]:
    """LAMMPS fixes (or minimiser settings) of a [dynamics] section."""
    if section.integrator == "fire":
        return ["min_style fire", "min_modify norm max"]
    if section.integrator != "npt":
        return ["fix mixpot_integrate all nve"]
    if mode != "energy":
        raise ConfigError("npt needs mixing mode 'energy' (a virial).")
    temperature = section.temperature_K
    pressure = section.pressure_GPa * BAR_PER_GPA
    return [
        f"fix mixpot_integrate all npt temp {temperature!r} {temperature!r} "
        f"{section.taut_fs / 1000.0!r} iso {pressure!r} {pressure!r} "
        f"{section.taup_fs / 1000.0!r}"
    ]


def _thermo_line(mode: str) -> str:
    """``fix print`` text of one thermo.dat row (the ASE engine's columns)."""
    energy = "$(pe:%.10f) $(etotal:%.10f)" if mode == "energy" else "nan nan"
    return (
        f"$(step) $(step*dt*1000:%.6f) $(temp:%.10f) {energy} "
        f"$(f_{FIX_ID}[1]:%.0f) $(atoms) $(f_{FIX_ID}[3]:%.6f) $(f_{FIX_ID}[4]:%.6f)"
    )


def _row_step(line: bytes) -> int | None:
    """Step of a thermo row (None for a comment or an empty line)."""
    fields = line.split()
    if not fields or fields[0].startswith(b"#"):
        return None
    return int(float(fields[0]))


def _last_row_step(text: bytes) -> int | None:
    """Step of the last row in ``text``."""
    for line in reversed(text.splitlines()):
        step = _row_step(line)
        if step is not None:
            return step
    return None
