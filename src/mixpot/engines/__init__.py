"""Engines that run a :class:`~mixpot.run.RunConfig`.

:mod:`mixpot.engines.ase` steps ASE integrators with
:class:`~mixpot.mixing.MixedCalculator`. Every engine reads the same
configuration, :class:`~mixpot.mixing.Regions` and
:class:`~mixpot.mixing.RegionState`, and writes its output with
:mod:`mixpot.run.output` and :mod:`mixpot.run.checkpoint`.
"""
