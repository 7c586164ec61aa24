"""What the report says about the elastic constraints and the property ranges.

* :func:`cached_elastic_reference` — the expensive model's
  :class:`~mixpot.distill.elastic_constraints.ElasticReference`, measured
  once per output folder (``expensive_elastic.json``);
* :func:`constraint_check` — the cheap model and every POPS ensemble member
  measured by the same formula at the same lattice constant: the largest
  relative deviation from the expensive model, and whether each member is a
  mechanically stable cubic crystal (Born: C11 − C12 > 0, C11 + 2 C12 > 0,
  C44 > 0);
* :func:`property_ranges` — min/max of each property over the ensemble and
  whether the expensive model's value lies inside.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from ase.calculators.calculator import Calculator

from .elastic_constraints import (
    ElasticReference,
    constrained_names,
    elastic_reference,
    elastic_values,
    in_report_units,
    zero_stress_lattice_constant,
)

logger = logging.getLogger(__name__)

#: Relative difference below which two property values count as equal.
ROUND_OFF = 1e-8


def cached_elastic_reference(
    calc: Calculator, element: str, lattice: str, guess: float, path: Path
) -> ElasticReference:
    """Measure the expensive model's elastic reference once; reuse ``path``."""
    path = Path(path)
    if path.exists():
        stored = ElasticReference.from_dict(json.loads(path.read_text()))
        # A reference stored before a constraint was added is measured again.
        known = set(stored.values) >= set(constrained_names(lattice))
        if (stored.element, stored.lattice) == (element, lattice) and known:
            return stored
    reference = elastic_reference(calc, element, lattice, guess)
    path.write_text(json.dumps(reference.as_dict(), indent=2))
    return reference


def born_stable(values_gpa: dict[str, float]) -> bool:
    """Cubic Born stability of (relaxed-ion) C11, C12, C44 (GPa).

    A ``lattice_constant`` of NaN (no stable zero-stress root) is unstable.
    """
    c11, c12 = values_gpa["c11"], values_gpa["c12"]
    c44 = values_gpa.get("c44_relaxed", values_gpa["c44"])
    equilibrium = np.isfinite(values_gpa.get("lattice_constant", 0.0))
    return bool(equilibrium and c11 - c12 > 0 and c11 + 2 * c12 > 0 and c44 > 0)


def constraint_check(
    reference: ElasticReference,
    cheap: Calculator,
    members: Sequence[Calculator] = (),
) -> dict:
    """Measure the cheap model and its members as the reference was measured.

    Returns
    -------
    dict
        ``expensive``, ``cheap`` (GPa, eV/Å, eV/Å²; ``lattice_constant``
        in Å, the zero-stress root) and, over cheap and members,
        ``max_relative_deviation`` per constrained quantity (the pressure
        relative to C11) and of the zero-stress lattice constant,
        ``n_members`` and ``n_members_stable``.

    Examples
    --------
    >>> from mixpot.models import expensive_calculator
    >>> calc = expensive_calculator("lammps:W_zhou")
    >>> reference = elastic_reference(calc, "W", "bcc", 3.16)
    >>> check = constraint_check(reference, calc)
    >>> check["max_relative_deviation"]["c44"]
    0.0
    """
    expensive = {**reference.gpa(), "lattice_constant": reference.lattice_constant}
    measured = [_measured(reference, cheap)] + [
        _measured(reference, member) for member in members
    ]
    deviation = {}
    for name in ("lattice_constant", *constrained_names(reference.lattice)):
        scale = abs(expensive["c11"]) if name == "pressure" else abs(expensive[name])
        target = 0.0 if name == "pressure" else expensive[name]
        # NaN (no root) propagates: the report then shows nan, not a number.
        errors = [abs(m[name] - target) / scale for m in measured]
        deviation[name] = float(np.max(errors))
    return {
        "expensive": expensive,
        "cheap": measured[0],
        "max_relative_deviation": deviation,
        "n_members": len(members),
        "n_members_stable": sum(born_stable(m) for m in measured[1:]),
    }


