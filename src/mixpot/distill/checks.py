"""Checks of a distillation's input, run before any expensive work.

The commonest mistakes used to surface as tracebacks deep in sampling or
after all the labelling (issue 11). They are caught here, each with a
message that says what was wrong and what to do:

* :func:`check_elements` — unknown or mis-cased chemical symbols;
* :func:`check_crystal` — an implausible lattice constant, from the
  nearest-neighbour distance against the element's known one, then from one
  expensive evaluation of the perfect crystal (finite energy, bound against
  the isolated atom, no forces — the perfect crystal has none by symmetry —,
  and a pressure below :data:`MAX_PRESSURE_GPA`).

Which elements a model covers is checked by
:func:`mixpot.models.check_covers` and the model's builder.

Examples
--------
>>> check_elements(["W", "He"])
>>> try:
...     check_elements(["w"])
... except ValueError as error:
...     print(str(error).split(": ")[-1])
did you mean 'W'? (symbols are case-sensitive)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase.build import bulk
from ase.calculators.calculator import Calculator
from ase.data import atomic_numbers, covalent_radii, reference_states
from ase.units import GPa

from .recipes import NEAREST_NEIGHBOUR_RATIO
from .solutes import isolated_atom

#: Nearest-neighbour distance accepted, as a share of the element's known one.
NEIGHBOUR_RANGE = (0.8, 1.25)
#: Largest |pressure| (GPa) of the perfect crystal at a given lattice constant.
MAX_PRESSURE_GPA = 100.0
#: Largest force (eV/Å) on an atom of the perfect crystal (zero by symmetry).
MAX_PERFECT_FORCE = 1e-2


def check_elements(
    elements: Sequence[str], name: str = "elements", owner: str = "Recipe"
) -> None:
    """Raise ValueError for a symbol that is not a chemical element.

    A mis-cased symbol ("w", "HE") gets the right one suggested.
    """
    if isinstance(elements, str) or not len(elements):
        raise ValueError(
            f"The {name!r} parameter of {owner} must be a non-empty list of chemical "
            f"symbols, e.g. ['W', 'He']. Got {elements!r}."
        )
    for symbol in elements:
        if isinstance(symbol, str) and symbol in atomic_numbers and symbol != "X":
            continue
        hint = ""
        if isinstance(symbol, str) and symbol.capitalize() in atomic_numbers:
            hint = (
                f": did you mean {symbol.capitalize()!r}? (symbols are case-sensitive)"
            )
        raise ValueError(
            f"The {name!r} parameter of {owner} must hold chemical symbols. "
            f"Got {symbol!r}{hint or ', which is no element'}"
        )
    if len(set(elements)) != len(elements):
        raise ValueError(
            f"The {name!r} parameter of {owner} must hold distinct symbols. "
            f"Got {list(elements)}."
        )


def expected_neighbour_distance(element: str) -> float:
    """Nearest-neighbour distance (Å) of the element's reference crystal.

    ASE's reference state when it gives a cubic or hcp lattice constant,
    else twice the covalent radius.

    Examples
    --------
    >>> round(expected_neighbour_distance("W"), 3)
    2.737
    """
    number = atomic_numbers[element]
    state = reference_states[number] or {}
    symmetry, a = state.get("symmetry"), state.get("a")
    if a and symmetry in NEAREST_NEIGHBOUR_RATIO:
        return float(a) * NEAREST_NEIGHBOUR_RATIO[symmetry]
    if a and symmetry == "hcp":
        return float(a)
    return 2 * float(covalent_radii[number])


def check_crystal(calc: Calculator, element: str, lattice: str, a: float) -> None:
    """Raise ValueError if ``a`` cannot be the lattice constant of this crystal.

    Parameters
    ----------
    calc : ase.calculators.calculator.Calculator
        The expensive model (evaluated on the perfect cubic cell and on one
        isolated atom).
    element, lattice : str
    a : float
        Cubic lattice constant (Å).

    Examples
    --------
    >>> from mixpot.models import expensive_calculator
    >>> calc = expensive_calculator("lammps:W_zhou")
    >>> check_crystal(calc, "W", "bcc", 3.165)
    >>> try:
    ...     check_crystal(calc, "W", "bcc", 2.0)
    ... except ValueError as error:
    ...     print(str(error)[:71])
    The lattice constant 2 Å of bcc W puts nearest neighbours 1.732 Å apart
    """
    advice = (
        "check the lattice constant (Å, the edge of the cubic cell, e.g. "
        "--lattice-constant), or leave it out to relax it with the expensive model."
    )
    neighbour = a * NEAREST_NEIGHBOUR_RATIO[lattice]
    expected = expected_neighbour_distance(element)
    ratio = neighbour / expected
    if not NEIGHBOUR_RANGE[0] <= ratio <= NEIGHBOUR_RANGE[1]:
        raise ValueError(
            f"The lattice constant {a:g} Å of {lattice} {element} puts nearest "
            f"neighbours {neighbour:.3f} Å apart, {ratio:.2f} × the {expected:.3f} "
            f"Å known for {element}: {advice}"
        )
    atoms = bulk(element, lattice, a=a, cubic=True)
    atoms.calc = calc
    energy = atoms.get_potential_energy() / len(atoms)
    forces = atoms.get_forces()
    pressure = -float(np.trace(atoms.get_stress(voigt=False))) / 3 / GPa
    problem = None
    if not (np.isfinite(energy) and np.isfinite(forces).all()):
        problem = "a non-finite energy or force"
    elif np.abs(forces).max() > MAX_PERFECT_FORCE:
        problem = (
            f"forces up to {np.abs(forces).max():.3g} eV/Å on the perfect crystal, "
            "which has none by symmetry (is the element map of the model right?)"
        )
    elif abs(pressure) > MAX_PRESSURE_GPA:
        problem = f"a pressure of {pressure:.0f} GPa"
    else:
        isolated = isolated_atom(element)
        isolated.calc = calc
        cohesive = isolated.get_potential_energy() - energy
        if not cohesive > 0:
            problem = (
                f"an energy {-cohesive:.3f} eV/atom above the isolated atom's "
                "(the crystal is not bound)"
            )
    if problem:
        raise ValueError(
            f"The expensive model gives {lattice} {element} at a = {a:g} Å "
            f"{problem}: {advice}"
        )
