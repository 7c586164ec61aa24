"""A Langevin thermostat for spatially mixed dynamics.

Force mixing is not conservative where 0 < λ < 1, so heat builds up there.
:class:`BlendLangevin` applies Langevin friction ``γ`` only to those atoms
(others follow plain velocity Verlet). Drag and noise obey the
fluctuation–dissipation relation atom by atom (noise ∝ √γ_i), so the blend
region stays at the target temperature T. (Scaling both drag and noise by
λ, as ML-MIX does, would leave it at λ·T.)
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.md.langevin import Langevin

from .calculator import MixedCalculator


def blend_friction(weights: np.ndarray, friction: float) -> np.ndarray:
    """Per-atom friction: ``friction`` where 0 < λ < 1, else 0.

    Examples
    --------
    >>> blend_friction(np.array([0.0, 0.5, 1.0]), 0.01).ravel().tolist()
    [0.0, 0.01, 0.0]
    """
    blending = (weights > 0) & (weights < 1)
    return np.where(blending, friction, 0.0)[:, None]


class BlendLangevin(Langevin):
    """Langevin dynamics with friction on the blend region only.

    Parameters
    ----------
    atoms : ase.Atoms
        System whose calculator is a :class:`MixedCalculator`.
    timestep : float
        Time step in ASE units (``1 * ase.units.fs``).
    temperature_K : float
        Target temperature (K).
    friction : float
        Friction γ (inverse ASE time units) applied where 0 < λ < 1.
    **kwargs
        Passed to :class:`ase.md.langevin.Langevin` (``rng``, ``logfile`` ...);
        ``fixcm`` defaults to False.

    Examples
    --------
    >>> from ase import units
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> from mixpot.mixing import Regions
    >>> atoms = bulk("Cu", cubic=True).repeat(4)
    >>> atoms.calc = MixedCalculator(EMT(), EMT(), Regions([0], r_buff=3.0))
    >>> dyn = BlendLangevin(atoms, 2 * units.fs, 300, 0.02 / units.fs,
    ...                     rng=np.random.default_rng(0))
    >>> dyn.run(2)
    True
    """

    def __init__(
        self,
        atoms: Atoms,
        timestep: float,
        temperature_K: float,
        friction: float,
        **kwargs,
    ) -> None:
        if not isinstance(atoms.calc, MixedCalculator):
            raise TypeError(
                "BlendLangevin needs atoms.calc to be a MixedCalculator; got "
                f"{type(atoms.calc).__name__}."
            )
        self.blend_gamma = friction
        self._state = None
        # A centre-of-mass correction would push the frictionless atoms too.
        kwargs.setdefault("fixcm", False)
        super().__init__(
            atoms,
            timestep,
            temperature_K=temperature_K,
            friction=np.zeros((len(atoms), 1)),
            **kwargs,
        )

    def step(self, forces=None):
        """One step; per-atom friction follows the current regions."""
        calc = self.atoms.calc
        if calc.state is None:
            calc.update_regions(self.atoms)
        if calc.state is not self._state:
            self._state = calc.state
            self.set_friction(blend_friction(calc.state.weights, self.blend_gamma))
        return super().step(forces)
