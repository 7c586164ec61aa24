"""The initial structure of a run, from a file or a crystal builder.

Engine-neutral: an :class:`ase.Atoms` is only the exchange format (the LAMMPS
engine converts it). A file is read with :func:`ase.io.read` (extended XYZ,
LAMMPS data with ``format = "lammps-data"``, anything ASE reads); the builder
makes ``repeat`` conventional cells of ``lattice`` (default lattice constant:
ASE's reference value), optionally removes the atom nearest the centre
(``defect = "vacancy"``) and rattles every atom by a seeded Gaussian of
``rattle`` Å.
"""

from __future__ import annotations

import logging

import numpy as np
from ase import Atoms
from ase.build import bulk
from ase.data import atomic_numbers, reference_states

from .config import ConfigError, SystemSection

logger = logging.getLogger(__name__)


def build_system(section: SystemSection) -> Atoms:
    """Return the initial structure the ``[system]`` section describes.

    Raises
    ------
    ConfigError
        If the file cannot be read or the builder settings do not fit.

    Examples
    --------
    >>> atoms = build_system(SystemSection(lattice="bcc", element="W",
    ...                                    repeat=(3, 3, 3), defect="vacancy"))
    >>> len(atoms), atoms.get_chemical_formula()
    (53, 'W53')
    """
    if section.file is not None:
        atoms = _read(section)
    else:
        atoms = _crystal(section)
        if section.defect == "vacancy":
            centre = atoms.cell.sum(axis=0) / 2
            del atoms[int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))]
    if section.rattle > 0:
        atoms.rattle(section.rattle, seed=section.seed)
    return atoms


def _read(section: SystemSection) -> Atoms:
    from ase.io import read

    try:
        atoms = read(section.file, format=section.format, index=-1)
    except FileNotFoundError:
        raise ConfigError(
            f"The 'file' parameter of [system] must name an existing file. Got "
            f"{section.file!r}."
        ) from None
    except Exception as error:  # ASE raises many kinds for unreadable files
        raise ConfigError(
            f"The 'file' parameter of [system]: {section.file!r} cannot be read "
            f"(format {section.format or 'guessed from the name'}): {error}"
        ) from None
    return Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)


def _crystal(section: SystemSection) -> Atoms:
    if section.element is None or section.element not in atomic_numbers:
        raise ConfigError(
            f"The 'element' parameter of [system] must be a chemical symbol "
            f"(or give file = ...). Got {section.element!r}."
        )
    lattice = section.lattice or _reference_lattice(section.element)
    try:
        atoms = bulk(
            section.element,
            lattice,
            a=section.lattice_constant,
            cubic=lattice != "hcp",
            orthorhombic=lattice == "hcp",
        )
    except Exception as error:  # ASE's message says what is missing
        raise ConfigError(
            f"The [system] builder cannot make {lattice} {section.element}: {error}"
        ) from None
    return atoms.repeat(section.repeat)


def _reference_lattice(symbol: str) -> str:
    state = reference_states[atomic_numbers[symbol]] or {}
    return str(state.get("symmetry", "bcc"))
