"""Zero stress and elastic constants as exact linear constraints of the fit.

For a linear potential ``E = θ·ΣB + baseline`` every stress and force of a
fixed configuration is linear in θ, and so is any finite difference of them.
This module measures a handful of such differences on the perfect cubic
crystal at the expensive model's zero-stress lattice constant ``a0``:

* ``pressure`` — the mean diagonal stress of the unstrained cell (constrained
  to 0: the cheap crystal is then in equilibrium at ``a0``);
* ``c11``, ``c12``, ``c44`` — clamped-ion (unrelaxed) elastic constants by
  central stress differences at ±``strain`` (normal ``ε_xx``, shear
  ``ε_yz = ε_zy``; Voigt ``C44 = dσ_yz / dγ``, ``γ = 2ε_yz``);
* for the diamond lattice (a basis of two atoms) also ``internal_strain``
  ``L = dF/dγ`` (eV/Å), the force along x on the second sublattice per unit
  shear, and ``optical_stiffness`` ``Φ = −dF/du`` (eV/Å²), the restoring
  force on that sublattice displaced rigidly by u along x.

The *same* formula, on the *same* cells with the same step, gives the values
of any ASE calculator (:func:`elastic_values`) and the rows of a linear SNAP
(:func:`elastic_constraints`), so the cheap and the expensive model are
judged identically. In a Bravais lattice (bcc, fcc, sc) every atom is a
centre of inversion: homogeneous strain moves no atom off equilibrium, and
the clamped-ion constants *are* the relaxed ones. In diamond the shear
``ε_yz`` pulls the sublattices apart along x; the relaxed-ion constant is
``C44 = C44⁰ − n_B L² / (V Φ)`` (harmonic elimination of the sublattice
shift; n_B atoms displaced in a cell of volume V), a ratio of linear
quantities: constraining ``C44⁰``, ``L`` and ``Φ`` separately makes the
relaxed-ion C44 equal the expensive model's too. C11 and C12 of diamond
have no internal relaxation (by symmetry a normal strain exerts no force).

The step: central differences err by O(step²) through the third-order
constants; smaller steps meet the noise of the labels. At the default 1e-3,
C11 of W_2940 (SNAP) and of Zhou's W EAM agree with the curvature of an
energy–strain polynomial fit over ±1% to 9e-6 and 4e-5 relative (2e-3:
3.5e-5 and 1.5e-4); with SevenNet-0's float32 stresses a step of 1e-4 moves
C11 by 5e-4 relative, 1e-3 is stable to 1e-4 (C44 to 2e-3 between 1e-3 and
2e-3 on its soft 25 GPa). Either way far below the 2% goal, and the cheap
and the expensive model share the formula.

Examples
--------
>>> from mixpot.models import expensive_calculator
>>> calc = expensive_calculator("lammps:W_zhou")
>>> reference = elastic_reference(calc, "W", "bcc", 3.16)
>>> round(reference.lattice_constant, 4), round(reference.gpa()["c44"])
(3.1648, 161)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.calculators.calculator import Calculator
from ase.units import GPa
from scipy.optimize import brentq

from mixpot.descriptors import SNAP, ZBLBaseline

logger = logging.getLogger(__name__)

#: Strain step of the central differences (dimensionless); see module doc.
STRAIN_STEP = 1e-3
#: Lattices the constraints know (``"diamond"`` has a two-atom basis).
LATTICES = ("bcc", "fcc", "sc", "diamond")
ELASTIC_NAMES = ("c11", "c12", "c44")
#: Relative half-widths tried in turn to bracket the zero-stress root.
BRACKETS = (1e-4, 1e-3, 5e-3, 0.02, 0.05, 0.15)
INTERNAL_NAMES = ("internal_strain", "optical_stiffness")
#: Unit factor from eV-based values to report units.
_IN_REPORT_UNITS = {
    "pressure": 1 / GPa,
    "c11": 1 / GPa,
    "c12": 1 / GPa,
    "c44": 1 / GPa,
    "c44_relaxed": 1 / GPa,
    "internal_strain": 1.0,
    "optical_stiffness": 1.0,
}


@dataclass(frozen=True)
class ElasticReference:
    """The expensive model's values that the constraints impose.

    Attributes
    ----------
    element, lattice : str
        The cubic crystal.
    lattice_constant : float
        Zero-stress lattice constant ``a0`` (Å) of the expensive model.
    strain : float
        Step of the central differences.
    values : dict of str to float
        ``pressure``, ``c11``, ``c12``, ``c44`` (eV/Å³; pressure is the
        expensive model's residual at ``a0``, not imposed: the constraint
        is 0) and for diamond ``internal_strain`` (eV/Å),
        ``optical_stiffness`` (eV/Å²) and the derived ``c44_relaxed``.
    """

    element: str
    lattice: str
    lattice_constant: float
    strain: float = STRAIN_STEP
    values: dict = field(default_factory=dict)

    def gpa(self) -> dict[str, float]:
        """Return the values in report units (GPa for stresses and moduli)."""
        return in_report_units(self.values)

    def as_dict(self) -> dict:
        """Plain values (for JSON)."""
        return {
            "element": self.element,
            "lattice": self.lattice,
            "lattice_constant": self.lattice_constant,
            "strain": self.strain,
            "values": dict(self.values),
        }

    @classmethod
    def from_dict(cls, values: dict) -> ElasticReference:
        """Inverse of :meth:`as_dict`."""
        return cls(**values)


def in_report_units(values: dict[str, float]) -> dict[str, float]:
    """Convert eV-based elastic values to GPa (moduli), eV/Å and eV/Å²."""
    return {name: value * _IN_REPORT_UNITS[name] for name, value in values.items()}


def constrained_names(lattice: str) -> tuple[str, ...]:
    """Names of the quantities constrained for ``lattice``."""
    _check_lattice(lattice)
    internal = INTERNAL_NAMES if lattice == "diamond" else ()
    return ("pressure", *ELASTIC_NAMES, *internal)


def elastic_cells(
    element: str, lattice: str, a: float, strain: float = STRAIN_STEP
) -> list[Atoms]:
    """Build the perfect cubic cells the differences are taken on.

    Unstrained, ±normal strain ``ε_xx``, ±shear ``ε_yz``; for diamond also
    the unstrained cell with the second sublattice moved by ±``strain · a``
    along x. Positions scale with the cell (clamped ions).
    """
    _check_lattice(lattice)
    cells = [_deformed(element, lattice, a, np.eye(3))]
    for index in ((0, 0), (1, 2)):
        for sign in (1, -1):
            deformation = np.eye(3)
            deformation[index] += sign * strain
            deformation[index[::-1]] = deformation[index]
            cells.append(_deformed(element, lattice, a, deformation))
    if lattice == "diamond":
        for sign in (1, -1):
            shifted = _deformed(element, lattice, a, np.eye(3))
            shifted.positions[second_sublattice(shifted), 0] += sign * strain * a
            cells.append(shifted)
    return cells


def second_sublattice(atoms: Atoms) -> np.ndarray:
    """Mask of the atoms at (¼, ¼, ¼) + fcc in a conventional diamond cell."""
    quarter = np.rint(4 * atoms.cell.scaled_positions(atoms.positions)[:, 0])
    return quarter.astype(int) % 2 == 1


def functionals(cells: list[Atoms], lattice: str, strain: float) -> dict:
    """Coefficients of each measured quantity over the cells' observables.

    Observables are, cell after cell, the six ASE stress components (Voigt)
    then the forces (atom-major, x y z); each quantity is a fixed linear
    combination of them.
    """
    sizes = [6 + 3 * len(atoms) for atoms in cells]
    starts = np.cumsum([0, *sizes[:-1]])
    n_observables = int(sum(sizes))

    def stress(cell: int, component: int) -> np.ndarray:
        vector = np.zeros(n_observables)
        vector[starts[cell] + component] = 1.0
        return vector

    def mean_force_x(cell: int) -> np.ndarray:
        vector = np.zeros(n_observables)
        movers = np.flatnonzero(second_sublattice(cells[cell]))
        vector[starts[cell] + 6 + 3 * movers] = 1.0 / len(movers)
        return vector

    result = {
        "pressure": (stress(0, 0) + stress(0, 1) + stress(0, 2)) / 3,
        "c11": (stress(1, 0) - stress(2, 0)) / (2 * strain),
        "c12": (stress(1, 1) + stress(1, 2) - stress(2, 1) - stress(2, 2))
        / (4 * strain),
        "c44": (stress(3, 3) - stress(4, 3)) / (4 * strain),
    }
    if lattice == "diamond":
        a = cells[0].cell[0, 0]
        result["internal_strain"] = (mean_force_x(3) - mean_force_x(4)) / (4 * strain)
        result["optical_stiffness"] = -(mean_force_x(5) - mean_force_x(6)) / (
            2 * strain * a
        )
    return result


def elastic_values(
    calc: Calculator,
    element: str,
    lattice: str,
    a: float,
    strain: float = STRAIN_STEP,
) -> dict[str, float]:
    """Pressure and clamped-ion C11, C12, C44 (eV/Å³) of ``calc`` at ``a``.

    For diamond also ``internal_strain``, ``optical_stiffness`` and the
    relaxed-ion ``c44_relaxed``. Use :func:`in_report_units` for GPa.

    Examples
    --------
    >>> from mixpot.models import expensive_calculator
    >>> values = elastic_values(expensive_calculator("lammps:Si_sw"),
    ...                         "Si", "diamond", 5.431)
    >>> moduli = in_report_units(values)
    >>> round(moduli["c44"]), round(moduli["c44_relaxed"])
    (110, 56)
    """
    cells = elastic_cells(element, lattice, a, strain)
    observed = np.concatenate([_observed(calc, atoms) for atoms in cells])
    values = {
        name: float(vector @ observed)
        for name, vector in functionals(cells, lattice, strain).items()
    }
    return with_relaxed_c44(values, cells[0])


def with_relaxed_c44(values: dict[str, float], cell: Atoms) -> dict[str, float]:
    """Add ``c44_relaxed = C44⁰ − n_B L² / (V Φ)`` when L and Φ are there."""
    if "internal_strain" not in values:
        return values
    n_moved = int(second_sublattice(cell).sum())
    relaxation = (
        n_moved
        * values["internal_strain"] ** 2
        / (cell.get_volume() * values["optical_stiffness"])
    )
    return {**values, "c44_relaxed": float(values["c44"] - relaxation)}


def zero_stress_lattice_constant(
    calc: Calculator, element: str, lattice: str, guess: float, xtol: float = 1e-10
) -> float:
    """Cubic lattice constant (Å) where the pressure of ``calc`` vanishes.

    The stable root of the mean diagonal stress nearest ``guess``: brackets
    of ±0.01%, 0.1%, 0.5%, 2%, 5% and 15% around it are tried in turn until
    the stress goes from compressive to tensile across one, then Brent's
    method refines it to ``xtol`` Å (a stress root is as precise as the
    stresses, an energy minimum only to about the square root of the
    energies' precision). Starting small finds the local equilibrium of a
    model whose energy is wild farther out (POPS ensemble members of a
    wide posterior keep a0 by constraint, but not the energy at ±15%).

    Raises
    ------
    RuntimeError
        When the pressure does not change sign within ±5% of ``guess``.
    """

    def pressure(a: float) -> float:
        atoms = _deformed(element, lattice, a, np.eye(3))
        atoms.calc = calc
        return float(np.mean(atoms.get_stress()[:3]))

    for width in BRACKETS:
        low, high = guess * (1 - width), guess * (1 + width)
        # Stable: compressed below, stretched (tensile, ASE σ > 0) above.
        if pressure(low) < 0 < pressure(high):
            return float(brentq(pressure, low, high, xtol=xtol, rtol=1e-15))
    raise RuntimeError(
        f"the pressure of {element} ({lattice}) does not go from compressive "
        f"to tensile within ±{100 * BRACKETS[-1]:g}% of a = {guess} Å: the "
        f"model has no stable {lattice} crystal near it."
    )


def elastic_reference(
    calc: Calculator,
    element: str,
    lattice: str,
    guess: float,
    strain: float = STRAIN_STEP,
) -> ElasticReference:
    """Measure what the constraints impose on the expensive model ``calc``.

    Parameters
    ----------
    calc : Calculator
        The expensive model.
    element : str
        Host element.
    lattice : {"bcc", "fcc", "sc", "diamond"}
    guess : float
        Lattice constant (Å) near the zero-stress one.
    strain : float, default STRAIN_STEP

    Returns
    -------
    ElasticReference
    """
    a0 = zero_stress_lattice_constant(calc, element, lattice, guess)
    values = elastic_values(calc, element, lattice, a0, strain)
    logger.info(
        "elastic reference %s %s: a0 = %.6f Å, %s",
        element,
        lattice,
        a0,
        ", ".join(f"{k} = {v:.4g}" for k, v in in_report_units(values).items()),
    )
    return ElasticReference(element, lattice, a0, strain, values)


def elastic_rows(
    descriptor: SNAP,
    element: str,
    lattice: str,
    a: float,
    strain: float = STRAIN_STEP,
    baseline: ZBLBaseline | None = None,
) -> dict[str, tuple[np.ndarray, float]]:
    """Each quantity of :func:`elastic_values` as a linear SNAP row.

    The value of quantity ``name`` for coefficients θ is ``row @ θ + base``
    with ``row, base = elastic_rows(...)[name]``: the SNAP stress and force
    rows of :func:`elastic_cells` combined by :func:`functionals`, ``base``
    the baseline's share.

    Examples
    --------
    >>> rows = elastic_rows(SNAP(["W"], [0.5], twojmax=2), "W", "bcc", 3.18)
    >>> sorted(rows), rows["c11"][0].shape
    (['c11', 'c12', 'c44', 'pressure'], (6,))
    """
    cells = elastic_cells(element, lattice, a, strain)
    rows = descriptor.rows(cells, baseline=baseline)
    observed_X, observed_baseline = _observed_rows(rows, cells)
    return {
        name: (vector @ observed_X, float(vector @ observed_baseline))
        for name, vector in functionals(cells, lattice, strain).items()
    }


def elastic_constraints(
    descriptor: SNAP,
    reference: ElasticReference,
    baseline: ZBLBaseline | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``A_eq θ = b_eq`` that keep the reference's values exactly.

    :func:`elastic_rows` at the reference's ``a0``; the baseline's share
    moves to ``b_eq``. The pressure is constrained to 0, the others to the
    reference's values. Rows are scaled to unit norm (the solution is the
    same; the QR of the constraints sees comparable rows).

    Returns
    -------
    A_eq : ndarray, shape (m, descriptor.n_columns)
    b_eq : ndarray, shape (m,)

    Examples
    --------
    >>> from mixpot.models import expensive_calculator
    >>> reference = elastic_reference(expensive_calculator("lammps:W_zhou"),
    ...                               "W", "bcc", 3.16)
    >>> A_eq, b_eq = elastic_constraints(SNAP(["W"], [0.5], twojmax=4),
    ...                                  reference)
    >>> A_eq.shape, float(b_eq[0])
    ((4, 15), 0.0)
    """
    rows = elastic_rows(
        descriptor,
        reference.element,
        reference.lattice,
        reference.lattice_constant,
        reference.strain,
        baseline,
    )
    A, b = [], []
    for name, (row, base) in rows.items():
        target = 0.0 if name == "pressure" else reference.values[name]
        scale = np.linalg.norm(row)
        if scale == 0:
            raise ValueError(
                f"The {name!r} constraint has no SNAP row (all descriptors "
                "vanish): the descriptor cannot describe this crystal."
            )
        A.append(row / scale)
        b.append((target - base) / scale)
    return np.array(A), np.array(b)


def _observed(calc: Calculator, atoms: Atoms) -> np.ndarray:
    atoms = atoms.copy()
    atoms.calc = calc
    return np.concatenate([atoms.get_stress(), atoms.get_forces().ravel()])


def _observed_rows(rows, cells) -> tuple[np.ndarray, np.ndarray]:
    """SNAP rows in the order of the observables (stress, then forces)."""
    picks = []
    for index in range(len(cells)):
        mine = rows.structure == index
        stress = np.flatnonzero(mine & (rows.kind == "stress"))
        force = np.flatnonzero(mine & (rows.kind == "force"))
        picks.append(stress[np.argsort(rows.component[stress], kind="stable")])
        picks.append(force)  # atom-major x y z, as ASE's forces.ravel()
    order = np.concatenate(picks)
    return rows.X[order], rows.baseline[order]


def _deformed(element: str, lattice: str, a: float, deformation) -> Atoms:
    atoms = bulk(element, lattice, a=a, cubic=True)
    atoms.set_cell(atoms.cell.array @ np.asarray(deformation).T, scale_atoms=True)
    return atoms


def _check_lattice(lattice: str) -> None:
    if lattice not in LATTICES:
        raise ValueError(
            "The 'lattice' parameter of the elastic constraints must be one of "
            f"{', '.join(LATTICES)}. Got {lattice!r}."
        )
