"""What a run writes into its output folder, as it goes.

* ``trajectory.extxyz`` — extended XYZ frames (ASE and OVITO read it): per
  atom the weight ``lambda`` and the ``forces`` (eV/Å); per frame ``step``,
  ``time_fs`` and, in energy mode, ``energy`` (eV).
* ``thermo.dat`` — a whitespace table, one row per ``thermo_every`` steps:
  step, time_fs, T_K, E_pot, E_tot (eV; ``nan`` in force mode, which has no
  energy: the header says so), n_expensive, n_cheap, t_expensive_s,
  t_cheap_s. ``numpy.loadtxt`` reads it.
* ``run.log`` — the log of the run (appended over resumes).
* ``config.toml`` — the resolved configuration.
* ``checkpoint.npz`` — see :mod:`mixpot.run.checkpoint`.

Files are appended and flushed at every write; their sizes at a checkpoint
are recorded so that a resumed run cuts them back to that step
(:meth:`OutputFiles.truncate`). Engine-neutral: frames are given as arrays.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

TRAJECTORY, THERMO, LOG, CONFIG = (
    "trajectory.extxyz",
    "thermo.dat",
    "run.log",
    "config.toml",
)
THERMO_COLUMNS = (
    "step",
    "time_fs",
    "T_K",
    "E_pot_eV",
    "E_tot_eV",
    "n_expensive",
    "n_cheap",
    "t_expensive_s",
    "t_cheap_s",
)


@dataclass(frozen=True)
class ThermoRow:
    """One line of the thermo table (energies nan in force mode)."""

    step: int
    time_fs: float
    temperature_K: float
    potential_energy: float
    total_energy: float
    n_expensive: int
    n_cheap: int
    time_expensive: float
    time_cheap: float

    def line(self) -> str:
        """Return the row as text, floats in full precision."""
        values = (
            f"{self.step:d}",
            repr(float(self.time_fs)),
            repr(float(self.temperature_K)),
            repr(float(self.potential_energy)),
            repr(float(self.total_energy)),
            f"{self.n_expensive:d}",
            f"{self.n_cheap:d}",
            f"{self.time_expensive:.6f}",
            f"{self.time_cheap:.6f}",
        )
        return " ".join(values) + "\n"


class OutputFiles:
    """The output folder of one run: append frames and rows, cut back, log.

    Examples
    --------
    >>> import tempfile
    >>> out = OutputFiles(Path(tempfile.mkdtemp()), mode="force")
    >>> out.start_thermo()
    >>> out.thermo(ThermoRow(0, 0.0, 300.0, math.nan, math.nan, 10, 50, 0.1, 0.01))
    >>> np.loadtxt(out.folder / THERMO).tolist()[:3]
    [0.0, 0.0, 300.0]
    """

    def __init__(self, folder: Path, mode: str) -> None:
        self.folder = Path(folder)
        self.mode = mode
        self.folder.mkdir(parents=True, exist_ok=True)
        self._log_handler: logging.Handler | None = None

    def sizes(self) -> dict[str, int]:
        """Return the size in bytes of the trajectory and thermo files."""
        return {
            name: (self.folder / name).stat().st_size
            if (self.folder / name).exists()
            else 0
            for name in (TRAJECTORY, THERMO)
        }

    def truncate(self, sizes: dict[str, int]) -> None:
        """Cut the files back to ``sizes`` (written at a checkpoint)."""
        for name, size in sizes.items():
            path = self.folder / name
            if not path.exists() or path.stat().st_size < size:
                raise FileNotFoundError(
                    f"The output file {str(path)!r} is shorter than at the last "
                    f"checkpoint ({size} bytes): it was changed outside the run; "
                    f"delete the output folder to start again."
                )
            with path.open("r+b") as handle:
                handle.truncate(size)

    def write_config(self, text: str) -> None:
        """Write the resolved configuration."""
        (self.folder / CONFIG).write_text(text)

    def start_thermo(self) -> None:
        """Start a new thermo table (header lines)."""
        note = (
            "energy mode: E_pot is the mixed potential energy"
            if self.mode == "energy"
            else "force mode: mixed forces are not the gradient of any energy, "
            "so E_pot and E_tot are nan"
        )
        header = f"# mixpot run thermo; {note}\n# " + " ".join(THERMO_COLUMNS) + "\n"
        (self.folder / THERMO).write_text(header)
        (self.folder / TRAJECTORY).write_text("")

    def thermo(self, row: ThermoRow) -> None:
        """Append one row of the thermo table."""
        with (self.folder / THERMO).open("a") as handle:
            handle.write(row.line())

    def frame(self, atoms, step: int, time_fs: float, results: dict) -> None:
        """Append one frame: ``atoms`` with λ, forces and (energy mode) energy."""
        from ase import Atoms
        from ase.calculators.singlepoint import SinglePointCalculator
        from ase.io import write

        frame = Atoms(atoms.numbers, atoms.positions, cell=atoms.cell, pbc=atoms.pbc)
        frame.arrays["lambda"] = np.asarray(results["lambda"], dtype=float)
        frame.info.update(step=int(step), time_fs=float(time_fs))
        energy = results.get("energy")
        values = {"forces": np.asarray(results["forces"])}
        if energy is not None and math.isfinite(energy):
            values["energy"] = float(energy)
        frame.calc = SinglePointCalculator(frame, **values)
        with (self.folder / TRAJECTORY).open("a") as handle:
            write(handle, frame, format="extxyz")

    def open_log(self) -> None:
        """Send mixpot's log records to ``run.log`` (appended)."""
        handler = logging.FileHandler(self.folder / LOG)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        handler.setLevel(logging.INFO)
        logger = logging.getLogger("mixpot")
        self._previous = (logger.level, logger.propagate)
        self._handlers = [handler]
        if logger.getEffectiveLevel() > logging.INFO:
            # INFO for the file only: the console still shows warnings.
            logger.setLevel(logging.INFO)
            logger.propagate = False
            console = logging.StreamHandler()
            console.setLevel(logging.WARNING)
            console.setFormatter(
                logging.Formatter("%(levelname)s %(name)s: %(message)s")
            )
            self._handlers.append(console)
        for each in self._handlers:
            logger.addHandler(each)
        self._log_handler = handler

    def close_log(self) -> None:
        """Stop writing ``run.log``."""
        if self._log_handler is not None:
            logger = logging.getLogger("mixpot")
            for each in self._handlers:
                logger.removeHandler(each)
                each.close()
            logger.setLevel(self._previous[0])
            logger.propagate = self._previous[1]
            self._log_handler = None
