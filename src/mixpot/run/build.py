"""Build the expensive and cheap models of a run configuration, on demand.

Only called after :func:`~mixpot.run.validation.validate`: files exist and
the elements fit. A linear section (``potential`` .npz, or ``snapcoeff`` +
``snapparam`` with an optional ``zbl`` baseline) becomes a
:class:`~mixpot.potentials.LinearPotential` (engine-neutral);
:func:`expensive_calculator_for` and :func:`cheap_calculator_for` give the
ASE calculators the ASE engine mixes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mixpot.models import (
    expensive_calculator,
    shipped_potentials_dir,
    shipped_sevennet_models,
)
from mixpot.potentials import LinearPotential

from .config import PotentialSection, RunConfig

logger = logging.getLogger(__name__)


def linear_potential(section: PotentialSection) -> LinearPotential:
    """Build the LinearPotential of a ``potential`` or ``snapcoeff`` section."""
    if section.potential is not None:
        return LinearPotential.load(section.potential)
    from mixpot.descriptors import ZBLBaseline

    baseline = None if section.zbl is None else ZBLBaseline(*section.zbl)
    return LinearPotential.from_lammps(
        _snap_file(section.snapcoeff), _snap_file(section.snapparam), baseline=baseline
    )


def expensive_calculator_for(config: RunConfig):
    """Build the expensive ASE calculator: a spec's model, or a linear SNAP."""
    section = config.expensive
    if section.model is None:
        return linear_potential(section).calculator(uncertainty=False)
    kind, _, body = section.model.partition(":")
    if kind.strip().lower() == "sevennet" and section.device != "cpu":
        return _sevennet_on(body.strip(), section.device)
    logger.info("building the expensive model %s", section.model)
    return expensive_calculator(section.model)


def cheap_calculator_for(config: RunConfig):
    """Build the cheap ASE calculator (a linear SNAP, no uncertainty)."""
    return linear_potential(config.cheap).calculator(uncertainty=False)


def _snap_file(name: str) -> Path:
    path = Path(name)
    return path if path.is_file() else shipped_potentials_dir() / name


def _sevennet_on(body: str, device: str):
    from sevenn.calculator import SevenNetCalculator

    model, _, modal = body.partition("@")
    name = model.strip().lower().replace("sevennet-", "7net-")
    checkpoint = shipped_sevennet_models()[name]
    return SevenNetCalculator(str(checkpoint), modal=modal or None, device=device)
