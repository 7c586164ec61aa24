"""The default buffer width ``r_buff`` of a mixed calculation.

The expensive potential sees its atoms with λ > 0 plus a buffer; how wide
the buffer must be depends on the potential and on the mixing mode:

* a local potential with cutoff r_c (mixpot's linear SNAP, with its ZBL)
  is exact with ``2 r_c`` in force mode (the force on an atom needs the
  energies of its neighbours, and each of those its full neighbourhood) and
  with ``r_c`` in energy mode (only the λ > 0 atoms' energies are used);
* a message-passing model is never exact short of its receptive field
  (5 layers × 5 Å = 25 Å for SevenNet-0), so its buffer is measured:
  ``benchmarks/mixing_sevennet_buffer.py`` compares core forces from
  cut-outs with the whole-cell calculation. The defaults below are the
  smallest buffers whose core-force RMS error is at most a tenth of the
  distilled SNAP's own force error (72 meV/Å held out) for SevenNet-0.
"""

from __future__ import annotations

import logging

from mixpot.potentials import LinearPotential, SnapCalculator

from .sevennet import sevennet_rescale_module

logger = logging.getLogger(__name__)

#: Measured for SevenNet-0 on bcc W (benchmarks/README.md, "Mixing with
#: SevenNet"): core-force RMS error 5.3 meV/Å (force mode, 14 Å) and 2.0
#: meV/Å (energy mode, 10 Å).
SEVENNET_BUFFER = {"force": 14.0, "energy": 10.0}
#: Added to exact buffers so that atoms exactly at the cutoff are included.
MARGIN = 0.01


def default_buffer(expensive, mode: str) -> float:
    """Return the buffer width (Å) for an expensive calculator and a mode.

    Parameters
    ----------
    expensive : ase.calculators.calculator.Calculator or LinearPotential
        The expensive potential of a :class:`~mixpot.mixing.MixedCalculator`.
    mode : {"force", "energy"}
        The mixing mode.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For a potential whose range mixpot cannot tell: give
        ``Regions(r_buff=...)`` yourself.

    Examples
    --------
    >>> from mixpot.models import shipped_tungsten
    >>> default_buffer(shipped_tungsten(), "energy")   # ZBL outer cutoff 4.8 Å
    4.81
    """
    if sevennet_rescale_module(expensive) is not None:
        return SEVENNET_BUFFER[mode]
    potential = expensive
    if isinstance(expensive, SnapCalculator):
        potential = expensive.potential
    if isinstance(potential, LinearPotential):
        cutoff = potential.descriptor.cutoff
        if potential.baseline is not None:
            cutoff = max(cutoff, potential.baseline.outer)
        return (2.0 if mode == "force" else 1.0) * cutoff + MARGIN
    raise ValueError(
        "The 'expensive' parameter of default_buffer must be a model whose "
        f"range mixpot knows. Got {type(expensive).__name__}: give "
        f"Regions(r_buff=...). For a local potential with cutoff r_c use at "
        f"least 2 r_c in force mode and r_c in energy mode; for a "
        f"message-passing model measure it (benchmarks/mixing_sevennet_buffer.py)."
    )
