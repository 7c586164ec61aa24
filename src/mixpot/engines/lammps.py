"""Mixed molecular dynamics inside LAMMPS, under MPI.

The cheap linear potential runs natively (``pair_style snap``, overlaid with
its ZBL baseline) on every rank over the whole system: that is where the
scale comes from. The expensive model enters through ``fix external``
(``pf/callback``): on every step each rank sends the positions of its atoms
in the expensive set (λ > 0 plus the buffer) to rank 0, which evaluates the
correction on the cut-out (:class:`~mixpot.engines.correction.CutoutCorrection`,
the code of the ASE :class:`~mixpot.mixing.MixedCalculator`); each rank
then adds the correction for its own atoms.

* ``mode="energy"``: the correction is the exact gradient of
  ``Σ_i λ_i (E_i^exp − E_i^cheap)`` over the cut-out, with its energy
  (``fix_modify energy yes``) and its virial (``fix_modify virial yes``);
  every rank passes both global totals. LAMMPS' potential energy,
  pressure, ``minimize`` and NPT are then those of the mixed energy.
* ``mode="force"``: ``λ_i (F_i^exp − F_i^cheap)`` on the λ > 0 atoms, where
  ``F^cheap`` is the pair force LAMMPS has already put in ``f`` when the
  callback runs; no energy or virial is claimed.

Regions are rebuilt every ``regions.n_every`` steps (0: once) from positions
gathered to rank 0 (O(N) only then); between rebuilds a step moves
O(region) data. λ is carried by atom ID and is also stored as the per-atom
property ``d_lambda`` for dumps and computes. Thermo can show
``f_mixpot_mix[1..4]``: expensive-set size, atoms with λ > 0, seconds in
the expensive model and in the cheap correction on the last step.

All geometry inside LAMMPS is in the LAMMPS frame (a rotated copy of the
ASE cell); :meth:`LammpsMixedEngine.evaluate` and
:meth:`LammpsMixedEngine.positions` rotate results back.
Suffixes: ``_nc`` atom × Cartesian, ``_cc`` Cartesian × Cartesian.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms, units

from mixpot.lammps import (
    LammpsFrame,
    build_system,
    element_masses,
    element_types,
    lammps_frame,
    start_lammps,
    voigt,
)
from mixpot.mixing.regions import Regions
from mixpot.models import default_buffer
from mixpot.potentials import LinearPotential

from .checkpoint import read_state, write_state
from .checks import (
    check_cheap,
    check_expensive_every,
    check_inputs,
    check_mode,
    check_styles,
)
from .correction import LAMMPS_VOIGT, CutoutCorrection
from .exchange import RootExchange
from .langevin import BlendLangevin, BlendLangevinForces
from .step import (
    FIX_ID,
    LAMBDA_PROPERTY,
    MIXED_FORCE_PROPERTIES,
    THERMO_VECTOR,
    MixedStep,
)

logger = logging.getLogger(__name__)


#: Per-atom mixed forces (``d_mixed_fx`` …), written by the callback.
MIXED_FORCE_FIX = "fix mixpot_mixed_force all property/atom " + " ".join(
    f"d_{name}" for name in MIXED_FORCE_PROPERTIES
)


@dataclass(frozen=True)
class MixedEvaluation:
    """Mixed energy, forces and stress of the current configuration (ASE frame).

    Attributes
    ----------
    energy : float or None
        Mixed potential energy (eV); None in force mode.
    forces : ndarray, shape (n_atoms, 3)
        Forces (eV/Å) in ASE atom order.
    stress : ndarray, shape (6,), or None
        ASE stress (eV/Å³, Voigt) of the virial; None in force mode.
    weights : ndarray, shape (n_atoms,)
        λ per atom.
    """

    energy: float | None
    forces: np.ndarray
    stress: np.ndarray | None
    weights: np.ndarray


class LammpsMixedEngine:
    """Mixed MD in LAMMPS: native cheap SNAP plus an expensive correction.

    Parameters
    ----------
    atoms : ase.Atoms
        Initial configuration (positions, cell, periodicity; velocities from
        its momenta). Every rank must pass the same configuration.
    expensive : ase.calculators.calculator.Calculator or LinearPotential
        The expensive model; evaluated on rank 0 only, on the cut-out.
    cheap : LinearPotential
        The cheap potential (linear SNAP with optional ZBL baseline).
    regions : Regions
        Region settings, ``n_every`` (rebuild period in steps, 0: once)
        included; ``r_buff=None`` is filled in from the expensive model and
        mode (:func:`~mixpot.mixing.buffer.default_buffer`) on a copy.
    mode : {"energy", "force"}, default "energy"
        How the potentials are mixed (module docstring).
    comm : mpi4py communicator, optional
        Communicator LAMMPS runs on (default ``MPI.COMM_WORLD``).
    min_gap, vacuum : float, default 6.0
        Cut-out settings, as in :class:`~mixpot.mixing.MixedCalculator`.
    workdir : path, optional
        Folder for the cheap potential's LAMMPS files (default: a temporary
        folder removed by :meth:`close`).
    expensive_every : int, default 1
        Impulse multiple time stepping: the correction is evaluated at the
        steps where ``step % expensive_every == 0`` and applied there
        ``expensive_every`` times as strong (:mod:`.step`); for ``fix nve``
        and the Langevin thermostats of :meth:`set_blend_langevin`, whose
        forces are added at every step. ``regions.n_every`` must be a
        multiple of it.

    Raises
    ------
    TypeError
        If ``cheap`` is not a :class:`~mixpot.potentials.LinearPotential`.
    ValueError
        For an unknown mode, a bad ``expensive_every``, elements the cheap
        potential does not know,
        non-finite positions, in energy mode an expensive model without
        λ-weighted gradients, or, for the uncertainty criterion, a cheap
        potential without POPS posterior (or threshold).

    Examples
    --------
    >>> from ase.build import bulk
    >>> from mixpot.descriptors import SNAP
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> fine = LinearPotential(snap, [-8.0, 0.1, 0.02, -0.03, 0.01, 0.005])
    >>> rough = LinearPotential(snap, [-8.0, 0.1, 0.0, 0.0, 0.0, 0.0])
    >>> atoms = bulk("W", cubic=True).repeat(4)
    >>> regions = Regions([0], r_core=2.0, r_blend=2.0, r_buff=4.7)
    >>> with LammpsMixedEngine(atoms, fine, rough, regions) as engine:
    ...     engine.evaluate().forces.shape
    (128, 3)
    """

    def __init__(
        self,
        atoms: Atoms,
        expensive,
        cheap: LinearPotential,
        regions: Regions,
        mode: str = "energy",
        *,
        comm=None,
        min_gap: float = 6.0,
        vacuum: float = 6.0,
        workdir: str | Path | None = None,
        expensive_every: int = 1,
    ) -> None:
        check_inputs(atoms, cheap, mode)
        check_expensive_every(expensive_every, regions)
        self._setup(expensive, cheap, regions, mode, comm, workdir)
        self.numbers = atoms.numbers.copy()
        self.n_atoms = len(atoms)
        self.frame = lammps_frame(atoms)
        self.stepper = self._new_stepper(expensive, min_gap, vacuum)
        self.stepper.every = expensive_every
        self._build_system(atoms)
        self._define_interactions()

    @classmethod
    def resume(
        cls,
        checkpoint: str | Path,
        expensive,
        cheap: LinearPotential,
        regions: Regions,
        mode: str = "energy",
        *,
        comm=None,
        min_gap: float = 6.0,
        vacuum: float = 6.0,
        workdir: str | Path | None = None,
        expensive_every: int = 1,
    ) -> LammpsMixedEngine:
        """Continue from a :meth:`checkpoint` (``STEM.restart`` + ``STEM.npz``).

        The LAMMPS restart holds positions, velocities, the box and the
        integrators' state; the ``.npz`` holds λ, the expensive set, the
        step of the last region rebuild, the last correction's energy and
        virial and the ASE frame. Give the ``expensive_every`` of the
        checkpointed run to continue it.

        Raises
        ------
        FileNotFoundError
            If either file is missing.
        ValueError
            If the state file is not a mixpot engine state, or is corrupt.
        """
        stem = Path(checkpoint)
        state = read_state(stem.with_suffix(".npz"))
        restart = stem.with_suffix(".restart")
        if not restart.is_file():
            raise FileNotFoundError(f"LAMMPS restart file {restart} is missing.")
        engine = cls.__new__(cls)
        check_cheap(cheap)
        check_mode(mode)
        check_expensive_every(expensive_every, regions)
        engine._setup(expensive, cheap, regions, mode, comm, workdir)
        engine.numbers = state["numbers"]
        engine.n_atoms = len(engine.numbers)
        engine.frame = LammpsFrame(
            rotation_cc=state["rotation_cc"],
            positions_nc=np.zeros((0, 3)),
            bounds=tuple(state["bounds"]),
            boundary=str(state["boundary"]),
        )
        engine.stepper = engine._new_stepper(expensive, min_gap, vacuum)
        engine.stepper.restore(state)
        engine.stepper.every = expensive_every
        engine.lmp.commands_list(
            [
                f"read_restart {restart}",
                # A property/atom fix takes back its values from the restart.
                f"fix mixpot_lambda all property/atom d_{LAMBDA_PROPERTY}",
                MIXED_FORCE_FIX,
            ]
        )
        engine._define_interactions()
        engine.set_timestep(float(state["timestep_fs"]))
        if engine.step != int(state["step"]):
            raise ValueError(
                f"{restart} is at step {engine.step} but {stem.with_suffix('.npz')} "
                f"at step {int(state['step'])}: the run was stopped while "
                "writing them; delete both to start again."
            )
        return engine

    # ------------------------------------------------------------ set-up
    def _setup(self, expensive, cheap, regions, mode, comm, workdir) -> None:
        from mpi4py import MPI

        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.exchange = RootExchange(self.comm)
        self.mode = mode
        self.cheap = cheap
        if regions.r_buff is None:
            regions = dataclasses.replace(
                regions, r_buff=default_buffer(expensive, mode)
            )
        regions.check_cheap(cheap)  # before LAMMPS starts
        self.regions = regions
        self._owned_folder = workdir is None
        if workdir is None:
            workdir = (
                tempfile.mkdtemp(prefix="mixpot_lammps_") if self.rank == 0 else None
            )
            workdir = self.comm.bcast(workdir, root=0)
        self.workdir = Path(workdir)
        self.lmp = start_lammps(self.comm)
        check_styles(self.lmp, cheap)
        self.lmp.commands_list(["units metal", "atom_style atomic"])
        # Metal-unit constants for the thermostat.
        self._units = tuple(
            float(self.lmp.extract_global(name)) for name in ("boltz", "mvv2e", "ftm2v")
        )

    def _new_stepper(self, expensive, min_gap, vacuum) -> MixedStep:
        # Only rank 0 evaluates (and loads) the expensive model's correction.
        correction = None
        if self.rank == 0:
            correction = CutoutCorrection(
                expensive,
                self.cheap,
                self.mode,
                self.numbers,
                _box_cell(self.frame),
                self._pbc,
                min_gap,
                vacuum,
            )
        return MixedStep(
            self.lmp,
            self.exchange,
            self.regions,
            self.mode,
            self.numbers,
            _box_cell(self.frame),
            self._pbc,
            correction,
            self._units,
            cheap=self.cheap,
        )

    @property
    def _pbc(self) -> list[bool]:
        return [letter == "p" for letter in self.frame.boundary.split()]

    def _build_system(self, atoms: Atoms) -> None:
        elements = self.cheap.descriptor.elements
        # ASE velocities are Å per ASE time unit; metal units take Å/ps.
        velocities_nc = atoms.get_velocities() @ self.frame.rotation_cc
        build_system(
            self.lmp,
            atoms,
            self.frame,
            element_types(atoms, elements),
            element_masses(elements),
            open_boundary="m",  # atoms may leave the first box along open axes
            velocities_nc=velocities_nc * (1000.0 * units.fs),
        )
        self.lmp.command(f"fix mixpot_lambda all property/atom d_{LAMBDA_PROPERTY}")
        self.lmp.command(MIXED_FORCE_FIX)

    def _define_interactions(self) -> None:
        pair_lines = None
        if self.rank == 0:
            pair_lines = self.cheap.to_lammps(self.workdir / "cheap", name="cheap")
        pair_lines = self.comm.bcast(pair_lines, root=0)
        commands = [
            *pair_lines,
            f"fix {FIX_ID} all external pf/callback 1 1",
            "thermo_style custom step pe ke etotal press",
        ]
        if self.mode == "energy":
            commands.append(f"fix_modify {FIX_ID} energy yes virial yes")
        self.lmp.commands_list(commands)
        self.lmp.fix_external_set_vector_length(FIX_ID, len(THERMO_VECTOR))
        self.lmp.set_fix_external_callback(FIX_ID, self.stepper, None)

    def close(self) -> None:
        """Shut LAMMPS down and remove the temporary folder."""
        if self.lmp is not None:
            self.lmp.close()
            self.lmp = None
        if self._owned_folder and self.rank == 0:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LammpsMixedEngine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ running
    def command(self, line: str) -> None:
        """Run one LAMMPS command (``run``, ``minimize``, ``fix``, ...).

        Raises
        ------
        RuntimeError
            If the expensive correction failed during the command (on every
            rank; the original error is chained on rank 0).
        """
        self.lmp.command(line)
        # LAMMPS swallows exceptions raised inside the callback: they are
        # kept and raised here, after the command, on every rank.
        self.exchange.raise_failure()

    def set_timestep(self, timestep_fs: float) -> None:
        """Set the MD time step (fs)."""
        if not (np.isfinite(timestep_fs) and timestep_fs > 0):
            raise ValueError(
                "The 'timestep_fs' parameter of set_timestep must be a float > 0. "
                f"Got {timestep_fs!r}."
            )
        self.stepper.step_fs = float(timestep_fs)
        self.lmp.command(f"timestep {timestep_fs / 1000.0!r}")

    def set_blend_langevin(
        self, thermostat: BlendLangevin | None, everywhere: bool = False
    ) -> None:
        """Thermostat the blend atoms (0 < λ < 1) from the next step on.

        Integrate with ``fix nve`` as usual; the drag and noise are added
        with the correction. ``everywhere`` thermostats every atom instead
        (plain Langevin, but exact on restart and on any number of ranks,
        unlike ``fix langevin``). None switches it off.
        """
        stepper = self.stepper
        stepper.langevin_everywhere = bool(everywhere)
        stepper.thermostat = (
            None
            if thermostat is None
            else BlendLangevinForces(thermostat, stepper.langevin_memo)
        )

    @property
    def weights(self) -> np.ndarray:
        """λ per atom (ASE order), as of the last region rebuild."""
        return self.stepper.weights.copy()

    @property
    def n_expensive(self) -> int:
        """Size of the expensive set (λ > 0 plus the buffer)."""
        return int(self.stepper.in_expensive.sum())

    @property
    def blend_atoms(self) -> np.ndarray:
        """ASE indices of the atoms with 0 < λ < 1."""
        return self.stepper.blend_tags - 1

    @property
    def timings(self) -> dict[str, float]:
        """Seconds so far: expensive model and cheap correction (rank 0), callback."""
        return dict(self.stepper.timings)

    @property
    def step(self) -> int:
        """Current LAMMPS time step number."""
        return int(self.lmp.extract_global("ntimestep"))

    def evaluate(self) -> MixedEvaluation:
        """Evaluate the current configuration (``run 0``); results on every rank.

        The mixed model itself: forces without the thermostat's, also
        between the corrections of a multiple time-stepping run; LAMMPS'
        forces are then put back to the
        integrator's (one more ``run 0``, served from the correction's
        cache at a correction step).
        """
        self.stepper.exact = True
        try:
            evaluation = self._evaluate_mixed()
        finally:
            self.stepper.exact = False
        if self.stepper.every > 1:
            self.command("run 0 post no")
        return evaluation

    def _evaluate_mixed(self) -> MixedEvaluation:
        self.command("run 0 post no")
        # The callback's mixed forces: LAMMPS' f also holds the thermostat's.
        nlocal = self.lmp.extract_global("nlocal")
        local_nc = np.column_stack(
            [
                self.lmp.numpy.extract_atom(f"d_{name}")[:nlocal]
                for name in MIXED_FORCE_PROPERTIES
            ]
        )
        forces_nc = self.frame.to_ase_vectors(self._gather_by_tag(local_nc))
        if self.mode == "force":
            return MixedEvaluation(None, forces_nc, None, self.weights)
        energy = float(self.lmp.get_thermo("pe"))
        return MixedEvaluation(energy, forces_nc, self._virial_stress(), self.weights)

    def positions(self) -> np.ndarray:
        """Return the positions (Å) in ASE order and frame, on every rank."""
        positions_nc = self._gather_by_tag(self.lmp.numpy.extract_atom("x"))
        return self.frame.to_ase_vectors(positions_nc)

    def velocities(self) -> np.ndarray:
        """Return the velocities (Å/ps) in ASE order and frame, on every rank."""
        velocities_nc = self._gather_by_tag(self.lmp.numpy.extract_atom("v"))
        return self.frame.to_ase_vectors(velocities_nc)

    def checkpoint(self, stem: str | Path, extra: dict | None = None) -> Path:
        """Write ``STEM.restart`` (LAMMPS) and ``STEM.npz`` (regions, frame).

        Collective: call it on every rank. ``extra`` arrays (rank 0's) are
        stored in the ``.npz`` too. Both files are written under temporary
        names and renamed, restart first; :meth:`resume` checks that their
        steps agree. Resume with :meth:`resume`.
        """
        stem = Path(stem)
        partial = stem.with_name(stem.name + ".partial.restart")
        self.command(f"write_restart {partial}")
        memory = self.stepper.memory()  # collective (thermostat forces)
        if self.rank == 0:
            state = write_state(
                stem.with_name(stem.name + ".partial.npz"),
                numbers=self.numbers,
                rotation_cc=self.frame.rotation_cc,
                bounds=np.array(self.frame.bounds),
                boundary=np.array(self.frame.boundary),
                timestep_fs=np.array(self.stepper.step_fs),
                step=np.array(self.step),
                **memory,
                **(extra or {}),
            )
            partial.replace(stem.with_suffix(".restart"))
            state.replace(stem.with_suffix(".npz"))
        self.comm.Barrier()
        return stem

    def _virial_stress(self) -> np.ndarray:
        """ASE stress of the virial alone: LAMMPS ``compute pressure ... virial``."""
        from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR

        name = "mixpot_virial"
        if not self.lmp.has_id("compute", name):
            self.command(f"compute {name} all pressure NULL virial")
            self.command("run 0 post no")
        pressure = self.lmp.numpy.extract_compute(
            name, LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR
        )
        pressure_cc = np.empty((3, 3))
        for value, (a, b) in zip(pressure, LAMMPS_VOIGT, strict=True):
            pressure_cc[a, b] = pressure_cc[b, a] = value
        pressure_cc /= self.lmp.extract_global("nktv2p")
        return -voigt(self.frame.to_ase_tensor(pressure_cc))

    def _gather_by_tag(self, local_nc: np.ndarray) -> np.ndarray:
        nlocal = self.lmp.extract_global("nlocal")
        tags = self.lmp.numpy.extract_atom("id")[:nlocal]
        return self.exchange.allgather_by_tag(tags, local_nc[:nlocal], self.n_atoms)


def _box_cell(frame: LammpsFrame) -> np.ndarray:
    """Cell vectors (rows) of the LAMMPS box ``(xlo, xhi, ..., xy, xz, yz)``."""
    xlo, xhi, ylo, yhi, zlo, zhi, xy, xz, yz = frame.bounds
    return np.array([[xhi - xlo, 0.0, 0.0], [xy, yhi - ylo, 0.0], [xz, yz, zhi - zlo]])
