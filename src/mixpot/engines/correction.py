"""The expensive correction of a mixed step, evaluated on one cut-out.

:class:`CutoutCorrection` is the part of the LAMMPS engine that knows no
MPI: given the atom IDs and positions (LAMMPS frame) of the expensive set
and their λ, it carves the cut-out exactly as the ASE
:class:`~mixpot.mixing.MixedCalculator` does and returns

* energy mode: the forces, energy and virial of ``Σ λ_i (E_i^exp −
  E_i^cheap)`` (both weighted sums on the cut-out);
* force mode: the expensive model's forces on the cut-out (the engine
  mixes them with LAMMPS' own cheap forces).

LAMMPS calls its force fixes again at the set-up of every ``run``, at the
step where the last run ended; the last result is kept and returned again
when the same atoms sit at the same positions (modulo the cell), so a run
split into chunks costs no extra expensive evaluation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ase import Atoms

from mixpot.lammps import VOIGT_PAIRS
from mixpot.mixing.carve import Carved, carve
from mixpot.models import weighted_provider
from mixpot.potentials import LinearPotential

#: LAMMPS' order of the six virial components.
LAMMPS_VOIGT = ((0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2))
#: Positions (Å) closer than this to the last call's count as unchanged.
SAME_POSITIONS = 1e-12


@dataclass(frozen=True)
class Correction:
    """Correction on the expensive set, atoms sorted by ID.

    Attributes
    ----------
    forces : ndarray, shape (n, 3)
        Energy mode: forces of the weighted difference (eV/Å). Force mode:
        the expensive model's forces.
    energy : float
        Energy of the weighted difference (eV); 0 in force mode.
    virial : list of float
        Six LAMMPS virial components (eV, xx yy zz xy xz yz); zeros in
        force mode.
    time_expensive, time_cheap : float
        Seconds spent in each model (0 for a repeated call).
    """

    forces: np.ndarray
    energy: float
    virial: list[float]
    time_expensive: float
    time_cheap: float


class CutoutCorrection:
    """Evaluate the correction of a mixed step on the expensive set.

    Parameters
    ----------
    expensive : Calculator or LinearPotential
        The expensive model.
    cheap : LinearPotential
        The cheap potential.
    mode : {"energy", "force"}
        Mixing mode.
    numbers : ndarray of int
        Atomic number of every atom, by atom ID − 1.
    cell : ndarray, shape (3, 3)
        Box vectors (rows) in the LAMMPS frame.
    pbc : sequence of bool
        Periodic directions.
    min_gap, vacuum : float
        Cut-out settings (:func:`~mixpot.mixing.carve.carve`).

    Examples
    --------
    >>> from ase.build import bulk
    >>> from mixpot.descriptors import SNAP
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> fine = LinearPotential(snap, [-8.0, 0.1, 0.02, -0.03, 0.01, 0.005])
    >>> atoms = bulk("W", cubic=True).repeat(4)
    >>> correction = CutoutCorrection(
    ...     fine, fine, "energy", atoms.numbers, atoms.cell.array, atoms.pbc
    ... )
    >>> result = correction(np.arange(1, 129), atoms.positions, np.full(128, 0.5))
    >>> bool(abs(result.energy) < 1e-9)     # same model twice: no correction
    True
    """

    def __init__(
        self,
        expensive,
        cheap: LinearPotential,
        mode: str,
        numbers: np.ndarray,
        cell: np.ndarray,
        pbc,
        min_gap: float = 6.0,
        vacuum: float = 6.0,
    ) -> None:
        self.mode = mode
        self.numbers = np.asarray(numbers)
        self.cell = np.asarray(cell, dtype=float)
        self.pbc = np.asarray(pbc, dtype=bool)
        self.min_gap, self.vacuum = min_gap, vacuum
        if isinstance(expensive, LinearPotential):
            expensive = expensive.calculator(uncertainty=False)
        self.expensive = expensive
        self.providers = None
        if mode == "energy":
            self.providers = (weighted_provider(expensive), weighted_provider(cheap))
        self._last: tuple | None = None

    def __call__(
        self, tags: np.ndarray, positions_nc: np.ndarray, weights: np.ndarray
    ) -> Correction:
        """Return the correction for atoms ``tags`` (sorted IDs) at ``positions_nc``."""
        if self._unchanged(tags, positions_nc, weights):
            cached = self._last[3]
            return Correction(cached.forces, cached.energy, cached.virial, 0.0, 0.0)
        subset = Atoms(
            self.numbers[tags - 1], positions_nc, cell=self.cell, pbc=self.pbc
        )
        piece = carve(subset, np.arange(len(tags)), self.min_gap, self.vacuum)
        if self.mode == "energy":
            result = self._energy_correction(piece, weights)
        else:
            result = self._expensive_forces(piece)
        self._last = (tags.copy(), positions_nc.copy(), weights.copy(), result)
        return result

    def _unchanged(self, tags, positions_nc, weights) -> bool:
        if self._last is None:
            return False
        last_tags, last_positions, last_weights, _ = self._last
        if not (
            np.array_equal(tags, last_tags) and np.array_equal(weights, last_weights)
        ):
            return False
        shift = positions_nc - last_positions
        periodic = self.pbc
        if periodic.any():
            fractional = shift @ np.linalg.inv(self.cell)
            fractional[:, periodic] -= np.round(fractional[:, periodic])
            shift = fractional @ self.cell
        return bool(np.abs(shift).max(initial=0.0) <= SAME_POSITIONS)

    def _energy_correction(self, piece: Carved, weights: np.ndarray) -> Correction:
        expensive, cheap = self.providers
        start = time.perf_counter()
        high = expensive.weighted(piece.atoms, weights)
        middle = time.perf_counter()
        low = cheap.weighted(piece.atoms, weights)
        end = time.perf_counter()
        forces_nc = high.forces - low.forces
        return Correction(
            forces_nc,
            high.energy - low.energy,
            _virial(piece, forces_nc, high, low),
            middle - start,
            end - middle,
        )

    def _expensive_forces(self, piece: Carved) -> Correction:
        start = time.perf_counter()
        atoms = piece.atoms
        atoms.calc = self.expensive
        forces_nc = np.array(atoms.get_forces())
        atoms.calc = None
        return Correction(forces_nc, 0.0, [0.0] * 6, time.perf_counter() - start, 0.0)


def _virial(piece: Carved, forces_nc: np.ndarray, high, low) -> list[float]:
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
        for value, (a, b) in zip(stress, VOIGT_PAIRS, strict=True):
            virial_cc[a, b] = virial_cc[b, a] = -value * volume
    return [float(virial_cc[a, b]) for a, b in LAMMPS_VOIGT]
