"""Fixed pair baselines added underneath a fitted SNAP model.

A baseline is a pair potential with no free parameters (here the universal
ZBL screened repulsion). :meth:`mixpot.descriptors.SNAP.rows` runs it through
``pair_style hybrid/overlay`` so that LAMMPS's ``compute snap`` reports its
energy, forces and virial in the reference column; the fit then only has to
learn what the baseline leaves over.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

from ase.data import atomic_numbers


@dataclass(frozen=True)
class ZBLBaseline:
    """Ziegler–Biersack–Littmark screened nuclear repulsion.

    The ZBL energy is switched smoothly to zero between ``inner`` and
    ``outer`` (LAMMPS ``pair_style zbl inner outer``). Nuclear charges are
    the atomic numbers of the SNAP elements.

    Parameters
    ----------
    inner : float
        Distance (Å) where the switching function starts.
    outer : float
        Cutoff (Å) of the ZBL term; must exceed ``inner``.

    Examples
    --------
    >>> zbl = ZBLBaseline(inner=4.0, outer=4.8)
    >>> zbl.pair_style_args()
    'zbl 4.0 4.8'
    >>> zbl.pair_coeff_commands(["W", "Be"])[1]
    'pair_coeff 1 2 zbl 74 4'
    """

    inner: float
    outer: float

    def __post_init__(self) -> None:
        for name in ("inner", "outer"):
            value = getattr(self, name)
            if not (isinstance(value, Real) and math.isfinite(value)):
                raise ValueError(
                    f"The '{name}' parameter of ZBLBaseline must be a finite "
                    f"float. Got {value!r}."
                )
        if not 0 < self.inner < self.outer:
            raise ValueError(
                "ZBLBaseline needs 0 < 'inner' < 'outer'. "
                f"Got inner={self.inner}, outer={self.outer}."
            )

    def pair_style_args(self) -> str:
        """Return the ``pair_style`` sub-style with its arguments."""
        return f"zbl {float(self.inner)!r} {float(self.outer)!r}"

    def pair_coeff_commands(self, elements: Sequence[str]) -> list[str]:
        """Return one ``pair_coeff`` command per pair of LAMMPS types.

        Type ``k + 1`` carries ``elements[k]``; the commands are meant for a
        ``pair_style hybrid/overlay`` that includes this ZBL term.
        """
        charges = [atomic_numbers[symbol] for symbol in elements]
        return [
            f"pair_coeff {i + 1} {j + 1} zbl {charges[i]} {charges[j]}"
            for i in range(len(charges))
            for j in range(i, len(charges))
        ]
