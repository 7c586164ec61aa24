"""SevenNet: a message-passing MLIP whose weights ship in its wheel.

:func:`sevennet_calculator` builds an ASE calculator from the weights in the
``sevenn`` wheel (optional extra ``mixpot[sevennet]``; never downloaded),
:func:`shipped_sevennet_models` lists them, and :class:`WeightedSevenNet` is
its λ-weighted provider: a forward hook scales the model's per-atom
energies by the weights before they are summed, so the model's own autograd
forces and stress are those of ``E_w = Σ_i w_i E_i``.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from mixpot.potentials import Weighted, checked_weights

logger = logging.getLogger(__name__)

#: Module of a SevenNet model that writes the per-atom energies.
SEVENNET_HOOK_MODULE, SEVENNET_ATOMIC_ENERGY = "rescale_atomic_energy", "atomic_energy"

# Checkpoint folders of the sevenn wheel and the names sevenn gives them.
_SEVENNET_FOLDER_NAMES = {
    "SevenNet_0__11Jul2024": ("7net-0", "7net-0_11jul2024"),
    "SevenNet_0__22May2024": ("7net-0_22may2024",),
    "SevenNet_l3i5": ("7net-l3i5",),
    "SevenNet_MF_0": ("7net-mf-0",),
    "SevenNet_MF_ompa": ("7net-mf-ompa",),
    "SevenNet_omat": ("7net-omat",),
    "SevenNet_omni": ("7net-omni",),
    "SevenNet_omni_i8": ("7net-omni-i8",),
    "SevenNet_omni_i12": ("7net-omni-i12",),
}

_SEVENNET_MISSING = (
    "The 'sevennet' expensive model needs the optional SevenNet dependency: "
    "pip install 'mixpot[sevennet]'"
)


def shipped_sevennet_models() -> dict[str, Path]:
    """Return the SevenNet models whose weights ship in the installed wheel.

    Finds the checkpoint files without importing ``sevenn`` (or torch).

    Returns
    -------
    dict of str to pathlib.Path
        Model name (``7net-0``, ...) to checkpoint file; empty when ``sevenn``
        is not installed.

    Examples
    --------
    >>> models = shipped_sevennet_models()
    >>> all(path.suffix == ".pth" for path in models.values())
    True
    """
    module_spec = importlib.util.find_spec("sevenn")
    if module_spec is None or not module_spec.submodule_search_locations:
        return {}
    folder = Path(module_spec.submodule_search_locations[0]) / "pretrained_potentials"
    models: dict[str, Path] = {}
    for checkpoint in sorted(folder.glob("*/*.pth")):
        names = _SEVENNET_FOLDER_NAMES.get(
            checkpoint.parent.name, (checkpoint.parent.name.lower(),)
        )
        models.update({name: checkpoint for name in names})
    return models


def sevennet_calculator(model: str, modal: str | None = None) -> Calculator:
    """Build a SevenNet calculator from weights shipped in the ``sevenn`` wheel.

    Parameters
    ----------
    model : str
        A name from :func:`shipped_sevennet_models` (``sevennet-`` is
        accepted for ``7net-``; case-insensitive).
    modal : str, optional
        Fidelity of a multi-fidelity model, e.g. ``"PBE"`` for ``7net-mf-0``.

    Returns
    -------
    sevenn.calculator.SevenNetCalculator

    Examples
    --------
    >>> try:
    ...     sevennet_calculator("7net-no-such-model")
    ... except (ImportError, ValueError) as error:
    ...     print("sevenn" in str(error))
    True
    """
    if importlib.util.find_spec("sevenn") is None:
        raise ImportError(_SEVENNET_MISSING)
    name = model.strip().lower()
    if name.startswith("sevennet-"):
        name = "7net-" + name.removeprefix("sevennet-")
    models = shipped_sevennet_models()
    if name not in models:
        raise ValueError(
            "The 'model' parameter of sevennet_calculator must be a model "
            "shipped in the installed sevenn wheel (weights are never "
            f"downloaded): one of {', '.join(models)}. Got {model!r}."
        )
    try:
        from sevenn.calculator import SevenNetCalculator
    except ImportError as error:
        raise ImportError(_SEVENNET_MISSING) from error
    logger.info("SevenNet model %s from %s", name, models[name])
    return SevenNetCalculator(str(models[name]), modal=modal, device="cpu")


def sevennet_rescale_module(calc):
    """Return the module of a SevenNet model that writes per-atom energies.

    None when ``calc`` is no SevenNet calculator with an ``nn.Module`` model.

    Examples
    --------
    >>> sevennet_rescale_module(object()) is None
    True
    """
    model = getattr(calc, "model", None)
    modules = getattr(model, "_modules", None)
    if not isinstance(modules, dict) or not hasattr(model, "register_forward_hook"):
        return None
    return modules.get(SEVENNET_HOOK_MODULE)


class WeightedSevenNet:
    """λ-weighted energy of a SevenNet model, through a forward hook.

    The hook multiplies the per-atom energies (key ``atomic_energy``) that
    the model's ``rescale_atomic_energy`` module writes by the weights; the
    model then sums them and differentiates that sum, so its energy, forces
    and stress are ``Σ_i w_i E_i`` and its exact gradients (in the model's
    precision, float32 for the shipped models). Node ``i`` of SevenNet's
    graph is atom ``i`` of the ``atoms`` given.

    Parameters
    ----------
    calc : sevenn.calculator.SevenNetCalculator
        Calculator with an ``nn.Module`` model (not TorchScript).

    Examples
    --------
    >>> try:
    ...     WeightedSevenNet(object())
    ... except ValueError as error:
    ...     print(str(error)[:45])
    The 'calc' parameter of WeightedSevenNet must
    """

    def __init__(self, calc) -> None:
        self.module = sevennet_rescale_module(calc)
        if self.module is None:
            raise ValueError(
                "The 'calc' parameter of WeightedSevenNet must be a SevenNet "
                f"calculator with a '{SEVENNET_HOOK_MODULE}' module to weight. "
                f"Got {type(calc).__name__}."
            )
        self.calc = calc

    def weighted(self, atoms: Atoms, weights) -> Weighted:
        """Return ``Σ_i w_i E_i`` with its autograd forces and stress."""
        import torch

        weights = torch.as_tensor(checked_weights(atoms, weights))

        def scale(module, inputs, output):
            energies = output[SEVENNET_ATOMIC_ENERGY]
            shape = (-1,) + (1,) * (energies.dim() - 1)
            factors = weights.to(energies.device, energies.dtype).view(shape)
            output[SEVENNET_ATOMIC_ENERGY] = energies * factors
            return output

        handle = self.module.register_forward_hook(scale)
        try:
            self.calc.calculate(atoms.copy(), ["energy", "forces"], all_changes)
            results = dict(self.calc.results)
        finally:
            handle.remove()
            self.calc.reset()  # its cached results are weighted ones
        stress = results.get("stress")
        return Weighted(
            float(results["energy"]),
            np.array(results["forces"], dtype=np.float64),
            None
            if stress is None or abs(atoms.cell.volume) < 1e-9
            else np.array(stress, dtype=np.float64),
        )
