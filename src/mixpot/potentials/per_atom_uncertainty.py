"""Per-atom POPS uncertainty of a whole structure, and the threshold that flags it.

Where the cheap potential is outside what it was fitted to, the POPS
posterior says so atom by atom. This module turns a structure into one
number per atom and learns, from the training data, how large that number
is where the potential is on familiar ground:

* :func:`atom_uncertainty` — per atom, the std of its energy (``"energy"``,
  eV) or the norm of the std of its three force components (``"force"``,
  ``sqrt(σ_x² + σ_y² + σ_z²)``, eV/Å: a trace, so the same in any frame).
  One LAMMPS instance per potential and quantity evaluates only the SNAP
  descriptors (``pair_style zero`` with ``compute sna/atom``, and
  ``snad/atom`` for forces: no force field is evaluated) and is reused call
  after call (it is freed with the potential). Measured with a 2J = 6 SNAP
  on 2,000 and 16,000 bcc W atoms (one core, loaded machine): the energy
  value costs about 0.35 of one cheap force call (``pair_style snap``), the
  force value about 1.1;
* :func:`uncertainty_threshold` — a high quantile of those numbers over the
  atoms of training frames of the perfect crystal, kept with the potential
  as an :class:`UncertaintyThreshold` (its ``.npz`` stores it);
* :func:`hottest_crystal_frames` — those frames in a distillation's training
  set: the MD frames (``info["group"] == "md_<T>K"``) at the highest
  temperature.

The uncertainty criterion of the regions
(:class:`~mixpot.mixing.criteria.Uncertainty`) makes seeds of the atoms above
the threshold.
"""

from __future__ import annotations

import dataclasses
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from ase import Atoms

from mixpot.descriptors import check_structure
from mixpot.lammps import element_types

from .calculator import SnapEngine
from .uncertainty import ATOM_ENERGY_STRATA, atom_energy_rows, force_std, row_strata

if TYPE_CHECKING:
    from .linear import LinearPotential

#: What :func:`atom_uncertainty` can measure, with its unit.
QUANTITIES = {"energy": "eV", "force": "eV/Å"}
#: Default quantile of :func:`uncertainty_threshold`.
DEFAULT_QUANTILE = 0.999
_MD_GROUP = re.compile(r"^md_(\d+(?:\.\d+)?)K$")

