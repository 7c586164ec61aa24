"""Which λ-weighted provider serves a given expensive or cheap model.

Energy mixing needs ``Σ_i w_i E_i`` with its exact gradients from both
models (:class:`~mixpot.potentials.WeightedProvider`);
:func:`weighted_provider` picks the provider that fits a calculator:
:class:`~mixpot.potentials.WeightedSnap` for mixpot's linear SNAP,
:class:`~mixpot.models.WeightedSevenNet` for SevenNet.
"""

from __future__ import annotations

from mixpot.potentials import (
    LinearPotential,
    SnapCalculator,
    WeightedProvider,
    WeightedSnap,
)

from .sevennet import WeightedSevenNet, sevennet_rescale_module


def weighted_provider(calc) -> WeightedProvider:
    """Return the weighted provider for a calculator (or potential).

    Parameters
    ----------
    calc : object
        A :class:`~mixpot.potentials.SnapCalculator`, a
        :class:`~mixpot.potentials.LinearPotential`, a SevenNet ASE
        calculator, or an object that already has ``weighted``.

    Returns
    -------
    WeightedProvider

    Raises
    ------
    ValueError
        For any other calculator: it cannot give λ-weighted gradients.

    Examples
    --------
    >>> from ase.calculators.emt import EMT
    >>> try:
    ...     weighted_provider(EMT())
    ... except ValueError as error:
    ...     print(str(error)[-36:])
    energy gradients; use mode='force').
    """
    if isinstance(calc, WeightedProvider):
        return calc
    if isinstance(calc, LinearPotential):
        return WeightedSnap(calc)
    if isinstance(calc, SnapCalculator):
        return WeightedSnap(calc.potential)
    if sevennet_rescale_module(calc) is not None:
        return WeightedSevenNet(calc)
    raise ValueError(
        "The 'calc' parameter of weighted_provider must be a model with "
        "λ-weighted energy gradients (SnapCalculator, LinearPotential, "
        f"SevenNet). Got {type(calc).__name__} ({type(calc).__name__} cannot "
        "provide λ-weighted energy gradients; use mode='force')."
    )
