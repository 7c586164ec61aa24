"""Per-atom criteria that pick seeds of the expensive region, by name.

A criterion is a small frozen dataclass (plain data: it can be written to a
configuration file and read back) whose call ``criterion(atoms)`` returns one
value per atom; :class:`~mixpot.mixing.Regions` makes seeds of the atoms whose
value lies in its ``criterion_bounds``. Each criterion class is registered
under a name (:func:`register_criterion`), so that ``{"name": "coordination",
"cutoff": 3.0}`` in a file becomes ``Coordination(cutoff=3.0)``
(:func:`criterion_from_dict`). Built in:

* ``"coordination"`` (:class:`Coordination`): a vacancy's neighbours have 7
  instead of 8 in bcc; a self-interstitial's dumbbell has more;
* ``"uncertainty"`` (:class:`Uncertainty`): the cheap potential's own POPS
  per-atom uncertainty, above a threshold stored with the potential: no one
  has to name the defect.

A criterion that needs the cheap potential says so (``needs_cheap = True``);
it is then called ``criterion(atoms, cheap)`` and the engines pass their
cheap :class:`~mixpot.potentials.LinearPotential` (through
:meth:`~mixpot.mixing.Regions.update`), after checking it at set-up with
``criterion.check_cheap(cheap)``. A criterion with ``bounds(cheap)`` sets its
own seed range, so ``criterion_bounds`` stays unset.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from ase import Atoms

from mixpot.neighbours import pairs_within
from mixpot.potentials import LinearPotential
from mixpot.potentials.per_atom_uncertainty import QUANTITIES

#: Registered criterion classes by name.
CRITERIA: dict[str, type] = {}


@runtime_checkable
class Criterion(Protocol):
    """What :class:`~mixpot.mixing.Regions` needs of a seed criterion."""

    name: str

    def __call__(self, atoms: Atoms) -> np.ndarray:
        """One value per atom, shape (n_atoms,)."""
        ...


def register_criterion(name: str) -> Callable[[type], type]:
    """Register a frozen dataclass as the criterion called ``name``.

    Examples
    --------
    >>> @register_criterion("height")
    ... @dataclass(frozen=True)
    ... class Height:
    ...     def __call__(self, atoms):
    ...         return atoms.positions[:, 2]
    >>> criterion_from_dict({"name": "height"})
    Height()
    >>> del CRITERIA["height"]
    """

    def register(cls: type) -> type:
        if not (dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen):
            raise TypeError(
                f"The criterion {name!r} must be a frozen dataclass. Got "
                f"{cls.__name__}."
            )
        if name in CRITERIA and CRITERIA[name] is not cls:
            raise ValueError(f"A criterion called {name!r} is already registered.")
        cls.name = name
        CRITERIA[name] = cls
        return cls

    return register


def needs_cheap(criterion: Criterion | None) -> bool:
    """Whether ``criterion`` is called with the cheap potential too.

    Examples
    --------
    >>> needs_cheap(Coordination()), needs_cheap(Uncertainty())
    (False, True)
    """
    return bool(getattr(criterion, "needs_cheap", False))


def criterion_to_dict(criterion: Criterion) -> dict[str, Any]:
    """Return ``{"name": ..., **parameters}`` of a registered criterion.

    Parameters left at a default of None are left out (TOML has no None).

    Examples
    --------
    >>> criterion_to_dict(Coordination(cutoff=3.0))
    {'name': 'coordination', 'cutoff': 3.0}
    >>> criterion_to_dict(Uncertainty())
    {'name': 'uncertainty', 'quantity': 'energy'}
    """
    values = {
        field.name: getattr(criterion, field.name)
        for field in dataclasses.fields(criterion)
        if not (field.default is None and getattr(criterion, field.name) is None)
    }
    return {"name": criterion.name, **values}


def criterion_from_dict(values: dict[str, Any]) -> Criterion:
    """Build a registered criterion from ``{"name": ..., **parameters}``.

    Raises
    ------
    ValueError
        For a missing or unknown name, or parameters the criterion has not
        (the message lists the known names or parameters).

    Examples
    --------
    >>> criterion_from_dict({"name": "coordination", "cutoff": 2.9})
    Coordination(cutoff=2.9)
    """
    values = dict(values)
    name = values.pop("name", None)
    if name not in CRITERIA:
        raise ValueError(
            f"The 'name' parameter of a criterion must be one of "
            f"{sorted(CRITERIA)}. Got {name!r}."
        )
    cls = CRITERIA[name]
    allowed = [field.name for field in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValueError(
            f"The criterion {name!r} has no parameter {unknown[0]!r}; its "
            f"parameters are {allowed}."
        )
    return cls(**values)


@register_criterion("coordination")
@dataclass(frozen=True)
class Coordination:
    """Number of neighbours closer than ``cutoff`` Å.

    Parameters
    ----------
    cutoff : float, default 3.0
        Neighbour distance in Å (> 0): between the first and second
        neighbour shells (bcc W: 2.75 and 3.18 Å).

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", cubic=True).repeat(3)
    >>> del atoms[0]
    >>> counts = Coordination(cutoff=3.0)(atoms)
    >>> sorted(set(counts.tolist()))
    [7, 8]
    """

    cutoff: float = 3.0

    def __post_init__(self) -> None:
        if (
            isinstance(self.cutoff, bool)
            or not isinstance(self.cutoff, int | float)
            or not np.isfinite(self.cutoff)
            or not self.cutoff > 0
        ):
            raise ValueError(
                f"The 'cutoff' parameter of Coordination must be a distance "
                f"> 0 Å. Got {self.cutoff!r}."
            )

    def __call__(self, atoms: Atoms) -> np.ndarray:
        """Count each atom's neighbours."""
        i, _, _ = pairs_within(atoms, self.cutoff)
        return np.bincount(i, minlength=len(atoms))


