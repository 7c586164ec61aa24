"""Distil the cheap potential of ``w_vacancy_mixed.toml`` (about a minute).

A 2J = 6 linear SNAP with a ZBL core, distilled by mixpot's own pipeline from
the W_2940_2017_2 SNAP that ships with LAMMPS (standing in for an expensive
MLIP): Langevin MD of 2×2×2 bcc cells at 300 and 1200 K, the strain set,
rattled cells and a vacancy, fitted with per-atom energies (weight 30) so
that energy mixing sees compatible per-atom energies. Written with its POPS
posterior and the per-atom uncertainty threshold of its hottest perfect-
crystal MD frames (the default of ``criterion = {name = "uncertainty"}``),
about 20 KB:

    python examples/make_w_cheap.py            # writes examples/w_cheap_2j6.npz
"""

import sys
import tempfile
from pathlib import Path

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.distill import quick_tungsten_recipe
from mixpot.distill.fitting import FitSettings
from mixpot.distill.pipeline import DistillConfig, distil
from mixpot.potentials import hottest_crystal_frames

HERE = Path(__file__).resolve().parent


def main(out: Path = HERE / "w_cheap_2j6.npz") -> Path:
    recipe = quick_tungsten_recipe()  # 2×2×2 cells: MD, strains, rattles, vacancy
    config = DistillConfig(
        expensive="lammps:W_snap",
        recipe=recipe,
        descriptor=SNAP(["W"], [0.5], twojmax=6, rcutfac=4.73442),
        baseline=ZBLBaseline(4.0, 4.8),
        fit=FitSettings(atom_energy_weight=30.0),
        n_ensemble=0,
        properties=False,
        random_state=0,
    )
    with tempfile.TemporaryDirectory() as folder:
        fit = distil(config, folder, progress=False).fit
    # Threshold over every labelled 1200 K frame (training and held out).
    frames = hottest_crystal_frames(fit.train + fit.test)
    return fit.potential.with_uncertainty_threshold(frames).save(out)


if __name__ == "__main__":
    path = main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "w_cheap_2j6.npz")
    print(f"cheap potential: {path} ({path.stat().st_size / 1024:.1f} KB)")
