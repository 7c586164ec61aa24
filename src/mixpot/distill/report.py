"""Judge a distilled potential: errors, POPS coverage, properties, plots.

:func:`score_rows` compares the cheap model with the expensive labels row by
row (energies per atom, force components, stresses) and counts how many
labels fall inside the POPS bounds. :func:`write_report` writes
``report.md``, ``report.json`` and the plots into the output folder.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from ase import Atoms

from mixpot.descriptors import SnapRows
from mixpot.potentials import LinearPotential

from . import uncertainty_scores
from .dropped import dropped_lines, report_scale, vanishing_rows
from .elastic_checks import vacancy_flag
from .groups import (
    energy_outliers,
    group_lines,
    group_scores,
    outlier_lines,
    warn_outliers,
)
from .solute_properties import solute_property_lines

logger = logging.getLogger(__name__)

KINDS = ("energy", "force", "stress", "atom_energy")
UNITS = {"energy": "meV/atom", "force": "meV/Å", "stress": "GPa", "atom_energy": "meV"}


@dataclass(frozen=True)
class KindScores:
    """Errors and POPS coverage of one kind of row."""

    n_rows: int
    rmse: float
    mae: float
    coverage: float
    mean_half_width: float
    n_dropped: int = 0


@dataclass
class RowPredictions:
    """Labels, predictions and POPS bounds per row, in report units."""

    kind: np.ndarray
    group: np.ndarray
    target: np.ndarray
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    std: np.ndarray
    fitted: np.ndarray | None = None
    n_atoms: np.ndarray | None = None
    interval_lower: np.ndarray | None = None
    interval_upper: np.ndarray | None = None
    structure: np.ndarray | None = None
    atom: np.ndarray | None = None


def predict_rows(
    potential: LinearPotential,
    rows: SnapRows,
    labelled: list[Atoms],
    fitted: np.ndarray | None = None,
) -> RowPredictions:
    """Predict every row with its POPS bounds, in report units.

    Energies per atom in meV/atom, forces in meV/Å, stresses in GPa,
    per-atom energies in meV. ``fitted`` marks the rows in the fit (default:
    those whose descriptors do not vanish); coverage is counted over them.
    Also the calibrated 95% interval (``predict_interval``) when the
    posterior holds its calibration. A posterior fit per row kind
    (``strata=rows.kind``) predicts each row with its kind's covering
    factor and quantiles (:func:`row_strata`).
    """
    regressor = potential.regressor
    if regressor is None:
        raise ValueError(
            "The 'potential' parameter of predict_rows must have a POPS "
            "posterior to report on. Got a LinearPotential without one."
        )
    target = rows.targets_from(labelled)
    mean = rows.predict(potential.coef)
    strata = row_strata(regressor, rows)
    lower, upper = regressor.predict_bounds(rows.X, strata=strata)
    _, std = regressor.predict(rows.X, return_std=True, strata=strata)
    lower, upper = lower + rows.baseline, upper + rows.baseline
    try:
        interval = regressor.predict_interval(rows.X, coverage=0.95, strata=strata)
        interval = [end + rows.baseline for end in interval]
    except ValueError:  # a posterior read from a file without calibration
        interval = None
    scale = report_scale(rows)
    if fitted is None:
        fitted = ~vanishing_rows(rows.X, rows.kind)
    groups = np.array([str(a.info.get("group", "")) for a in labelled])
    return RowPredictions(
        kind=rows.kind,
        group=groups[rows.structure],
        target=target * scale,
        mean=mean * scale,
        lower=lower * scale,
        upper=upper * scale,
        std=std * scale,
        fitted=np.asarray(fitted, dtype=bool),
        n_atoms=rows.n_atoms[rows.structure],
        interval_lower=None if interval is None else interval[0] * scale,
        interval_upper=None if interval is None else interval[1] * scale,
        structure=rows.structure,
        atom=rows.atom,
    )


def row_strata(regressor, rows: SnapRows) -> np.ndarray | None:
    """Return the stratum labels to predict ``rows`` with: their kinds, or None.

    ``rows.kind`` when the posterior was fit per row kind, None (the pooled
    calibration) for a posterior fit without strata.
    """
    return rows.kind if getattr(regressor, "strata_", None) is not None else None


def score_rows(
    predictions: RowPredictions, label_noise: float = 1e-6
) -> dict[str, KindScores]:
    """RMSE, MAE and POPS coverage per kind of row.

    RMSE and MAE are over all rows; coverage and half-width over the rows
    fitted (``predictions.fitted``), the others counted in ``n_dropped``.

    A label counts as inside its bounds within ``label_noise`` × the RMS of
    the labels of its kind: float32 models (SevenNet) give labels with ~1e-7
    relative noise, and rows whose descriptors vanish by symmetry (shear
    stresses of a cubic cell) carry nothing but that noise, which no
    parameter can fit.
    """
    scores = {}
    for kind in KINDS:
        mask = predictions.kind == kind
        if not mask.any():
            continue
        error = predictions.mean[mask] - predictions.target[mask]
        slack = label_noise * np.sqrt(np.mean(predictions.target[mask] ** 2))
        all_rows = mask
        if predictions.fitted is not None and (mask & predictions.fitted).any():
            mask = mask & predictions.fitted
        inside = (predictions.lower[mask] - slack <= predictions.target[mask]) & (
            predictions.target[mask] <= predictions.upper[mask] + slack
        )
        scores[kind] = KindScores(
            n_rows=int(all_rows.sum()),
            rmse=float(np.sqrt(np.mean(error**2))),
            mae=float(np.mean(np.abs(error))),
            coverage=float(inside.mean()),
            mean_half_width=float(
                np.mean(predictions.upper[mask] - predictions.lower[mask]) / 2
            ),
            n_dropped=int(all_rows.sum() - mask.sum()),
        )
    return scores


def scores_by_group(predictions: RowPredictions) -> dict[str, dict[str, float]]:
    """Energy and force RMSE of each configuration group (e.g. per temperature)."""
    table = {}
    for group in sorted(set(predictions.group.tolist())):
        in_group = predictions.group == group
        row = {}
        for kind in ("energy", "force"):
            mask = in_group & (predictions.kind == kind)
            if mask.any():
                error = predictions.mean[mask] - predictions.target[mask]
                row[f"{kind}_rmse"] = float(np.sqrt(np.mean(error**2)))
        table[group] = row
    return table


def write_report(
    out_dir: Path,
    train: RowPredictions,
    test: RowPredictions | None,
    properties: dict[str, dict] | None = None,
    extra: dict | None = None,
) -> dict:
    """Write ``report.md``, ``report.json`` and plots; return the numbers.

    Parameters
    ----------
    out_dir : Path
        Output folder.
    train, test : RowPredictions
        Predictions on the training and held-out rows.
    properties : dict, optional
        ``{"expensive": {...}, "cheap": {...}, "cheap_min": {...},
        "cheap_max": {...}}`` from :mod:`mixpot.distill.properties`.
    extra : dict, optional
        Anything else to record (settings, timings).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    numbers = {
        "train": {k: asdict(v) for k, v in score_rows(train).items()},
        "held_out": {}
        if test is None
        else {k: asdict(v) for k, v in score_rows(test).items()},
        "held_out_by_group": {} if test is None else group_scores(test),
        "train_by_group": group_scores(train),
        "held_out_uncertainty": {}
        if test is None
        else uncertainty_scores.uncertainty_scores(test),
        "properties": properties or {},
        **(extra or {}),
    }
    numbers["energy_outlier_groups"] = {
        split: energy_outliers(numbers[f"{split}_by_group"])
        for split in ("train", "held_out")
    }
    warn_outliers(numbers["energy_outlier_groups"])
    flag = vacancy_flag(numbers["properties"], train)
    numbers["flags"] = [] if flag is None else [flag]
    (out_dir / "report.json").write_text(json.dumps(numbers, indent=2))
    plots = _write_plots(out_dir, test if test is not None else train)
    (out_dir / "report.md").write_text(_markdown(numbers, plots))
    logger.info("report written to %s", out_dir)
    return numbers


