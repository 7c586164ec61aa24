"""Shared systems for the distillation tests: W EAM as the expensive model."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from mixpot.distill import Recipe, all_configurations, sample
from mixpot.models import expensive_calculator

from ..conftest import W_LATTICE_CONSTANT


class SimulatedKill(BaseException):
    """Stands for SIGKILL: not an Exception, so labelling cannot catch it."""


class WrappedCalculator(Calculator):
    """Delegate to ``inner``, counting calls; optionally die or misbehave.

    ``kill_after`` raises :class:`SimulatedKill` on call ``kill_after + 1``;
    ``poisoned(atoms)`` true gives a NaN energy, ``broken(atoms)`` true raises.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies"]

    def __init__(
        self,
        inner: Calculator,
        kill_after: int | None = None,
        poisoned: Callable[[Atoms], bool] | None = None,
        broken: Callable[[Atoms], bool] | None = None,
    ) -> None:
        super().__init__()
        self.inner = inner
        self.kill_after = kill_after
        self.poisoned = poisoned
        self.broken = broken
        self.calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        """Count the call, then die, raise or delegate to ``inner``."""
        super().calculate(atoms, properties, system_changes)
        if self.kill_after is not None and self.calls >= self.kill_after:
            raise SimulatedKill(f"killed after {self.calls} calls")
        self.calls += 1
        if self.broken is not None and self.broken(self.atoms):
            raise RuntimeError("the model diverged")
        work = self.atoms.copy()
        work.calc = self.inner
        energy = work.get_potential_energy()
        if self.poisoned is not None and self.poisoned(self.atoms):
            energy = np.nan
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": work.get_forces(),
            "stress": work.get_stress(),
            "energies": work.get_potential_energies(),
        }


@pytest.fixture(scope="module")
def w_eam_with_mo() -> Calculator:
    """W EAM with a second type, "Mo", that is W with the mass of Mo."""
    spec = "lammps:pair_style eam/alloy;pair_coeff * * W_zhou.eam.alloy W W"
    return expensive_calculator(spec, elements=["W", "Mo"])


@pytest.fixture(scope="module")
def small_recipe() -> Recipe:
    """A few of every kind of configuration, on small W cells."""
    return Recipe(
        ["W", "Mo"],
        "bcc",
        W_LATTICE_CONSTANT,
        repeat=2,
        temperatures=[300.0, 1000.0],
        n_frames=2,
        frame_interval=10.0,
        timestep=2.0,
        n_strains=5,
        n_rattled=3,
        defects=["vacancy", "self-interstitial", "substitution:Mo", "surface:110"],
        n_defect_rattled=1,
        n_defect_frames=1,
    )


@pytest.fixture(scope="module")
def small_groups(small_recipe, w_eam_with_mo) -> list[tuple[str, list[Atoms]]]:
    """The groups sampled from ``small_recipe`` with random_state 7."""
    return sample(small_recipe, w_eam_with_mo, random_state=7)


@pytest.fixture(scope="module")
def configurations(w_eam) -> list[Atoms]:
    """Twenty-odd W configurations to label (MD, strains, rattles, vacancy)."""
    recipe = Recipe(
        ["W"],
        "bcc",
        W_LATTICE_CONSTANT,
        repeat=2,
        temperatures=[600.0],
        n_frames=3,
        frame_interval=10.0,
        timestep=2.0,
        n_strains=3,
        n_rattled=2,
        defects=["vacancy"],
    )
    return all_configurations(sample(recipe, w_eam, random_state=3))
