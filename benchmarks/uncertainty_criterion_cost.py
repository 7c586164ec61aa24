"""What the uncertainty criterion costs per region rebuild, against one cheap step.

Claim checked: evaluating the cheap potential's per-atom POPS uncertainty
(``criterion = {name = "uncertainty"}``) at a region rebuild costs a
fraction of one cheap force evaluation, so that with ``n_every`` steps
between rebuilds it adds that fraction / ``n_every`` per step.

System: bcc W, 10³ and 20³ conventional cells (2,000 and 16,000 atoms),
rattled 0.02 Å. Cheap potential: ``examples/w_cheap_2j6.npz`` (2J = 6 SNAP
+ ZBL with its POPS posterior). Timed, in interleaved rounds (min over
rounds; other jobs share the machine), serially on one core:

* one cheap force call (``SnapCalculator``: ``pair_style snap`` + ZBL);
* the per-atom uncertainty, energy (``compute sna/atom`` under
  ``pair_style zero``, then the POPS std of each atom's row) and force
  (``compute snad/atom``);
* ``Regions.update`` with the uncertainty criterion, and with the
  coordination criterion for comparison.

In the LAMMPS engine the rebuild runs on rank 0 alone (positions gathered
there), so on P ranks its share of a step grows about P-fold.

Run: ``python benchmarks/uncertainty_criterion_cost.py [rounds]``

Measured twice (2 cores shared with other jobs, load average 3.2-4.0; 5 and
3 rounds), in ms, and as a multiple of the cheap force call:

| atoms | force call | energy value | force value | update, uncert. | update, coord. |
|---:|---:|---:|---:|---:|---:|
| 2,000 | 415, 317 | 0.35, 0.33 | 1.18, 1.27 | 0.31, 0.30 | 0.01, 0.01 |
| 16,000 | 2,720, 2,567 | 0.32, 0.40 | 1.05, 1.36 | 0.25, 0.33 | 0.01, 0.01 |

So per rebuild the energy criterion costs about a third of a cheap step and
the force criterion about one step; with ``n_every = 10``, 3-4 % and 10-14 %
per step (serial; see above for P ranks). The update is not slower than the
value alone: the neighbour search is 1 % and the rest is within the noise.
Of the energy value, the POPS std of the rows is 1 ms (2,000 atoms) and
5-10 ms (16,000): the descriptors are the cost.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
from ase.build import bulk
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.mixing import Coordination, Regions, Uncertainty
from mixpot.potentials import LinearPotential
from mixpot.potentials.uncertainty import atom_energy_rows

CHEAP = Path(__file__).resolve().parents[1] / "examples" / "w_cheap_2j6.npz"
FORCE_CALL = "cheap force call (pair snap)"


def timed_tasks(cheap: LinearPotential, base) -> dict:
    """Return the operations to time on one configuration, by name."""
    calc = cheap.calculator(uncertainty=False)
    uncertainty = Regions(criterion=Uncertainty(), r_core=2.0, r_blend=3.0, r_buff=5.0)
    coordination = Regions(
        criterion=Coordination(3.0),
        criterion_bounds=(0, 7),
        r_core=2.0,
        r_blend=3.0,
        r_buff=5.0,
    )
    types_n = np.zeros(len(base), dtype=int)
    rows_nx = atom_energy_rows(
        cheap.descriptor, cheap.descriptor.per_atom(base), types_n
    )

    def force(atoms) -> None:
        atoms.calc = calc
        atoms.get_forces()

    return {
        FORCE_CALL: force,
        "uncertainty, energy": lambda atoms: cheap.atom_uncertainty(atoms),
        "  of which the POPS std": lambda atoms: cheap.regressor.predict(
            rows_nx, return_std=True
        ),
        "uncertainty, force": lambda atoms: cheap.atom_uncertainty(atoms, "force"),
        "Regions.update, uncertainty": lambda atoms: uncertainty.update(
            atoms, cheap=cheap
        ),
        "Regions.update, coordination": lambda atoms: coordination.update(atoms),
    }


def measure(cheap: LinearPotential, repeat: int, rounds: int) -> None:
    base = bulk("W", "bcc", a=3.1805, cubic=True) * repeat
    frames = []
    for seed in range(rounds + 1):
        atoms = base.copy()
        atoms.rattle(0.02, seed=seed)
        frames.append(atoms)
    tasks = timed_tasks(cheap, base)
    for task in tasks.values():  # warm-up: every LAMMPS instance built
        task(frames[-1].copy())
    times = {name: [] for name in tasks}
    for atoms in frames[:-1]:
        for name, task in tasks.items():
            copy = atoms.copy()
            start = time.perf_counter()
            task(copy)
            times[name].append(time.perf_counter() - start)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{len(base)} atoms (load average {load}; other jobs may be running)")
    reference = min(times[FORCE_CALL])
    for name, values in times.items():
        best = min(values)
        print(f"  {name:32s} {best * 1e3:9.1f} ms  {best / reference:5.2f}x")


def main(rounds: int = 5) -> None:
    cheap = LinearPotential.load(CHEAP)
    for repeat in (10, 20):
        measure(cheap, repeat, rounds)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
