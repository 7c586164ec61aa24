"""Per-atom criteria that pick seeds of the expensive region.

A criterion is any callable ``atoms -> ndarray of shape (n_atoms,)``; atoms
whose value lies in ``[lo, hi]`` become seeds. :class:`CoordinationNumber`
is built in (a vacancy's neighbours have 7 instead of 8 in bcc; a
self-interstitial's dumbbell has more).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ase import Atoms

from mixpot.neighbours import pairs_within


@dataclass(frozen=True)
class CoordinationNumber:
    """Number of neighbours closer than ``cutoff`` Å.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = bulk("W", cubic=True).repeat(3)
    >>> del atoms[0]
    >>> counts = CoordinationNumber(cutoff=3.0)(atoms)
    >>> sorted(set(counts.tolist()))
    [7, 8]
    """

    cutoff: float

    def __post_init__(self) -> None:
        if not self.cutoff > 0:
            raise ValueError(
                f"CoordinationNumber cutoff must be > 0 Å; got {self.cutoff}."
            )

    def __call__(self, atoms: Atoms) -> np.ndarray:
        """Count each atom's neighbours."""
        i, _, _ = pairs_within(atoms, self.cutoff)
        return np.bincount(i, minlength=len(atoms))
