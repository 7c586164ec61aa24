"""Conformance checks for any ASE calculator: forces and stress vs. its energy.

A calculator that claims an energy must return its exact gradients:
forces ``F = -∂E/∂r`` and the ASE stress ``σ = (1/V) ∂E/∂ε`` (ε a small
homogeneous strain, atoms moving with the cell). :func:`check_forces`
compares the forces with central differences of the energy, one atomic
coordinate at a time; :func:`check_stress` compares the stress with central
differences over the six symmetric strains. Both return the largest
absolute error and raise :class:`AssertionError`, naming the worst entry,
when an entry differs by more than ``atol + rtol * |numerical|``.

The calculator is evaluated on copies of ``atoms``; ``atoms`` itself is not
moved. Central differences have an error of order ``h²`` (``h`` the
displacement or strain), and the energy's own rounding contributes about
``eps·|E| / h``: for a float32 model, take a larger ``h`` and ``atol``.

Examples
--------
>>> from ase.build import bulk
>>> from ase.calculators.emt import EMT
>>> atoms = bulk("Cu", cubic=True)
>>> atoms.rattle(0.05, seed=0)
>>> atoms.calc = EMT()
>>> check_forces(atoms) < 1e-5
True
>>> check_stress(atoms) < 1e-6
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from mixpot.lammps import VOIGT_PAIRS

AXES = "xyz"
VOIGT_NAMES = ("xx", "yy", "zz", "yz", "xz", "xy")


def check_forces(
    atoms: Atoms,
    calc: Calculator | None = None,
    *,
    displacement: float = 1e-3,
    atol: float = 1e-4,
    rtol: float = 1e-3,
    indices: Sequence[int] | None = None,
) -> float:
    """Check forces against central differences of the energy.

    Parameters
    ----------
    atoms : ase.Atoms
        Configuration to check at.
    calc : ase.calculators.calculator.Calculator, optional
        Calculator to check; default ``atoms.calc``.
    displacement : float, default=1e-3
        Displacement ``h`` (Å) of each coordinate.
    atol : float, default=1e-4
        Absolute tolerance (eV/Å).
    rtol : float, default=1e-3
        Tolerance relative to the numerical force.
    indices : sequence of int, optional
        Atoms whose forces are checked (each costs six energies); default all.

    Returns
    -------
    float
        Largest ``|F - F_numerical|`` (eV/Å) over the checked entries.

    Raises
    ------
    AssertionError
        When an entry differs by more than ``atol + rtol * |F_numerical|``.
    ValueError
        For a bad parameter (a calculator without energy, say).

    Examples
    --------
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> atoms = bulk("Cu", cubic=True)
    >>> atoms.rattle(0.05, seed=0)
    >>> check_forces(atoms, EMT(), indices=[0]) < 1e-5
    True
    """
    work = _prepared(atoms, calc, "check_forces")
    _check_tolerances("check_forces", displacement, "displacement", atol, rtol)
    chosen = _checked_indices(indices, len(atoms))
    analytic_nc = work.get_forces()[chosen]
    numerical_nc = np.empty_like(analytic_nc)
    for row, atom in enumerate(chosen):
        for axis in range(3):
            moved = partial(_energy_moved, work, atom, axis)
            numerical_nc[row, axis] = -_central_difference(moved, displacement)
    labels = [f"atom {atom}, {AXES[axis]}" for atom in chosen for axis in range(3)]
    return _compared(
        "forces", work.calc, analytic_nc, numerical_nc, labels, atol, rtol, "eV/Å"
    )


def check_stress(
    atoms: Atoms,
    calc: Calculator | None = None,
    *,
    strain: float = 1e-4,
    atol: float = 1e-6,
    rtol: float = 1e-3,
) -> float:
    """Check the ASE stress against central differences over strains.

    Parameters
    ----------
    atoms : ase.Atoms
        Configuration periodic in all three directions.
    calc : ase.calculators.calculator.Calculator, optional
        Calculator to check; default ``atoms.calc``.
    strain : float, default=1e-4
        Amplitude ``h`` of each symmetric strain (dimensionless).
    atol : float, default=1e-6
        Absolute tolerance (eV/Å^3; 1e-6 eV/Å^3 is 0.16 MPa).
    rtol : float, default=1e-3
        Tolerance relative to the numerical stress.

    Returns
    -------
    float
        Largest ``|σ - σ_numerical|`` (eV/Å^3) over the six Voigt entries.

    Raises
    ------
    AssertionError
        When an entry differs by more than ``atol + rtol * |σ_numerical|``.
    ValueError
        For a bad parameter (an open cell, a calculator without energy).

    Examples
    --------
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> check_stress(bulk("Cu", "fcc", a=3.7), EMT()) < 1e-6
    True
    """
    work = _prepared(atoms, calc, "check_stress")
    _check_tolerances("check_stress", strain, "strain", atol, rtol)
    if not atoms.pbc.all():
        raise ValueError(
            "The 'atoms' parameter of check_stress must be periodic in all "
            f"three directions (the stress needs a volume). Got pbc="
            f"{atoms.pbc.tolist()}."
        )
    analytic = work.get_stress(voigt=True)
    volume = work.get_volume()
    numerical = np.array(
        [
            _central_difference(partial(_energy_strained, work, a, b), strain) / volume
            for a, b in VOIGT_PAIRS
        ]
    )
    labels = [f"stress {name}" for name in VOIGT_NAMES]
    return _compared(
        "stress", work.calc, analytic, numerical, labels, atol, rtol, "eV/Å^3"
    )


def _prepared(atoms: Atoms, calc: Calculator | None, function: str) -> Atoms:
    """Return a copy of ``atoms`` carrying the calculator, after checking both."""
    if not isinstance(atoms, Atoms):
        raise ValueError(
            f"The 'atoms' parameter of {function} must be an ase.Atoms. "
            f"Got {type(atoms).__name__}."
        )
    calc = atoms.calc if calc is None else calc
    if calc is None:
        raise ValueError(
            f"The 'calc' parameter of {function} must be an ASE calculator "
            "(or atoms must carry one). Got None."
        )
    implemented = getattr(calc, "implemented_properties", ())
    if "energy" not in implemented:
        raise ValueError(
            f"The 'calc' parameter of {function} must implement 'energy': "
            f"its gradients are what is checked. Got {type(calc).__name__} "
            f"with implemented_properties {list(implemented)}."
        )
    work = atoms.copy()
    work.calc = calc
    return work


def _check_tolerances(
    function: str, step: float, step_name: str, atol: float, rtol: float
) -> None:
    for name, value, minimum, strict in (
        (step_name, step, 0.0, True),
        ("atol", atol, 0.0, False),
        ("rtol", rtol, 0.0, False),
    ):
        valid = isinstance(value, int | float) and np.isfinite(value)
        valid = valid and (value > minimum if strict else value >= minimum)
        if not valid:
            bound = "> 0" if strict else ">= 0"
            raise ValueError(
                f"The {name!r} parameter of {function} must be a float {bound}. "
                f"Got {value!r}."
            )


def _checked_indices(indices: Sequence[int] | None, n_atoms: int) -> list[int]:
    if indices is None:
        return list(range(n_atoms))
    chosen = [int(index) for index in indices]
    if not chosen or any(not 0 <= index < n_atoms for index in chosen):
        raise ValueError(
            "The 'indices' parameter of check_forces must be a non-empty list "
            f"of atom indices in [0, {n_atoms}). Got {list(indices)!r}."
        )
    return chosen


def _central_difference(energy_of: Callable[[float], float], h: float) -> float:
    """``dE/dt`` at t = 0 from E(±h)."""
    return (energy_of(h) - energy_of(-h)) / (2 * h)


def _energy_moved(atoms: Atoms, atom: int, axis: int, t: float) -> float:
    moved = atoms.copy()
    moved.calc = atoms.calc
    moved.positions[atom, axis] += t
    return moved.get_potential_energy()


def _energy_strained(atoms: Atoms, a: int, b: int, t: float) -> float:
    """Energy under the symmetric strain ε_ab = ε_ba = t (t/2 each off-diagonal)."""
    deformation = np.eye(3)
    if a == b:
        deformation[a, a] += t
    else:
        deformation[a, b] += t / 2
        deformation[b, a] += t / 2
    strained = atoms.copy()
    strained.calc = atoms.calc
    strained.set_cell(atoms.cell.array @ deformation, scale_atoms=True)
    return strained.get_potential_energy()


def _compared(
    quantity: str,
    calc: Calculator,
    analytic: np.ndarray,
    numerical: np.ndarray,
    labels: list[str],
    atol: float,
    rtol: float,
    unit: str,
) -> float:
    """Max |analytic - numerical|; AssertionError naming the worst excess."""
    error = np.abs(np.ravel(analytic) - np.ravel(numerical))
    excess = error - (atol + rtol * np.abs(np.ravel(numerical)))
    worst = int(np.argmax(excess))
    if excess[worst] > 0:
        raise AssertionError(
            f"The {quantity} of {type(calc).__name__} "
            f"{'is' if quantity == 'stress' else 'are'} not the gradient of "
            f"its energy: at {labels[worst]} it gives "
            f"{np.ravel(analytic)[worst]:.6g} {unit}, central differences "
            f"{np.ravel(numerical)[worst]:.6g} {unit} (error {error[worst]:.3g}; "
            f"tolerance atol={atol:g} + rtol={rtol:g} × |numerical|). Largest "
            f"error over all entries: {error.max():.3g} {unit}."
        )
    return float(error.max())
