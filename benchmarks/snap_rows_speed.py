"""How fast SNAP.rows builds fitting rows for bcc W cells.

Claim checked: one LAMMPS instance reused across configurations makes the
fitting block cheap enough to build for thousands of training structures.

Settings are those of the shipped W_2940_2017_2 potential (2J = 8, 55
bispectrum components, cutoff 4.73 Å) with its ZBL baseline. Each
configuration is a rattled bcc W cell; the time includes LAMMPS start-up
(once per call), box and atom creation, ``compute snap``, and assembling rows.

Run: ``python benchmarks/snap_rows_speed.py``
"""

from __future__ import annotations

import time

from ase import Atoms
from ase.build import bulk

from mixpot.descriptors import SNAP, ZBLBaseline

TUNGSTEN = SNAP(["W"], [0.5], twojmax=8, rcutfac=4.73442, bzeroflag=False)
BASELINE = ZBLBaseline(inner=4.0, outer=4.8)

# (label, conventional-cell repeats, number of configurations)
CASES = [("128 atoms", (4, 4, 4), 20), ("1000 atoms", (5, 10, 10), 4)]


def rattled_cells(repeats: tuple[int, int, int], count: int) -> list[Atoms]:
    cells = []
    for seed in range(count):
        atoms = bulk("W", "bcc", a=3.1803, cubic=True) * repeats
        atoms.rattle(0.05, seed=seed)
        cells.append(atoms)
    return cells


def main() -> None:
    TUNGSTEN.rows(rattled_cells((1, 1, 1), 1), baseline=BASELINE)  # warm-up
    header = f"{'cell':>11} {'configs':>8} {'rows/config':>12} {'s/config':>9}"
    print(header + f" {'rows/s':>10} {'atoms/s':>9}")
    for label, repeats, count in CASES:
        cells = rattled_cells(repeats, count)
        start = time.perf_counter()
        rows = TUNGSTEN.rows(cells, baseline=BASELINE)
        elapsed = time.perf_counter() - start
        n_rows, n_atoms = len(rows.kind), int(rows.n_atoms.sum())
        print(
            f"{label:>11} {count:>8d} {n_rows // count:>12d} "
            f"{elapsed / count:>9.3f} {n_rows / elapsed:>10.0f} "
            f"{n_atoms / elapsed:>9.0f}"
        )


if __name__ == "__main__":
    main()
