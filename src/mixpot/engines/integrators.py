"""ASE integrators of a ``[dynamics]`` section, and their checkpointable state.

=================  ==========================================================
``nve``            velocity Verlet
``langevin``       ASE Langevin on every atom (seeded ``numpy`` Generator)
``blend-langevin`` :class:`~mixpot.mixing.BlendLangevin`: friction on the blend
                   shell only (force mode's heat source)
``npt``            ASE NPTBerendsen (energy mode: needs the stress); taut,
                   taup and the compressibility from the section
``fire``, ``bfgs`` relaxations to ``fmax`` eV/Å (BFGS: energy mode only)
=================  ==========================================================

Verlet, Langevin and Berendsen keep no state beyond the atoms and the random
generator; FIRE keeps its velocities and step control, BFGS its Hessian and
last step: :func:`integrator_state` and :func:`restore_integrator` move those
through a checkpoint.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms, units

from mixpot.run.config import DynamicsSection

# Attributes of an optimiser that make up its state.
_FIRE_STATE = ("vel", "dt", "a", "Nsteps")
_BFGS_STATE = ("pos0", "forces0")


def make_integrator(atoms: Atoms, section: DynamicsSection, rng: np.random.Generator):
    """Build the ASE dynamics or optimiser ``section`` names, on ``atoms``."""
    timestep = section.timestep_fs * units.fs
    name = section.integrator
    if name == "nve":
        from ase.md.verlet import VelocityVerlet

        return VelocityVerlet(atoms, timestep)
    if name == "langevin":
        from ase.md.langevin import Langevin

        return Langevin(
            atoms,
            timestep,
            temperature_K=section.temperature_K,
            friction=section.friction_per_fs / units.fs,
            rng=rng,
        )
    if name == "blend-langevin":
        from mixpot.mixing import BlendLangevin

        return BlendLangevin(
            atoms,
            timestep,
            section.temperature_K,
            section.friction_per_fs / units.fs,
            rng=rng,
        )
    if name == "npt":
        from ase.md.nptberendsen import NPTBerendsen

        return NPTBerendsen(
            atoms,
            timestep,
            temperature_K=section.temperature_K,
            pressure_au=section.pressure_GPa * units.GPa,
            taut=section.taut_fs * units.fs,
            taup=section.taup_fs * units.fs,
            compressibility_au=section.compressibility_per_GPa / units.GPa,
        )
    if name == "fire":
        from ase.optimize import FIRE

        return FIRE(atoms, logfile=None)
    if name == "bfgs":
        from ase.optimize import BFGS

        return BFGS(atoms, logfile=None)
    raise ValueError(f"Unknown integrator {name!r}.")


def initial_velocities(atoms: Atoms, section: DynamicsSection) -> None:
    """Maxwell–Boltzmann velocities at ``temperature_K`` (seeded), no drift.

    Nothing for relaxations or without a temperature.
    """
    if section.is_relaxation or not section.temperature_K:
        return
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    MaxwellBoltzmannDistribution(
        atoms,
        temperature_K=section.temperature_K,
        rng=np.random.default_rng([section.seed, 0]),
    )
    Stationary(atoms)


def integrator_state(dynamics, section: DynamicsSection) -> dict[str, np.ndarray]:
    """Return the optimiser's own state as arrays (empty for MD integrators)."""
    if section.integrator == "fire":
        names = _FIRE_STATE
    elif section.integrator == "bfgs":
        names = _BFGS_STATE
        hessian = None if dynamics.state is None else dynamics.state.hessian
        state = _arrays(dynamics, names)
        if hessian is not None:
            state["hessian"] = np.asarray(hessian)
        return state
    else:
        return {}
    return _arrays(dynamics, names)


def restore_integrator(dynamics, section: DynamicsSection, state: dict) -> None:
    """Put back what :func:`integrator_state` saved."""
    if section.integrator == "fire":
        for name in _FIRE_STATE:
            if name in state:
                value = state[name]
                setattr(dynamics, name, value if value.ndim else value.item())
    elif section.integrator == "bfgs":
        from ase.optimize.bfgs import BFGSMethod

        for name in _BFGS_STATE:
            if name in state:
                setattr(dynamics, name, state[name])
        if "hessian" in state:
            dynamics.state = BFGSMethod(state["hessian"])


def _arrays(dynamics, names) -> dict[str, np.ndarray]:
    return {
        name: np.asarray(getattr(dynamics, name))
        for name in names
        if getattr(dynamics, name, None) is not None
    }