# One descriptor-only LAMMPS instance per (potential, quantity), freed with
# the potential; the values never refer back to the potential.
_ENGINES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class UncertaintyThreshold:
    """Per-atom uncertainty above which the cheap potential is off its data.

    Attributes
    ----------
    energy : float
        Threshold of the per-atom energy std (eV).
    force : float
        Threshold of the per-atom force std norm (eV/Å).
    quantile : float
        The quantile of the training atoms' values the thresholds are.
    n_atoms : int
        Atoms the quantile was taken over.
    source : str
        The frames they came from (e.g. ``"md_1200K"``).
    energy_median, force_median : float
        Medians over the same atoms: a threshold below them makes more than
        half of a perfect crystal's atoms seeds.
    """

    energy: float
    force: float
    quantile: float
    n_atoms: int
    source: str
    energy_median: float
    force_median: float

    def value(self, quantity: str) -> float:
        """Return the threshold of ``quantity`` (``"energy"`` or ``"force"``)."""
        return self.energy if quantity == "energy" else self.force

    def median(self, quantity: str) -> float:
        """Return the training median of ``quantity``."""
        return self.energy_median if quantity == "energy" else self.force_median

    def to_dict(self) -> dict:
        """Plain values (for the potential's settings)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> UncertaintyThreshold:
        """Inverse of :meth:`to_dict`."""
        return cls(**values)


def atom_uncertainty(
    potential: LinearPotential, atoms: Atoms, quantity: str = "energy"
) -> np.ndarray:
    """Return the POPS uncertainty of each atom, shape (n_atoms,).

    Parameters
    ----------
    potential : LinearPotential
        With a POPS posterior.
    atoms : ase.Atoms
        Any configuration of the potential's elements.
    quantity : {"energy", "force"}, default "energy"
        ``"energy"``: std of the atom's energy (eV); ``"force"``: norm of the
        std of its force components (eV/Å; needs the descriptor gradients,
        about three times the cost).

    Raises
    ------
    ValueError
        Without a POPS posterior, for an unknown quantity, or elements the
        potential does not know.

    Examples
    --------
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> from mixpot.descriptors import SNAP
    >>> from mixpot.potentials import LinearPotential
    >>> snap = SNAP(["Cu"], [0.5], twojmax=2, rcutfac=4.7)
    >>> cells = [bulk("Cu", cubic=True) * 2 for _ in range(3)]
    >>> for seed, cell in enumerate(cells):
    ...     cell.rattle(0.05, seed=seed)
    ...     cell.calc = EMT()
    >>> rows = snap.rows(cells)
    >>> cheap = LinearPotential.fit(snap, rows, rows.targets_from(cells))
    >>> atom_uncertainty(cheap, cells[0], "force").shape
    (32,)
    """
    _check_quantity(quantity)
    regressor = potential.regressor
    if regressor is None:
        raise ValueError(
            "The 'potential' parameter of atom_uncertainty must have a POPS "
            "posterior (fit it with a POPSRegressor; LAMMPS files carry none)."
        )
    descriptor = potential.descriptor
    check_structure(atoms, 0, descriptor.elements, False)
    engine = _engine(potential, quantity)
    engine.evaluate(atoms)
    if quantity == "force":
        gradients_ntck = np.einsum(
            "ab,ntbk->ntak", engine.rotation_cc, engine.descriptor_gradients()
        )
        return np.linalg.norm(force_std(regressor, descriptor, gradients_ntck), axis=1)
    descriptors_nk = engine.per_atom_descriptors()
    constant_n1 = np.ones((len(descriptors_nk), 1))
    types_n = element_types(atoms, descriptor.elements) - 1
    rows_nx = atom_energy_rows(
        descriptor, np.hstack([constant_n1, descriptors_nk]), types_n
    )
    strata = row_strata(regressor, ATOM_ENERGY_STRATA, len(rows_nx))
    _, std = regressor.predict(rows_nx, return_std=True, strata=strata)
    return np.asarray(std, dtype=float)


def uncertainty_threshold(
    potential: LinearPotential,
    frames: Sequence[Atoms],
    quantile: float = DEFAULT_QUANTILE,
    source: str | None = None,
) -> UncertaintyThreshold:
    """Measure the per-atom uncertainty threshold on perfect-crystal frames.

    The threshold is the ``quantile`` of :func:`atom_uncertainty` over every
    atom of ``frames``, for energies and for forces. Give it frames the
    potential was trained on where it is on safe ground: the perfect crystal
    at the highest training temperature (:func:`hottest_crystal_frames`)
    holds the largest thermal distortions it knows, so a threshold there
    flags defects, surfaces and unseen species but not the thermal rattle.
    With fewer than ``1 / (1 - quantile)`` atoms the quantile is close to
    their maximum.

    Parameters
    ----------
    potential : LinearPotential
        With a POPS posterior.
    frames : sequence of ase.Atoms
        Perfect-crystal configurations (at least one).
    quantile : float, default 0.999
        In (0, 1]; 1 takes the maximum. Lower is stricter (more seeds).
    source : str, optional
        What the frames are (stored); default their ``info["group"]``.

    Returns
    -------
    UncertaintyThreshold

    Raises
    ------
    ValueError
        Without a posterior, frames, or for a quantile out of (0, 1].
    """
    if not (isinstance(quantile, float | int) and 0 < quantile <= 1):
        raise ValueError(
            "The 'quantile' parameter of uncertainty_threshold must be a number "
            f"in (0, 1]. Got {quantile!r}."
        )
    frames = list(frames)
    if not frames:
        raise ValueError(
            "The 'frames' parameter of uncertainty_threshold must hold at least "
            "one configuration. Got none."
        )
    values = {
        quantity: np.concatenate(
            [atom_uncertainty(potential, atoms, quantity) for atoms in frames]
        )
        for quantity in QUANTITIES
    }
    if source is None:
        source = ",".join(sorted({str(a.info.get("group", "?")) for a in frames}))
    return UncertaintyThreshold(
        energy=float(np.quantile(values["energy"], quantile)),
        force=float(np.quantile(values["force"], quantile)),
        quantile=float(quantile),
        n_atoms=int(len(values["energy"])),
        source=source,
        energy_median=float(np.median(values["energy"])),
        force_median=float(np.median(values["force"])),
    )


def hottest_crystal_frames(frames: Sequence[Atoms]) -> list[Atoms]:
    """Return the perfect-crystal MD frames at the highest temperature.

    Picks the frames whose ``info["group"]`` is ``"md_<T>K"`` (the MD
    groups of :func:`mixpot.distill.sampling.sample`) with the largest T;
    without MD frames, the rattled perfect cells (``"rattle"``).

    Raises
    ------
    ValueError
        When there are neither.

    Examples
    --------
    >>> from ase import Atoms
    >>> frames = [Atoms("W", info={"group": g}) for g in ("md_300K", "md_1200K")]
    >>> [a.info["group"] for a in hottest_crystal_frames(frames)]
    ['md_1200K']
    """
    frames = list(frames)
    temperatures = {}
    for atoms in frames:
        match = _MD_GROUP.match(str(atoms.info.get("group", "")))
        if match:
            temperatures[match.group(0)] = float(match.group(1))
    if temperatures:
        hottest = max(temperatures, key=temperatures.get)
        return [a for a in frames if a.info.get("group") == hottest]
    rattled = [a for a in frames if a.info.get("group") == "rattle"]
    if rattled:
        return rattled
    groups = sorted({str(a.info.get("group")) for a in frames})
    raise ValueError(
        "The 'frames' parameter of hottest_crystal_frames must hold perfect-"
        "crystal frames tagged info['group'] = 'md_<T>K' or 'rattle'. Got the "
        f"groups {groups}."
    )


def _check_quantity(quantity: str) -> None:
    if quantity not in QUANTITIES:
        raise ValueError(
            f"The 'quantity' parameter must be one of {list(QUANTITIES)}. Got "
            f"{quantity!r}."
        )


def _engine(potential: LinearPotential, quantity: str) -> SnapEngine:
    engines = _ENGINES.setdefault(potential, {})
    if quantity not in engines:
        descriptor = potential.descriptor
        # pair_style zero gives compute sna/atom its neighbour list and
        # evaluates no force field: only the descriptors are computed.
        engines[quantity] = SnapEngine(
            descriptor.elements,
            [f"pair_style zero {descriptor.cutoff!r}", "pair_coeff * *"],
            descriptor.lammps_compute_args(),
            descriptors=quantity == "energy",
            gradients=quantity == "force",
        )
    return engines[quantity]
