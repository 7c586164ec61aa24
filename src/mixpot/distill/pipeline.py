"""The whole distillation: sample, label, fit, judge, write.

Every stage writes its result into the output folder as soon as it has it,
and a rerun picks up what is there:

* ``configurations.extxyz`` — the sampled configurations (MD with the
  expensive model is the slow part of sampling; it is not redone);
* ``dataset.extxyz`` — the labels, appended one by one (resumable);
* ``expensive_properties.json`` — the expensive model's properties;
* ``potential.npz`` and ``lammps/`` — the cheap model (mixpot and LAMMPS);
* ``report.md``, ``report.json`` and plots;
* ``distill.json`` — the settings of the run, for ``mixpot report``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.io import read, write

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.models import check_covers, expensive_calculator
from mixpot.potentials import LinearPotential, hottest_crystal_frames

from .checks import check_crystal, check_elements
from .elastic_checks import cached_elastic_reference, constraint_check, property_ranges
from .elastic_constraints import ElasticReference
from .fitting import (
    DistilledFit,
    FitSettings,
    fit_distilled,
    split_held_out,
    uses_atom_energies,
)
from .labelling import label
from .properties import cubic_properties
from .report import predict_rows, write_report
from .sampling import Recipe, all_configurations, sample
from .solute_properties import solute_properties
from .threads import small_dense_work

logger = logging.getLogger(__name__)

#: Neighbour weight of solutes in the default descriptor (the host's is 1).
#: With equal weights a substitutional solute looks like a host atom to its
#: neighbours' densities, so host atoms beyond the solute's own cutoff have
#: vanishing force rows the fit must drop, although an expensive model that
#: tells the elements apart puts forces there (issue 11: W–He, 20–70 meV/Å).
#: 0.3 was the best of 0.001–1 for the He solution energies of a W–He fit.
SOLUTE_NEIGHBOUR_WEIGHT = 0.3


@dataclass(frozen=True)
class DistillConfig:
    """Everything a distillation run needs.

    Attributes
    ----------
    expensive : str
        Spec of the expensive model (``sevennet:7net-0``, ``lammps:...``).
    recipe : Recipe
        What to sample.
    descriptor : SNAP or None
        Cheap model's descriptor; None: SNAP's defaults (2J =
        ``DEFAULT_TWOJMAX``, ``rcutfac`` = ``DEFAULT_RCUTFAC``) with radius 0.5
        for each of the recipe's elements, neighbour weight 1 for the host
        and :data:`SOLUTE_NEIGHBOUR_WEIGHT` for solutes.
    fit : FitSettings
        Weights, held-out share and strain constraint.
    baseline : ZBLBaseline or None
        Optional fixed baseline of the cheap model.
    n_ensemble : int
        POPS ensemble members for property ranges (0: none).
    properties : bool
        Compute lattice and elastic constants and the vacancy energy of the
        host (``recipe.elements[0]``) and the solute properties of the other
        elements (:mod:`mixpot.distill.solute_properties`).
    random_state : int
        Seed of sampling and of the ensemble.
    expensive_elements : list of str or None
        Chemical symbols of the expensive LAMMPS model's types 1, 2, ...;
        None reads them from the spec (a single ``NULL`` type is taken as
        the single recipe element the spec does not name).
    solute_repeat : int
        Supercell of the conventional cell for the solute properties.
    """

    expensive: str
    recipe: Recipe
    descriptor: SNAP | None = None
    fit: FitSettings = field(default_factory=FitSettings)
    baseline: ZBLBaseline | None = None
    n_ensemble: int = 8
    properties: bool = True
    random_state: int = 0
    expensive_elements: list[str] | None = None
    solute_repeat: int = 3

    def __post_init__(self) -> None:
        if self.expensive_elements is not None:
            check_elements(
                self.expensive_elements, "expensive_elements", "DistillConfig"
            )
        if not (isinstance(self.solute_repeat, int) and self.solute_repeat >= 1):
            raise ValueError(
                "The 'solute_repeat' parameter of DistillConfig must be an int "
                f">= 1. Got {self.solute_repeat!r}."
            )
        descriptor = self.descriptor
        if descriptor is not None:
            missing = [e for e in self.recipe.elements if e not in descriptor.elements]
            if missing:
                raise ValueError(
                    f"The descriptor covers {list(descriptor.elements)}; the "
                    f"recipe needs {missing} too: add them to the descriptor's "
                    "elements (with a radius each)."
                )

    def snap(self) -> SNAP:
        """Return the descriptor, with the default filled in."""
        if self.descriptor is not None:
            return self.descriptor
        return default_descriptor(self.recipe.elements)


def default_descriptor(elements: Sequence[str]) -> SNAP:
    """SNAP's defaults, radius 0.5 each, solutes weighted apart from the host.

    Examples
    --------
    >>> default_descriptor(["W", "He"]).weights
    (1.0, 0.3)
    """
    weights = [1.0] + [SOLUTE_NEIGHBOUR_WEIGHT] * (len(elements) - 1)
    return SNAP(list(elements), [0.5] * len(elements), weights=weights)


@dataclass
class DistillResult:
    """What a run produced."""

    fit: DistilledFit
    numbers: dict
    out_dir: Path


def distil(
    config: DistillConfig,
    out_dir: str | Path,
    calc: Calculator | None = None,
    progress: bool = False,
) -> DistillResult:
    """Run (or resume) a distillation into ``out_dir``.

    Parameters
    ----------
    config : DistillConfig
        The run.
    out_dir : str or Path
        Output folder; existing results in it are reused.
    calc : Calculator, optional
        The expensive model; default built from ``config.expensive``.
    progress : bool, default False
        Show progress bars (the caller decides; the CLI does).

    Returns
    -------
    DistillResult
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "distill.json").write_text(json.dumps(config_to_dict(config), indent=2))
    calc = checked_model(
        config, calc, check_lattice=not _samples_reusable(config, out_dir)
    )
    timings = {}
    start = time.perf_counter()
    with small_dense_work():
        configurations = _sampled(config, calc, out_dir)
    timings["sampling_s"] = time.perf_counter() - start
    start = time.perf_counter()
    dataset = label(configurations, calc, out_dir / "dataset.extxyz", progress)
    timings["labelling_s"] = time.perf_counter() - start
    if dataset.skipped:
        logger.warning(
            "%d configurations skipped, see the .skipped.json file",
            len(dataset.skipped),
        )
    start = time.perf_counter()
    descriptor = config.snap()
    reference = _elastic_reference(config, calc, out_dir, configurations[0])
    fit = fit_distilled(
        descriptor,
        list(dataset),
        config.fit,
        config.baseline,
        elastic_reference=reference,
    )
    fit.potential = _with_threshold(fit)
    fit.potential.save(out_dir / "potential.npz")
    fit.potential.to_lammps(out_dir / "lammps", name="cheap")
    timings["fitting_s"] = time.perf_counter() - start
    start = time.perf_counter()
    with small_dense_work():
        properties = (
            _properties(
                config, calc, fit.potential, out_dir, configurations[0], reference
            )
            if config.properties
            else {}
        )
    timings["properties_s"] = time.perf_counter() - start
    numbers = write_report(
        out_dir,
        predict_rows(
            fit.potential, fit.train_rows, fit.train, fitted=fit.train_weights > 0
        ),
        None
        if fit.test_rows is None
        else predict_rows(fit.potential, fit.test_rows, fit.test),
        properties,
        extra={
            "config": config_to_dict(config),
            "n_configurations": len(configurations),
            "n_configurations_by_group": dict(
                Counter(str(a.info.get("group", "")) for a in configurations)
            ),
            "n_skipped": len(dataset.skipped),
            "dropped_rows": fit.dropped,
            "strain_weight": fit.strain_weight,
            "strain_rmse_history_eV_per_atom": fit.strain_rmse_history,
            "timings": timings,
        },
    )
    return DistillResult(fit, numbers, out_dir)


