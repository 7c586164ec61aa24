"""What happens inside LAMMPS on every step of a mixed run.

:class:`MixedStep` is the ``fix external`` callback of
:class:`~mixpot.engines.lammps.LammpsMixedEngine`, with the region memory it
carries from step to step (λ and the expensive set by atom ID, the step of
the last rebuild, the thermostat forces of the last step). Every step, on
every rank:

1. every ``regions.n_every`` steps, all positions go to rank 0, which
   rebuilds the regions (:meth:`~mixpot.mixing.Regions.update`, with the
   previous state as hysteresis memory) and broadcasts λ by atom ID;
2. each rank sends its atoms of the expensive set to rank 0, which
   evaluates the correction on the cut-out
   (:class:`~mixpot.engines.correction.CutoutCorrection`) and sends each
   rank its part back (:class:`~mixpot.engines.exchange.RootExchange`);
3. each rank adds it to ``fext`` (energy mode: with the global energy and
   virial; force mode: ``λ (F^exp − f)``, ``f`` being the cheap pair force
   LAMMPS already holds), then the Langevin forces if a thermostat is set;
4. each rank stores the mixed force of its atoms (cheap pair force plus the
   correction, no thermostat) in the per-atom properties
   :data:`MIXED_FORCE_PROPERTIES`, for dumps.

With multiple time stepping (``every`` = k > 1; see
:mod:`mixpot.mixing.multiple_time_step`) steps 1 and 2 run only where
``step % k == 0``, and the correction is added k times as strong there (an
impulse); between them ``fext`` holds the Langevin forces alone and, in
energy mode, the energy and virial of the last correction are passed on, so
that thermo shows the cheap energy plus the last correction, as the ASE
engine reports; the stored mixed force is then the cheap force plus the
last correction (every rank keeps the last correction of the expensive
set, by atom ID, since atoms change rank). Regions are rebuilt only at
correction steps (``n_every`` a multiple of k). The LAMMPS step number
sets the phase, so a resumed run corrects at the same steps as an
uninterrupted one.
"""

from __future__ import annotations

import time

import numpy as np
from ase import Atoms

from mixpot.mixing import Regions, RegionState

from .correction import CutoutCorrection
from .exchange import RootExchange
from .langevin import BlendLangevinForces, lookup

FIX_ID = "mixpot_mix"
LAMBDA_PROPERTY = "lambda"
#: Per-atom properties holding the mixed force (dumps: what the ASE engine
#: saves as forces; without the thermostat's forces or the MTS impulse).
MIXED_FORCE_PROPERTIES = ("mixed_fx", "mixed_fy", "mixed_fz")
#: Order of fix external's global vector (thermo: f_mixpot_mix[k], 1-based).
THERMO_VECTOR = ("n_expensive", "n_lambda", "time_expensive", "time_cheap")


