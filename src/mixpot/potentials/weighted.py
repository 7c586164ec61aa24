"""λ-weighted sums of per-atom energies of a linear potential, exact.

Energy mixing (``MixedCalculator(mode="energy")``) needs, for each potential,
``E_w = Σ_i w_i E_i`` and its gradients at fixed weights: forces
``-∂E_w/∂r_k`` on every atom (weight-0 atoms included: they move the
neighbourhoods of the others) and the stress ``(1/V) ∂E_w/∂ε``. A *weighted
provider* (:class:`WeightedProvider`) is any object with

``weighted(atoms, weights) -> Weighted(energy, forces, stress)``.

:class:`WeightedSnap` is the provider of a :class:`LinearPotential`.
Per-atom SNAP energies are linear in the coefficients, so one LAMMPS
``pair_style snap`` whose atom types are the distinct (element, weight)
classes, each with the element's coefficients times the weight, returns
``E_w`` with its exact forces and virial. A ZBL baseline adds
``Σ_pairs (w_i + w_j)/2 φ(r_ij)``, evaluated here (:func:`weighted_zbl`).
The providers of other models, and the dispatch that picks one for a
calculator, live in :mod:`mixpot.models`.

Stress follows ASE: ``(1/V) ∂E_w/∂ε`` with ``V`` the volume of the cell of
the ``atoms`` given (also when some directions are open), or None when
that cell has no volume. Suffixes: ``_nc`` atom × Cartesian, ``_pc`` pair ×
Cartesian, ``_cc`` Cartesian × Cartesian.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np
from ase import Atoms

from mixpot.descriptors import ZBLBaseline, check_structure
from mixpot.descriptors.baseline import zbl_pair
from mixpot.lammps import VOIGT_PAIRS, LammpsSystem, element_masses
from mixpot.neighbours import pairs_within

from .linear import LinearPotential

logger = logging.getLogger(__name__)


class Weighted(NamedTuple):
    """``Σ_i w_i E_i`` (eV), forces (eV/Å, (n_atoms, 3)), ASE stress or None."""

    energy: float
    forces: np.ndarray
    stress: np.ndarray | None

    def __add__(self, other: Weighted) -> Weighted:  # type: ignore[override]
        """Sum two weighted terms of the same configuration."""
        stress = (
            None
            if self.stress is None or other.stress is None
            else self.stress + other.stress
        )
        return Weighted(self.energy + other.energy, self.forces + other.forces, stress)


@runtime_checkable
class WeightedProvider(Protocol):
    """Anything that evaluates a λ-weighted energy and its exact gradients."""

    def weighted(self, atoms: Atoms, weights: np.ndarray) -> Weighted:
        """Return ``Σ_i w_i E_i`` of ``atoms`` with its forces and stress."""
        ...


def checked_weights(atoms: Atoms, weights) -> np.ndarray:
    """Return ``weights`` as floats, one finite value per atom."""
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != (len(atoms),):
        raise ValueError(
            f"The 'weights' parameter must have shape ({len(atoms)},), one per "
            f"atom. Got {weights.shape}."
        )
    if not np.isfinite(weights).all():
        raise ValueError(
            "The 'weights' parameter must be finite. Got NaN or infinite values."
        )
    return weights


class WeightedSnap:
    """λ-weighted energy of a linear SNAP potential, exact, through LAMMPS.

    Atoms are grouped into classes of equal (element, weight); each class is
    a LAMMPS type with its own block of a temporary ``.snapcoeff`` (the
    element's radius and neighbour weight, its coefficients times the
    weight), so ``pair_style snap`` itself returns ``Σ_i w_i E_i`` with its
    forces and virial. LAMMPS is rebuilt only when the classes, the
    periodicity or the periodic cell vectors change; otherwise positions are
    updated in place. A ZBL baseline is added by :func:`weighted_zbl`.

    Parameters
    ----------
    potential : LinearPotential
        Any linear or quadratic SNAP without ``chemflag``.

    Attributes
    ----------
    n_builds : int
        Times the LAMMPS system was built.

    Examples
    --------
    >>> from ase.build import bulk
    >>> from mixpot.descriptors import SNAP
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> potential = LinearPotential(snap, [-8.0, 0.1, 0.02, -0.03, 0.01, 0.005])
    >>> atoms = bulk("W", "bcc", a=3.18, cubic=True) * 2
    >>> half = WeightedSnap(potential).weighted(atoms, np.full(16, 0.5))
    >>> atoms.calc = potential.calculator()
    >>> bool(abs(half.energy - 0.5 * atoms.get_potential_energy()) < 1e-9)
    True
    """

    def __init__(self, potential: LinearPotential) -> None:
        if not isinstance(potential, LinearPotential):
            raise TypeError(
                "The 'potential' parameter of WeightedSnap must be a "
                f"LinearPotential. Got {type(potential).__name__}."
            )
        if potential.descriptor.chemflag:
            raise ValueError(
                "The 'potential' parameter of WeightedSnap must not use a "
                "chemflag SNAP (its weight classes would count as extra "
                "chemical elements). Got chemflag=True."
            )
        self.potential = potential
        self.system = LammpsSystem()
        self._folder: Path | None = None

    @property
    def n_builds(self) -> int:
        """Times the LAMMPS system was built."""
        return self.system.n_builds

    def close(self) -> None:
        """Shut LAMMPS down (the next call starts it again)."""
        self.system.close()

    def weighted(self, atoms: Atoms, weights) -> Weighted:
        """Return ``Σ_i w_i E_i`` with its exact forces and stress."""
        weights = checked_weights(atoms, weights)
        potential = self.potential
        check_structure(
            atoms, 0, potential.descriptor.elements, potential.baseline is None
        )
        result = self._snap(atoms, weights)
        if potential.baseline is not None:
            result = result + weighted_zbl(atoms, weights, potential.baseline)
        return result

    def _snap(self, atoms: Atoms, weights: np.ndarray) -> Weighted:
        elements = self.potential.descriptor.elements
        index_of = {s: k for k, s in enumerate(elements)}
        element = np.array([index_of[s] for s in atoms.get_chemical_symbols()])
        classes, class_of_atom = np.unique(
            np.column_stack([element, weights]), axis=0, return_inverse=True
        )
        class_of_atom = class_of_atom.ravel()
        layout = (
            class_of_atom.tobytes(),
            classes.tobytes(),
            atoms.pbc.tobytes(),
            atoms.cell.array[atoms.pbc].tobytes(),
        )
        masses = element_masses([elements[int(k)] for k in classes[:, 0]])
        setup = []
        if self.system.needs_build(layout):
            setup = self._pair_commands(classes)
            logger.debug(
                "weighted SNAP: %d atoms, %d classes", len(atoms), len(classes)
            )
        self.system.load(atoms, class_of_atom + 1, masses, layout, setup)
        system = self.system
        return Weighted(
            system.energy(),
            system.forces(),
            _stress(atoms, -system.virial()),
        )

    def _pair_commands(self, classes: np.ndarray) -> list[str]:
        coeff, param = self._write_files(classes)
        labels = " ".join(f"c{k}" for k in range(len(classes)))
        return ["pair_style snap", f"pair_coeff * * {coeff} {param} {labels}"]

    def _write_files(self, classes: np.ndarray) -> tuple[Path, Path]:
        descriptor = self.potential.descriptor
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="mixpot_weighted_"))
            weakref.finalize(self, shutil.rmtree, self._folder, ignore_errors=True)
            param = self._folder / "weighted.snapparam"
            param.write_text(descriptor.to_snapparam_text())
        blocks = self.potential.coef.reshape(descriptor.n_elements, -1)
        lines = [f"{len(classes)} {descriptor.n_coefficients}"]
        for k, (element, weight) in enumerate(classes):
            element = int(element)
            radius, neighbour_weight = (
                descriptor.radii[element],
                descriptor.weights[element],
            )
            lines.append(f"c{k} {radius!r} {neighbour_weight!r}")
            lines += [repr(float(weight * value)) for value in blocks[element]]
        coeff = self._folder / "weighted.snapcoeff"
        coeff.write_text("\n".join(lines) + "\n")
        return coeff, self._folder / "weighted.snapparam"


def _stress(atoms: Atoms, strain_derivative_cc: np.ndarray) -> np.ndarray | None:
    """ASE Voigt stress ``(1/V) ∂E/∂ε``, or None for a cell without volume."""
    volume = abs(atoms.cell.volume)
    if volume < 1e-9:
        return None
    return np.array([strain_derivative_cc[a, b] for a, b in VOIGT_PAIRS]) / volume


def weighted_zbl(atoms: Atoms, weights, baseline: ZBLBaseline) -> Weighted:
    """λ-weighted ZBL baseline, ``Σ_pairs (w_i + w_j)/2 φ(r_ij)``.

    ``φ`` is LAMMPS ``pair_style zbl inner outer`` (docs.lammps.org/pair_zbl):
    the screened Coulomb repulsion plus the lj/gromacs-style switching that
    takes energy, force and curvature to zero at ``outer``.

    Parameters
    ----------
    atoms : ase.Atoms
        Configuration (periodic, open or mixed).
    weights : array-like, shape (n_atoms,)
        Per-atom weights.
    baseline : ZBLBaseline
        Switching radii; charges are the atomic numbers.

    Returns
    -------
    Weighted

    Examples
    --------
    >>> from ase import Atoms
    >>> dimer = Atoms("W2", positions=[[0, 0, 0], [0, 0, 4.8]])
    >>> float(weighted_zbl(dimer, [1.0, 1.0], ZBLBaseline(4.0, 4.8)).energy)
    0.0
    """
    weights = checked_weights(atoms, weights)
    i, j, d_p, vector_pc = pairs_within(atoms, baseline.outer, "ijdD")
    charges = atoms.numbers.astype(float)
    phi, dphi = zbl_pair(d_p, charges[i], charges[j], baseline)
    # Each unordered pair appears twice: (i, j) carries atom i's half.
    energy = 0.5 * np.dot(weights[i], phi)
    gradient_pc = (0.5 * weights[i] * dphi / d_p)[:, None] * vector_pc  # ∂E/∂D
    forces_nc = np.zeros((len(atoms), 3))
    for axis in range(3):
        forces_nc[:, axis] = np.bincount(
            i, gradient_pc[:, axis], len(atoms)
        ) - np.bincount(j, gradient_pc[:, axis], len(atoms))
    return Weighted(float(energy), forces_nc, _stress(atoms, vector_pc.T @ gradient_pc))
