"""Langevin friction on the blend region, as forces added inside LAMMPS.

Force mixing is not conservative where 0 < λ < 1, so heat builds up there.
:class:`BlendLangevin` gives those atoms (and only those) Langevin drag and
noise that obey the fluctuation–dissipation relation atom by atom, so the
blend stays at T (ML-MIX's ``langevin/mlml`` scales both by λ and leaves
it at λ·T). The forces are those of LAMMPS ``fix langevin`` (Gaussian
noise), in metal units:

``f = −γ m v / ftm2v + √(2 γ k_B T m / (Δt mvv2e)) / ftm2v · ξ``

with γ in 1/ps, m in g/mol, v in Å/ps and Δt in ps. The noise ξ of atom
ID t at step n is a counter-based hash of (seed, n, t): it does not depend
on which rank holds the atom, and repeats exactly after a restart.
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
    >>> tags = np.array([5, 9, 2])
    >>> thermostat.noise(10, tags).shape
    (3, 3)
    >>> bool((thermostat.noise(10, tags)[0] == thermostat.noise(10, tags[:1])).all())
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

    def noise(self, step: int, tags: np.ndarray) -> np.ndarray:
        """Return standard normal noise of step ``step`` for atom IDs ``tags``."""
        return hashed_normals(int(self.seed), int(step), np.asarray(tags))

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


class BlendLangevinForces:
    """Adds :class:`BlendLangevin` forces to a rank's blend atoms, step by step.

    LAMMPS calls a force fix again at the set-up of each ``run`` (and after a
    restart) with full-step instead of half-step velocities. The forces of a
    step already thermostatted are kept (:attr:`memo`: step, sorted atom
    IDs, forces) and reused, so a run split into chunks, or resumed, follows
    the same trajectory as a straight one.

    Parameters
    ----------
    thermostat : BlendLangevin
        Temperature, friction and seed.
    memo : tuple, optional
        ``(step, tags, forces_nc)`` of the last thermostatted step (from a
        checkpoint).
    """

    def __init__(self, thermostat: BlendLangevin, memo: tuple | None = None) -> None:
        if not isinstance(thermostat, BlendLangevin):
            raise TypeError(
                "The 'thermostat' parameter of BlendLangevinForces must be a "
                f"BlendLangevin. Got {type(thermostat).__name__}."
            )
        self.thermostat = thermostat
        self.memo = memo or (-1, np.zeros(0, dtype=int), np.zeros((0, 3)))

    def add(
        self,
        step: int,
        tags: np.ndarray,
        blend_tags: np.ndarray,
        lmp,
        fext_nc,
        timestep_fs: float,
        units: tuple[float, float, float],
    ) -> None:
        """Add drag and noise to the rows of local atoms in ``blend_tags``.

        ``blend_tags`` None thermostats every local atom (plain Langevin).
        """
        if blend_tags is None:
            mine = np.ones(len(tags), dtype=bool)
        else:
            mine, _ = lookup(blend_tags, tags)
        if not mine.any():
            return
        memo_step, memo_tags, memo_forces = self.memo
        if step == memo_step:
            known, memo_rows = lookup(memo_tags, tags)
            if (known == mine).all():
                fext_nc[mine] += memo_forces[memo_rows[mine]]
                return
        noise_nc = self.thermostat.noise(step, tags[mine])
        nlocal = len(tags)
        velocities_nc = lmp.numpy.extract_atom("v")[:nlocal][mine]
        types = lmp.numpy.extract_atom("type")[:nlocal][mine]
        masses = lmp.numpy.extract_atom("mass")[types]
        forces_nc = self.thermostat.forces(
            masses, velocities_nc, noise_nc, timestep_fs, units
        )
        fext_nc[mine] += forces_nc
        order = np.argsort(tags[mine])
        self.memo = (step, tags[mine][order], forces_nc[order])

    def shared_memo(self, comm) -> tuple:
        """Return the memo of every rank, merged (collective over ``comm``)."""
        step, _, _ = self.memo
        parts = [part for part in comm.allgather(self.memo) if part[0] == step]
        if not parts:
            return (step, np.zeros(0, dtype=int), np.zeros((0, 3)))
        tags = np.concatenate([part[1] for part in parts])
        forces_nc = np.concatenate([part[2] for part in parts])
        order = np.argsort(tags)
        return (step, tags[order], forces_nc[order])


def lookup(sorted_tags: np.ndarray, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return which ``tags`` are in ``sorted_tags``, and their rows there.

    Examples
    --------
    >>> found, rows = lookup(np.array([2, 5, 9]), np.array([5, 3, 9]))
    >>> found.tolist(), rows[found].tolist()
    ([True, False, True], [1, 2])
    """
    if not len(sorted_tags):
        return np.zeros(len(tags), dtype=bool), np.zeros(len(tags), dtype=int)
    rows = np.minimum(np.searchsorted(sorted_tags, tags), len(sorted_tags) - 1)
    return sorted_tags[rows] == tags, rows


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijective 64-bit hash (wrapping arithmetic)."""
    values = values + np.uint64(0x9E3779B97F4A7C15)
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def hashed_normals(seed: int, step: int, tags: np.ndarray) -> np.ndarray:
    """Return normals, shape (len(tags), 3), a pure function of (seed, step, tag).

    Counter-based: each value hashes its (seed, step, atom ID, component),
    and Box–Muller turns pairs of uniforms into normals. Vectorised and
    independent of the order or partition of ``tags``.

    Examples
    --------
    >>> a = hashed_normals(1, 7, np.array([3, 4]))
    >>> b = hashed_normals(1, 7, np.array([4]))
    >>> bool((a[1] == b[0]).all()), a.shape
    (True, (2, 3))
    """
    with np.errstate(over="ignore"):
        key = _splitmix64(np.uint64(seed) * np.uint64(0x100000001B3) + np.uint64(step))
        counters = np.asarray(tags, dtype=np.uint64)[:, None] * np.uint64(8)
        counters = counters + np.arange(6, dtype=np.uint64)[None, :]
        bits = _splitmix64(_splitmix64(counters ^ key))
    uniforms = ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    radius = np.sqrt(-2.0 * np.log(uniforms[:, :3]))
    return radius * np.cos(2.0 * np.pi * uniforms[:, 3:])