class MixedStep:
    """The ``fix external`` callback of a mixed run, and its region memory.

    Parameters
    ----------
    lmp : lammps.lammps
        The instance (on this rank).
    exchange : RootExchange
        Gathers to and shares from rank 0.
    regions : Regions
        Settings with ``r_buff`` set.
    mode : {"energy", "force"}
        Mixing mode.
    numbers : ndarray of int
        Atomic numbers by atom ID − 1.
    cell : ndarray, shape (3, 3)
        LAMMPS box vectors (rows).
    pbc : list of bool
        Periodic directions.
    correction : CutoutCorrection or None
        Rank 0's evaluator (None on the other ranks).
    units : (float, float, float)
        LAMMPS' ``boltz, mvv2e, ftm2v``.
    cheap : LinearPotential or None, default None
        The cheap potential, for a criterion that needs it (rank 0 evaluates
        it, serially, at each rebuild).

    Attributes
    ----------
    weights : ndarray, shape (n_atoms,)
        λ by atom ID − 1 (the same on every rank).
    in_expensive : ndarray of bool
        Atoms of the expensive set (λ > 0 plus the buffer).
    state : RegionState or None
        Rank 0's last region state (hysteresis memory).
    last_rebuild : int or None
        Step of the last region rebuild.
    thermostat : BlendLangevinForces or None
        Langevin forces, on the blend atoms or (``langevin_everywhere``) all.
    timings : dict
        Seconds in the expensive model, the cheap correction, the callback.
    every : int
        Steps per expensive correction (multiple time stepping; 1: every
        step).
    exact : bool
        Add the plain correction at any step (for an evaluation of the mixed
        model between corrections), not the multiple-time-step impulse.
    """

    def __init__(
        self,
        lmp,
        exchange: RootExchange,
        regions: Regions,
        mode: str,
        numbers: np.ndarray,
        cell: np.ndarray,
        pbc: list[bool],
        correction: CutoutCorrection | None,
        units: tuple[float, float, float],
        cheap=None,
    ) -> None:
        self.lmp, self.exchange, self.regions, self.mode = lmp, exchange, regions, mode
        self.cheap = cheap
        self.numbers, self.cell, self.pbc = numbers, cell, pbc
        self.n_atoms = len(numbers)
        self.correction, self.units = correction, units
        self.step_fs = 1.0
        self.thermostat: BlendLangevinForces | None = None
        self.langevin_everywhere = False
        self.timings = {"expensive": 0.0, "cheap_correction": 0.0, "callback": 0.0}
        self.state: RegionState | None = None
        self.weights = np.zeros(self.n_atoms)
        self.in_expensive = np.zeros(self.n_atoms, dtype=bool)
        self.blend_tags = np.zeros(0, dtype=int)
        self.last_rebuild: int | None = None
        self.langevin_memo = (-1, np.zeros(0, dtype=int), np.zeros((0, 3)))
        self.every = 1
        self.exact = False
        self.last_totals: tuple[float, list[float]] = (0.0, [0.0] * 6)
        self.last_correction = (np.zeros(0, dtype=int), np.zeros((0, 3)))

    def memory(self) -> dict[str, np.ndarray]:
        """Return the region memory as arrays, for a checkpoint (rank 0's)."""
        step, tags, forces_nc = self.langevin_memo
        if self.thermostat is not None:
            # Every rank keeps the merged memo: the run after a checkpoint
            # repeats this step's callback (set-up), after LAMMPS may have
            # moved atoms between ranks, and the Langevin forces must be
            # those of the first call (velocities have moved on since).
            self.thermostat.memo = self.thermostat.shared_memo(self.exchange.comm)
            self.langevin_memo = self.thermostat.memo
            step, tags, forces_nc = self.langevin_memo
        last = -1 if self.last_rebuild is None else self.last_rebuild
        return {
            "weights": self.weights,
            "in_expensive": self.in_expensive,
            "last_rebuild": np.array(last),
            "langevin_step": np.array(step),
            "langevin_tags": tags,
            "langevin_forces": forces_nc,
            "last_energy": np.array(self.last_totals[0]),
            "last_virial": np.array(self.last_totals[1]),
            "last_correction_tags": self.last_correction[0],
            "last_correction_forces": self.last_correction[1],
            **region_arrays(self.state),
        }

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Take back the memory written by :meth:`memory`."""
        self.weights = arrays["weights"]
        self.in_expensive = arrays["in_expensive"]
        self.blend_tags = blend_tags(self.weights)
        last = int(arrays["last_rebuild"])
        self.last_rebuild = None if last < 0 else last
        self.state = region_state(arrays)
        self.langevin_memo = (
            int(arrays["langevin_step"]),
            arrays["langevin_tags"],
            arrays["langevin_forces"],
        )
        if "last_energy" in arrays:  # absent from states written before MTS
            self.last_totals = (
                float(arrays["last_energy"]),
                [float(v) for v in arrays["last_virial"]],
            )
            self.last_correction = (
                arrays["last_correction_tags"],
                arrays["last_correction_forces"],
            )

    def __call__(self, caller, step, nlocal, tag, x, fext) -> None:
        """Add the correction (and thermostat) of ``step`` to ``fext``."""
        start = time.perf_counter()
        fext[:nlocal] = 0.0
        if self.exchange.failure is not None:
            return  # an earlier step failed: add nothing until LAMMPS returns
        tags = tag[:nlocal]
        pair_nc = np.array(self.lmp.numpy.extract_atom("f")[:nlocal])
        kick = self.kick(step)
        if kick:
            correction = self._add_correction(
                step, tags, x[:nlocal], pair_nc, fext[:nlocal]
            )
            if correction is None:
                return
            self._store_mixed_forces(pair_nc, *correction)
            fext[:nlocal] *= kick
        else:
            if self.mode == "energy":
                self._set_totals(*self.last_totals)
            known, rows = lookup(self.last_correction[0], tags)
            self._store_mixed_forces(
                pair_nc, known, self.last_correction[1][rows[known]]
            )
        targets = None if self.langevin_everywhere else self.blend_tags
        if self.thermostat is not None and (targets is None or len(targets)):
            self.thermostat.add(
                step,
                tags,
                targets,
                self.lmp,
                fext[:nlocal],
                self.step_fs,
                self.units,
            )
            self.langevin_memo = self.thermostat.memo
        self.timings["callback"] += time.perf_counter() - start

    def kick(self, step: int) -> int:
        """Multiple of the correction added at ``step`` (0: none).

        ``every`` at the correction steps, 0 between them; 1 at every step
        without multiple time stepping or when ``exact`` is set.
        """
        if self.exact or self.every == 1:
            return 1
        return self.every if step % self.every == 0 else 0

    def _add_correction(
        self, step, tags, positions_nc, pair_nc, fext_nc
    ) -> tuple | None:
        """Put this step's correction in ``fext_nc``; None if it failed.

        ``pair_nc`` holds the cheap pair forces of the local atoms.

        Returns which local atoms carry a correction (a mask) and their
        correction forces. At a correction step (not an evaluation between
        two) they also become every rank's ``last_correction``.
        """
        if self._rebuild_due(step) and not self._rebuild_regions(
            step, tags, positions_nc
        ):
            return None
        local = self.in_expensive[tags - 1]
        local_tags = np.array(tags[local])
        parts = self.exchange.gather_to_root(local_tags, positions_nc[local])
        chunks, outcome = None, None
        if self.exchange.rank == 0:
            result = self.exchange.guarded(self._correction_on_root, parts)
            chunks, outcome = result or ([None] * self.exchange.size, None)
        self.exchange.wait_for_root()
        correction_nc = self.exchange.comm.scatter(chunks, root=0)
        totals = self.exchange.shared(outcome)
        if totals is None:
            return None
        if self.mode == "energy":
            fext_nc[local] = correction_nc
            self._set_totals(*totals)
        else:
            weights = self.weights[local_tags - 1][:, None]
            fext_nc[local] = weights * (correction_nc - pair_nc[local])
        if step % self.every == 0:  # not an evaluation between corrections
            self.last_totals = totals
            self.last_correction = self._merged(local_tags, fext_nc[local])
        return local, np.array(fext_nc[local])

    def _merged(self, local_tags, forces_nc) -> tuple[np.ndarray, np.ndarray]:
        """Every rank's (IDs, forces), sorted by ID (collective)."""
        parts = self.exchange.comm.allgather((local_tags, forces_nc))
        tags = np.concatenate([part[0] for part in parts]).astype(int)
        forces = np.concatenate([part[1] for part in parts]).reshape(-1, 3)
        order = np.argsort(tags)
        return tags[order], forces[order]

    def _store_mixed_forces(self, pair_nc, corrected, correction_nc) -> None:
        """Store the mixed forces in :data:`MIXED_FORCE_PROPERTIES`.

        Pair forces, plus the correction on the ``corrected`` local atoms.
        """
        mixed_nc = pair_nc.copy()
        mixed_nc[corrected] += correction_nc
        for column, name in enumerate(MIXED_FORCE_PROPERTIES):
            stored = self.lmp.numpy.extract_atom(f"d_{name}")
            stored[: len(pair_nc)] = mixed_nc[:, column]

    def _set_totals(self, energy: float, virial) -> None:
        # Every rank passes the global totals: compute pe adds the fix
        # energy after its sum over ranks, and on 2 ranks a virial passed by
        # rank 0 alone was measured to count half.
        self.lmp.fix_external_set_energy_global(FIX_ID, energy)
        self.lmp.fix_external_set_virial_global(FIX_ID, virial)

    def _rebuild_due(self, step: int) -> bool:
        if self.last_rebuild is None:
            return True
        n_every = self.regions.n_every
        if n_every == 0 or step == self.last_rebuild:
            return False
        return step - self.last_rebuild >= n_every

    def _rebuild_regions(self, step: int, tags: np.ndarray, x_nc: np.ndarray) -> bool:
        """Gather all positions to rank 0, rebuild λ there, broadcast by tag.

        Returns False (on every rank) if the rebuild failed on rank 0.
        """
        parts = self.exchange.gather_to_root(tags, x_nc)
        payload = None
        if self.exchange.rank == 0:
            payload = self.exchange.guarded(self._new_regions, step, parts)
        shared = self.exchange.shared(payload)
        if shared is None:
            return False
        self.weights, self.in_expensive = shared
        self.blend_tags = blend_tags(self.weights)
        self.last_rebuild = step
        lambda_n = self.lmp.numpy.extract_atom(f"d_{LAMBDA_PROPERTY}")
        lambda_n[: len(tags)] = self.weights[tags - 1]
        self.lmp.fix_external_set_vector(FIX_ID, 1, float(self.in_expensive.sum()))
        self.lmp.fix_external_set_vector(
            FIX_ID, 2, float(np.count_nonzero(self.weights))
        )
        return True

    def _new_regions(self, step: int, parts):
        positions_nc = np.empty((self.n_atoms, 3))
        for part_tags, values in parts:
            positions_nc[part_tags - 1] = values
        elapsed = None
        if self.last_rebuild is not None:
            elapsed = (step - self.last_rebuild) * self.step_fs
        system = Atoms(self.numbers, positions_nc, cell=self.cell, pbc=self.pbc)
        self.state = self.regions.update(system, self.state, elapsed, cheap=self.cheap)
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
        result = self.correction(
            tags[order], positions_nc[order], self.weights[tags[order] - 1]
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


def region_arrays(state: RegionState | None) -> dict[str, np.ndarray]:
    """Return the region state's arrays, prefixed for the checkpoint file."""
    if state is None:
        return {}
    return {f"region_{key}": value for key, value in state.to_arrays().items()}


def region_state(arrays: dict[str, np.ndarray]) -> RegionState | None:
    """Return the region state (hysteresis memory) kept by :func:`region_arrays`."""
    found = {
        k[len("region_") :]: v for k, v in arrays.items() if k.startswith("region_")
    }
    return RegionState.from_arrays(found) if found else None


def blend_tags(weights: np.ndarray) -> np.ndarray:
    """Sorted atom IDs with 0 < λ < 1."""
    return np.flatnonzero((weights > 0) & (weights < 1)) + 1
