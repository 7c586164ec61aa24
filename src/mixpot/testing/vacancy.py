"""A W vacancy hop computed with one potential or with energy mixing.

Shared by the mixing tests and ``benchmarks/mixing_vacancy.py``: bcc W with a
central vacancy, the hop of a nearest neighbour into it, the relaxed
formation energy and the climbing-image NEB barrier. The cheap model is a
2J = 6 SNAP + ZBL distilled from the shipped W_2940_2017_2 SNAP by mixpot's
pipeline with a small recipe (seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import Calculator
from ase.mep import NEB
from ase.optimize import FIRE, LBFGS

from mixpot.distill.recipes import quick_tungsten_recipe

LATTICE = 3.1803  # Å, W_2940_2017_2


def cheap_config(twojmax: int = 6, **fit):
    """DistillConfig of a small SNAP distilled from W_2940 (``fit``: FitSettings).

    Per-atom energies are fitted with weight 30 unless ``fit`` says
    otherwise: a SNAP can follow another SNAP's, and energy mixing needs it.

    Examples
    --------
    >>> cheap_config(atom_energy_weight=0).fit.atom_energy_weight
    0
    """
    from mixpot.descriptors import DEFAULT_RCUTFAC, SNAP, ZBLBaseline
    from mixpot.distill.fitting import FitSettings
    from mixpot.distill.pipeline import DistillConfig

    return DistillConfig(
        expensive="lammps:W_snap",
        recipe=quick_tungsten_recipe(),
        descriptor=SNAP(["W"], [0.5], twojmax=twojmax, rcutfac=DEFAULT_RCUTFAC),
        baseline=ZBLBaseline(4.0, 4.8),
        fit=FitSettings(**{"atom_energy_weight": 30.0, **fit}),
        n_ensemble=0,
        properties=False,
    )


@dataclass(frozen=True)
class VacancyHop:
    """End points of a nearest-neighbour vacancy hop in bcc W.

    Attributes
    ----------
    initial, final : ase.Atoms
        Unrelaxed; ``final`` has the hopping atom on the vacant site.
    vacancy, start : ndarray, shape (3,)
        The vacant site and the hopping atom's site (Å).
    repeat : int
        Conventional cells per direction.
    lattice : float
        Lattice constant (Å).
    """

    initial: Atoms
    final: Atoms
    vacancy: np.ndarray
    start: np.ndarray
    repeat: int
    lattice: float

    @classmethod
    def build(cls, repeat: int = 8, lattice: float = LATTICE) -> VacancyHop:
        """Central vacancy in ``repeat``³ conventional cells.

        Examples
        --------
        >>> hop = VacancyHop.build(repeat=4)
        >>> len(hop.initial), float(np.linalg.norm(hop.vacancy - hop.start)) < 2.8
        (127, True)
        """
        initial = perfect_crystal(repeat, lattice)
        centre = initial.cell.sum(axis=0) / 2
        site = int(np.argmin(np.linalg.norm(initial.positions - centre, axis=1)))
        vacancy = initial.positions[site].copy()
        del initial[site]
        hop = int(np.argmin(np.linalg.norm(initial.positions - vacancy, axis=1)))
        start = initial.positions[hop].copy()
        final = initial.copy()
        final.positions[hop] = vacancy
        return cls(initial, final, vacancy, start, repeat, lattice)

    def near_either_end(self, radius: float, atoms: Atoms | None = None) -> np.ndarray:
        """Return the atoms within ``radius`` Å of the vacancy or the start.

        Of ``atoms`` if given (e.g. the perfect crystal), else of ``initial``.
        """
        positions = (self.initial if atoms is None else atoms).positions
        distance = np.minimum(
            np.linalg.norm(positions - self.vacancy, axis=1),
            np.linalg.norm(positions - self.start, axis=1),
        )
        return np.flatnonzero(distance < radius)


def perfect_crystal(repeat: int = 8, lattice: float = LATTICE) -> Atoms:
    """Bcc W, ``repeat``³ conventional cells."""
    return bulk("W", "bcc", a=lattice, cubic=True).repeat(repeat)


def bulk_energy_per_atom(potential, hop: VacancyHop) -> float:
    """Energy per atom (eV) of the hop's perfect crystal with a LinearPotential."""
    atoms = perfect_crystal(hop.repeat, hop.lattice)
    atoms.calc = potential.calculator(uncertainty=False)
    return atoms.get_potential_energy() / len(atoms)


def hop_energetics(
    hop: VacancyHop,
    make_calculator: Callable[[], Calculator],
    n_images: int = 3,
    fmax: float = 0.01,
) -> tuple[float, float]:
    """Relaxed initial-state energy and CI-NEB barrier (eV) of the hop.

    End points are relaxed to 2 meV/Å with LBFGS, the band (``n_images``
    inner images, improved tangent, climbing image) to ``fmax`` with FIRE.
    Each image gets its own ``make_calculator()``.
    """
    initial, final = hop.initial.copy(), hop.final.copy()
    images = [initial] + [initial.copy() for _ in range(n_images)] + [final]
    for image in images:
        image.calc = make_calculator()
    for end in (initial, final):
        LBFGS(end, logfile=None).run(fmax=2e-3, steps=500)
    energy = initial.get_potential_energy()
    band = NEB(images, climb=True, method="improvedtangent")
    band.interpolate()
    FIRE(band, logfile=None).run(fmax=fmax, steps=1000)
    barrier = max(image.get_potential_energy() for image in images) - energy
    return energy, barrier


def single_model_energetics(potential, hop: VacancyHop) -> dict[str, float]:
    """Return E_f and barrier (eV) with one LinearPotential everywhere."""
    energy, barrier = hop_energetics(
        hop, lambda: potential.calculator(uncertainty=False)
    )
    mu = bulk_energy_per_atom(potential, hop)
    return {"formation": energy - len(hop.initial) * mu, "barrier": barrier}


def mixed_energetics(
    expensive,
    cheap,
    hop: VacancyHop,
    r_core: float = 3.0,
    r_blend: float = 5.0,
    r_buff: float = 5.0,
    seed_radius: float = 3.0,
) -> dict:
    """Return E_f and barrier (eV) with energy mixing of two LinearPotentials.

    Seeds: atoms within ``seed_radius`` Å of either end of the hop; one
    region, built on the initial state, is shared by all images. The
    formation energy is taken against
    :func:`~mixpot.mixing.reference_energy`. Also returns the region
    (``"state"``).
    """
    from mixpot.mixing import MixedCalculator, Regions, reference_energy

    regions = Regions(
        hop.near_either_end(seed_radius), r_core=r_core, r_blend=r_blend, r_buff=r_buff
    )
    state = regions.update(hop.initial)

    def make_calculator():
        calc = MixedCalculator(
            expensive.calculator(uncertainty=False),
            cheap.calculator(uncertainty=False),
            regions,
            mode="energy",
        )
        calc.fix_regions(state)
        return calc

    energy, barrier = hop_energetics(hop, make_calculator)
    reference = reference_energy(
        hop.initial,
        state.weights,
        {"W": bulk_energy_per_atom(expensive, hop)},
        {"W": bulk_energy_per_atom(cheap, hop)},
    )
    return {"formation": energy - reference, "barrier": barrier, "state": state}
