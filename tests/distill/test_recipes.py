"""Tests of mixpot.distill.recipes: recipe validation and the built-in recipes."""

import pytest

from mixpot.distill import DEFAULT_RECIPE, Recipe, quick_tungsten_recipe


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("elements", []),
        ("elements", ["Xx"]),
        ("lattice", "hcp"),
        ("lattice_constant", -3.0),
        ("repeat", 0),
        ("n_frames", 1.5),
        ("n_strains", 1),
        ("temperatures", [300.0, -5.0]),
        ("timestep", 100.0),
        ("strain_amplitude", 0.5),
        ("rattle_amplitude", -0.1),
        ("defects", ["antisite"]),
        ("defects", ["substitution:Ta"]),
        ("defects", ["surface:abc"]),
    ],
)
def test_recipe_rejects_bad_values(field, value):
    """Each bad value raises ValueError naming the parameter."""
    arguments = {"elements": ["W", "Mo"], field: value}
    with pytest.raises(ValueError, match=f"'{field}' parameter of Recipe"):
        Recipe(**arguments)


def test_default_recipe_is_a_valid_recipe():
    """The CLI's default settings build a Recipe for any element."""
    recipe = Recipe(["Cu"], "fcc", **DEFAULT_RECIPE)
    assert recipe.defects == ["vacancy"]


def test_quick_tungsten_recipe_relaxes_its_lattice_constant():
    """The demo's recipe is bcc W with its lattice constant left to relax."""
    recipe = quick_tungsten_recipe()
    assert (recipe.elements, recipe.lattice, recipe.lattice_constant) == (
        ["W"],
        "bcc",
        None,
    )
