"""The initial structure of a run, from a file or a crystal builder.

Engine-neutral: an :class:`ase.Atoms` is only the exchange format (the LAMMPS
engine converts it). A file is read with :func:`ase.io.read` (extended XYZ,
LAMMPS data with ``format = "lammps-data"``, anything ASE reads); the builder
makes ``repeat`` conventional cells of ``lattice`` (default lattice constant:
ASE's reference value), optionally removes the atom nearest the centre
(``defect = "vacancy"``) or adds one on the <111> bond from it to its
nearest neighbour (``defect = "crowdion"``, bcc: the self-interstitial that
migrates along its row), and rattles every atom by a seeded Gaussian of
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
        centre = atoms.cell.sum(axis=0) / 2
        central = int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))
        if section.defect == "vacancy":
            del atoms[central]
        elif section.defect == "crowdion":
            atoms = with_crowdion(atoms, central)
    if section.rattle > 0:
        atoms.rattle(section.rattle, seed=section.seed)
    return atoms


def with_crowdion(atoms: Atoms, site: int) -> Atoms:
    """Return bcc ``atoms`` with an extra atom on the <111> bond from ``site``.

    The extra atom sits halfway to the nearest neighbour along [111], the
    crowdion (in W it relaxes into a <111> row compressed over ~10 sites).
    The extra atom is the last one.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = with_crowdion(bulk("W", cubic=True, a=3.16).repeat(3), 0)
    >>> len(atoms), atoms.positions[-1].round(2).tolist()
    (55, [0.79, 0.79, 0.79])
    """
    atoms = atoms.copy()
    distances = atoms.get_distances(site, range(len(atoms)), mic=True, vector=True)
    along = distances @ (np.ones(3) / np.sqrt(3))
    perpendicular = np.linalg.norm(
        distances - np.outer(along, np.ones(3) / np.sqrt(3)), axis=1
    )
    on_row = (along > 0.1) & (perpendicular < 0.1)
    nearest = np.linalg.norm(distances, axis=1)[np.arange(len(atoms)) != site].min()
    bond = along[on_row].min() if on_row.any() else np.inf
    if not bond < 1.01 * nearest:
        raise ConfigError(
            "The 'defect' parameter of [system]: a crowdion needs a bcc "
            "crystal (nearest neighbours along [111]). Use defect = 'none' "
            "or 'vacancy' for this lattice."
        )
    atoms.append(atoms[site].symbol)
    atoms.positions[-1] = atoms.positions[site] + 0.5 * bond * np.ones(3) / np.sqrt(3)
    atoms.wrap()
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