def property_ranges(
    expensive: dict[str, float], members: Sequence[dict[str, float]]
) -> dict[str, dict]:
    """Ensemble min/max per property and whether the expensive value is inside.

    ``inside`` is True when ``min ≤ expensive ≤ max`` or when both ends equal
    the expensive value to :data:`ROUND_OFF` relative (constrained
    quantities, which every member keeps).

    Examples
    --------
    >>> property_ranges({"c11": 500.0}, [{"c11": 490.0}, {"c11": 510.0}])
    {'c11': {'min': 490.0, 'max': 510.0, 'inside': True}}
    """
    ranges = {}
    for name, value in expensive.items():
        found = [m[name] for m in members if np.isfinite(m.get(name, np.nan))]
        if not found:
            continue
        low, high = min(found), max(found)
        slack = ROUND_OFF * max(abs(value), 1e-300)
        ranges[name] = {
            "min": low,
            "max": high,
            "inside": bool(low - slack <= value <= high + slack),
        }
    return ranges


def _measured(reference: ElasticReference, calc: Calculator) -> dict[str, float]:
    values = elastic_values(
        calc,
        reference.element,
        reference.lattice,
        reference.lattice_constant,
        reference.strain,
    )
    try:
        a = zero_stress_lattice_constant(
            calc, reference.element, reference.lattice, reference.lattice_constant
        )
    except RuntimeError as error:  # counted as not stable, reported as NaN
        logger.warning("no zero-stress lattice constant: %s", error)
        a = float("nan")
    return {**in_report_units(values), "lattice_constant": a}


#: Relative E_vac error above which the report flags the vacancy energy.
VACANCY_TOLERANCE = 0.05


def vacancy_flag(properties: dict, train) -> str | None:
    """Return a sentence flagging E_vac when it misses by over 5%, with why.

    The reason given is what was measured: the training energy errors of the
    vacancy configurations (per cell: E_vac is a difference of total
    energies) against the E_vac error, and whether the ensemble range holds
    the expensive value.

    Parameters
    ----------
    properties : dict
        ``{"expensive": {...}, "cheap": {...}, "ranges": {...}}``.
    train : RowPredictions
        Training rows (energies in meV/atom).
    """
    key = "vacancy_formation_energy"
    expensive = properties.get("expensive", {}).get(key)
    cheap = properties.get("cheap", {}).get(key)
    if expensive is None or cheap is None:
        return None
    relative = cheap / expensive - 1
    if abs(relative) <= VACANCY_TOLERANCE:
        return None
    per_cell = _vacancy_cell_errors(train)
    training = (
        "no training configuration is in a vacancy group"
        if not per_cell
        else f"the {len(per_cell)} vacancy training cells have total-energy "
        f"errors of {min(per_cell):+.0f} to {max(per_cell):+.0f} meV "
        f"(mean |error| {np.mean(np.abs(per_cell)):.0f} meV)"
    )
    inside = properties.get("ranges", {}).get(key, {}).get("inside")
    ensemble = (
        ""
        if inside is None
        else "; the ensemble range "
        + ("holds" if inside else "does not hold")
        + " the expensive value"
    )
    return (
        f"**E_vac flagged**: the cheap model's {cheap:.3f} eV is "
        f"{100 * relative:+.1f}% off the expensive model's {expensive:.3f} eV "
        f"(> {100 * VACANCY_TOLERANCE:.0f}%). Against an E_vac error of "
        f"{1e3 * (cheap - expensive):+.0f} meV, {training}{ensemble}: "
        + (
            "the fit does not reproduce the vacancy cells it was trained on "
            "(more vacancy configurations or a higher energy weight help)."
            if per_cell
            and np.mean(np.abs(per_cell)) > 0.3 * abs(1e3 * (cheap - expensive))
            else "the training cells are fitted well, so the miss comes from the "
            "relaxed vacancy geometry, which the sampled (MD, rattled) vacancy "
            "cells do not pin."
        )
    )


def _vacancy_cell_errors(train) -> list[float]:
    """Total-energy error (meV) of each training configuration of a vacancy group."""
    if train is None or train.structure is None:
        return []
    errors = []
    energy = train.kind == "energy"
    vacancy = np.char.find(train.group.astype(str), "vacancy") >= 0
    for structure in np.unique(train.structure[energy & vacancy]):
        mine = train.structure == structure
        n_atoms = int(np.sum(mine & (train.kind == "force")) // 3)
        row = np.flatnonzero(mine & energy)[0]
        errors.append(float((train.mean[row] - train.target[row]) * n_atoms))
    return errors
