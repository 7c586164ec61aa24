"""Where the expensive potential acts: per-atom weights λ and atom sets.

Seeds (given indices, or atoms whose criterion value lies in ``[lo, hi]``)
grow a **core** (λ = 1 within ``r_core`` Å of a seed), wrapped in a **blend**
shell (λ = w(d / r_blend) with d the distance to the nearest core atom). The
expensive potential is evaluated on every atom with λ > 0 plus a **buffer**
of ``r_buff`` Å around them; the cheap potential on every atom but the deep
core (λ = 1 with no λ < 1 atom within ``r_buff``).

With hysteresis, λ relaxes toward its new target with time constants
``tau_grow`` / ``tau_shrink`` (fs), snapping to 0 below 0.01 and 1 above 0.99,
so that a noisy criterion does not make the region flicker.

Every step is a neighbour-list search (matscipy): O(N), with minimum-image
distances in periodic, open and triclinic cells.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms

from mixpot.neighbours import NearestDistance

logger = logging.getLogger(__name__)

BLEND_SHAPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: 1.0 - x,
    "cubic": lambda x: 1.0 - 3.0 * x**2 + 2.0 * x**3,
}
SNAP_BELOW, SNAP_ABOVE = 0.01, 0.99


@dataclass(frozen=True)
class RegionState:
    """The region at one update.

    Attributes
    ----------
    weights : ndarray of shape (n_atoms,)
        λ per atom: 1 expensive, 0 cheap.
    seeds : ndarray of int
        Seed atoms.
    expensive_atoms : ndarray of int
        Atoms the expensive potential must see: λ > 0 plus the buffer.
    cheap_atoms : ndarray of int
        Atoms the cheap potential must see: all but the deep core.
    """

    weights: np.ndarray
    seeds: np.ndarray
    expensive_atoms: np.ndarray
    cheap_atoms: np.ndarray

    @property
    def n_expensive(self) -> int:
        """Size of the expensive set."""
        return len(self.expensive_atoms)

    @property
    def n_cheap(self) -> int:
        """Size of the cheap set."""
        return len(self.cheap_atoms)


class Regions:
    """Build λ and the expensive and cheap atom sets from seeds.

    Parameters
    ----------
    seeds : sequence of int, optional
        Seed atom indices (negative indices count from the end).
    criterion : callable, optional
        ``atoms -> ndarray (n_atoms,)``; atoms with a value in
        ``criterion_bounds`` become seeds (added to ``seeds``).
    criterion_bounds : (float, float), optional
        Inclusive ``(lo, hi)``; required with ``criterion``.
    r_core, r_blend : float, default 6.0, 4.0
        Radii in Å (≥ 0).
    r_buff : float or None, default None
        Buffer in Å (≥ 0). None: chosen by the :class:`MixedCalculator`
        from its expensive potential and mode
        (:func:`~mixpot.mixing.buffer.default_buffer`); needed before
        :meth:`update` is called directly.
    blend : {"linear", "cubic"}, default "cubic"
        Shape of λ across the blend shell.
    tau_grow, tau_shrink : float or None, default None
        Hysteresis time constants in fs; None on both disables hysteresis.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", cubic=True).repeat(6)
    >>> state = Regions(seeds=[0], r_core=3.0, r_blend=2.0, r_buff=3.0).update(atoms)
    >>> int((state.weights == 1).sum()), state.n_expensive < len(atoms)
    (9, True)
    """

    def __init__(
        self,
        seeds: Sequence[int] | None = None,
        *,
        criterion: Callable[[Atoms], np.ndarray] | None = None,
        criterion_bounds: tuple[float, float] | None = None,
        r_core: float = 6.0,
        r_blend: float = 4.0,
        r_buff: float | None = None,
        blend: str = "cubic",
        tau_grow: float | None = None,
        tau_shrink: float | None = None,
    ) -> None:
        for name, radius in (
            ("r_core", r_core),
            ("r_blend", r_blend),
            ("r_buff", 0.0 if r_buff is None else r_buff),
        ):
            if not np.isfinite(radius) or radius < 0:
                raise ValueError(
                    f"{name} must be a finite distance ≥ 0 Å; got {radius}."
                )
        if blend not in BLEND_SHAPES:
            raise ValueError(
                f"blend must be one of {list(BLEND_SHAPES)}; got {blend!r}."
            )
        if (criterion is None) != (criterion_bounds is None):
            raise ValueError("criterion and criterion_bounds must be given together.")
        if (
            criterion_bounds is not None
            and not criterion_bounds[0] <= criterion_bounds[1]
        ):
            raise ValueError(
                f"criterion_bounds must be (lo, hi) with lo ≤ hi; got "
                f"{criterion_bounds}."
            )
        for name, tau in (("tau_grow", tau_grow), ("tau_shrink", tau_shrink)):
            if tau is not None and not tau > 0:
                raise ValueError(f"{name} must be None or a time > 0 fs; got {tau}.")
        self.seeds = None if seeds is None else np.asarray(seeds, dtype=int).ravel()
        self.criterion = criterion
        self.criterion_bounds = criterion_bounds
        self.r_core, self.r_blend, self.r_buff = r_core, r_blend, r_buff
        self.blend = blend
        self.tau_grow, self.tau_shrink = tau_grow, tau_shrink
        self._weights: np.ndarray | None = None

    def update(self, atoms: Atoms, elapsed: float | None = None) -> RegionState:
        """Recompute the region for ``atoms``.

        Parameters
        ----------
        atoms : ase.Atoms
            Current configuration.
        elapsed : float, optional
            Time in fs since the previous update, for hysteresis. None (or a
            first call, or a changed number of atoms) jumps to the target.

        Returns
        -------
        RegionState
            λ and the atom sets.
        """
        if self.r_buff is None:
            raise ValueError(
                "r_buff is not set: give Regions(r_buff=...) or attach the "
                "regions to a MixedCalculator, which chooses it."
            )
        seeds = self._find_seeds(atoms)
        reach = max(self.r_core, self.r_blend, self.r_buff)
        nearest = NearestDistance(atoms, reach) if reach > 0 and len(seeds) else None
        target = self._target_weights(len(atoms), seeds, nearest)
        weights = self._relax(target, elapsed)
        expensive, cheap = self._atom_sets(weights, nearest)
        return RegionState(weights, seeds, expensive, cheap)

    def _find_seeds(self, atoms: Atoms) -> np.ndarray:
        n_atoms = len(atoms)
        chosen = np.zeros(n_atoms, dtype=bool)
        if self.seeds is not None and len(self.seeds):
            bad = self.seeds[(self.seeds >= n_atoms) | (self.seeds < -n_atoms)]
            if len(bad):
                raise ValueError(
                    f"seed indices {bad.tolist()} are out of range for {n_atoms} atoms."
                )
            chosen[self.seeds] = True
        if self.criterion is not None:
            values = np.asarray(self.criterion(atoms), dtype=float)
            if values.shape != (n_atoms,):
                raise ValueError(
                    f"the criterion returned shape {values.shape}; expected "
                    f"({n_atoms},), one value per atom."
                )
            lo, hi = self.criterion_bounds
            chosen |= (values >= lo) & (values <= hi)
        if not chosen.any():
            logger.info("no seeds: every atom is cheap (λ = 0)")
        return np.flatnonzero(chosen)

    def _target_weights(self, n_atoms: int, seeds: np.ndarray, nearest) -> np.ndarray:
        weights = np.zeros(n_atoms)
        if not len(seeds):
            return weights
        is_seed = np.zeros(n_atoms, dtype=bool)
        is_seed[seeds] = True
        if nearest is None:
            weights[is_seed] = 1.0
            return weights
        core = nearest(is_seed, self.r_core) < self.r_core
        core |= is_seed
        weights[core] = 1.0
        if self.r_blend > 0:
            to_core = nearest(core, self.r_blend)
            shell = ~core & (to_core < self.r_blend)
            weights[shell] = BLEND_SHAPES[self.blend](to_core[shell] / self.r_blend)
        return weights

    def _relax(self, target: np.ndarray, elapsed: float | None) -> np.ndarray:
        previous = self._weights
        hysteresis = self.tau_grow is not None or self.tau_shrink is not None
        if (
            not hysteresis
            or elapsed is None
            or previous is None
            or len(previous) != len(target)
        ):
            self._weights = target
            return target
        tau = np.where(target > previous, self.tau_grow or 0.0, self.tau_shrink or 0.0)
        with np.errstate(divide="ignore"):
            keep = np.where(
                tau > 0, np.exp(-elapsed / np.where(tau > 0, tau, 1.0)), 0.0
            )
        weights = target + (previous - target) * keep
        weights[weights < SNAP_BELOW] = 0.0
        weights[weights > SNAP_ABOVE] = 1.0
        self._weights = weights
        return weights

    def _atom_sets(self, weights: np.ndarray, nearest) -> tuple[np.ndarray, np.ndarray]:
        active = weights > 0
        full = weights == 1.0
        if nearest is None or self.r_buff == 0:
            return np.flatnonzero(active), np.flatnonzero(~full)
        near_active = nearest(active, self.r_buff)
        near_partial = nearest(~full, self.r_buff)
        expensive = active | (near_active < self.r_buff)
        deep_core = full & ~(near_partial < self.r_buff)
        return np.flatnonzero(expensive), np.flatnonzero(~deep_core)
