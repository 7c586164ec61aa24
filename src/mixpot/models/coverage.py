"""Which elements a calculator covers, asked before any expensive work.

:func:`covered_elements` reads them from what each kind of calculator keeps:
the type map of a LAMMPS calculator (``parameters.atom_types``, as ASE's
``LAMMPSlib``), the type map of SevenNet, the descriptor of a mixpot
:class:`~mixpot.potentials.SnapCalculator`. :func:`check_covers` raises one
clear error when a run needs more.

Examples
--------
>>> from mixpot.models import expensive_calculator
>>> covered_elements(expensive_calculator("lammps:W_zhou"))
['W']
"""

from __future__ import annotations

from collections.abc import Sequence

from ase.data import chemical_symbols


def covered_elements(calc) -> list[str] | None:
    """Chemical symbols ``calc`` can evaluate; None when it does not say.

    Examples
    --------
    >>> from ase.calculators.emt import EMT
    >>> covered_elements(EMT()) is None
    True
    """
    parameters = getattr(calc, "parameters", None)
    atom_types = parameters.get("atom_types") if isinstance(parameters, dict) else None
    if isinstance(atom_types, dict) and atom_types:
        return list(atom_types)
    type_map = getattr(calc, "type_map", None)  # SevenNet: atomic number → index
    if isinstance(type_map, dict) and type_map:
        return [chemical_symbols[int(number)] for number in type_map]
    descriptor = getattr(getattr(calc, "potential", None), "descriptor", None)
    if descriptor is not None and getattr(descriptor, "elements", None):
        return list(descriptor.elements)
    return None


def check_covers(calc, elements: Sequence[str], role: str) -> None:
    """Raise ValueError when ``calc`` is known to miss one of ``elements``.

    ``role`` starts the message, e.g. "The expensive model 'lammps:W_zhou'".

    Examples
    --------
    >>> from mixpot.models import expensive_calculator
    >>> try:
    ...     check_covers(expensive_calculator("lammps:W_zhou"), ["W", "He"],
    ...                  "The expensive model")
    ... except ValueError as error:
    ...     print(str(error)[:47])
    The expensive model covers only ['W']; it lacks
    """
    covered = covered_elements(calc)
    if covered is None:
        return
    missing = [symbol for symbol in dict.fromkeys(elements) if symbol not in covered]
    if missing:
        shown = covered if len(covered) <= 12 else f"{len(covered)} elements"
        raise ValueError(
            f"{role} covers only {shown}; it lacks {missing}: choose a model "
            "(or element map) that covers every element of the run."
        )
