"""Linear fitting rows built from ``compute snap`` output.

``compute snap`` returns, per configuration and in the LAMMPS frame, one
energy row (bispectrum summed over atoms of each type), 3N force rows
(already minus the gradient, atoms in tag order, x y z), six virial rows in
eV (Voigt xx yy zz yz xz xy, ``W = sum r ⊗ f``) and a last, reference column
holding the baseline pair style's energy (eV), forces (eV/Å) and *pressure*
(bar, i.e. ``W * nktv2p / V``). It has no constant column.

:func:`block_to_rows` turns that into the mixpot convention: per element a
constant column (number of atoms of the element in the energy row, 0
elsewhere) followed by the K descriptors; forces and stresses rotated back
into the ASE frame; stress rows in the ASE convention ``-W / V`` (eV/Å^3).

Suffixes: ``_rk`` rows × columns, ``_nck`` atom × Cartesian × columns,
``_cck`` Cartesian × Cartesian × columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms

from mixpot.lammps import VOIGT_PAIRS

from ._session import SnapBlock

ENERGY, FORCE, STRESS, ATOM_ENERGY = "energy", "force", "stress", "atom_energy"


@dataclass(frozen=True)
class SnapRows:
    """Linear SNAP fitting rows for a list of configurations.

    Row ``r`` satisfies ``X[r] @ coef + baseline[r] = target[r]``, where
    ``coef`` concatenates, for each element in the order of the SNAP
    settings, its constant term and its K bispectrum coefficients (the layout
    of a LAMMPS ``.snapcoeff`` file).

    Per structure the rows are: one energy row (total energy, eV), 3N force
    rows (eV/Å, atom-major, x y z, ASE frame) and, for structures periodic
    in all three directions, six stress rows (eV/Å^3, ASE convention
    ``stress = -virial / volume``, Voigt order xx yy zz yz xz xy, ASE frame)
    and, when asked for (``per_atom_energies``), N per-atom energy rows (eV):
    their targets are the labels' per-atom energies, which pin down how the
    fit shares the energy among atoms (what energy mixing weights by λ).

    Attributes
    ----------
    X : ndarray, shape (n_rows, n_elements * n_coefficients)
        Design matrix (float64).
    kind : ndarray of str, shape (n_rows,)
        ``"energy"``, ``"force"``, ``"stress"`` or ``"atom_energy"``.
    structure : ndarray of int, shape (n_rows,)
        Index of the configuration in the input list.
    atom : ndarray of int, shape (n_rows,)
        Atom index for force and atom-energy rows, -1 otherwise.
    component : ndarray of int, shape (n_rows,)
        0..2 (x y z) for forces, 0..5 (Voigt) for stresses, -1 for energies.
    baseline : ndarray, shape (n_rows,)
        Contribution of the fixed baseline to each row (zeros without one).
    n_atoms : ndarray of int, shape (n_structures,)
        Number of atoms of each configuration.

    Examples
    --------
    >>> from ase.build import bulk
    >>> from mixpot.descriptors import SNAP
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> rows = snap.rows([bulk("W", "bcc", a=3.18)])
    >>> rows.X.shape, rows.kind[:2].tolist()
    ((10, 6), ['energy', 'force'])
    """

    X: np.ndarray
    kind: np.ndarray
    structure: np.ndarray
    atom: np.ndarray
    component: np.ndarray
    baseline: np.ndarray
    n_atoms: np.ndarray

    @property
    def n_structures(self) -> int:
        """Number of configurations described."""
        return len(self.n_atoms)

    def predict(self, coef: np.ndarray) -> np.ndarray:
        """Return ``X @ coef + baseline``: what a linear SNAP predicts per row.

        Examples
        --------
        >>> from ase.build import bulk
        >>> from mixpot.descriptors import SNAP
        >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
        >>> rows = snap.rows([bulk("W", "bcc", a=3.18)])
        >>> float(rows.predict(np.eye(6)[0])[0])  # constant term only: 1 atom
        1.0
        """
        return self.X @ np.asarray(coef, dtype=np.float64) + self.baseline

    def targets_from(self, labelled: Sequence[Atoms]) -> np.ndarray:
        """Read the reference value of every row from labelled configurations.

        Parameters
        ----------
        labelled : sequence of ase.Atoms
            The configurations these rows describe, in the same order, each
            with a calculator holding energy, forces and (if periodic)
            stress, e.g. a ``SinglePointCalculator``.

        Returns
        -------
        ndarray, shape (n_rows,)
            Energies (eV), forces (eV/Å) and stresses (eV/Å³) per row.
        """
        if len(labelled) != self.n_structures:
            raise ValueError(
                f"got {len(labelled)} labelled configurations for rows of "
                f"{self.n_structures}."
            )
        targets = np.empty(len(self.kind))
        for index, atoms in enumerate(labelled):
            mine = self.structure == index
            targets[mine & (self.kind == ENERGY)] = atoms.get_potential_energy()
            targets[mine & (self.kind == FORCE)] = atoms.get_forces().ravel()
            if np.any(mine & (self.kind == STRESS)):
                targets[mine & (self.kind == STRESS)] = atoms.get_stress()
            if np.any(mine & (self.kind == ATOM_ENERGY)):
                targets[mine & (self.kind == ATOM_ENERGY)] = _atom_energies(
                    atoms, index
                )
        return targets


def _atom_energies(atoms: Atoms, index: int) -> np.ndarray:
    """Per-atom energy labels of one configuration, or a clear error."""
    results = getattr(atoms.calc, "results", {})
    if "energies" not in results:
        raise ValueError(
            f"configuration {index} has no per-atom energies ('energies' in its "
            f"calculator results), which its atom_energy rows need; label it "
            f"with a calculator that gives them, or build rows without "
            f"per_atom_energies."
        )
    return np.asarray(results["energies"], dtype=np.float64)


def block_to_rows(
    block: SnapBlock, type_index: np.ndarray, n_types: int, volume: float | None
) -> dict[str, np.ndarray]:
    """Turn one configuration's ``compute snap`` array into mixpot rows.

    Parameters
    ----------
    block : SnapBlock
        LAMMPS output for the configuration.
    type_index : ndarray of int, shape (n_atoms,)
        Element index (0-based) of each atom.
    n_types : int
        Number of elements in the SNAP settings.
    volume : float or None
        Cell volume (Å^3) for stress rows; None for no stress rows.

    Returns
    -------
    dict
        ``X``, ``baseline``, ``kind``, ``atom`` and ``component`` arrays.
    """
    n_atoms = len(type_index)
    descriptors_rk = _with_constant_columns(block.array[:, :-1], type_index, n_types)
    reference = block.array[:, -1]
    rotation_cc = block.frame.rotation_cc
    forces = slice(1, 1 + 3 * n_atoms)
    force_nck = np.einsum(
        "ab,nbk->nak", rotation_cc, descriptors_rk[forces].reshape(n_atoms, 3, -1)
    )
    force_baseline_nc = reference[forces].reshape(n_atoms, 3) @ rotation_cc.T
    parts = {
        "X": [descriptors_rk[:1], force_nck.reshape(3 * n_atoms, -1)],
        "baseline": [reference[:1], force_baseline_nc.ravel()],
        "kind": [[ENERGY], [FORCE] * (3 * n_atoms)],
        "atom": [[-1], np.repeat(np.arange(n_atoms), 3)],
        "component": [[-1], np.tile(np.arange(3), n_atoms)],
    }
    if volume is not None:
        virial_baseline = reference[-6:] * block.volume / block.nktv2p
        stress_rk = -_rotate_voigt(descriptors_rk[-6:], rotation_cc) / volume
        stress_baseline = -_rotate_voigt(virial_baseline, rotation_cc) / volume
        parts["X"].append(stress_rk)
        parts["baseline"].append(stress_baseline)
        parts["kind"].append([STRESS] * 6)
        parts["atom"].append([-1] * 6)
        parts["component"].append(np.arange(6))
    if block.atom_descriptors is not None:
        parts["X"].append(_per_atom_rows(block.atom_descriptors, type_index, n_types))
        parts["baseline"].append(block.atom_baseline)
        parts["kind"].append([ATOM_ENERGY] * n_atoms)
        parts["atom"].append(np.arange(n_atoms))
        parts["component"].append([-1] * n_atoms)
    return {name: np.concatenate(values) for name, values in parts.items()}


def _per_atom_rows(
    descriptors_nk: np.ndarray, type_index: np.ndarray, n_types: int
) -> np.ndarray:
    """One row per atom: 1 and its descriptors in its element's column block."""
    n_atoms, n_descriptors = descriptors_nk.shape
    rows = np.zeros((n_atoms, n_types, 1 + n_descriptors))
    atoms = np.arange(n_atoms)
    rows[atoms, type_index, 0] = 1.0
    rows[atoms, type_index, 1:] = descriptors_nk
    return rows.reshape(n_atoms, -1)