def _with_threshold(fit: DistilledFit) -> LinearPotential:
    """Attach the uncertainty criterion's default threshold.

    A high quantile over the hottest perfect-crystal frames (training and
    held-out).
    """
    try:
        frames = hottest_crystal_frames(fit.train + fit.test)
    except ValueError as error:  # a recipe without MD or rattled crystals
        logger.warning("no uncertainty threshold stored: %s", error)
        return fit.potential
    return fit.potential.with_uncertainty_threshold(frames)


def checked_model(
    config: DistillConfig, calc: Calculator | None, check_lattice: bool = True
) -> Calculator:
    """Return the expensive model, checked against the run before any work.

    Raises ValueError (FileNotFoundError for a missing potential file) when
    it misses an element of the recipe or, with ``check_lattice``, the given
    lattice constant is implausible
    (:func:`~mixpot.distill.checks.check_crystal`; two evaluations, skipped
    when a rerun reuses the samples).
    """
    recipe = config.recipe
    if calc is None:
        calc = expensive_calculator(
            config.expensive, config.expensive_elements, needed=recipe.elements
        )
    else:
        check_covers(calc, recipe.elements, "The expensive model")
    if check_lattice and recipe.lattice_constant is not None:
        check_crystal(calc, recipe.elements[0], recipe.lattice, recipe.lattice_constant)
    return calc