#: The name this criterion had before criteria were registered.
CoordinationNumber = Coordination


@register_criterion("uncertainty")
@dataclass(frozen=True)
class Uncertainty:
    """The cheap potential's POPS uncertainty of each atom; seeds above a threshold.

    Atoms whose uncertainty is at least ``threshold`` become seeds (with the
    hysteresis of :class:`~mixpot.mixing.Regions`, if set). The value of an
    atom is :meth:`~mixpot.potentials.LinearPotential.atom_uncertainty`:
    the std of its energy (eV) or the norm of the std of its force (eV/Å),
    from descriptors only, evaluated when the regions are rebuilt.

    **The default threshold** is stored with the cheap potential
    (:meth:`~mixpot.potentials.LinearPotential.with_uncertainty_threshold`,
    which the distillation calls): the 99.9th percentile of the per-atom
    value over the training frames of the perfect crystal at the highest
    training temperature, the largest distortions the potential was fitted
    to without a defect. Thermal motion up to that temperature therefore
    makes almost no seeds; defects and species it never saw stand far above
    it. To be **stricter** (a larger expensive region), give a lower
    ``threshold``, or re-attach one at a lower quantile; to be **looser**,
    a higher one. A trained defect (the distillation's vacancy) may rightly
    stay below it: where the cheap model knows the structure its error is
    small too.

    Parameters
    ----------
    quantity : {"energy", "force"}, default "energy"
        Per-atom energy std (eV), or force std norm (eV/Å, about three times
        the cost: it needs the descriptor gradients).
    threshold : float or None, default None
        In the unit of ``quantity``, > 0; None takes the cheap potential's
        stored threshold.

    Raises
    ------
    ValueError
        For an unknown quantity or a threshold that is not > 0; from
        :meth:`check_cheap`, for a cheap potential without posterior, or
        without a stored threshold when none is given.

    Warns
    -----
    UserWarning
        When the threshold is below the median of the training crystal's
        values (most atoms of a perfect crystal would be seeds), and when a
        rebuild makes more than half of the atoms seeds; both say which
        threshold would not.

    Examples
    --------
    >>> Uncertainty(quantity="force", threshold=0.5)
    Uncertainty(quantity='force', threshold=0.5)
    >>> Uncertainty().bounds_for_threshold(0.2)
    (0.2, inf)
    """

    quantity: str = "energy"
    threshold: float | None = None
    needs_cheap: ClassVar[bool] = True
    #: Share of a structure's atoms made seeds above which a rebuild warns.
    most_atoms: ClassVar[float] = 0.5

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES:
            raise ValueError(
                f"The 'quantity' parameter of the uncertainty criterion must be "
                f"one of {list(QUANTITIES)}. Got {self.quantity!r}."
            )
        value = self.threshold
        if value is None:
            return
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not np.isfinite(value)
            or not value > 0
        ):
            raise ValueError(
                f"The 'threshold' parameter of the uncertainty criterion must be "
                f"None (the cheap potential's) or > 0 "
                f"{QUANTITIES[self.quantity]}. Got {value!r}."
            )
        object.__setattr__(self, "threshold", float(value))

    def check_cheap(self, cheap) -> None:
        """Refuse a cheap potential this criterion cannot use; warn if too strict.

        Raises
        ------
        TypeError
            If ``cheap`` is not a LinearPotential.
        ValueError
            Without a POPS posterior, or without a threshold (given or
            stored).
        """
        if not isinstance(cheap, LinearPotential):
            raise TypeError(
                "The uncertainty criterion needs the cheap potential as a "
                "LinearPotential (a linear SNAP with its POPS posterior). Got "
                f"{type(cheap).__name__}."
            )
        if cheap.regressor is None:
            raise ValueError(
                "The uncertainty criterion needs a cheap potential with a POPS "
                "posterior; this one has none (LAMMPS .snapcoeff files, a "
                "potential saved without its regressor, or fitted with another "
                "regressor). Use the potential.npz a distillation writes, or "
                "choose another criterion."
            )
        threshold = self._threshold(cheap)
        stored = cheap.uncertainty_threshold
        if stored is not None and threshold <= stored.median(self.quantity):
            warnings.warn(
                f"The uncertainty threshold {threshold:.4g} "
                f"{QUANTITIES[self.quantity]} is at or below the median "
                f"({stored.median(self.quantity):.4g}) of the per-atom "
                f"{self.quantity} uncertainty on the cheap potential's training "
                f"frames of the perfect crystal ({stored.source}): most atoms of "
                f"a perfect crystal become seeds. A threshold above it would "
                f"not; the stored default (quantile {stored.quantile:g}) is "
                f"{stored.value(self.quantity):.4g}.",
                UserWarning,
                stacklevel=2,
            )

    def bounds(self, cheap) -> tuple[float, float]:
        """Return the seed range ``(threshold, inf)`` for ``cheap``."""
        return self.bounds_for_threshold(self._threshold(cheap))

    @staticmethod
    def bounds_for_threshold(threshold: float) -> tuple[float, float]:
        """Return ``(threshold, inf)``: every value from the threshold up."""
        return (float(threshold), float("inf"))

    def __call__(self, atoms: Atoms, cheap) -> np.ndarray:
        """Return each atom's uncertainty (eV or eV/Å), shape (n_atoms,)."""
        values = cheap.atom_uncertainty(atoms, self.quantity)
        threshold = self._threshold(cheap)
        n_seeds = int(np.count_nonzero(values >= threshold))
        if n_seeds > self.most_atoms * len(values):
            warnings.warn(
                f"The uncertainty criterion made {n_seeds} of {len(values)} "
                f"atoms seeds (threshold {threshold:.4g} "
                f"{QUANTITIES[self.quantity]}); a threshold above "
                f"{np.quantile(values, 1 - self.most_atoms):.4g} (the median "
                f"here) would make at most half of them seeds.",
                UserWarning,
                stacklevel=2,
            )
        return values

    def _threshold(self, cheap) -> float:
        if self.threshold is not None:
            return self.threshold
        stored = getattr(cheap, "uncertainty_threshold", None)
        if stored is None:
            raise ValueError(
                "The 'threshold' parameter of the uncertainty criterion must be "
                "given: the cheap potential stores no default threshold (it was "
                "saved before mixpot stored one, or without training frames). "
                f"Give threshold = ... ({QUANTITIES[self.quantity]}), or attach "
                "one: potential.with_uncertainty_threshold(frames).save(path)."
            )
        return stored.value(self.quantity)
