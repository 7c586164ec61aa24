"""Impulse multiple time stepping: the expensive correction every k steps.

A mixed force splits into a cheap part and a correction,
``F_mixed = F_cheap + ΔF`` with ``ΔF = F_mixed − F_cheap`` (the cheap potential
on the whole system). The cheap part is fast to evaluate; the correction
costs an expensive call. Impulse multiple time stepping (r-RESPA; Tuckerman,
Berne and Martyna, J. Chem. Phys. 97, 1990 (1992)) evaluates ΔF only every
``every``-th step and applies it there ``every`` times as strong, as a kick:

    p ← p + (k Δt / 2) ΔF(x)                         (k = every)
    k velocity-Verlet (or Langevin) steps with F_cheap
    p ← p + (k Δt / 2) ΔF(x')

:class:`MultipleTimeStep` gives an ASE integrator exactly that: its forces are
``F_cheap + k ΔF`` at every k-th new position and ``F_cheap`` elsewhere. A
velocity-Verlet step uses the force at ``x_n`` for the last half-kick of one
step and the first of the next, which together are the kick above. With
energy mixing the correction is conservative (``ΔF = −∇ΔE``), so the scheme
stays symplectic and time-reversible; ``every = 1`` is the plain mixed force.

The outer step ``k Δt`` must stay well below half the shortest vibrational
period of the system (resonances of impulse MTS): for bcc W (highest phonon
near 7.5 THz, period 133 fs) k Δt = 20 fs is a sixth of it.

What is reported at a step between two corrections: the cheap energy and
forces plus the last correction (``ΔE``, ``ΔF`` of the last expensive step),
in ``results["energy"]`` and ``results["mixed_forces"]``; exact at the
expensive steps. ``results["forces"]`` is what the integrator needs (with the
kick). Regions rebuilt by :meth:`update_regions` enter at the next expensive
step; the forces already in use are not recomputed (one kick, one λ).
"""

from __future__ import annotations

import time

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from .calculator import MixedCalculator
from .regions import RegionState

__all__ = ["MultipleTimeStep"]


