"""ASE calculator running a :class:`LinearPotential` through LAMMPS in process.

:class:`SnapCalculator` owns one LAMMPS instance, created at first use, that
runs ``pair_style snap`` (overlaid with ``zbl`` when the potential has a
baseline) on the coefficient files the potential writes to a private
temporary folder. The instance is rebuilt only when the number of atoms,
their elements, the cell or the periodicity change; between MD steps the
positions are written into LAMMPS's own array and one ``run 1`` evaluates
them (LAMMPS rebuilds its neighbour list only when atoms moved more than
half the skin).

With a POPS posterior the same instance also evaluates ``compute sna/atom``
(per-atom descriptors) and, if asked, ``compute snad/atom`` (their gradients)
to fill the uncertainty extras (see :class:`SnapCalculator`).

Suffixes: ``_nc`` atom × Cartesian, ``_nk`` atom × column, ``_cc``
Cartesian × Cartesian.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import weakref
from typing import TYPE_CHECKING

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from mixpot.descriptors import check_structure
from mixpot.lammps import LammpsSystem, element_masses, element_types

if TYPE_CHECKING:
    from .linear import LinearPotential

logger = logging.getLogger(__name__)

PE_ATOM, SNA, SNAD = "mixpot_pe_atom", "mixpot_sna", "mixpot_snad"


class SnapEngine:
    """One LAMMPS system evaluating ``pair_style snap`` for one layout.

    Parameters
    ----------
    elements : sequence of str
        Element of each LAMMPS type.
    pair_lines : list of str
        ``pair_style``/``pair_coeff`` commands of the potential.
    compute_args : str
        Arguments of ``compute sna/atom``/``snad/atom`` (the SNAP settings).
    descriptors, gradients : bool
        Whether to define ``compute sna/atom`` and ``compute snad/atom``.
    comm : mpi4py.MPI.Comm or None, default=None
        Communicator LAMMPS runs on.
    """

    def __init__(
        self,
        elements,
        pair_lines: list[str],
        compute_args: str,
        descriptors: bool = False,
        gradients: bool = False,
        comm=None,
    ) -> None:
        self.elements = list(elements)
        self.pair_lines = list(pair_lines)
        self.compute_args = compute_args
        self.descriptors = descriptors
        self.gradients = gradients
        self.system = LammpsSystem(comm)

    @property
    def n_builds(self) -> int:
        """Times the LAMMPS system was built."""
        return self.system.n_builds

    @property
    def rotation_cc(self) -> np.ndarray:
        """Rotation of the last configuration into the LAMMPS frame."""
        return self.system.frame.rotation_cc

    def close(self) -> None:
        """Shut the LAMMPS instance down."""
        self.system.close()

    def evaluate(self, atoms: Atoms) -> None:
        """Evaluate ``atoms``: update positions in place or rebuild."""
        layout = (
            atoms.numbers.tobytes(),
            atoms.cell.array.tobytes(),
            atoms.pbc.tobytes(),
        )
        self.system.load(
            atoms,
            element_types(atoms, self.elements),
            element_masses(self.elements),
            layout,
            [*self.pair_lines, *self._compute_commands()],
        )

    def _compute_commands(self) -> list[str]:
        commands = [f"compute {PE_ATOM} all pe/atom"]
        if self.descriptors:
            commands.append(f"compute {SNA} all sna/atom {self.compute_args}")
        if self.gradients:
            commands.append(f"compute {SNAD} all snad/atom {self.compute_args}")
        return commands

    def energy(self) -> float:
        """Return the total potential energy (eV)."""
        return self.system.energy()

    def forces(self) -> np.ndarray:
        """Return the forces (eV/Å), shape (n_atoms, 3), ASE order and frame."""
        return self.system.forces()

    def energies(self) -> np.ndarray:
        """Return per-atom energies (eV), shape (n_atoms,), SNAP plus baseline."""
        return self.system.per_atom(PE_ATOM)

    def stress(self) -> np.ndarray:
        """Return the ASE stress ``-virial / volume`` (eV/Å^3), Voigt, ASE frame."""
        return self.system.stress()

    def per_atom_descriptors(self) -> np.ndarray:
        """Return ``compute sna/atom`` values, shape (n_atoms, K), ASE order."""
        return self.system.per_atom(SNA)

    def descriptor_gradients(self) -> np.ndarray:
        """Return ``compute snad/atom``, shape (n_atoms, n_types, 3, K), LAMMPS frame.

        Entry ``[i, t, c, k]`` is minus the derivative of the sum of ``B_k``
        over atoms of type ``t`` with respect to coordinate ``c`` of atom
        ``i``: the force row of ``compute snap``, as LAMMPS reports it.
        """
        ordered = self.system.per_atom(SNAD)
        return ordered.reshape(len(ordered), len(self.elements), 3, -1)


class SnapCalculator(Calculator):
    """ASE calculator of a linear SNAP potential, evaluated by LAMMPS.

    Parameters
    ----------
    potential : LinearPotential
        The potential to evaluate.
    uncertainty : bool or None, default=None
        Fill the POPS extras listed below; None means "when the potential has
        a POPS posterior".
    force_uncertainty : bool, default=True
        With ``uncertainty``, also fill ``forces_std``. Cost, measured on
        2000 W atoms with 2J=8 (``benchmarks/snap_calculator_speed.py``):
        the energy extras (``compute sna/atom``) add about 0.6 of a force
        evaluation, ``forces_std`` (``compute snad/atom``) about 1.5 more;
        switch it off for long MD runs.
    **kwargs
        Passed to :class:`ase.calculators.calculator.Calculator`.

    Notes
    -----
    ``results`` holds ``energy``, ``free_energy`` (the same, eV), ``forces``
    (eV/Å), ``energies`` (per atom, SNAP plus half of each baseline pair, eV)
    and, for cells periodic in all three directions, ``stress`` (eV/Å^3,
    ASE convention). With uncertainty it also holds, from the POPS posterior:

    * ``energy_std`` (eV): std of the total energy (the regressor's
      ``std_components``, by default misspecification and epistemic);
    * ``energy_lower``, ``energy_upper`` (eV): exact POPS bounds of the total
      energy (its SNAP part moved to the box extremes, baseline kept);
    * ``energies_std``, ``energies_lower``, ``energies_upper`` (eV, shape
      (n_atoms,)): the same per atom, from the per-atom descriptors;
    * ``forces_std`` (eV/Å, shape (n_atoms, 3)): std of each force
      component, from its row of descriptor gradients.

    Raises
    ------
    ValueError
        (from ``calculate``) for elements the potential does not know,
        non-finite positions, or, without a baseline, atoms closer than
        0.5 Å; at construction, for ``uncertainty=True`` without posterior.

    Examples
    --------
    >>> import numpy as np
    >>> from ase.build import bulk
    >>> from mixpot.descriptors import SNAP
    >>> from mixpot.potentials import LinearPotential
    >>> snap = SNAP(["W"], [0.5], twojmax=2, rcutfac=4.7)
    >>> coef = np.array([-8.0, 0.1, 0.02, -0.03, 0.01, 0.005])
    >>> atoms = bulk("W", "bcc", a=3.18, cubic=True) * 2
    >>> atoms.calc = LinearPotential(snap, coef).calculator()
    >>> atoms.get_forces().shape, atoms.get_potential_energies().shape
    ((16, 3), (16,))
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies"]
    nolabel = True

    def __init__(
        self,
        potential: LinearPotential,
        uncertainty: bool | None = None,
        force_uncertainty: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        has_posterior = potential.regressor is not None
        if uncertainty and not has_posterior:
            raise ValueError(
                "The 'uncertainty' parameter of SnapCalculator must be False or "
                "None for a potential without a POPS posterior (fit it with a "
                "POPSRegressor). Got True."
            )
        self.potential = potential
        self.uncertainty = has_posterior if uncertainty is None else bool(uncertainty)
        self.force_uncertainty = self.uncertainty and bool(force_uncertainty)
        self.engine: SnapEngine | None = None
        self._remove_folder: weakref.finalize | None = None

    def close(self) -> None:
        """Shut LAMMPS down and remove the temporary coefficient files.

        The calculator stays usable: the next evaluation starts again.
        """
        if self.engine is not None:
            self.engine.close()
            self.engine = None
        if self._remove_folder is not None:
            self._remove_folder()
            self._remove_folder = None

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties=("energy",),
        system_changes=all_changes,
    ) -> None:
        """Evaluate the potential (see the class docstring for the results)."""
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        potential = self.potential
        check_structure(
            atoms, 0, potential.descriptor.elements, potential.baseline is None
        )
        engine = self._engine()
        engine.evaluate(atoms)
        energy = engine.energy()
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": engine.forces(),
            "energies": engine.energies(),
        }
        if atoms.pbc.all():
            self.results["stress"] = engine.stress()
        if self.uncertainty:
            self.results.update(self._energy_uncertainty(atoms, engine))
        if self.force_uncertainty:
            self.results["forces_std"] = self._forces_std(engine)

    def _engine(self) -> SnapEngine:
        if self.engine is None:
            # pair_style snap reads files only: write them where LAMMPS can.
            folder = tempfile.mkdtemp(prefix="mixpot_snap_")
            # Removed on close(), when the calculator is collected, or at exit.
            self._remove_folder = weakref.finalize(
                self, shutil.rmtree, folder, ignore_errors=True
            )
            pair_lines = self.potential.to_lammps(folder, name="potential")
            descriptor = self.potential.descriptor
            self.engine = SnapEngine(
                descriptor.elements,
                pair_lines,
                descriptor.lammps_compute_args(),
                descriptors=self.uncertainty,
                gradients=self.force_uncertainty,
            )
        return self.engine

    def _energy_uncertainty(self, atoms: Atoms, engine: SnapEngine) -> dict:
        types = element_types(atoms, self.potential.descriptor.elements) - 1
        descriptors_nk = engine.per_atom_descriptors()
        constant_n1 = np.ones((len(descriptors_nk), 1))
        found = self.potential.atom_energy_uncertainty(
            np.hstack([constant_n1, descriptors_nk]), types
        )
        energies, energy = self.results["energies"], self.results["energy"]
        return {
            "energy_std": found.std,
            "energy_lower": energy + found.lower,
            "energy_upper": energy + found.upper,
            "energies_std": found.atom_std,
            "energies_lower": energies + found.atom_lower,
            "energies_upper": energies + found.atom_upper,
        }

    def _forces_std(self, engine: SnapEngine) -> np.ndarray:
        # snad/atom gives the force rows in the LAMMPS frame: rotate them.
        gradients_ntck = np.einsum(
            "ab,ntbk->ntak", engine.rotation_cc, engine.descriptor_gradients()
        )
        return self.potential.force_std(gradients_ntck)
