"""Distillation wall time with one core busy: BLAS threads limited or not.

ASE's BFGS relaxations (vacancy energies of the expensive model, the cheap
one and each POPS ensemble member) do small dense linear algebra; on a
multithreaded BLAS, with a core taken by something else, those threads wait
for each other. ``mixpot.distill`` limits BLAS to one thread around the
sampling and the properties (:mod:`mixpot.distill.threads`). This runs the
W_2940_2017_2 distillation of the quick tungsten recipe, prints its wall
time and the load average before and after, with or without a busy-loop
process on one core, and with the limit on (the library) or replaced by a
no-op (``--no-limit``, to see what it saves). Do not set OMP_NUM_THREADS:
the point is the BLAS default (one thread per core).

Run: ``python benchmarks/distill_blas_threads.py [--busy] [--no-limit]``.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time

from mixpot.distill import pipeline as distill_pipeline
from mixpot.distill import quick_tungsten_recipe, solute_properties
from mixpot.distill.pipeline import DistillConfig, distil


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", action="store_true", help="busy-loop on a core")
    parser.add_argument("--no-limit", action="store_true", help="no BLAS limit")
    args = parser.parse_args()
    if args.no_limit:
        for module in (distill_pipeline, solute_properties):
            module.small_dense_work = contextlib.nullcontext
    busy = None
    if args.busy:
        busy = subprocess.Popen([sys.executable, "-c", "while 1: pass"])
    try:
        load_before = os.getloadavg()
        start = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            distil(DistillConfig("lammps:W_snap", quick_tungsten_recipe()), folder)
        wall = time.perf_counter() - start
        load_after = os.getloadavg()
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    print(
        f"busy core: {args.busy}, BLAS limit: {not args.no_limit}: wall {wall:.1f} s; "
        f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"(1 min), OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}"
    )


if __name__ == "__main__":
    main()