def _samples_reusable(config: DistillConfig, out_dir: Path) -> bool:
    """Whether ``out_dir`` holds the configurations of this very recipe."""
    path = out_dir / "configurations.extxyz"
    stamp = out_dir / "configurations.json"
    recipe_json = json.dumps(_as_json(config.recipe), sort_keys=True)
    return path.exists() and stamp.exists() and stamp.read_text() == recipe_json


def _sampled(config: DistillConfig, calc: Calculator, out_dir: Path) -> list[Atoms]:
    path = out_dir / "configurations.extxyz"
    stamp = out_dir / "configurations.json"
    recipe_json = json.dumps(_as_json(config.recipe), sort_keys=True)
    if _samples_reusable(config, out_dir):
        logger.info("reusing the sampled configurations in %s", path)
    else:
        configurations = all_configurations(
            sample(config.recipe, calc, config.random_state)
        )
        partial = path.with_suffix(".partial")
        write(partial, configurations, format="extxyz")
        partial.replace(path)  # only complete files carry the final name
        stamp.write_text(recipe_json)
    # Label what was read back, so a resumed run sees identical positions.
    return read(path, index=":", format="extxyz")


def _elastic_reference(
    config: DistillConfig, calc: Calculator, out_dir: Path, sampled: Atoms
) -> ElasticReference | None:
    """Measure (or read) the expensive model's values for the exact constraints."""
    if config.fit.elastic_mode(len(config.recipe.elements)) != "exact":
        return None
    return cached_elastic_reference(
        calc,
        config.recipe.elements[0],
        config.recipe.lattice,
        float(sampled.info["lattice_constant"]),
        out_dir / "expensive_elastic.json",
    )


def _properties(
    config: DistillConfig,
    calc: Calculator,
    potential: LinearPotential,
    out_dir: Path,
    sampled: Atoms,
    reference: ElasticReference | None = None,
) -> dict:
    # Sampling stored the lattice constant it used (given or relaxed).
    guess = float(sampled.info["lattice_constant"])
    cache = out_dir / "expensive_properties.json"
    if cache.exists():
        expensive = json.loads(cache.read_text())
    else:
        expensive = _model_properties(config, calc, guess)
        cache.write_text(json.dumps(expensive, indent=2))
    cheap = _model_properties(config, potential.calculator(uncertainty=False), guess)
    result = {"expensive": expensive, "cheap": cheap}
    members, member_calcs, failures = [], [], []
    if config.n_ensemble and potential.regressor is not None:
        coefs = potential.sample_coefficients(config.n_ensemble, config.random_state)
        for k, coef in enumerate(coefs):
            member = LinearPotential(potential.descriptor, coef, potential.baseline)
            member_calcs.append(member.calculator(uncertainty=False))
            try:
                members.append(_model_properties(config, member.calculator(), guess))
            except (RuntimeError, ValueError) as error:
                # A member may describe no stable crystal or defect: say so.
                logger.warning("ensemble member %d: no properties (%s)", k, error)
                failures.append(f"member {k}: {error}")
        result["n_ensemble_failed"] = config.n_ensemble - len(members)
        result["ensemble_failures"] = failures
    if members:
        result["cheap_min"] = {k: min(v[k] for v in members) for k in cheap}
        result["cheap_max"] = {k: max(v[k] for v in members) for k in cheap}
        result["ranges"] = property_ranges(expensive, members)
    if reference is not None:
        result["elastic_check"] = constraint_check(
            reference, potential.calculator(uncertainty=False), member_calcs
        )
    return result


