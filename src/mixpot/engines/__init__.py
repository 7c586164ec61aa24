"""Engines that run a :class:`~mixpot.run.RunConfig`.

:mod:`mixpot.engines.ase` steps ASE integrators with
:class:`~mixpot.mixing.MixedCalculator` on one process;
:mod:`mixpot.engines.lammps` runs the cheap SNAP natively in LAMMPS on
every MPI rank and adds the expensive correction through ``fix external``.
Every engine reads the same configuration, :class:`~mixpot.mixing.Regions`
and :class:`~mixpot.mixing.RegionState`, and writes its output with
:mod:`mixpot.run.output`.
"""
