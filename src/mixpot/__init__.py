"""mixpot: distil, bound and spatially mix machine-learned potentials.

Subpackages follow the data flow: :mod:`mixpot.pops` (regression with
misspecification-aware bounds), ``descriptors`` (SNAP rows through LAMMPS),
``potentials`` (linear potentials and their calculators), ``distill``,
``mixing`` and ``engines``.
"""

__version__ = "0.1.0"
