"""MixedCalculator: an expensive potential near seeds, a cheap one elsewhere.

``mode="force"`` mixes forces atom by atom, ``F_i = λ_i F_i^exp +
(1 − λ_i) F_i^cheap`` (as ML-MIX does). Such forces are not the gradient of
any energy, so the calculator claims neither energy nor stress.

Each potential sees only the atoms it must: the expensive one a carved
cut-out of the expensive set (λ > 0 plus a buffer of ``r_buff``), the cheap
one everything but the deep core. The expensive cost therefore scales with
the region, not with the system.

**The buffer rule.** A force on atom i sums the energy derivatives of all
its neighbours j, and each E_j needs j's full neighbourhood. In a carved
cut-out, a local potential with cutoff r_c therefore gives exact forces on
atoms at least 2 r_c inside the cut: ``r_buff ≥ 2 r_c``. For a
message-passing model the receptive field (layers × r_c) replaces r_c.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes

from .carve import carve
from .regions import Regions, RegionState

logger = logging.getLogger(__name__)

MODES = ("force",)


class MixedCalculator(Calculator):
    """Spatially mixed ASE calculator.

    Parameters
    ----------
    expensive, cheap : ase.calculators.calculator.Calculator
        The two potentials (each is given sub-systems as new Atoms).
    regions : Regions
        Builds λ and the atom sets.
    mode : {"force"}, default "force"
        How the potentials are mixed.
    min_gap : float, default 6.0
        Empty gap (Å) across a periodic direction needed to cut the
        expensive set open in that direction; at least the expensive cutoff.
    vacuum : float, default 6.0
        Vacuum (Å) around an isolated cut-out.

    Notes
    -----
    Besides ``forces``, ``results`` holds ``lambda`` (per-atom weights),
    ``n_expensive`` and ``n_cheap`` (atoms each potential saw) and
    ``time_expensive`` / ``time_cheap`` (seconds in each potential).
    Regions are built at the first calculation and then kept until
    :meth:`update_regions` (or an attached :meth:`attach_updater`) rebuilds
    them.

    Examples
    --------
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> atoms = bulk("Cu", cubic=True).repeat(5)
    >>> atoms.calc = MixedCalculator(EMT(), EMT(), Regions([0], r_buff=4.0))
    >>> atoms.get_forces().shape
    (500, 3)
    """

    def __init__(
        self,
        expensive: Calculator,
        cheap: Calculator,
        regions: Regions,
        mode: str = "force",
        min_gap: float = 6.0,
        vacuum: float = 6.0,
        **kwargs,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}; got {mode!r}.")
        super().__init__(**kwargs)
        self.expensive = expensive
        self.cheap = cheap
        self.regions = regions
        self.mode = mode
        self.min_gap = min_gap
        self.vacuum = vacuum
        self.state: RegionState | None = None
        self.implemented_properties = ["forces"]

    def update_regions(self, atoms: Atoms, elapsed: float | None = None) -> RegionState:
        """Rebuild λ and the atom sets for ``atoms`` (``elapsed`` in fs)."""
        self.state = self.regions.update(atoms, elapsed)
        self.reset()  # cached forces used the old λ
        logger.info(
            "regions: %d expensive, %d cheap of %d atoms",
            self.state.n_expensive,
            self.state.n_cheap,
            len(atoms),
        )
        return self.state

    def attach_updater(self, dynamics, n_every: int) -> None:
        """Rebuild the regions every ``n_every`` steps of ASE ``dynamics``."""
        if not (isinstance(n_every, int) and n_every > 0):
            raise ValueError(f"n_every must be an int > 0; got {n_every!r}.")
        step_fs = getattr(dynamics, "dt", 0.0) / units.fs

        def rebuild() -> None:
            self.update_regions(dynamics.atoms, elapsed=n_every * step_fs or None)

        dynamics.attach(rebuild, interval=n_every)

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties=("forces",),
        system_changes=all_changes,
    ) -> None:
        """Mix the forces of both potentials."""
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        if self.state is None or len(self.state.weights) != len(atoms):
            self.update_regions(atoms)
        state = self.state
        weights = state.weights
        forces = np.zeros((len(atoms), 3))
        start = time.perf_counter()
        if state.n_expensive:
            part, f_exp = self._forces_on(self.expensive, atoms, state.expensive_atoms)
            forces[part] += weights[part, None] * f_exp
        middle = time.perf_counter()
        if state.n_cheap:
            part, f_cheap = self._forces_on(self.cheap, atoms, state.cheap_atoms)
            forces[part] += (1.0 - weights[part, None]) * f_cheap
        self.results = {
            "forces": forces,
            "lambda": weights.copy(),
            "n_expensive": state.n_expensive,
            "n_cheap": state.n_cheap,
            "time_expensive": middle - start,
            "time_cheap": time.perf_counter() - middle,
        }

    def _forces_on(
        self, calc: Calculator, atoms: Atoms, indices: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(indices) == len(atoms):
            sub = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
        else:
            sub = carve(atoms, indices, self.min_gap, self.vacuum).atoms
        sub.calc = calc
        return indices, sub.get_forces()
