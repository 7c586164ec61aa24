"""Distillation: sampling, labelling with the expensive model, fitting.

The expensive model itself comes from :mod:`mixpot.models`
(:func:`~mixpot.models.expensive_calculator`). The public surface:

* :class:`Recipe` and :func:`sample` — configurations to label (Langevin MD,
  homogeneous strains, rattled copies, defects); :data:`DEFAULT_RECIPE` and
  :func:`quick_tungsten_recipe` — the built-in recipes;
* :func:`label` — energies, forces and stresses from the expensive model,
  appended to a resumable extended-XYZ dataset;
* :func:`solute_defects` and :func:`solute_properties` — the solute cells
  of an alloy or impurity recipe and their solution energies.

Examples
--------
>>> from mixpot.distill import Recipe, sample
>>> from mixpot.models import expensive_calculator
>>> calc = expensive_calculator("lammps:W_zhou")
>>> recipe = Recipe(["W"], "bcc", 3.165, repeat=1, temperatures=[300.0],
...                 n_frames=1, n_strains=3, n_rattled=1)
>>> groups = sample(recipe, calc, random_state=0)
>>> [tag for tag, _ in groups][:2]
['md_300K', 'strain_hydrostatic']
"""

from .labelling import (
    LabelledDataset,
    SkippedConfiguration,
    config_id,
    label,
    labelled_copy,
    skipped_path,
)
from .recipes import DEFAULT_RECIPE, Recipe, quick_tungsten_recipe, solute_defects
from .sampling import (
    all_configurations,
    relaxed_lattice_constant,
    sample,
    strain_tensors,
)
from .solute_properties import solute_properties

__all__ = [
    "DEFAULT_RECIPE",
    "LabelledDataset",
    "Recipe",
    "SkippedConfiguration",
    "all_configurations",
    "config_id",
    "label",
    "labelled_copy",
    "quick_tungsten_recipe",
    "relaxed_lattice_constant",
    "sample",
    "skipped_path",
    "solute_defects",
    "solute_properties",
    "strain_tensors",
]