def _with_constant_columns(
    descriptors_rk: np.ndarray, type_index: np.ndarray, n_types: int
) -> np.ndarray:
    """Insert per element a constant column in front of its descriptors."""
    n_rows = descriptors_rk.shape[0]
    per_type = descriptors_rk.reshape(n_rows, n_types, -1)
    constant = np.zeros((n_rows, n_types, 1))
    constant[0, :, 0] = np.bincount(type_index, minlength=n_types)
    return np.concatenate([constant, per_type], axis=2).reshape(n_rows, -1)


def _rotate_voigt(voigt_vk: np.ndarray, rotation_cc: np.ndarray) -> np.ndarray:
    """Rotate Voigt-ordered symmetric tensors from the LAMMPS to the ASE frame."""
    voigt_vk = np.asarray(voigt_vk, dtype=np.float64)
    tensor_cck = np.empty((3, 3, *voigt_vk.shape[1:]))
    for voigt, (a, b) in enumerate(VOIGT_PAIRS):
        tensor_cck[a, b] = tensor_cck[b, a] = voigt_vk[voigt]
    rotated = np.einsum("ab,bc...,dc->ad...", rotation_cc, tensor_cck, rotation_cc)
    return np.stack([rotated[a, b] for a, b in VOIGT_PAIRS])


def stack_rows(
    per_structure: Sequence[dict[str, np.ndarray]], n_atoms: Sequence[int]
) -> SnapRows:
    """Concatenate per-structure rows into one :class:`SnapRows`."""
    structure = np.concatenate(
        [np.full(len(rows["kind"]), index) for index, rows in enumerate(per_structure)]
    )

    def joined(name: str) -> np.ndarray:
        return np.concatenate([rows[name] for rows in per_structure])

    return SnapRows(
        X=joined("X").astype(np.float64),
        kind=joined("kind").astype(str),
        structure=structure,
        atom=joined("atom").astype(int),
        component=joined("component").astype(int),
        baseline=joined("baseline").astype(np.float64),
        n_atoms=np.asarray(n_atoms, dtype=int),
    )
