"""MixedCalculator: an expensive potential near seeds, a cheap one elsewhere.

``mode="force"`` mixes forces atom by atom, ``F_i = λ_i F_i^exp +
(1 − λ_i) F_i^cheap`` (as ML-MIX does). Such forces are not the gradient of
any energy, so the calculator claims neither energy nor stress.

``mode="energy"`` mixes per-atom energies, ``E = Σ_i [λ_i E_i^exp +
(1 − λ_i) E_i^cheap]``, evaluated as the cheap potential on the whole system
plus ``Σ λ_i E_i^exp − Σ λ_i E_i^cheap``, both weighted sums taken on the
carved cut-out of the expensive set (buffer atoms have λ = 0 but shape the
others' neighbourhoods). Forces and stress are the exact gradients of E at
fixed λ, so NVE conserves energy between region rebuilds. Both potentials
need a weighted provider (:func:`mixpot.models.weighted_provider`).

**The stress rule** (energy mode, systems periodic in all three directions;
V is the system's volume). The cheap potential's own stress on the whole
system, plus ``(1/V) ∂/∂ε`` of each weighted term:

* isolated cut-out: ``−Σ_k f_k ⊗ r_k`` over its atoms, with r_k its
  minimum-image-unwrapped positions (exact: the term is translation and
  rotation invariant and every r_k − r_l moves affinely with the strain);
* cut-out still periodic in some direction: that sum would miss the
  interactions across the periodic boundary, so the provider's own stress
  times the cut-out's cell volume (the parent cell: it is kept) is used.

Each potential sees only the atoms it must: the expensive one a carved
cut-out of the expensive set (λ > 0 plus a buffer of ``r_buff``), the cheap
one everything but the deep core. The expensive cost therefore scales with
the region, not with the system.

**The buffer rule.** A force on atom i sums the energy derivatives of all
its neighbours j, and each E_j needs j's full neighbourhood. In a carved
cut-out, a local potential with cutoff r_c therefore gives exact forces on
atoms at least 2 r_c inside the cut: ``r_buff ≥ 2 r_c``. For a
message-passing model the receptive field (layers × r_c) replaces r_c.
Energy mode needs only ``r_buff ≥ r_c``: every atom with λ > 0 must see its
full neighbourhood, and the gradient of the weighted sum is then exact.
Without a given ``r_buff`` these rules (and, for SevenNet, measured widths)
choose it: :func:`mixpot.models.default_buffer`.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator, all_changes

from mixpot.lammps import VOIGT_PAIRS
from mixpot.models import covered_elements, default_buffer, weighted_provider
from mixpot.potentials import LinearPotential, Weighted

from .carve import Carved, carve
from .regions import Regions, RegionState, check_finite_positions

logger = logging.getLogger(__name__)

MODES = ("force", "energy")


class MixedCalculator(Calculator):
    """Spatially mixed ASE calculator.

    Parameters
    ----------
    expensive, cheap : ase.calculators.calculator.Calculator
        The two potentials (each is given sub-systems as new Atoms).
    regions : Regions
        Builds λ and the atom sets. A ``regions.r_buff`` of None is chosen
        here from the expensive potential and the mode
        (:func:`~mixpot.models.default_buffer`) and kept in the
        calculator's own copy, ``self.regions``; the given settings are
        never changed.
    mode : {"force", "energy"}, default "force"
        How the potentials are mixed (see the module docstring).
    min_gap : float, default 6.0
        Empty gap (Å) across a periodic direction needed to cut the
        expensive set open in that direction; at least the expensive cutoff.
    vacuum : float, default 6.0
        Vacuum (Å) around an isolated cut-out.

    Raises
    ------
    ValueError
        For an unknown mode, in energy mode for a potential that has no
        weighted provider (:func:`~mixpot.models.weighted_provider`),
        or without ``r_buff`` for a potential whose range mixpot cannot tell.
        For a criterion that needs the cheap potential (the uncertainty
        criterion): a cheap calculator that is not a LinearPotential's
        (``potential.calculator()``, a TypeError), or a potential without a
        POPS posterior.
        At a calculation, before either potential runs: for NaN or infinite
        positions, and for elements a LAMMPS-backed potential
        (``parameters.atom_types``, as ASE's ``LAMMPSlib``) does not map.

    Notes
    -----
    Besides ``forces``, ``results`` holds ``lambda`` (per-atom weights),
    ``n_expensive`` and ``n_cheap`` (atoms each potential saw) and
    ``time_expensive`` / ``time_cheap`` (seconds in each potential). Energy
    mode adds ``energy`` and ``free_energy`` (eV) and, for systems periodic
    in all three directions, ``stress`` (eV/Å³); there the cheap potential
    sees every atom (``n_cheap`` = all) and, with the expensive one, the
    cut-out of the expensive set.
    Regions are built at the first calculation and then kept until
    :meth:`update_regions` (or an attached :meth:`attach_updater`) rebuilds
    them; :meth:`fix_regions` sets them from outside (one λ for all NEB
    images).

    **Per-atom energies must be compatible.** Where λ changes, energy mode
    adds forces ``-Σ_j Δλ_j ∂(E_j^exp − E_j^cheap)/∂r_k`` that neither
    potential has: they vanish only if both share energy among atoms alike.
    Distil the cheap potential with per-atom energies
    (``atom_energy_weight`` of
    :class:`~mixpot.distill.fitting.FitSettings`) and use a
    blend shell a few Å wide. Defect energies are then taken against
    :func:`~mixpot.mixing.reference_energy`, which gives every atom the
    bulk energy of the potential(s) that count it.

    Examples
    --------
    >>> from ase.build import bulk
    >>> from ase.calculators.emt import EMT
    >>> atoms = bulk("Cu", cubic=True).repeat(5)
    >>> atoms.calc = MixedCalculator(EMT(), EMT(), Regions([0], r_buff=4.0))
    >>> atoms.get_forces().shape
    (500, 3)

    Energy mode, with two linear SNAP potentials (both have weighted
    providers):

    >>> from mixpot.descriptors import SNAP
    >>> from mixpot.potentials import LinearPotential
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> fine = LinearPotential(snap, [-8.0, 0.1, 0.02, -0.03, 0.01, 0.005])
    >>> rough = LinearPotential(snap, [-8.0, 0.1, 0.0, 0.0, 0.0, 0.0])
    >>> atoms = bulk("W", cubic=True).repeat(4)
    >>> regions = Regions([0], r_core=2.0, r_blend=2.0, r_buff=4.7)
    >>> atoms.calc = MixedCalculator(
    ...     fine.calculator(), rough.calculator(), regions, mode="energy"
    ... )
    >>> atoms.get_forces().shape, atoms.get_stress().shape
    ((128, 3), (6,))
    """

    def __init__(
        self,
        expensive: Calculator,
        cheap: Calculator,
        regions: Regions,
        mode: str = "force",
        min_gap: float = 6.0,
        vacuum: float = 6.0,
        **kwargs,
    ) -> None:
        if mode not in MODES:
            raise ValueError(
                f"The 'mode' parameter of MixedCalculator must be one of "
                f"{list(MODES)}. Got {mode!r}."
            )
        if not isinstance(regions, Regions):
            raise TypeError(
                f"The 'regions' parameter of MixedCalculator must be a Regions. "
                f"Got {type(regions).__name__}."
            )
        super().__init__(**kwargs)
        self.expensive = expensive
        self.cheap = cheap
        self.regions = regions
        self.mode = mode
        self.min_gap = min_gap
        self.vacuum = vacuum
        self.state: RegionState | None = None
        self.implemented_properties = ["forces"]
        if mode == "energy":
            self.weighted_expensive = weighted_provider(expensive)
            self.weighted_cheap = weighted_provider(cheap)
            self.implemented_properties = ["energy", "free_energy", "forces", "stress"]
        if regions.r_buff is None:
            self.regions = dataclasses.replace(
                regions, r_buff=default_buffer(expensive, mode)
            )
            logger.info(
                "r_buff %.2f Å for %s (%s mode)",
                self.regions.r_buff,
                type(expensive).__name__,
                mode,
            )
        self._checked_symbols: tuple[str, ...] | None = None
        self.cheap_potential = _linear_potential_of(cheap)
        if self.regions.needs_cheap:
            if self.cheap_potential is None:
                raise TypeError(
                    f"The 'cheap' parameter of MixedCalculator must be a "
                    f"LinearPotential's calculator (potential.calculator()) for "
                    f"the {self.regions.criterion.name!r} criterion, which reads "
                    f"its POPS posterior. Got {type(cheap).__name__}."
                )
            self.regions.check_cheap(self.cheap_potential)

    def update_regions(self, atoms: Atoms, elapsed: float | None = None) -> RegionState:
        """Rebuild λ and the atom sets for ``atoms`` (``elapsed`` in fs).

        The current state is the hysteresis memory of the new one.
        """
        self.state = self.regions.update(
            atoms, previous=self.state, elapsed_fs=elapsed, cheap=self.cheap_potential
        )
        self.reset()  # cached forces used the old λ
        logger.info(
            "regions: %d expensive, %d cheap of %d atoms",
            self.state.n_expensive,
            self.state.n_cheap,
            len(atoms),
        )
        return self.state

    def fix_regions(self, state: RegionState) -> None:
        """Use ``state`` (λ and atom sets) until :meth:`update_regions`.

        For calculations that must share one λ: the images of a NEB, or a
        defect and its reference compared at the same weights.
        """
        if not isinstance(state, RegionState):
            raise TypeError(
                f"fix_regions needs a RegionState (from Regions.update); got "
                f"{type(state).__name__}."
            )
        self.state = state
        self.reset()

    def attach_updater(self, dynamics, n_every: int | None = None) -> None:
        """Rebuild the regions every ``n_every`` steps of ASE ``dynamics``.

        ``n_every`` defaults to the regions' own ``n_every`` (which must then
        be > 0).
        """
        if n_every is None:
            n_every = self.regions.n_every
        if not (isinstance(n_every, int) and n_every > 0):
            raise ValueError(
                f"The 'n_every' parameter of attach_updater must be an int > 0. "
                f"Got {n_every!r}."
            )
        step_fs = getattr(dynamics, "dt", 0.0) / units.fs

        def rebuild() -> None:
            self.update_regions(dynamics.atoms, elapsed=n_every * step_fs or None)

        dynamics.attach(rebuild, interval=n_every)

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties=("forces",),
        system_changes=all_changes,
    ) -> None:
        """Mix both potentials (forces or energies, by ``mode``)."""
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        check_finite_positions(atoms, "MixedCalculator.calculate")
        self._check_element_maps(atoms)
        if self.state is None:
            self.update_regions(atoms)
        elif len(self.state.weights) != len(atoms):
            raise ValueError(
                f"the region holds {len(self.state.weights)} atoms but the system "
                f"has {len(atoms)}: call update_regions(atoms) after adding or "
                f"removing atoms."
            )
        if self.mode == "energy":
            self.results = self._mix_energies(atoms, self.state)
            return
        state = self.state
        weights = state.weights
        forces = np.zeros((len(atoms), 3))
        start = time.perf_counter()
        if state.n_expensive:
            part, f_exp = self._forces_on(self.expensive, atoms, state.expensive_atoms)
            forces[part] += weights[part, None] * f_exp
        middle = time.perf_counter()
        if state.n_cheap:
            part, f_cheap = self._forces_on(self.cheap, atoms, state.cheap_atoms)
            forces[part] += (1.0 - weights[part, None]) * f_cheap
        self.results = {
            "forces": forces,
            "lambda": weights.copy(),
            "n_expensive": state.n_expensive,
            "n_cheap": state.n_cheap,
            "time_expensive": middle - start,
            "time_cheap": time.perf_counter() - middle,
        }

    def _check_element_maps(self, atoms: Atoms) -> None:
        """Every element must be covered by both potentials, when they say.

        LAMMPS-backed potentials (their type map) and mixpot SNAPs (their
        descriptor) say which elements they cover
        (:func:`~mixpot.models.covered_elements`); checked before either runs.
        """
        symbols = tuple(sorted(set(atoms.get_chemical_symbols())))
        if symbols == self._checked_symbols:
            return
        for role, calc in (("expensive", self.expensive), ("cheap", self.cheap)):
            covered = covered_elements(calc)
            missing = sorted(set(symbols) - set(covered or symbols))
            if missing:
                raise ValueError(
                    f"The {role} potential ({type(calc).__name__}) covers only "
                    f"the elements {sorted(covered)}. Got a system with "
                    f"{missing} too: use a potential (or LAMMPS atom_types) that "
                    "covers every element of the system."
                )
        self._checked_symbols = symbols

    def _forces_on(
        self, calc: Calculator, atoms: Atoms, indices: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        sub = self._cut_out(atoms, indices).atoms
        sub.calc = calc
        return indices, sub.get_forces()

    def _cut_out(self, atoms: Atoms, indices: np.ndarray) -> Carved:
        if len(indices) == len(atoms):
            sub = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
            return Carved(sub, np.asarray(indices), atoms.pbc.copy())
        return carve(atoms, indices, self.min_gap, self.vacuum)

    def correction(self, atoms: Atoms, cheap_forces: np.ndarray) -> dict:
        """Return the expensive correction to the cheap potential on the whole system.

        ``F_mixed = cheap_forces + correction["forces"]`` (and the same for
        the energy in energy mode), for the current regions: energy mode
        ``Σ λ E^exp − Σ λ E^cheap`` on the cut-out, force mode
        ``λ (F^exp − F^cheap)`` on the expensive set. What
        :class:`~mixpot.mixing.MultipleTimeStep` applies every k steps.

        Parameters
        ----------
        atoms : ase.Atoms
        cheap_forces : ndarray of shape (n_atoms, 3)
            The cheap potential's forces on the whole system (eV/Å).

        Returns
        -------
        dict
            ``forces`` (n_atoms, 3), ``energy`` (eV; 0.0 in force mode),
            ``time_expensive``, ``time_cheap`` (s).
        """
        if self.state is None:
            self.update_regions(atoms)
        if self.mode == "energy":
            return self._energy_correction(atoms, self.state)
        state = self.state
        forces = np.zeros((len(atoms), 3))
        start = time.perf_counter()
        if state.n_expensive:
            part, f_exp = self._forces_on(self.expensive, atoms, state.expensive_atoms)
            forces[part] = state.weights[part, None] * (f_exp - cheap_forces[part])
        return {
            "forces": forces,
            "energy": 0.0,
            "time_expensive": time.perf_counter() - start,
            "time_cheap": 0.0,
        }

    def _mix_energies(self, atoms: Atoms, state: RegionState) -> dict:
        """Cheap on everything, plus Σ λ E^exp − Σ λ E^cheap on the cut-out."""
        start = time.perf_counter()
        whole = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
        whole.calc = self.cheap
        energy = whole.get_potential_energy()
        forces = whole.get_forces().copy()
        periodic = bool(atoms.pbc.all())
        stress = whole.get_stress(voigt=True).copy() if periodic else None
        time_cheap = time.perf_counter() - start
        correction = self._energy_correction(atoms, state, stress)
        results = {
            "energy": energy + correction["energy"],
            "free_energy": energy + correction["energy"],
            "forces": forces + correction["forces"],
            "lambda": state.weights.copy(),
            "n_expensive": state.n_expensive,
            "n_cheap": len(atoms),
            "time_expensive": correction["time_expensive"],
            "time_cheap": time_cheap + correction["time_cheap"],
        }
        if correction["stress"] is not None:
            results["stress"] = correction["stress"]
        return results

    def _energy_correction(
        self, atoms: Atoms, state: RegionState, stress: np.ndarray | None = None
    ) -> dict:
        """Return Σ λ E^exp − Σ λ E^cheap on the cut-out (and ``stress`` + its term)."""
        correction = {
            "energy": 0.0,
            "forces": np.zeros((len(atoms), 3)),
            "stress": stress,
            "time_expensive": 0.0,
            "time_cheap": 0.0,
        }
        if not state.n_expensive:
            return correction
        piece = self._cut_out(atoms, state.expensive_atoms)
        weights = state.weights[piece.indices]
        start = time.perf_counter()
        expensive = self.weighted_expensive.weighted(piece.atoms, weights)
        middle = time.perf_counter()
        cheap = self.weighted_cheap.weighted(piece.atoms, weights)
        correction["time_expensive"] = middle - start
        correction["time_cheap"] = time.perf_counter() - middle
        correction["energy"] = expensive.energy - cheap.energy
        correction["forces"][piece.indices] = expensive.forces - cheap.forces
        if stress is not None:
            correction["stress"] = _add_stress(
                stress, piece, expensive, cheap, atoms.get_volume()
            )
        return correction


def _linear_potential_of(calc) -> LinearPotential | None:
    """Return the LinearPotential a calculator evaluates (SnapCalculator), or None."""
    potential = getattr(calc, "potential", None)
    return potential if isinstance(potential, LinearPotential) else None


def mapped_elements(calc) -> dict[str, int] | None:
    """Return the element → LAMMPS type map of a LAMMPS calculator, else None.

    Examples
    --------
    >>> from ase.calculators.emt import EMT
    >>> mapped_elements(EMT()) is None
    True
    """
    parameters = getattr(calc, "parameters", None)
    atom_types = parameters.get("atom_types") if isinstance(parameters, dict) else None
    return atom_types if isinstance(atom_types, dict) and atom_types else None


def _add_stress(
    stress: np.ndarray | None,
    piece: Carved,
    expensive: Weighted,
    cheap: Weighted,
    volume: float,
) -> np.ndarray | None:
    """Add ``(1/V) ∂/∂ε (E_w^exp − E_w^cheap)`` by the module's stress rule."""
    if stress is None:
        return None
    if not piece.periodic.any():
        forces_nc = expensive.forces - cheap.forces
        derivative_cc = -forces_nc.T @ piece.atoms.positions
        derivative_cc = 0.5 * (derivative_cc + derivative_cc.T)
        return stress + np.array([derivative_cc[a, b] for a, b in VOIGT_PAIRS]) / volume
    if expensive.stress is None or cheap.stress is None:
        logger.warning("a weighted provider gave no stress: stress left out")
        return None
    scale = abs(piece.atoms.cell.volume) / volume
    return stress + scale * (expensive.stress - cheap.stress)
