"""Spatial mixing of an expensive and a cheap potential.

:class:`Regions` turns seeds (indices or a per-atom criterion) into per-atom
weights λ and the atom sets each potential must see.
"""

from .criteria import CoordinationNumber
from .regions import Regions, RegionState

__all__ = ["CoordinationNumber", "RegionState", "Regions"]
