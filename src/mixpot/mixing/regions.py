"""Where the expensive potential acts: the settings of a region and its update.

Seeds (given indices, atoms of given elements, or atoms whose criterion value
lies in ``[lo, hi]``; for the uncertainty criterion, atoms whose cheap-model
uncertainty is above its threshold) grow a **core** (λ = 1 within ``r_core`` Å
of a seed), wrapped in a **blend** shell (λ = w(d / r_blend) with d the
distance to the nearest core atom). The expensive potential is evaluated on
every atom with λ > 0 plus a **buffer** of ``r_buff`` Å around them; the cheap
potential on every atom but the deep core (λ = 1 with no λ < 1 atom within
``r_buff``).

With hysteresis, λ relaxes toward its new target with time constants
``tau_grow`` / ``tau_shrink`` (fs), snapping to 0 below 0.01 and 1 above 0.99,
so that a noisy criterion does not make the region flicker.

:class:`Regions` is frozen, validated plain data (``to_dict`` /
``from_dict``), the same for every engine; what changes during a run (λ, the
hysteresis memory) is a separate :class:`~mixpot.mixing.state.RegionState`
that :meth:`Regions.update` returns and takes back.

Every update is a neighbour-list search (matscipy): O(N), with minimum-image
distances in periodic, open and triclinic cells.
"""

from __future__ import annotations

import dataclasses
import logging
import numbers
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols

from mixpot.neighbours import NearestDistance

from .criteria import (
    CRITERIA,
    Criterion,
    criterion_from_dict,
    criterion_to_dict,
    needs_cheap,
)
from .state import RegionState

logger = logging.getLogger(__name__)

BLEND_SHAPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda x: 1.0 - x,
    "cubic": lambda x: 1.0 - 3.0 * x**2 + 2.0 * x**3,
}
SNAP_BELOW, SNAP_ABOVE = 0.01, 0.99

__all__ = ["BLEND_SHAPES", "RegionState", "Regions", "check_finite_positions"]