def _model_properties(config: DistillConfig, calc: Calculator, guess: float) -> dict:
    """Host properties, then those of each solute at the model's own a."""
    recipe = config.recipe
    host, lattice = recipe.elements[0], recipe.lattice
    values = cubic_properties(calc, host, lattice, guess).as_dict()
    for solute in recipe.elements[1:]:
        values.update(
            solute_properties(
                calc,
                host,
                lattice,
                values["lattice_constant"],
                solute,
                repeat=config.solute_repeat,
            )
        )
    return values


def _as_json(value):
    if dataclasses.is_dataclass(value):
        return {k: _as_json(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def config_from_dict(values: dict) -> DistillConfig:
    """Build a :class:`DistillConfig` from nested plain values (TOML, JSON).

    Keys: ``expensive``, ``n_ensemble``, ``properties``, ``random_state`` and
    the tables ``recipe`` (:class:`Recipe` fields), ``descriptor``
    (:class:`SNAP` fields), ``fit`` (:class:`FitSettings` fields) and
    ``baseline`` (``inner``, ``outer``).

    Examples
    --------
    >>> config = config_from_dict({"expensive": "lammps:W_zhou",
    ...                            "recipe": {"elements": ["W"]}})
    >>> config.recipe.lattice, config.snap().twojmax
    ('bcc', 8)
    """
    values = dict(values)
    known = {f.name for f in dataclasses.fields(DistillConfig)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(
            f"unknown distillation settings {sorted(unknown)}; known: {sorted(known)}."
        )
    if "expensive" not in values or "recipe" not in values:
        raise ValueError("a distillation needs 'expensive' and a 'recipe' table.")
    tables = {
        "recipe": Recipe,
        "descriptor": SNAP,
        "fit": FitSettings,
        "baseline": ZBLBaseline,
    }
    for name, kind in tables.items():
        if values.get(name) is not None:
            values[name] = _dataclass_from(kind, values[name], name)
    return DistillConfig(**values)


def config_to_dict(config: DistillConfig) -> dict:
    """Plain values of a :class:`DistillConfig` (inverse of config_from_dict)."""
    return _as_json(config)


def _dataclass_from(kind, values: dict, name: str):
    fields = {f.name for f in dataclasses.fields(kind)}
    unknown = set(values) - fields
    if unknown:
        raise ValueError(
            f"unknown keys {sorted(unknown)} in the [{name}] table; known: "
            f"{sorted(fields)}."
        )
    return kind(**values)


def rewrite_report(out_dir: str | Path) -> dict:
    """Rewrite the report of a finished run from the files in ``out_dir``.

    Reuses the properties already computed (``report.json``) and recomputes
    the row errors, coverage and plots from ``dataset.extxyz`` and
    ``potential.npz``.
    """
    out_dir = Path(out_dir)
    for name in ("distill.json", "dataset.extxyz", "potential.npz"):
        if not (out_dir / name).exists():
            raise FileNotFoundError(
                f"{out_dir / name} is missing: is {out_dir} the output folder of "
                "`mixpot distill`?"
            )
    config = config_from_dict(json.loads((out_dir / "distill.json").read_text()))
    potential = LinearPotential.load(out_dir / "potential.npz")
    labelled = read(out_dir / "dataset.extxyz", index=":", format="extxyz")
    train_ids, test_ids = split_held_out(
        labelled, config.fit.holdout_fraction, config.fit.random_state
    )
    previous = out_dir / "report.json"
    old = json.loads(previous.read_text()) if previous.exists() else {}
    per_atom = uses_atom_energies(labelled, config.fit)
    predictions = []
    for ids in (train_ids, test_ids):
        configs = [labelled[i] for i in ids]
        rows = potential.descriptor.rows(
            configs, baseline=potential.baseline, per_atom_energies=per_atom
        )
        predictions.append(predict_rows(potential, rows, configs) if ids else None)
    extra = {k: v for k, v in old.items() if k not in _REPORT_KEYS}
    return write_report(
        out_dir, predictions[0], predictions[1], old.get("properties"), extra
    )


_REPORT_KEYS = (
    "train",
    "held_out",
    "held_out_by_group",
    "train_by_group",
    "energy_outlier_groups",
    "held_out_uncertainty",
    "properties",
    "flags",
)
