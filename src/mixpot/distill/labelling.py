"""Label configurations with the expensive model, resumably.

:func:`label` computes energy (eV), forces (eV/Å) and stress (eV/Å³) with
the expensive calculator and appends every labelled configuration to an
extended-XYZ file as soon as it is done. Each frame carries
``info["config_id"]`` (:func:`config_id`: its index in the configuration list
and a hash of its numbers, positions, cell and periodicity).

Rerunning with the same file resumes: the frames already in the file are
checked against the list (a file written for another list is an error), a
partial last frame left by a killed run is cut off, and only the missing
configurations are labelled; no label is ever computed twice. A
configuration on which the model raises, or returns NaN or inf, is logged,
recorded in ``<path>.skipped.json`` with the reason, never written to the
dataset and not retried on a rerun.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from ase.build import bulk
>>> from mixpot.models import expensive_calculator
>>> calc = expensive_calculator("lammps:W_zhou")
>>> configurations = [bulk("W", "bcc", a=a, cubic=True) for a in (3.1, 3.2)]
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "dataset.xyz"
...     dataset = label(configurations, calc, path, progress=False)
...     again = label(configurations, calc, path, progress=False)
>>> len(dataset), len(again), dataset.skipped
(2, 2, [])
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import ase.io
import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.calculators.singlepoint import SinglePointCalculator
from tqdm import tqdm

logger = logging.getLogger(__name__)

_HASH_RESOLUTION = 1e-6  # Å: ids survive round-off below this


@dataclass(frozen=True)
class SkippedConfiguration:
    """A configuration the expensive model could not label.

    Attributes
    ----------
    index : int
        Position in the configuration list.
    config_id : str
    reason : str
        The exception raised, or which property was not finite.
    """

    index: int
    config_id: str
    reason: str


class LabelledDataset(list):
    """The labelled configurations, in order, as stored in the dataset file.

    A ``list`` of :class:`ase.Atoms` (each with a SinglePointCalculator)
    that also carries ``skipped``, the list of :class:`SkippedConfiguration`.

    Examples
    --------
    >>> LabelledDataset([], []).skipped
    []
    """

    def __init__(
        self, labelled: Sequence[Atoms], skipped: Sequence[SkippedConfiguration]
    ) -> None:
        super().__init__(labelled)
        self.skipped = list(skipped)


def config_id(index: int, atoms: Atoms) -> str:
    """Return a stable id: list index and a hash of the structure.

    Positions and cell enter the hash rounded to 1e-6 Å, so an id does not
    depend on the last bits of floating-point arithmetic.

    Examples
    --------
    >>> from ase.build import bulk
    >>> config_id(3, bulk("W", cubic=True))
    '3-...'
    >>> config_id(0, bulk("W")) == config_id(0, bulk("W").copy())
    True
    """
    digest = hashlib.sha256()
    for array in (
        np.asarray(atoms.numbers, dtype=np.int64),
        np.rint(atoms.positions / _HASH_RESOLUTION).astype(np.int64),
        np.rint(atoms.cell.array / _HASH_RESOLUTION).astype(np.int64),
        np.asarray(atoms.pbc, dtype=np.int8),
    ):
        digest.update(array.tobytes())
    return f"{index}-{digest.hexdigest()[:16]}"


def label(
    configurations: Sequence[Atoms],
    expensive_calc: Calculator,
    path: str | os.PathLike,
    progress: bool = False,
) -> LabelledDataset:
    """Label configurations and append them to an extended-XYZ dataset.

    Parameters
    ----------
    configurations : sequence of ase.Atoms
        In a fixed order: the index is part of each ``config_id``.
    expensive_calc : ase.calculators.calculator.Calculator
    path : str or path-like
        The dataset (extended XYZ). Created if missing, resumed if present.
    progress : bool, default False
        Show a tqdm progress bar with ETA (the caller decides).

    Returns
    -------
    LabelledDataset
        Every labelled configuration, read back from ``path``, with
        ``.skipped`` listing the configurations that could not be labelled.

    Raises
    ------
    ValueError
        When ``path`` (or its ``.skipped.json``) belongs to a different
        configuration list, or a frame other than the last is corrupt.

    Examples
    --------
    >>> import tempfile
    >>> from ase.build import bulk
    >>> from mixpot.models import expensive_calculator
    >>> calc = expensive_calculator("lammps:W_zhou")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     dataset = label([bulk("W", cubic=True)], calc,
    ...                     Path(folder) / "w.xyz", progress=False)
    >>> round(float(dataset[0].get_potential_energy()), 2)
    -17.52
    """
    path = Path(path)
    ids = [config_id(index, atoms) for index, atoms in enumerate(configurations)]
    done = _check_ids(_stored_ids(path), ids, path)
    skipped = _read_skipped(path, ids)
    skipped_ids = {entry.config_id for entry in skipped}
    missing = [
        index
        for index, identifier in enumerate(ids)
        if identifier not in done and identifier not in skipped_ids
    ]
    logger.info(
        "Labelling %d of %d configurations (%d already in %s, %d skipped)",
        len(missing),
        len(ids),
        len(done),
        path,
        len(skipped),
    )
    for index in tqdm(missing, desc="labelling", unit="config", disable=not progress):
        labelled = _labelled(configurations[index], ids[index], expensive_calc)
        if isinstance(labelled, Atoms):
            ase.io.write(path, labelled, format="extxyz", append=True)
            continue
        skipped.append(SkippedConfiguration(index, ids[index], labelled))
        logger.warning("Skipped configuration %s: %s", ids[index], labelled)
        _write_skipped(path, skipped)
    return LabelledDataset(_read_dataset(path), sorted(skipped, key=_by_index))


def skipped_path(path: str | os.PathLike) -> Path:
    """Return the sidecar listing skipped configurations: ``<path>.skipped.json``.

    Examples
    --------
    >>> skipped_path("data/w.xyz").name
    'w.xyz.skipped.json'
    """
    path = Path(path)
    return path.with_name(path.name + ".skipped.json")


def _by_index(entry: SkippedConfiguration) -> int:
    """Sort key of skipped configurations."""
    return entry.index


def labelled_copy(atoms: Atoms, calc: Calculator) -> Atoms:
    """Return a copy of ``atoms`` holding ``calc``'s energy, forces and stress.

    The results sit in a ``SinglePointCalculator`` (stress only for fully
    periodic cells), so the copy keeps its labels whatever happens to
    ``calc`` afterwards. Per-atom energies are kept too when ``calc`` gives
    them (``"energies"`` in its ``implemented_properties``): distillation
    fits them so that energy mixing sees matching per-atom energies.

    Examples
    --------
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> copy = labelled_copy(bulk("Cu", cubic=True), EMT())
    >>> copy.get_forces().shape, copy.get_stress().shape
    ((4, 3), (6,))
    """
    work = atoms.copy()
    work.calc = calc
    results = {"energy": work.get_potential_energy(), "forces": work.get_forces()}
    if work.pbc.all():
        results["stress"] = work.get_stress()
    if "energies" in getattr(calc, "implemented_properties", ()):
        results["energies"] = work.get_potential_energies()
    labelled = atoms.copy()
    labelled.calc = SinglePointCalculator(labelled, **results)
    return labelled


def _labelled(atoms: Atoms, identifier: str, calc: Calculator) -> Atoms | str:
    """Label a copy of ``atoms``, or return why it cannot be labelled."""
    try:
        labelled = labelled_copy(atoms, calc)
    except Exception as error:  # any failure of the model skips this one
        return f"{type(error).__name__}: {error}"
    results = labelled.calc.results
    not_finite = [
        name for name, value in results.items() if not np.isfinite(value).all()
    ]
    if not_finite:
        return f"non-finite {', '.join(not_finite)}"
    labelled.info["config_id"] = identifier
    return labelled


def _check_ids(stored: list[str], ids: list[str], path: Path) -> set[str]:
    """Check that ids stored in ``path`` match the list; return them."""
    for position, identifier in enumerate(stored):
        index = int(identifier.split("-", 1)[0])
        if index >= len(ids) or ids[index] != identifier:
            expected = ids[index] if index < len(ids) else "nothing"
            raise ValueError(
                f"{path} belongs to a different configuration list: its frame "
                f"{position} has config_id {identifier!r} but configuration "
                f"{index} of the list has {expected!r}. Use another path or "
                f"the original configurations."
            )
    if len(set(stored)) != len(stored):
        raise ValueError(f"{path} holds the same config_id twice.")
    return set(stored)


def _stored_ids(path: Path) -> list[str]:
    """Config ids of the frames in ``path``, after cutting a partial frame."""
    if not path.exists():
        return []
    _repair(path)
    return [str(atoms.info["config_id"]) for atoms in _read_dataset(path)]


def _read_dataset(path: Path) -> list[Atoms]:
    """Read every frame of the dataset (none if it does not exist)."""
    if not path.exists() or path.stat().st_size == 0:
        return []
    return list(ase.io.read(path, index=":", format="extxyz"))


def _repair(path: Path) -> None:
    """Cut a partial last frame (from a killed run) off the dataset file."""
    lines = path.read_text().splitlines(keepends=True)
    complete = _complete_line_count(lines, path)
    if complete < len(lines):
        logger.warning(
            "Removing a partial last frame (%d lines) from %s",
            len(lines) - complete,
            path,
        )
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text("".join(lines[:complete]))
        os.replace(temporary, path)


def _complete_line_count(lines: list[str], path: Path) -> int:
    """Count the lines of the whole frames that open ``lines``.

    Only the last frame may be partial (a kill while appending); anything
    else that does not parse as a frame header is corruption.
    """
    position = 0
    while position < len(lines):
        header = lines[position].strip()
        if not header.isdigit():
            if position + 1 < len(lines):
                raise ValueError(f"{path} is corrupt at line {position + 1}.")
            return position
        frame_end = position + int(header) + 2
        if frame_end > len(lines) or not lines[frame_end - 1].endswith("\n"):
            return position
        position = frame_end
    return position


def _read_skipped(path: Path, ids: list[str]) -> list[SkippedConfiguration]:
    """Read the sidecar of skipped configurations, checked against ``ids``."""
    sidecar = skipped_path(path)
    if not sidecar.exists():
        return []
    entries = [
        SkippedConfiguration(**entry) for entry in json.loads(sidecar.read_text())
    ]
    for entry in entries:
        if entry.index >= len(ids) or ids[entry.index] != entry.config_id:
            raise ValueError(
                f"{sidecar} belongs to a different configuration list: it "
                f"skips {entry.config_id!r} at index {entry.index}."
            )
    return entries


def _write_skipped(path: Path, skipped: list[SkippedConfiguration]) -> None:
    """Rewrite the sidecar of skipped configurations atomically."""
    sidecar = skipped_path(path)
    temporary = sidecar.with_name(sidecar.name + ".tmp")
    entries = [asdict(entry) for entry in sorted(skipped, key=_by_index)]
    temporary.write_text(json.dumps(entries, indent=1))
    os.replace(temporary, sidecar)
