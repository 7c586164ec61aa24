"""``mixpot demo``: the real job end to end, and a quick version for tests.

:func:`run_demo` (``mixpot demo``) distils a W SNAP from SevenNet-0, runs
mixed MD of a moving crowdion with regions from the cheap model's own
uncertainty, checks a frame against SevenNet-0 and writes a report folder.
:mod:`~mixpot.demo.quick` (``mixpot demo --quick``) is the minute-long
version on the SNAP that ships with LAMMPS.
"""

from .accuracy import projected_speedup
from .pipeline import DemoSettings, run_demo
from .quick import run_distill_demo, run_mixing_demo, run_pops_demo

__all__ = [
    "DemoSettings",
    "projected_speedup",
    "run_demo",
    "run_distill_demo",
    "run_mixing_demo",
    "run_pops_demo",
]