def _markdown(numbers: dict, plots: list[str]) -> str:
    lines = ["# Distillation report", ""]
    for split in ("train", "held_out"):
        if not numbers[split]:
            continue
        title = "Training rows" if split == "train" else "Held-out rows"
        lines += [
            f"## {title}",
            "",
            "| rows | n | RMSE | MAE | inside POPS bounds | mean half-width "
            "| left out of the fit |",
            "|---|---|---|---|---|---|---|",
        ]
        for kind, s in numbers[split].items():
            unit = UNITS[kind]
            lines.append(
                f"| {kind} ({unit}) | {s['n_rows']} | {s['rmse']:.3g} | "
                f"{s['mae']:.3g} | {s['coverage']:.3f} | {s['mean_half_width']:.3g} "
                f"| {s.get('n_dropped', 0)} |"
            )
        lines.append("")
    lines += dropped_lines(numbers.get("dropped_rows", {}), UNITS)
    lines += outlier_lines(numbers.get("energy_outlier_groups", {}))
    lines += group_lines("Training errors by group", numbers.get("train_by_group", {}))
    lines += group_lines("Held-out errors by group", numbers["held_out_by_group"])
    lines += uncertainty_scores.markdown_lines(numbers.get("held_out_uncertainty"))
    lines += _property_lines(numbers["properties"])
    lines += [line for flag in numbers.get("flags", []) for line in (flag, "")]
    lines += ["## Plots", ""] + [f"![{name}]({name})" for name in plots]
    return "\n".join(lines) + "\n"


