"""The mutable part of a mixed calculation: λ and the atom sets at one update.

:class:`RegionState` is what :meth:`~mixpot.mixing.Regions.update` returns
and takes back (``previous``) for hysteresis; it is all a checkpoint needs to
continue a run with the same region. It is plain arrays, engine-neutral:
:meth:`RegionState.to_arrays` / :meth:`RegionState.from_arrays` move it
through any array store, :meth:`RegionState.save` / :meth:`RegionState.load`
through a ``.npz`` file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

ARRAY_NAMES = ("weights", "seeds", "expensive_atoms", "cheap_atoms")


@dataclass(frozen=True, eq=False)
class RegionState:
    """The region at one update.

    Attributes
    ----------
    weights : ndarray of shape (n_atoms,)
        λ per atom: 1 expensive, 0 cheap. With hysteresis this is also the
        memory the next update relaxes from.
    seeds : ndarray of int
        Seed atoms.
    expensive_atoms : ndarray of int
        Atoms the expensive potential must see: λ > 0 plus the buffer.
    cheap_atoms : ndarray of int
        Atoms the cheap potential must see: all but the deep core.

    Examples
    --------
    >>> state = RegionState.from_arrays({
    ...     "weights": [1.0, 0.5, 0.0], "seeds": [0],
    ...     "expensive_atoms": [0, 1, 2], "cheap_atoms": [1, 2]})
    >>> state.n_expensive, state.n_cheap
    (3, 2)
    >>> RegionState.from_arrays(state.to_arrays()) == state
    True
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

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RegionState):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, name), getattr(other, name))
            for name in ARRAY_NAMES
        )

    def to_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Return the state as named arrays (names prefixed by ``prefix``)."""
        return {prefix + name: np.asarray(getattr(self, name)) for name in ARRAY_NAMES}

    @classmethod
    def from_arrays(cls, arrays, prefix: str = "") -> RegionState:
        """Rebuild a state from :meth:`to_arrays` output (any mapping).

        Raises
        ------
        ValueError
            When an array is missing or the arrays do not fit together.
        """
        missing = [name for name in ARRAY_NAMES if prefix + name not in arrays]
        if missing:
            raise ValueError(f"A region state needs the arrays {missing}; not found.")
        weights = np.asarray(arrays[prefix + "weights"], dtype=float)
        sets = [
            np.asarray(arrays[prefix + name], dtype=int).ravel()
            for name in ARRAY_NAMES[1:]
        ]
        n_atoms = len(weights)
        if weights.ndim != 1 or not np.all((weights >= 0) & (weights <= 1)):
            raise ValueError("A region state's weights must be a 1-D array in [0, 1].")
        for name, indices in zip(ARRAY_NAMES[1:], sets, strict=True):
            if len(indices) and (indices.min() < 0 or indices.max() >= n_atoms):
                raise ValueError(
                    f"A region state's {name} must index its {n_atoms} atoms."
                )
        return cls(weights, *sets)

    def save(self, path: str | Path) -> Path:
        """Write the state to a ``.npz`` file; return its path."""
        path = Path(path)
        with path.open("wb") as handle:
            np.savez(handle, **self.to_arrays())
        return path

    @classmethod
    def load(cls, path: str | Path) -> RegionState:
        """Read a state written by :meth:`save`."""
        with np.load(path) as arrays:
            return cls.from_arrays(dict(arrays))
