"""Command-line interface: a thin layer over library calls.

``mixpot demo`` runs the end-to-end demonstration on built-in defaults.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from . import __version__


def main(argv: list[str] | None = None) -> int:
    """Run the ``mixpot`` command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 2
    return args.run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mixpot",
        description="Distil, bound and spatially mix interatomic potentials.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser(
        "demo", help="fit a misspecified model with POPS bounds; print and plot"
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo_output"), help="output folder"
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    demo.set_defaults(run=_run_demo)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_pops_demo

    result = run_pops_demo(args.out, random_state=args.seed)
    print(result.table)
    print(f"\nplot written to {result.plot_path}")
    print(f"model written to {result.model_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
