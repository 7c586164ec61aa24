"""The demo's plots: each says at a glance what one table would say slowly.

* ``parity_deviations.png``: held-out energies and forces, cheap against
  expensive, as deviations from the mean (energies per atom), with the POPS
  covering bounds as error bars;
* ``calibration.png``: expected against observed coverage of the calibrated
  interval over held-out forces and energies, with the covering bounds;
* ``lambda_over_time.png``: λ on a slice through the defect in saved frames;
* ``error_vs_distance.png``: force error of cheap and mixed against the
  expensive model, by distance from the expensive core;
* ``speedup_vs_size.png``: measured and projected speedup over the expensive
  model alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase.io import read

from mixpot.run.output import TRAJECTORY

#: Nominal coverages of the calibration curve.
LEVELS = (0.5, 0.68, 0.8, 0.9, 0.95, 0.99)


#: Half-width (Å) of the λ maps around the defect.
ZOOM = 12.0


def write_figures(out_dir: Path, config, distilled, accuracy: dict) -> list[str]:
    """Write every plot into ``out_dir``; return their file names."""
    import matplotlib

    matplotlib.use("Agg")
    names = []
    fit = distilled.fit
    if fit.test_rows is not None and distilled.fit.potential.regressor is not None:
        held_out = held_out_rows(fit)
        names.append(_parity(out_dir, held_out))
        names.append(_calibration(out_dir, held_out))
    frames = read(Path(config.output.folder) / TRAJECTORY, index=":")
    names.append(_lambda_over_time(out_dir, frames, accuracy.get("interstitial_path")))
    names.append(_error_vs_distance(out_dir, accuracy))
    names.append(_speedup(out_dir, accuracy))
    return names


def held_out_rows(fit) -> dict:
    """Held-out energy and force rows: labels, means, bounds and intervals.

    Energies are per atom (meV/atom), forces in meV/Å (the report's
    :func:`~mixpot.distill.report.predict_rows`); ``observed`` maps each
    nominal coverage of :data:`LEVELS` to the share of rows inside the
    calibrated interval.
    """
    from mixpot.distill.dropped import report_scale
    from mixpot.distill.report import predict_rows, row_strata

    rows = fit.test_rows
    regressor = fit.potential.regressor
    predicted = predict_rows(fit.potential, rows, fit.test)
    scale = report_scale(rows)
    labels = row_strata(regressor, rows)
    out = {}
    for kind in ("energy", "force"):
        mask = rows.kind == kind
        if not mask.any():
            continue
        target = predicted.target[mask]
        observed = {}
        for level in LEVELS:
            strata = None if labels is None else labels[mask]
            low, high = regressor.predict_interval(rows.X[mask], level, strata)
            low = (low + rows.baseline[mask]) * scale[mask]
            high = (high + rows.baseline[mask]) * scale[mask]
            observed[level] = float(np.mean((low <= target) & (target <= high)))
        lower, upper = predicted.lower[mask], predicted.upper[mask]
        out[kind] = {
            "target": target,
            "mean": predicted.mean[mask],
            "lower": lower,
            "upper": upper,
            "observed": observed,
            "bounds_coverage": float(np.mean((lower <= target) & (target <= upper))),
        }
    return out


def _parity(out_dir: Path, held_out: dict) -> str:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(held_out), figsize=(5 * len(held_out), 4.4))
    units = {"energy": "meV/atom", "force": "meV/Å"}
    for ax, (kind, rows) in zip(np.atleast_1d(axes), held_out.items(), strict=True):
        shift = float(np.mean(rows["target"])) if kind == "energy" else 0.0
        x, y = rows["target"] - shift, rows["mean"] - shift
        ax.errorbar(
            x,
            y,
            yerr=[rows["mean"] - rows["lower"], rows["upper"] - rows["mean"]],
            fmt="o",
            ms=2.5,
            alpha=0.5,
            elinewidth=0.6,
            label="cheap, POPS bounds",
        )
        limits = [min(x.min(), y.min()), max(x.max(), y.max())]
        ax.plot(limits, limits, "k--", lw=0.8)
        what = "deviation from mean" if kind == "energy" else "component"
        ax.set_xlabel(f"expensive {kind} {what} ({units[kind]})")
        ax.set_ylabel(f"cheap {kind} {what} ({units[kind]})")
        ax.set_title(f"held-out {kind}: {100 * rows['bounds_coverage']:.1f}% inside")
        ax.locator_params(nbins=5)
        ax.legend(fontsize=8)
    figure.tight_layout()
    return _save(figure, out_dir, "parity_deviations.png")


def _calibration(out_dir: Path, held_out: dict) -> str:
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(4.8, 4.4))
    for kind, rows in held_out.items():
        levels = list(rows["observed"])
        ax.plot(
            levels, list(rows["observed"].values()), "o-", label=f"interval, {kind}"
        )
        ax.plot([1.0], [rows["bounds_coverage"]], "s", label=f"covering bounds, {kind}")
    ax.plot([0.45, 1.0], [0.45, 1.0], "k--", lw=0.8, label="ideal")
    ax.set_xlabel("expected coverage")
    ax.set_ylabel("observed coverage (held out)")
    ax.set_title("calibration of intervals and bounds")
    ax.legend(fontsize=8)
    figure.tight_layout()
    return _save(figure, out_dir, "calibration.png")


def _lambda_over_time(
    out_dir: Path, frames, interstitial: dict | None = None, n_panels: int = 5
) -> str:
    """λ on the (1-10) plane through the defect, and the core's path, over time.

    Top: the atoms within 1.5 Å of the plane through the first frame's core,
    within ``ZOOM`` Å of it, coloured by λ. Bottom: the distance of the λ = 1
    centroid, and of the Wigner–Seitz interstitial site, from where they
    started.
    """
    import matplotlib.pyplot as plt

    from .accuracy import core_centroid, defect_path

    chosen = np.unique(np.linspace(0, len(frames) - 1, n_panels).round().astype(int))
    figure = plt.figure(figsize=(2.6 * len(chosen) + 1.0, 5.6), layout="constrained")
    top, bottom = figure.subfigures(2, 1, height_ratios=[1.3, 1.0])
    axes = top.subplots(1, len(chosen), sharex=True, sharey=True, squeeze=False)[0]
    normal = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    along = np.ones(3) / np.sqrt(3)
    across = np.cross(normal, along)
    centre = core_centroid(frames[0])
    if centre is None:
        centre = frames[0].cell.sum(axis=0) / 2
    for ax, index in zip(axes, chosen, strict=True):
        frame = frames[index]
        offsets = _offsets(frame, centre)
        x, y = offsets @ along, offsets @ across
        in_view = (np.abs(x) < ZOOM) & (np.abs(y) < ZOOM)
        near = (np.abs(offsets @ normal) < 1.5) & in_view
        points = ax.scatter(
            x[near],
            y[near],
            c=frame.arrays["lambda"][near],
            cmap="viridis",
            vmin=0,
            vmax=1,
            s=36,
            edgecolors="k",
            linewidths=0.3,
        )
        ax.set_title(f"t = {frame.info['time_fs']:.0f} fs", fontsize=10)
        ax.set_xlabel("along [111] (Å)")
        ax.set_aspect("equal")
    axes[0].set_ylabel("across (Å)")
    top.colorbar(points, ax=list(axes), label="λ", shrink=0.9)
    ax = bottom.subplots()
    path = defect_path(frames)
    ax.plot(path["time_fs"], path["displacement_A"], "o-", ms=4, label="λ = 1 centroid")
    if interstitial is not None and interstitial["time_fs"]:
        ax.step(
            interstitial["time_fs"],
            interstitial["displacement_A"],
            where="mid",
            label="interstitial site (Wigner–Seitz)",
        )
    ax.set_xlabel("time (fs)")
    ax.set_ylabel("distance from start (Å)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(figure, out_dir, "lambda_over_time.png")


def _offsets(frame, centre: np.ndarray) -> np.ndarray:
    """Minimum-image vectors from ``centre`` to every atom (Å)."""
    from ase.geometry import find_mic

    return find_mic(frame.positions - centre, frame.cell, frame.pbc)[0]


def _error_vs_distance(out_dir: Path, accuracy: dict) -> str:
    import matplotlib.pyplot as plt

    profile = accuracy["profile"]
    distance = np.asarray(profile["distance_A"])
    figure, ax = plt.subplots(figsize=(5.2, 4.0))
    for key, label in (
        ("cheap_error_meV_per_A", "cheap alone"),
        ("mixed_error_meV_per_A", "mixed"),
    ):
        ax.semilogy(distance, np.maximum(profile[key], 1e-3), ".", ms=3, label=label)
    held_out = accuracy["held_out_force_rmse_meV_per_A"]
    ax.axhline(3 * held_out, color="k", lw=0.8, ls="--", label="3 × held-out RMSE")
    ax.set_xlabel("distance from the expensive core (Å)")
    ax.set_ylabel("force error per atom (meV/Å, RMS over x, y, z)")
    ax.set_title("against the expensive model on the whole cell")
    ax.legend(fontsize=8)
    figure.tight_layout()
    return _save(figure, out_dir, "error_vs_distance.png")


def _speedup(out_dir: Path, accuracy: dict) -> str:
    import matplotlib.pyplot as plt

    projection = accuracy["projection"]
    sizes, speedup = projection["n_atoms"], projection["speedup"]
    figure, ax = plt.subplots(figsize=(5.2, 4.0))
    ax.loglog(sizes[:1], speedup[:1], "o", label="this run (model costs)")
    ax.loglog(sizes, speedup, "--", label="projected: cut-out flat, cheap ∝ N")
    if "speedup_expensive_every_step" in projection:
        ax.loglog(
            sizes,
            projection["speedup_expensive_every_step"],
            ":",
            label="the same, expensive model every step",
        )
    ax.set_xlabel("atoms")
    ax.set_ylabel("speedup over the expensive model alone")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    return _save(figure, out_dir, "speedup_vs_size.png")


def _save(figure, out_dir: Path, name: str) -> str:
    import matplotlib.pyplot as plt

    figure.savefig(out_dir / name, dpi=120)
    plt.close(figure)
    return name
