"""Claim: what sets the width of a distilled potential's force bounds.

Issue 10 asks for held-out force covering half-widths ≤ 6× the force RMSE
at coverage ≥ 0.99 on distilled W. The ellipsoid's bound for a row is
``k_s √(xᵀCx)``: C's shape (the second moment of the pointwise corrections)
times the force stratum's covering factor ``k_s``, the largest
``|e_i| / √(x_iᵀCx_i)`` over the training force rows. This script refits a
finished distillation exactly as the pipeline does and prints:

1. per row kind, ``k_s`` and the distribution of ``|e_i|`` ÷ half-width on
   the training and held-out rows, and the half-width ÷ RMSE a ``k`` chosen
   by the held-out rows themselves would give (no covering ``k`` on C's
   shape can do better);
2. the training force rows that set ``k_s``, and the ratio per sampling
   group;
3. an experiment that is *not* the shipped posterior: keep C's axes but
   choose their scales by a linear programme, the smallest mean squared
   half-width over the training force rows subject to covering every one of
   them (optionally with each axis kept at ≥ ``floor`` × its scale in C).

Run after a distillation (the demo's ``demo_output/distill`` or
``mixpot distill --out DIR``)::

    python benchmarks/pops_force_width.py --distill demo_output/distill

Without ``--distill`` it runs (or resumes) ``mixpot distill --expensive
sevennet:7net-0 --element W`` into ``--out`` (default
``benchmark_output/pops_force_width``; ~3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
from pathlib import Path

import numpy as np
from ase.io import read
from scipy.optimize import linprog
from scipy.stats import spearmanr

from _common import markdown_table
from mixpot.cli import main as mixpot
from mixpot.distill.elastic_checks import cached_elastic_reference
from mixpot.distill.fitting import fit_distilled
from mixpot.distill.pipeline import config_from_dict

KINDS = ("force", "atom_energy", "stress", "energy")
FLOORS = (0.0, 0.01, 0.05, 0.1)


def refit(distill_dir: Path):
    """Refit a finished distillation from its own files, as the pipeline did."""
    config = config_from_dict(json.loads((distill_dir / "distill.json").read_text()))
    labelled = read(distill_dir / "dataset.extxyz", index=":")
    reference_file = distill_dir / "expensive_elastic.json"
    reference = None
    if config.fit.elastic_mode(len(config.recipe.elements)) == "exact":
        if not reference_file.exists():
            raise FileNotFoundError(
                f"{reference_file} is missing: finish the distillation first."
            )
        element, lattice = config.recipe.elements[0], config.recipe.lattice
        reference = cached_elastic_reference(
            None, element, lattice, 0.0, reference_file
        )
    fit = fit_distilled(
        config.snap(),
        labelled,
        config.fit,
        config.baseline,
        elastic_reference=reference,
    )
    return config, fit


class RowSet:
    """Errors, half-widths, groups and axis coordinates of one set of rows."""

    def __init__(self, fit, rows, labelled, keep=None):
        regressor = fit.potential.regressor
        self.kind = rows.kind
        self.error = rows.targets_from(labelled) - rows.predict(fit.potential.coef)
        low, high = regressor.predict_bounds(rows.X, strata=rows.kind)
        self.half_width = (high - low) / 2
        groups = np.array([str(a.info.get("group", "")) for a in labelled])
        self.group = groups[rows.structure]
        self.atom = rows.atom
        self.coordinates = regressor.mode_coordinates(rows.X)
        self.keep = np.ones(len(self.kind), bool) if keep is None else keep

    def of(self, kind: str) -> np.ndarray:
        """Mask of the kept rows of one kind."""
        return (self.kind == kind) & self.keep

    def ratio(self, mask) -> np.ndarray:
        """``|e_i|`` ÷ half-width of the masked rows (1: on the bound)."""
        return np.abs(self.error[mask]) / self.half_width[mask]


def _rmse(values) -> float:
    return float(np.sqrt(np.mean(values**2)))


def kind_table(regressor, train: RowSet, test: RowSet) -> str:
    target = regressor.posteriors_[0]
    labels = list(regressor.strata_)
    rows = []
    for kind in KINDS:
        if kind not in labels or not test.of(kind).any():
            continue
        mask_tr, mask_te = train.of(kind), test.of(kind)
        r_tr, r_te = train.ratio(mask_tr), test.ratio(mask_te)
        rmse = _rmse(test.error[mask_te])
        width = float(test.half_width[mask_te].mean()) / rmse
        rows.append(
            [
                kind,
                target.stratum_radii[labels.index(kind)],
                int(mask_tr.sum()),
                " / ".join(f"{q:.3f}" for q in np.quantile(r_tr, [0.5, 0.99, 0.999])),
                int(mask_te.sum()),
                float(np.mean(r_te <= 1.0)),
                width,
                " / ".join(f"{q:.3f}" for q in np.quantile(r_te, [0.5, 0.99, 1.0])),
                width * float(r_te.max()),
            ]
        )
    return markdown_table(
        [
            "kind",
            "k_s",
            "train rows",
            "train \\|e\\|/½w 50% / 99% / 99.9%",
            "held-out rows",
            "held-out inside",
            "½w ÷ RMSE",
            "held-out \\|e\\|/½w 50% / 99% / max",
            "½w ÷ RMSE with k from the held-out max",
        ],
        rows,
    )


def setters_table(train: RowSet, n_rows: int = 10) -> str:
    mask = np.flatnonzero(train.of("force"))
    ratio = train.ratio(mask)
    top = mask[np.argsort(ratio)[::-1][:n_rows]]
    rows = [
        [
            train.group[i],
            int(train.atom[i]),
            1000 * train.error[i],
            1000 * train.half_width[i],
            abs(train.error[i]) / train.half_width[i],
        ]
        for i in top
    ]
    return markdown_table(
        ["group", "atom", "error (meV/Å)", "½w (meV/Å)", "\\|e\\|/½w"], rows
    )


def group_table(train: RowSet, test: RowSet) -> str:
    rows = []
    for name, rowset in (("train", train), ("held out", test)):
        force = rowset.of("force")
        for group in np.unique(rowset.group[force]):
            mask = force & (rowset.group == group)
            ratio = rowset.ratio(mask)
            rows.append(
                [
                    name,
                    group,
                    int(mask.sum()),
                    1000 * _rmse(rowset.error[mask]),
                    float(np.quantile(ratio, 0.99)),
                    float(ratio.max()),
                ]
            )
    return markdown_table(
        [
            "set",
            "group",
            "force rows",
            "RMSE (meV/Å)",
            "\\|e\\|/½w 99%",
            "\\|e\\|/½w max",
        ],
        rows,
    )


def reweighted_axes(regressor, train: RowSet, floor: float) -> np.ndarray:
    """Squared semi-axes c ≥ floor·(k_s s)² covering every training force row.

    Minimises the mean of ``Σ_j g_ij² c_j`` (the squared half-width) over the
    training force rows subject to ``Σ_j g_ij² c_j ≥ e_i²`` for each of them;
    the constraint rows are divided by ``e_i²`` and ``c`` is measured in
    units of C's own ``(k_s s_j)²``, so that C itself is the point ``u = 1``.
    """
    target = regressor.posteriors_[0]
    k_force = target.stratum_radii[list(regressor.strata_).index("force")]
    unit = (k_force * target.axis_scale) ** 2
    mask = train.of("force")
    g2 = train.coordinates[mask] ** 2 * unit
    error2 = train.error[mask] ** 2
    binding = error2 > 1e-12 * error2.max()
    result = linprog(
        g2.mean(axis=0),
        A_ub=-g2[binding] / error2[binding, None],
        b_ub=-np.ones(int(binding.sum())),
        bounds=(floor, None),
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(f"the covering LP failed: {result.message}")
    return result.x * unit


def reshaped_table(regressor, train: RowSet, test: RowSet) -> str:
    target = regressor.posteriors_[0]
    k_force = target.stratum_radii[list(regressor.strata_).index("force")]
    shapes = {"C (shipped)": ((k_force * target.axis_scale) ** 2, 0.0)}
    for floor in FLOORS:
        shapes[f"LP, floor {floor}"] = (reweighted_axes(regressor, train, floor), floor)
    rows = []
    tr, te = train.of("force"), test.of("force")
    rmse = _rmse(test.error[te])
    for name, (c, floor) in shapes.items():
        half_tr = np.sqrt(train.coordinates[tr] ** 2 @ c)
        half_te = np.sqrt(test.coordinates[te] ** 2 @ c)
        lowest = floor * (k_force * target.axis_scale) ** 2
        free = c > (1 + 1e-6) * lowest + 1e-12 * c.max()
        rows.append(
            [
                name,
                float(np.mean(np.abs(train.error[tr]) <= half_tr * (1 + 1e-9))),
                float(np.mean(np.abs(test.error[te]) <= half_te)),
                float(half_te.mean()) / rmse,
                f"{int(free.sum())} / {len(c)}",
                float(spearmanr(np.abs(test.error[te]), half_te)[0]),
            ]
        )
    return markdown_table(
        [
            "shape",
            "train inside",
            "held-out inside",
            "½w ÷ RMSE",
            "axes above the floor",
            "Spearman(\\|e\\|, ½w) per component",
        ],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distill", type=Path, help="a finished distillation")
    parser.add_argument(
        "--out", type=Path, default=Path("benchmark_output/pops_force_width")
    )
    args = parser.parse_args()
    distill_dir = args.distill
    if distill_dir is None:
        distill_dir = args.out
        command = ["distill", "--expensive", "sevennet:7net-0", "--element", "W"]
        if mixpot([*command, "--out", str(distill_dir)]) != 0:
            raise SystemExit("mixpot distill failed")
    config, fit = refit(distill_dir)
    regressor = fit.potential.regressor
    train = RowSet(fit, fit.train_rows, fit.train, keep=fit.train_weights > 0)
    test = RowSet(fit, fit.test_rows, fit.test)
    print(
        f"pops_force_width.py: {datetime.date.today()}, {distill_dir} "
        f"(expensive {config.expensive}), 1-min load {os.getloadavg()[0]:.2f}\n"
    )
    print("### Per row kind (held-out rows: bounds of the shipped posterior)\n")
    print(kind_table(regressor, train, test), "\n")
    print("### The training force rows that set k_s\n")
    print(setters_table(train), "\n")
    print("### Force rows per sampling group\n")
    print(group_table(train, test), "\n")
    print("### Experiment: C's axes, scales chosen by a covering LP (not shipped)\n")
    print(reshaped_table(regressor, train, test))


if __name__ == "__main__":
    main()
