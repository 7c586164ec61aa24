"""Checks on the configurations handed to the SNAP descriptors.

Validation happens once, at the boundary (:meth:`SNAP.rows`,
:meth:`SNAP.per_atom`), so that a bad structure is reported by its index in
the user's list instead of failing deep inside LAMMPS.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase import Atoms
from ase.neighborlist import neighbor_list

#: Closest allowed approach (Å) when no repulsive baseline is given.
MIN_DISTANCE = 0.5


def as_atoms_list(atoms_list: Atoms | Sequence[Atoms]) -> list[Atoms]:
    """Return the configurations as a non-empty list of ``ase.Atoms``.

    Examples
    --------
    >>> len(as_atoms_list(Atoms("W")))
    1
    """
    if isinstance(atoms_list, Atoms):
        return [atoms_list]
    atoms_list = list(atoms_list)
    if not atoms_list:
        raise ValueError(
            "The 'atoms_list' parameter must hold at least one ase.Atoms. Got "
            "an empty list."
        )
    for index, atoms in enumerate(atoms_list):
        if not isinstance(atoms, Atoms):
            raise TypeError(
                f"The 'atoms_list' parameter must hold ase.Atoms. Got "
                f"{type(atoms).__name__} at index {index}."
            )
    return atoms_list


def check_structure(
    atoms: Atoms, index: int, elements: Sequence[str], check_distances: bool
) -> None:
    """Raise ValueError if a configuration cannot be described.

    Parameters
    ----------
    atoms : ase.Atoms
        The configuration.
    index : int
        Its position in the user's list, used in error messages.
    elements : sequence of str
        Chemical symbols known to the SNAP settings.
    check_distances : bool
        Whether atoms closer than :data:`MIN_DISTANCE` are an error.

    Examples
    --------
    >>> check_structure(Atoms("W"), 0, ["W"], check_distances=True)
    """
    if len(atoms) == 0:
        raise ValueError(f"Structure {index} has no atoms.")
    _check_elements(atoms, index, elements)
    _check_finite(atoms, index)
    if check_distances:
        _check_distances(atoms, index)


def _check_elements(atoms: Atoms, index: int, elements: Sequence[str]) -> None:
    unknown = sorted(set(atoms.get_chemical_symbols()) - set(elements))
    if unknown:
        raise ValueError(
            f"Structure {index} contains element(s) {unknown} that the SNAP "
            f"settings do not describe; known elements: {list(elements)}."
        )


def _check_finite(atoms: Atoms, index: int) -> None:
    bad_atoms = np.flatnonzero(~np.isfinite(atoms.positions).all(axis=1))
    if bad_atoms.size:
        raise ValueError(
            f"Structure {index} has non-finite (NaN or inf) positions for "
            f"atom(s) {bad_atoms.tolist()}."
        )
    if not np.isfinite(atoms.cell.array).all():
        raise ValueError(f"Structure {index} has a non-finite cell.")
    periodic_cc = atoms.cell.array[atoms.pbc]
    if np.linalg.matrix_rank(periodic_cc, tol=1e-8) < len(periodic_cc):
        raise ValueError(
            f"Structure {index} is periodic along pbc={atoms.pbc.tolist()} but "
            "its cell vectors there are zero or linearly dependent."
        )


def _check_distances(atoms: Atoms, index: int) -> None:
    first, second, distance = neighbor_list("ijd", atoms, MIN_DISTANCE)
    if distance.size == 0:
        return
    closest = np.argmin(distance)
    i, j = sorted((int(first[closest]), int(second[closest])))
    raise ValueError(
        f"Structure {index}: atoms {i} and {j} are {distance[closest]:.3f} Å "
        f"apart (< {MIN_DISTANCE} Å). SNAP alone is not repulsive at this "
        "range; pass a baseline (e.g. ZBLBaseline) or remove the structure."
    )
