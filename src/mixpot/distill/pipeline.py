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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.io import read, write

from mixpot.descriptors import SNAP, ZBLBaseline
from mixpot.models import expensive_calculator
from mixpot.potentials import LinearPotential

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

logger = logging.getLogger(__name__)


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
        for each of the recipe's elements.
    fit : FitSettings
        Weights, held-out share and strain constraint.
    baseline : ZBLBaseline or None
        Optional fixed baseline of the cheap model.
    n_ensemble : int
        POPS ensemble members for property ranges (0: none).
    properties : bool
        Compute lattice and elastic constants and the vacancy energy.
    random_state : int
        Seed of sampling and of the ensemble.
    """

    expensive: str
    recipe: Recipe
    descriptor: SNAP | None = None
    fit: FitSettings = field(default_factory=FitSettings)
    baseline: ZBLBaseline | None = None
    n_ensemble: int = 8
    properties: bool = True
    random_state: int = 0

    def snap(self) -> SNAP:
        """Return the descriptor, with the default filled in."""
        if self.descriptor is not None:
            return self.descriptor
        n = len(self.recipe.elements)
        return SNAP(list(self.recipe.elements), [0.5] * n)


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
    calc = calc or expensive_calculator(config.expensive)
    timings = {}
    start = time.perf_counter()
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
    fit.potential.save(out_dir / "potential.npz")
    fit.potential.to_lammps(out_dir / "lammps", name="cheap")
    timings["fitting_s"] = time.perf_counter() - start
    start = time.perf_counter()
    properties = (
        _properties(config, calc, fit.potential, out_dir, configurations[0], reference)
        if (config.properties and len(config.recipe.elements) == 1)
        else {}
    )
    timings["properties_s"] = time.perf_counter() - start
    numbers = write_report(
        out_dir,
        predict_rows(fit.potential, fit.train_rows, fit.train),
        None
        if fit.test_rows is None
        else predict_rows(fit.potential, fit.test_rows, fit.test),
        properties,
        extra={
            "config": config_to_dict(config),
            "n_configurations": len(configurations),
            "n_skipped": len(dataset.skipped),
            "strain_weight": fit.strain_weight,
            "strain_rmse_history_eV_per_atom": fit.strain_rmse_history,
            "timings": timings,
        },
    )
    return DistillResult(fit, numbers, out_dir)


def _sampled(config: DistillConfig, calc: Calculator, out_dir: Path) -> list[Atoms]:
    path = out_dir / "configurations.extxyz"
    stamp = out_dir / "configurations.json"
    recipe_json = json.dumps(_as_json(config.recipe), sort_keys=True)
    if path.exists() and stamp.exists() and stamp.read_text() == recipe_json:
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
    if config.fit.elastic_constraint != "exact":
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
    recipe = config.recipe
    element, lattice = recipe.elements[0], recipe.lattice
    # Sampling stored the lattice constant it used (given or relaxed).
    guess = float(sampled.info["lattice_constant"])
    cache = out_dir / "expensive_properties.json"
    if cache.exists():
        expensive = json.loads(cache.read_text())
    else:
        expensive = cubic_properties(calc, element, lattice, guess).as_dict()
        cache.write_text(json.dumps(expensive, indent=2))
    cheap = cubic_properties(
        potential.calculator(uncertainty=False), element, lattice, guess
    ).as_dict()
    result = {"expensive": expensive, "cheap": cheap}
    members, member_calcs, failures = [], [], []
    if config.n_ensemble and potential.regressor is not None:
        coefs = potential.sample_coefficients(config.n_ensemble, config.random_state)
        for k, coef in enumerate(coefs):
            member = LinearPotential(potential.descriptor, coef, potential.baseline)
            member_calcs.append(member.calculator(uncertainty=False))
            try:
                members.append(
                    cubic_properties(member.calculator(), element, lattice, guess)
                )
            except (RuntimeError, ValueError) as error:
                # A member may describe no stable crystal or defect: say so.
                logger.warning("ensemble member %d: no properties (%s)", k, error)
                failures.append(f"member {k}: {error}")
        result["n_ensemble_failed"] = config.n_ensemble - len(members)
        result["ensemble_failures"] = failures
    if members:
        values = [m.as_dict() for m in members]
        result["cheap_min"] = {k: min(v[k] for v in values) for k in cheap}
        result["cheap_max"] = {k: max(v[k] for v in values) for k in cheap}
        result["ranges"] = property_ranges(expensive, values)
    if reference is not None:
        result["elastic_check"] = constraint_check(
            reference, potential.calculator(uncertainty=False), member_calcs
        )
    return result


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
    "held_out_uncertainty",
    "properties",
    "flags",
)
