"""Per-atom criteria that pick seeds of the expensive region, by name.

A criterion is a small frozen dataclass (plain data: it can be written to a
configuration file and read back) whose call ``criterion(atoms)`` returns one
value per atom; :class:`~mixpot.mixing.Regions` makes seeds of the atoms whose
value lies in its ``criterion_bounds``. Each criterion class is registered
under a name (:func:`register_criterion`), so that ``{"name": "coordination",
"cutoff": 3.0}`` in a file becomes ``Coordination(cutoff=3.0)``
(:func:`criterion_from_dict`). Built in: ``"coordination"``
(:class:`Coordination`: a vacancy's neighbours have 7 instead of 8 in bcc; a
self-interstitial's dumbbell has more). Other criteria (the cheap model's
own uncertainty, ...) register themselves the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from ase import Atoms

from .neighbours import pairs_within

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


def criterion_to_dict(criterion: Criterion) -> dict[str, Any]:
    """Return ``{"name": ..., **parameters}`` of a registered criterion.

    Examples
    --------
    >>> criterion_to_dict(Coordination(cutoff=3.0))
    {'name': 'coordination', 'cutoff': 3.0}
    """
    return {"name": criterion.name, **dataclasses.asdict(criterion)}


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