def _property_lines(properties: dict) -> list[str]:
    if not properties:
        return []
    lines = [
        "## Properties",
        "",
        "| property | expensive | cheap | cheap POPS ensemble range "
        "| expensive inside |",
        "|---|---|---|---|---|",
    ]
    names = {
        "lattice_constant": "a (Å)",
        "c11": "C11 (GPa)",
        "c12": "C12 (GPa)",
        "c44": "C44 (GPa)",
        "vacancy_formation_energy": "E_vac (eV)",
    }
    for key, label in names.items():
        exp = properties.get("expensive", {}).get(key, float("nan"))
        cheap = properties.get("cheap", {}).get(key, float("nan"))
        low = properties.get("cheap_min", {}).get(key, float("nan"))
        high = properties.get("cheap_max", {}).get(key, float("nan"))
        inside = properties.get("ranges", {}).get(key, {}).get("inside")
        lines.append(
            f"| {label} | {exp:.4g} | {cheap:.4g} | [{low:.4g}, {high:.4g}] | "
            f"{'—' if inside is None else ('yes' if inside else 'no')} |"
        )
    lines += solute_property_lines(properties)
    failed = properties.get("n_ensemble_failed")
    if failed:
        reasons = "; ".join(properties.get("ensemble_failures", [])[:3])
        lines.append(
            f"\n{failed} ensemble member(s) gave no properties and are left out "
            "of the ranges" + (f" ({reasons})." if reasons else ".")
        )
    return [*lines, "", *_elastic_check_lines(properties.get("elastic_check"))]


def _elastic_check_lines(check: dict | None) -> list[str]:
    if not check:
        return []
    deviations = ", ".join(
        f"{name} {value:.1e}" for name, value in check["max_relative_deviation"].items()
    )
    return [
        "Exact elastic constraints (zero stress at the expensive model's a, "
        "its unrelaxed C11, C12, C44; for diamond also the internal-strain "
        "terms, so that the relaxed-ion C44 is kept): largest relative "
        f"deviation over the cheap model and its {check['n_members']} ensemble "
        f"members: {deviations}; {check['n_members_stable']} of "
        f"{check['n_members']} members are Born-stable cubic crystals.",
        "",
    ]


def _write_plots(out_dir: Path, predictions: RowPredictions) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    for ax, kind in zip(axes, ("energy", "force"), strict=True):
        _parity(ax, predictions, kind)
    figure.tight_layout()
    names.append(_save(figure, out_dir, "parity.png"))
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    _coverage_by_width(axes[0], predictions)
    _error_vs_std(axes[1], predictions)
    figure.tight_layout()
    names.append(_save(figure, out_dir, "uncertainty.png"))
    figure, ax = plt.subplots(figsize=(6, 4))
    _errors_by_group(ax, predictions)
    figure.tight_layout()
    names.append(_save(figure, out_dir, "errors_by_group.png"))
    return names


def _save(figure, out_dir: Path, name: str) -> str:
    import matplotlib.pyplot as plt

    figure.savefig(out_dir / name, dpi=110)
    plt.close(figure)
    return name


def _parity(ax, p: RowPredictions, kind: str) -> None:
    mask = p.kind == kind
    if not mask.any():
        return
    below = p.mean[mask] - p.lower[mask]
    above = p.upper[mask] - p.mean[mask]
    ax.errorbar(
        p.target[mask],
        p.mean[mask],
        yerr=[below, above],
        fmt=".",
        ms=3,
        lw=0.5,
        alpha=0.6,
        label="cheap ± POPS bounds",
    )
    limits = [
        min(p.target[mask].min(), p.mean[mask].min()),
        max(p.target[mask].max(), p.mean[mask].max()),
    ]
    ax.plot(limits, limits, "k-", lw=0.8)
    ax.set_xlabel(f"expensive {kind} ({UNITS[kind]})")
    ax.set_ylabel(f"cheap {kind} ({UNITS[kind]})")
    ax.legend(loc="upper left", fontsize=8)


def _coverage_by_width(ax, p: RowPredictions, n_bins: int = 10) -> None:
    for kind in ("energy", "force"):
        mask = p.kind == kind
        if mask.sum() < n_bins:
            continue
        width = (p.upper - p.lower)[mask]
        inside = (p.lower[mask] <= p.target[mask]) & (p.target[mask] <= p.upper[mask])
        edges = np.quantile(width, np.linspace(0, 1, n_bins + 1))
        which = np.clip(np.searchsorted(edges, width, side="right") - 1, 0, n_bins - 1)
        centres = [np.median(width[which == b]) for b in range(n_bins)]
        fractions = [inside[which == b].mean() for b in range(n_bins)]
        ax.semilogx(centres, fractions, "o-", label=kind)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("POPS interval width (report units)")
    ax.set_ylabel("fraction of labels inside")
    ax.legend(fontsize=8)


def _error_vs_std(ax, p: RowPredictions) -> None:
    for kind in ("energy", "force"):
        mask = p.kind == kind
        if mask.any():
            error = np.abs(p.mean[mask] - p.target[mask])
            ax.loglog(p.std[mask], np.maximum(error, 1e-6), ".", ms=3, label=kind)
    ax.set_xlabel("predicted std (report units)")
    ax.set_ylabel("|error| (report units)")
    ax.legend(fontsize=8)


def _errors_by_group(ax, p: RowPredictions) -> None:
    table = scores_by_group(p)
    groups = list(table)
    forces = [table[g].get("force_rmse", np.nan) for g in groups]
    ax.bar(range(len(groups)), forces)
    ax.set_xticks(range(len(groups)), groups, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("force RMSE (meV/Å)")
