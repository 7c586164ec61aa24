"""Materials properties that a distilled potential must get right.

Computed the same way for the expensive and the cheap model (and for every
member of the cheap model's POPS ensemble), so they compare like with like:
the cubic lattice constant (the stable zero-stress root nearest the guess,
else nearest the energy minimum of
:func:`~mixpot.distill.sampling.relaxed_lattice_constant`), the
cubic elastic constants C11, C12, C44 (relaxed-ion: by the central stress
differences of :mod:`~mixpot.distill.elastic_constraints`, the formula the
exact constraints impose, with the internal-strain relaxation of diamond's
C44 in closed form) and the relaxed vacancy formation energy at fixed cell.
:func:`elastic_constants` is an independent check: stress–strain with the
atoms relaxed by BFGS at every strain.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import Calculator
from ase.optimize import BFGS
from ase.units import GPa

from .elastic_constraints import (
    elastic_values,
    in_report_units,
    zero_stress_lattice_constant,
)
from .sampling import relaxed_lattice_constant

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CubicProperties:
    """Lattice constant (Å), C11, C12, C44 (GPa) and vacancy energy (eV)."""

    lattice_constant: float
    c11: float
    c12: float
    c44: float
    vacancy_formation_energy: float

    def as_dict(self) -> dict[str, float]:
        """Return the properties by name."""
        return asdict(self)


def cubic_cell(element: str, lattice: str, a: float) -> Atoms:
    """Conventional cubic cell of ``lattice`` ("bcc", "fcc", "diamond", "sc")."""
    return bulk(element, lattice, a=a, cubic=True)


def elastic_constants(
    calc: Calculator,
    element: str,
    lattice: str,
    a: float,
    strain: float = 0.002,
    fmax: float = 1e-4,
) -> tuple[float, float, float]:
    """Relaxed-ion C11, C12, C44 (GPa) from central stress differences.

    Atoms relax at each strained cell, which matters for lattices with a
    basis (diamond C44); Bravais lattices need no relaxation.
    """
    stresses = {}
    for name, index in (("normal", (0, 0)), ("shear", (1, 2))):
        for sign in (1, -1):
            deformation = np.eye(3)
            deformation[index] += sign * strain
            if name == "shear":
                deformation[index[::-1]] += sign * strain
            stresses[name, sign] = _relaxed_stress(
                calc, cubic_cell(element, lattice, a), deformation, fmax
            )
    d_normal = (stresses["normal", 1] - stresses["normal", -1]) / (2 * strain)
    d_shear = (stresses["shear", 1] - stresses["shear", -1]) / (2 * strain)
    c11, c12 = d_normal[0] / GPa, 0.5 * (d_normal[1] + d_normal[2]) / GPa
    # Voigt shear: engineering strain 2ε_yz pairs with stress σ_yz.
    c44 = d_shear[3] / 2 / GPa
    return float(c11), float(c12), float(c44)


def vacancy_formation_energy(
    calc: Calculator,
    element: str,
    lattice: str,
    a: float,
    repeat: int = 3,
    fmax: float = 1e-3,
) -> float:
    """Relaxed vacancy formation energy (eV) at fixed cell.

    ``E_f = E(N−1, relaxed) − (N−1)/N · E(N)`` in a ``repeat³`` supercell of
    the conventional cell.
    """
    perfect = cubic_cell(element, lattice, a).repeat(repeat)
    perfect.calc = calc
    energy_perfect = perfect.get_potential_energy()
    defective = perfect.copy()
    del defective[0]
    defective.calc = calc
    _relax_positions(defective, fmax)
    n_atoms = len(perfect)
    return float(
        defective.get_potential_energy() - (n_atoms - 1) / n_atoms * energy_perfect
    )


def cubic_properties(
    calc: Calculator, element: str, lattice: str, guess: float
) -> CubicProperties:
    """All of the above for one model.

    Raises
    ------
    RuntimeError
        When the model has no mechanically stable crystal near ``guess``
        (no stable zero-stress root, or Born's conditions fail there).

    Examples
    --------
    >>> from ase.calculators.emt import EMT
    >>> props = cubic_properties(EMT(), "Cu", "fcc", 3.6)
    >>> 100 < props.c11 < 200 and props.vacancy_formation_energy > 0
    True
    """
    try:
        a = zero_stress_lattice_constant(calc, element, lattice, guess)
    except RuntimeError:  # no stable root near the guess: scan the energy
        minimum = relaxed_lattice_constant(element, lattice, calc, guess)
        a = zero_stress_lattice_constant(calc, element, lattice, minimum)
    moduli = in_report_units(elastic_values(calc, element, lattice, a))
    c11, c12 = moduli["c11"], moduli["c12"]
    c44 = moduli.get("c44_relaxed", moduli["c44"])
    if not (c11 - c12 > 0 and c11 + 2 * c12 > 0 and c44 > 0):
        raise RuntimeError(
            f"{element} ({lattice}) at a = {a:.4f} Å is not mechanically stable: "
            f"C11 = {c11:.1f}, C12 = {c12:.1f}, C44 = {c44:.1f} GPa."
        )
    vacancy = vacancy_formation_energy(calc, element, lattice, a)
    logger.info(
        "a=%.4f Å C11=%.1f C12=%.1f C44=%.1f GPa E_vac=%.3f eV",
        a,
        c11,
        c12,
        c44,
        vacancy,
    )
    return CubicProperties(a, c11, c12, c44, vacancy)


def _relaxed_stress(
    calc: Calculator, atoms: Atoms, deformation: np.ndarray, fmax: float
) -> np.ndarray:
    atoms.set_cell(atoms.cell.array @ deformation.T, scale_atoms=True)
    atoms.calc = calc
    _relax_positions(atoms, fmax)
    return atoms.get_stress()


def _relax_positions(atoms: Atoms, fmax: float) -> None:
    if len(atoms) > 1 and np.abs(atoms.get_forces()).max() > fmax:
        BFGS(atoms, logfile=None).run(fmax=fmax, steps=500)
