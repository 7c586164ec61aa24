"""A real distillation: W from SevenNet-0 and from the W_2940_2017_2 SNAP.

Runs ``mixpot distill`` with its command-line defaults (the one-liner
``mixpot distill --expensive SPEC --element W --out DIR``) for each expensive
model into a fresh folder, and prints one table: wall time, held-out errors
and POPS coverage, and the properties of the cheap model next to the
expensive model's.

Run: ``python benchmarks/distill_tungsten.py [--only sevennet|snap] [--out DIR]``.
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from mixpot.cli import main as mixpot

MODELS = {
    "sevennet": "sevennet:7net-0",
    "snap": "lammps:W_snap",
}
PROPERTIES = {
    "lattice_constant": ("a (Å)", ".4f"),
    "c11": ("C11 (GPa)", ".0f"),
    "c12": ("C12 (GPa)", ".0f"),
    "c44": ("C44 (GPa)", ".0f"),
    "vacancy_formation_energy": ("E_vac (eV)", ".2f"),
}


def run(spec: str, out: Path) -> dict:
    start = time.perf_counter()
    code = mixpot(["distill", "--expensive", spec, "--element", "W", "--out", str(out)])
    if code != 0:
        raise RuntimeError(f"mixpot distill failed for {spec}")
    numbers = json.loads((out / "report.json").read_text())
    numbers["wall_s"] = time.perf_counter() - start
    return numbers


def rows(name: str, numbers: dict) -> list[str]:
    held = numbers["held_out"]
    props = numbers["properties"]
    cells = [
        name,
        f"{numbers['wall_s'] / 60:.1f}",
        f"{held['energy']['rmse']:.2f}",
        f"{held['force']['rmse']:.0f}",
        f"{held['energy']['coverage']:.2f} / {held['force']['coverage']:.2f}",
        f"{held['force']['mean_half_width'] / held['force']['rmse']:.1f}",
    ]
    for key, (_, fmt) in PROPERTIES.items():
        cells.append(f"{props['cheap'][key]:{fmt}} ({props['expensive'][key]:{fmt}})")
    return ["| " + " | ".join(cells) + " |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(MODELS))
    parser.add_argument("--out", type=Path, help="keep the runs here")
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="distill_w_"))
    header = (
        "| expensive | wall (min) | held-out E RMSE (meV/atom) | held-out F RMSE "
        "(meV/Å) | E / F inside bounds | F half-width ÷ RMSE | "
        + " | ".join(f"{label} cheap (expensive)" for label, _ in PROPERTIES.values())
        + " |"
    )
    table = [header, "|" + "---|" * (6 + len(PROPERTIES))]
    for name, spec in MODELS.items():
        if args.only and name != args.only:
            continue
        table += rows(spec, run(spec, root / name))
    print("\n".join(table))
    print(f"\nruns kept in {root}")


if __name__ == "__main__":
    main()
