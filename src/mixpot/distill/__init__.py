"""Distillation: the expensive model, sampling and labelling.

The public surface:

* :func:`expensive_calculator` — the expensive ASE calculator named by a spec
  (``sevennet:<model>``, ``lammps:<lines>``, ``lammps:<alias>``);
* :class:`Recipe` and :func:`sample` — configurations to label (Langevin MD,
  homogeneous strains, rattled copies, defects);
* :func:`label` — energies, forces and stresses from the expensive model,
  appended to a resumable extended-XYZ dataset.

Examples
--------
>>> from mixpot.distill import Recipe, expensive_calculator, sample
>>> calc = expensive_calculator("lammps:W_zhou")
>>> recipe = Recipe(["W"], "bcc", 3.165, repeat=1, temperatures=[300.0],
...                 n_frames=1, n_strains=3, n_rattled=1)
>>> groups = sample(recipe, calc, random_state=0)
>>> [tag for tag, _ in groups][:2]
['md_300K', 'strain_hydrostatic']
"""

from .expensive import (
    LAMMPS_ALIASES,
    expensive_calculator,
    lammps_calculator,
    lammps_potentials_dir,
    sevennet_calculator,
    shipped_sevennet_models,
)
from .labelling import (
    LabelledDataset,
    SkippedConfiguration,
    config_id,
    label,
    labelled_copy,
    skipped_path,
)
from .sampling import (
    Recipe,
    all_configurations,
    relaxed_lattice_constant,
    sample,
    strain_tensors,
)

__all__ = [
    "LAMMPS_ALIASES",
    "LabelledDataset",
    "Recipe",
    "SkippedConfiguration",
    "all_configurations",
    "config_id",
    "expensive_calculator",
    "label",
    "labelled_copy",
    "lammps_calculator",
    "lammps_potentials_dir",
    "relaxed_lattice_constant",
    "sample",
    "sevennet_calculator",
    "shipped_sevennet_models",
    "skipped_path",
    "strain_tensors",
]
