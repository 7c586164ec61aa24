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


def with_crowdion(atoms: Atoms, site: int, spread: int = 4) -> Atoms:
    """Return bcc ``atoms`` with one extra atom in the [111] row of ``site``.

    A crowdion: the ``2 spread + 1`` row atoms centred on ``site`` and the
    extra one are spaced evenly over the same stretch of the row, so the
    row is compressed by ``1 / (2 spread + 3)`` (9% for the default 4)
    rather than holding two atoms half a bond apart. In W it relaxes into a
    <111> crowdion spread over about ten sites. The extra atom is the last.

    Examples
    --------
    >>> from ase.build import bulk
    >>> atoms = with_crowdion(bulk("W", cubic=True, a=3.16).repeat(6), 0)
    >>> shortest = atoms.get_all_distances(mic=True)[np.triu_indices(433, 1)].min()
    >>> len(atoms), round(float(shortest / (3.16 * np.sqrt(3) / 2)), 3)
    (433, 0.909)
    """
    atoms = atoms.copy()
    direction = np.ones(3) / np.sqrt(3)
    vectors = atoms.get_distances(site, range(len(atoms)), mic=True, vector=True)
    along = vectors @ direction
    off_row = np.linalg.norm(vectors - np.outer(along, direction), axis=1)
    on_row = np.flatnonzero((off_row < 0.1) & (np.abs(along) > 0.1))
    nearest = np.linalg.norm(np.delete(vectors, site, axis=0), axis=1).min()
    bond = np.abs(along[on_row]).min() if len(on_row) else np.inf
    if not bond < 1.01 * nearest:
        raise ConfigError(
            "The 'defect' parameter of [system]: a crowdion needs a bcc "
            "crystal (nearest neighbours along [111]). Use defect = 'none' "
            "or 'vacancy' for this lattice."
        )
    steps = np.rint(along[on_row] / bond).astype(int)
    row = on_row[np.abs(steps) <= spread]
    if len(row) != 2 * spread or len(set(steps[np.abs(steps) <= spread])) != 2 * spread:
        raise ConfigError(
            f"The 'defect' parameter of [system]: the cell is too small for a "
            f"crowdion spread over {2 * spread + 1} sites of a [111] row; use a "
            "larger repeat."
        )
    members = np.r_[site, row]
    order = np.argsort(np.r_[0.0, along[row]])
    start = atoms.positions[site] - (spread + 1) * bond * direction
    spacing = 2 * (spread + 1) * bond / (2 * spread + 3)
    atoms.append(atoms[site].symbol)
    members = np.r_[members[order], len(atoms) - 1]
    # The extra atom takes the last slot; all 2 spread + 2 are evenly spaced.
    for rank, index in enumerate(members, start=1):
        atoms.positions[index] = start + rank * spacing * direction
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
