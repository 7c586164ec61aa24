"""Langevin friction on the blend region, as forces added inside LAMMPS.

Force mixing is not conservative where 0 < λ < 1, so heat builds up there.
:class:`BlendLangevin` gives those atoms (and only those) Langevin drag and
noise that obey the fluctuation–dissipation relation atom by atom, so the
blend stays at T (ML-MIX's ``langevin/mlml`` scales both by λ and leaves
it at λ·T). The forces are those of LAMMPS ``fix langevin`` (Gaussian
noise), in metal units:

``f = −γ m v / ftm2v + √(2 γ k_B T m / (Δt mvv2e)) / ftm2v · ξ``

with γ in 1/ps, m in g/mol, v in Å/ps and Δt in ps. The noise ξ of step n
is drawn for the whole blend set (sorted by atom ID) from the seed and n,
so it does not depend on the number of ranks and repeats after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BlendLangevin:
    """Langevin thermostat of the blend atoms (0 < λ < 1) of a LAMMPS run.

    Parameters
    ----------
    temperature_K : float
        Target temperature (K), > 0.
    friction : float
        Friction γ in 1/fs, > 0 (0.01 /fs is a damping time of 100 fs).
    seed : int
        Seed of the noise.

    Examples
    --------
    >>> thermostat = BlendLangevin(300.0, 0.01, seed=0)
    >>> thermostat.noise(10, 4).shape
    (4, 3)
    >>> bool((thermostat.noise(10, 4) == thermostat.noise(10, 4)).all())
    True
    """

    temperature_K: float
    friction: float
    seed: int

    def __post_init__(self) -> None:
        for name in ("temperature_K", "friction"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(
                    f"The '{name}' parameter of BlendLangevin must be a float > 0. "
                    f"Got {value!r}."
                )
        if not isinstance(self.seed, int | np.integer) or self.seed < 0:
            raise ValueError(
                f"The 'seed' parameter of BlendLangevin must be an int >= 0. "
                f"Got {self.seed!r}."
            )

    def noise(self, step: int, n_atoms: int) -> np.ndarray:
        """Return standard normal noise of step ``step``, shape (n_atoms, 3)."""
        rng = np.random.default_rng([int(self.seed), int(step)])
        return rng.standard_normal((n_atoms, 3))

    def forces(
        self,
        masses: np.ndarray,
        velocities_nc: np.ndarray,
        noise_nc: np.ndarray,
        timestep_fs: float,
        units: tuple[float, float, float],
    ) -> np.ndarray:
        """Return drag plus noise (eV/Å) for atoms of ``masses`` (g/mol).

        ``units`` are LAMMPS' ``(boltz, mvv2e, ftm2v)`` of metal units.
        """
        boltz, mvv2e, ftm2v = units
        gamma = self.friction * 1000.0  # 1/ps
        timestep = timestep_fs / 1000.0  # ps
        masses = np.asarray(masses, dtype=float)[:, None]
        drag = -gamma * masses * velocities_nc / ftm2v
        scale = (
            np.sqrt(
                2.0 * gamma * boltz * self.temperature_K * masses / (timestep * mvv2e)
            )
            / ftm2v
        )
        return drag + scale * noise_nc
