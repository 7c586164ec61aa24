"""SNAP descriptors and linear fitting rows, computed through LAMMPS.

The public surface:

* :class:`SNAP` — settings of a SNAP model; ``SNAP.rows`` gives the linear
  fitting block (energy, force, stress rows) of a list of configurations and
  ``SNAP.per_atom`` the per-atom bispectrum descriptors;
* :class:`SnapRows` — the rows with their bookkeeping (kind, structure, atom,
  component) and the fixed baseline's contribution;
* :class:`ZBLBaseline` — a fixed ZBL pair repulsion fitted underneath;
* :func:`check_structure` — the checks every SNAP evaluation runs first
  (known elements, finite positions, no atoms too close).

Examples
--------
>>> from ase.build import bulk
>>> from mixpot.descriptors import SNAP
>>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
>>> snap.rows([bulk("W", "bcc", a=3.18)]).X.shape
(10, 6)
"""

from ._rows import SnapRows
from ._validation import check_structure
from .baseline import ZBLBaseline
from .snap import DEFAULT_RCUTFAC, DEFAULT_TWOJMAX, SNAP, count_bispectrum

__all__ = [
    "DEFAULT_RCUTFAC",
    "DEFAULT_TWOJMAX",
    "SNAP",
    "SnapRows",
    "ZBLBaseline",
    "check_structure",
    "count_bispectrum",
]
