"""Solute properties: solution energies and solute–vacancy binding.

Computed the same way for the expensive and the cheap model (and every POPS
ensemble member), in the cells of :mod:`mixpot.distill.solutes` at the
model's own lattice constant, positions relaxed at fixed cell. With ε the
host's bulk energy per atom, μ the energy of an isolated solute atom and N
the sites of the perfect ``repeat³`` supercell (energies in eV):

* ``solution_substitutional`` = E(N−1 host + S) − (N−1) ε − μ;
* ``solution_tetrahedral``, ``solution_octahedral`` = E(N host + S) − N ε − μ
  (bcc and fcc); the solute starts on the ideal site and the relaxation keeps
  the site's symmetry, so an unstable site (a saddle) is still reported;
* ``solute_vacancy_binding`` = E_sub + E_vac − E_sub+vac (a substitutional
  solute and a vacancy on nearest-neighbour sites; > 0 binds);
* ``vacancy_trapping`` = E_sol,tet − E_sol,sub + E_f,vac: the energy an
  interstitial solute gains by falling into a vacancy (He, H…).

Keys are ``"<solute>.<name>"`` (e.g. ``"He.solution_tetrahedral"``), so the
values sit in the same flat dictionaries as the host properties.

Examples
--------
>>> from mixpot.models import expensive_calculator
>>> calc = expensive_calculator("lammps:W_He")
>>> values = solute_properties(calc, "W", "bcc", 3.1652, "He", repeat=2)
>>> values["He.solution_tetrahedral"] < values["He.solution_octahedral"]
True
"""

from __future__ import annotations

import logging

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.optimize import BFGS

from .solutes import (
    INTERSTITIAL_SITES,
    host_supercell,
    interstitial_cell,
    isolated_atom,
    solute_vacancy_cell,
    substitution_cell,
)
from .threads import small_dense_work

logger = logging.getLogger(__name__)

#: Report labels of the solute properties (eV).
SOLUTE_PROPERTY_LABELS = {
    "solution_substitutional": "E_sol substitutional",
    "solution_tetrahedral": "E_sol tetrahedral",
    "solution_octahedral": "E_sol octahedral",
    "solute_vacancy_binding": "solute–vacancy binding",
    "vacancy_trapping": "vacancy trapping",
}


def solute_properties(
    calc: Calculator,
    host: str,
    lattice: str,
    a: float,
    solute: str,
    repeat: int = 3,
    fmax: float = 1e-3,
) -> dict[str, float]:
    """Solution energies and solute–vacancy binding of one solute (eV).

    Parameters
    ----------
    calc : ase.calculators.calculator.Calculator
    host : str
        Host element of the crystal.
    lattice : {"bcc", "fcc", "diamond", "sc"}
        Interstitial energies only for bcc and fcc.
    a : float
        The model's own cubic lattice constant (Å).
    solute : str
    repeat : int, default 3
        Supercell of the conventional cell.
    fmax : float, default 1e-3
        Relaxation threshold (eV/Å).

    Returns
    -------
    dict of str to float
        Keys ``"<solute>.<name>"`` (module docstring).
    """
    with small_dense_work():
        bulk_energy = _energy(host_supercell(host, lattice, a, repeat), calc)
        n_sites = len(host_supercell(host, lattice, a, repeat))
        epsilon = bulk_energy / n_sites
        mu = _energy(isolated_atom(solute), calc)
        vacancy_cell = host_supercell(host, lattice, a, repeat)
        del vacancy_cell[0]
        e_vac = _relaxed(vacancy_cell, calc, fmax) - (n_sites - 1) * epsilon
        sub = (
            _relaxed(substitution_cell(host, lattice, a, repeat, solute), calc, fmax)
            - (n_sites - 1) * epsilon
            - mu
        )
        pair = (
            _relaxed(solute_vacancy_cell(host, lattice, a, repeat, solute), calc, fmax)
            - (n_sites - 2) * epsilon
            - mu
        )
        values = {
            "solution_substitutional": sub,
            "solute_vacancy_binding": sub + e_vac - pair,
        }
        for site in INTERSTITIAL_SITES.get(lattice, {}):
            cell = interstitial_cell(host, lattice, a, repeat, solute, site)
            values[f"solution_{site}"] = (
                _relaxed(cell, calc, fmax) - n_sites * epsilon - mu
            )
        if "solution_tetrahedral" in values:
            values["vacancy_trapping"] = values["solution_tetrahedral"] - sub + e_vac
    logger.info(
        "%s in %s %s: %s",
        solute,
        lattice,
        host,
        ", ".join(f"{k}={v:.3f} eV" for k, v in values.items()),
    )
    return {f"{solute}.{name}": float(value) for name, value in values.items()}


def _energy(atoms: Atoms, calc: Calculator) -> float:
    atoms.calc = calc
    return float(atoms.get_potential_energy())


def _relaxed(atoms: Atoms, calc: Calculator, fmax: float) -> float:
    """Energy after relaxing positions at fixed cell (eV)."""
    atoms.calc = calc
    if np.abs(atoms.get_forces()).max() > fmax:
        converged = BFGS(atoms, logfile=None).run(fmax=fmax, steps=1000)
        if not converged:
            logger.warning(
                "%s: relaxation not converged to %.0e eV/Å in 1000 steps",
                atoms.get_chemical_formula(),
                fmax,
            )
    return float(atoms.get_potential_energy())


def solute_property_lines(properties: dict) -> list[str]:
    """Rows of the report's property table for the solute properties.

    Examples
    --------
    >>> solute_property_lines({"expensive": {"He.solution_tetrahedral": 6.58},
    ...                        "cheap": {"He.solution_tetrahedral": 6.55}})
    ['| He: E_sol tetrahedral (eV) | 6.58 | 6.55 | [nan, nan] |']
    """
    nan = float("nan")
    expensive = properties.get("expensive", {})
    lines = []
    for key in expensive:
        solute, _, name = key.partition(".")
        if name not in SOLUTE_PROPERTY_LABELS:
            continue
        cheap = properties.get("cheap", {}).get(key, nan)
        low = properties.get("cheap_min", {}).get(key, nan)
        high = properties.get("cheap_max", {}).get(key, nan)
        lines.append(
            f"| {solute}: {SOLUTE_PROPERTY_LABELS[name]} (eV) | {expensive[key]:.4g} "
            f"| {cheap:.4g} | [{low:.4g}, {high:.4g}] |"
        )
    return lines