class MultipleTimeStep(Calculator):
    """A MixedCalculator whose correction is evaluated every ``every`` steps.

    Parameters
    ----------
    mixed : MixedCalculator
        The mixed calculator (its cheap potential is the fast force).
    every : int
        Steps per expensive correction (k ≥ 1).

    Attributes
    ----------
    step : int
        Index of the position last evaluated (0 for the first one); the
        correction is evaluated where ``step % every == 0``.

    Examples
    --------
    >>> from ase import units
    >>> from ase.build import bulk
    >>> from ase.md.verlet import VelocityVerlet
    >>> from mixpot.descriptors import SNAP
    >>> from mixpot.mixing import MixedCalculator, Regions
    >>> from mixpot.potentials import LinearPotential
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> fine = LinearPotential(snap, [-8.0, 0.1, 0.02, -0.03, 0.01, 0.005])
    >>> rough = LinearPotential(snap, [-8.0, 0.1, 0.0, 0.0, 0.0, 0.0])
    >>> atoms = bulk("W", cubic=True).repeat(4)
    >>> atoms.rattle(0.05, seed=0)
    >>> regions = Regions([0], r_core=2.0, r_blend=2.0, r_buff=4.7)
    >>> mixed = MixedCalculator(fine.calculator(), rough.calculator(), regions,
    ...                         mode="energy")
    >>> atoms.calc = MultipleTimeStep(mixed, every=4)
    >>> VelocityVerlet(atoms, timestep=2.0 * units.fs).run(8)
    True
    >>> atoms.calc.step, atoms.calc.expensive_steps
    (8, 3)
    """

    def __init__(self, mixed: MixedCalculator, every: int, **kwargs) -> None:
        if not isinstance(mixed, MixedCalculator):
            raise TypeError(
                f"The 'mixed' parameter of MultipleTimeStep must be a "
                f"MixedCalculator. Got {type(mixed).__name__}."
            )
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)):
            raise TypeError(
                f"The 'every' parameter of MultipleTimeStep must be an int >= 1. "
                f"Got {every!r}."
            )
        if every < 1:
            raise ValueError(
                f"The 'every' parameter of MultipleTimeStep must be an int >= 1. "
                f"Got {every}."
            )
        super().__init__(**kwargs)
        self.mixed = mixed
        self.every = int(every)
        self.implemented_properties = [
            name
            for name in mixed.implemented_properties
            if name in ("energy", "free_energy", "forces")
        ]
        self.step = -1
        self.expensive_steps = 0
        self._positions: np.ndarray | None = None
        self._correction: dict | None = None

    # The mixed calculator's region API, so that engines and criteria see one
    # calculator.
    @property
    def state(self) -> RegionState | None:
        """The regions in use (those of the mixed calculator)."""
        return self.mixed.state

    @property
    def regions(self):
        """The region settings (those of the mixed calculator)."""
        return self.mixed.regions

    @property
    def mode(self) -> str:
        """The mixing mode ("energy" or "force")."""
        return self.mixed.mode

    def update_regions(self, atoms: Atoms, elapsed: float | None = None) -> RegionState:
        """Rebuild the regions; they take effect at the next expensive step."""
        return self.mixed.update_regions(atoms, elapsed=elapsed)

    def fix_regions(self, state: RegionState) -> None:
        """Use ``state`` from the next expensive step on."""
        self.mixed.fix_regions(state)

    def memory(self) -> dict[str, np.ndarray]:
        """Return what a checkpoint needs to continue: step and last correction."""
        if self._correction is None:
            return {"mts_step": np.asarray(self.step)}
        return {
            "mts_step": np.asarray(self.step),
            "mts_correction_forces": self._correction["forces"],
            "mts_correction_energy": np.asarray(self._correction["energy"]),
        }

    def restore(self, arrays: dict[str, np.ndarray]) -> None:
        """Continue from :meth:`memory` (the next new position is ``step + 1``).

        The positions of the checkpoint are evaluated again as position
        ``step``: call this before the first force call of the resumed run.
        """
        self.step = int(arrays["mts_step"]) - 1
        self._positions = None
        self._correction = None
        if "mts_correction_forces" in arrays:
            self._correction = {
                "forces": np.asarray(arrays["mts_correction_forces"], dtype=float),
                "energy": float(arrays["mts_correction_energy"]),
            }
        self.reset()

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties=("forces",),
        system_changes=all_changes,
    ) -> None:
        """Cheap forces, plus ``every`` × the correction at every k-th position."""
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        moved = self._positions is None or not np.array_equal(
            atoms.positions, self._positions
        )
        if moved:
            self.step += 1
            self._positions = atoms.positions.copy()
        start = time.perf_counter()
        cheap = self._cheap(atoms)
        time_cheap = time.perf_counter() - start
        due = self.step % self.every == 0
        if due:
            self._correction, mixed = self._evaluate_correction(atoms, cheap)
            self.expensive_steps += 1
        elif self._correction is None:
            raise RuntimeError(
                "MultipleTimeStep has no correction yet: the first position "
                "evaluated must be an expensive step (restore() after a resume)."
            )
        correction = self._correction
        forces = cheap["forces"] + (self.every if due else 0) * correction["forces"]
        results = {
            "forces": forces,
            "mixed_forces": cheap["forces"] + correction["forces"],
            "lambda": self.mixed.state.weights.copy(),
            "n_expensive": self.mixed.state.n_expensive,
            "n_cheap": len(atoms),
            "time_expensive": mixed["time_expensive"] if due else 0.0,
            "time_cheap": time_cheap,
            "expensive_step": due,
        }
        if "energy" in cheap and self.mode == "energy":
            energy = cheap["energy"] + correction["energy"]
            results["energy"] = results["free_energy"] = energy
        self.results = results

    def _cheap(self, atoms: Atoms) -> dict:
        """Evaluate the cheap potential on the whole system."""
        whole = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
        whole.calc = self.mixed.cheap
        results = {"forces": whole.get_forces().copy()}
        if self.mode == "energy":
            results["energy"] = whole.get_potential_energy()
        return results

    def _evaluate_correction(self, atoms: Atoms, cheap: dict) -> tuple[dict, dict]:
        """ΔF and ΔE of the mixed calculator against the cheap one here."""
        probe = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
        correction = self.mixed.correction(probe, cheap["forces"])
        kept = {"forces": correction["forces"], "energy": correction["energy"]}
        return kept, correction