@dataclass(frozen=True)
class Regions:
    """Settings that build λ and the expensive and cheap atom sets.

    Parameters
    ----------
    seeds : sequence of int, default ()
        Seed atom indices (negative indices count from the end). Integral
        values only: 1.5 or True are errors.
    seed_elements : sequence of str, default ()
        Every atom of these elements is a seed (e.g. ``("He",)``).
    criterion : registered criterion, optional
        E.g. :class:`~mixpot.mixing.criteria.Coordination`; atoms whose value
        lies in ``criterion_bounds`` are seeds too. The
        :class:`~mixpot.mixing.criteria.Uncertainty` criterion needs the cheap
        potential: :meth:`update` must then be given ``cheap`` (the engines
        pass theirs).
    criterion_bounds : (float, float), optional
        Inclusive ``(lo, hi)``; required with ``criterion``, except for a
        criterion that sets its own (the uncertainty criterion: everything
        from its threshold up), where it must stay unset.
    r_core, r_blend : float, default 6.0, 4.0
        Radii in Å (≥ 0).
    r_buff : float or None, default None
        Buffer in Å (≥ 0). None: chosen by the
        :class:`~mixpot.mixing.MixedCalculator` from its expensive potential
        and mode; needed before :meth:`update` is called directly.
    blend : {"linear", "cubic"}, default "cubic"
        Shape of λ across the blend shell.
    tau_grow, tau_shrink : float or None, default None
        Hysteresis time constants in fs; None on both disables hysteresis.
    n_every : int, default 0
        Rebuild the regions every ``n_every`` MD steps; 0 builds them once.

    Raises
    ------
    ValueError
        For any setting out of its range (the message names it).

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", cubic=True).repeat(6)
    >>> state = Regions(seeds=[0], r_core=3.0, r_blend=2.0, r_buff=3.0).update(atoms)
    >>> int((state.weights == 1).sum()), state.n_expensive < len(atoms)
    (9, True)
    >>> regions = Regions([0], r_buff=3.0)
    >>> Regions.from_dict(regions.to_dict()) == regions
    True
    """

    seeds: tuple[int, ...] = ()
    _: KW_ONLY
    seed_elements: tuple[str, ...] = ()
    criterion: Criterion | None = None
    criterion_bounds: tuple[float, float] | None = None
    r_core: float = 6.0
    r_blend: float = 4.0
    r_buff: float | None = None
    blend: str = "cubic"
    tau_grow: float | None = None
    tau_shrink: float | None = None
    n_every: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "seeds", _checked_seeds(self.seeds))
        set_(self, "seed_elements", _checked_elements(self.seed_elements))
        for name in ("r_core", "r_blend", "r_buff"):
            value = getattr(self, name)
            if value is None and name == "r_buff":
                continue
            set_(self, name, _checked_number(name, value, "a distance >= 0 Å", 0.0))
        if self.blend not in BLEND_SHAPES:
            raise ValueError(
                f"The 'blend' parameter of Regions must be one of "
                f"{list(BLEND_SHAPES)}. Got {self.blend!r}."
            )
        self._check_criterion()
        for name in ("tau_grow", "tau_shrink"):
            value = getattr(self, name)
            if value is not None:
                value = _checked_number(name, value, "None or a time > 0 fs", None)
                set_(self, name, value)
        n_every = self.n_every
        if isinstance(n_every, bool) or not isinstance(n_every, numbers.Integral):
            n_every = -1
        if n_every < 0:
            raise ValueError(
                f"The 'n_every' parameter of Regions must be an int >= 0 (0: "
                f"build once). Got {self.n_every!r}."
            )
        set_(self, "n_every", int(n_every))

    def _check_criterion(self) -> None:
        if hasattr(self.criterion, "bounds"):
            if self.criterion_bounds is not None:
                raise ValueError(
                    f"The 'criterion_bounds' parameter of Regions must be unset "
                    f"with the {self.criterion.name!r} criterion, which sets its "
                    f"own (give its threshold instead). Got "
                    f"{self.criterion_bounds!r}."
                )
            self._check_registered()
            return
        if (self.criterion is None) != (self.criterion_bounds is None):
            raise ValueError(
                "The 'criterion' and 'criterion_bounds' parameters of Regions "
                "must be given together. Got only "
                f"{'criterion' if self.criterion is not None else 'criterion_bounds'}."
            )
        if self.criterion is None:
            return
        self._check_registered()
        bounds = self.criterion_bounds
        try:
            lo, hi = (float(value) for value in bounds)
        except (TypeError, ValueError):
            lo, hi = np.nan, np.nan
        if not lo <= hi:
            raise ValueError(
                f"The 'criterion_bounds' parameter of Regions must be (lo, hi) "
                f"with lo <= hi. Got {bounds!r}."
            )
        object.__setattr__(self, "criterion_bounds", (lo, hi))

    def _check_registered(self) -> None:
        if type(self.criterion) not in CRITERIA.values():
            raise ValueError(
                f"The 'criterion' parameter of Regions must be a registered "
                f"criterion ({sorted(CRITERIA)}; see "
                f"mixpot.mixing.criteria.register_criterion). Got "
                f"{type(self.criterion).__name__}."
            )

    @property
    def needs_cheap(self) -> bool:
        """Whether :meth:`update` needs the cheap potential (its criterion does)."""
        return needs_cheap(self.criterion)

    def check_cheap(self, cheap) -> None:
        """Check, before a run, that the criterion can use the cheap potential.

        Engines call it at set-up with their cheap potential (None when they
        have no :class:`~mixpot.potentials.LinearPotential`); it does nothing
        for criteria that do not need one.

        Raises
        ------
        TypeError, ValueError
            From the criterion (e.g. a cheap potential without a posterior
            for the uncertainty criterion).
        """
        if self.needs_cheap:
            self.criterion.check_cheap(cheap)

    @property
    def hysteresis(self) -> bool:
        """Whether λ relaxes toward its target (a time constant is set)."""
        return self.tau_grow is not None or self.tau_shrink is not None

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as plain values (None where unset).

        Examples
        --------
        >>> from mixpot.mixing.criteria import Coordination
        >>> Regions(criterion=Coordination(3.0), criterion_bounds=(0, 7)).to_dict()[
        ...     "criterion"]
        {'name': 'coordination', 'cutoff': 3.0}
        """
        values = {field.name: getattr(self, field.name) for field in _fields()}
        values["seeds"] = list(self.seeds)
        values["seed_elements"] = list(self.seed_elements)
        if self.criterion is not None:
            values["criterion"] = criterion_to_dict(self.criterion)
        if self.criterion_bounds is not None:
            values["criterion_bounds"] = list(self.criterion_bounds)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Regions:
        """Build settings from :meth:`to_dict` output (missing keys: defaults).

        Raises
        ------
        ValueError
            For an unknown key (the message lists the allowed ones) or a bad
            value.
        """
        allowed = [field.name for field in _fields()]
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise ValueError(
                f"Regions has no setting {unknown[0]!r}; the settings are {allowed}."
            )
        values = dict(values)
        if isinstance(values.get("criterion"), dict):
            values["criterion"] = criterion_from_dict(values["criterion"])
        for name in ("seeds", "seed_elements", "criterion_bounds"):
            if isinstance(values.get(name), list):
                values[name] = tuple(values[name])
        return cls(**values)

    def update(
        self,
        atoms: Atoms,
        previous: RegionState | None = None,
        elapsed_fs: float | None = None,
        *,
        cheap=None,
        **legacy,
    ) -> RegionState:
        """Compute the region for ``atoms``.

        Parameters
        ----------
        atoms : ase.Atoms
            Current configuration (finite positions).
        previous : RegionState, optional
            The state of the previous update: the hysteresis memory.
        elapsed_fs : float, optional
            Time in fs since ``previous``. Without hysteresis, ``previous``
            or ``elapsed_fs`` (or with a changed number of atoms) λ jumps to
            its target.
        cheap : LinearPotential, optional
            The cheap potential, for a criterion that needs it
            (:attr:`needs_cheap`).

        Returns
        -------
        RegionState
            λ and the atom sets.

        Raises
        ------
        ValueError
            Without ``r_buff``, for non-finite positions, a seed index out
            of range, or without ``cheap`` for a criterion that needs it.
        """
        if "elapsed" in legacy:  # the keyword's name before elapsed_fs
            elapsed_fs = legacy.pop("elapsed")
        if legacy:
            raise TypeError(f"update() got unexpected keywords {sorted(legacy)}.")
        if previous is not None and not isinstance(previous, RegionState):
            raise TypeError(
                f"The 'previous' parameter of Regions.update must be a "
                f"RegionState (the time goes in elapsed_fs). Got "
                f"{type(previous).__name__}."
            )
        if self.r_buff is None:
            raise ValueError(
                "r_buff is not set: give Regions(r_buff=...) or attach the "
                "regions to a MixedCalculator, which chooses it."
            )
        check_finite_positions(atoms, "Regions.update")
        if self.needs_cheap and cheap is None:
            raise ValueError(
                f"The 'cheap' parameter of Regions.update must be the cheap "
                f"potential for the {self.criterion.name!r} criterion. Got None."
            )
        seeds = self._find_seeds(atoms, cheap)
        reach = max(self.r_core, self.r_blend, self.r_buff)
        nearest = NearestDistance(atoms, reach) if reach > 0 and len(seeds) else None
        target = self._target_weights(len(atoms), seeds, nearest)
        weights = self._relax(target, previous, elapsed_fs)
        expensive, cheap = self._atom_sets(weights, nearest)
        return RegionState(weights, seeds, expensive, cheap)

    def _find_seeds(self, atoms: Atoms, cheap=None) -> np.ndarray:
        n_atoms = len(atoms)
        chosen = np.zeros(n_atoms, dtype=bool)
        if self.seeds:
            seeds = np.asarray(self.seeds, dtype=int)
            bad = seeds[(seeds >= n_atoms) | (seeds < -n_atoms)]
            if len(bad):
                raise ValueError(
                    f"seed indices {bad.tolist()} are out of range for {n_atoms} atoms."
                )
            chosen[seeds] = True
        if self.seed_elements:
            symbols = np.array(atoms.get_chemical_symbols())
            chosen |= np.isin(symbols, self.seed_elements)
        if self.criterion is not None:
            if self.needs_cheap:
                values = self.criterion(atoms, cheap)
            else:
                values = self.criterion(atoms)
            values = np.asarray(values, dtype=float)
            if values.shape != (n_atoms,):
                raise ValueError(
                    f"the criterion returned shape {values.shape}; expected "
                    f"({n_atoms},), one value per atom."
                )
            lo, hi = self.criterion_bounds or self.criterion.bounds(cheap)
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

    def _relax(
        self,
        target: np.ndarray,
        previous: RegionState | None,
        elapsed_fs: float | None,
    ) -> np.ndarray:
        if (
            not self.hysteresis
            or elapsed_fs is None
            or previous is None
            or len(previous.weights) != len(target)
        ):
            return target
        before = previous.weights
        tau = np.where(target > before, self.tau_grow or 0.0, self.tau_shrink or 0.0)
        with np.errstate(divide="ignore"):
            keep = np.where(
                tau > 0, np.exp(-elapsed_fs / np.where(tau > 0, tau, 1.0)), 0.0
            )
        weights = target + (before - target) * keep
        weights[weights < SNAP_BELOW] = 0.0
        weights[weights > SNAP_ABOVE] = 1.0
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


def check_finite_positions(atoms: Atoms, where: str) -> None:
    """Raise a ValueError naming the atoms whose positions are NaN or infinite.

    Examples
    --------
    >>> from ase import Atoms
    >>> atoms = Atoms("H2", [[0, 0, 0], [0, 0, float("nan")]])
    >>> try:
    ...     check_finite_positions(atoms, "f")
    ... except ValueError as error:
    ...     print(str(error).split("Got ")[1])
    NaN or infinite coordinates on atoms [1].
    """
    bad = np.flatnonzero(~np.isfinite(atoms.positions).all(axis=1))
    if len(bad):
        raise ValueError(
            f"The 'atoms' parameter of {where} must have finite positions. Got "
            f"NaN or infinite coordinates on atoms {bad[:10].tolist()}"
            f"{' ...' if len(bad) > 10 else ''}."
        )


def _fields() -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(Regions)


def _checked_number(name: str, value, expected: str, minimum: float | None) -> float:
    """Return a finite real ≥ ``minimum`` (> 0 if ``minimum`` is None) as float."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    ok = ok and bool(np.isfinite(value))
    if ok:
        ok = value >= minimum if minimum is not None else value > 0
    if not ok:
        raise ValueError(
            f"The '{name}' parameter of Regions must be {expected}. Got {value!r}."
        )
    return float(value)


def _checked_seeds(seeds) -> tuple[int, ...]:
    """Integral seed indices as a tuple of int (1.0 is 1; 1.5 and True are errors)."""
    if seeds is None:
        return ()
    values = np.asarray(seeds, dtype=object).ravel()
    checked = []
    for value in values:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            integral = False
        else:
            integral = bool(np.isfinite(value)) and float(value).is_integer()
        if not integral:
            raise ValueError(
                f"The 'seeds' parameter of Regions must be integer atom "
                f"indices. Got {value!r} in {list(values)!r}."
            )
        checked.append(int(value))
    return tuple(checked)


def _checked_elements(elements) -> tuple[str, ...]:
    if isinstance(elements, str):
        elements = (elements,)
    elements = tuple(elements or ())
    for symbol in elements:
        if symbol not in chemical_symbols[1:]:
            raise ValueError(
                f"The 'seed_elements' parameter of Regions must hold chemical "
                f"symbols. Got {symbol!r}."
            )
    return elements
