"""Sphinx configuration of the skmlp_scratch documentation.

Build it from the checkout with the ``docs`` extra installed::

    python -m sphinx -W -b html docs docs/_build/html

The build needs no network: the API reference is read from the installed
package's docstrings, the gallery runs every script of ``examples/`` in its
``--small`` mode on data the repository holds, and the pages load MathJax
from the site itself.
"""

import os
import sys
from pathlib import Path

import skmlp_scratch

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))
# the gallery draws figures without a display
os.environ.setdefault("MPLBACKEND", "Agg")

project = "skmlp_scratch"
author = "the skmlp_scratch developers"
copyright = f"2026, {author}"
version = release = skmlp_scratch.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    # MathJax from the docs extra, copied into the site, and a check that no
    # page loads anything from another host (docs/sphinxext/offline_pages.py)
    "offline_pages",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "sphinxext"]
default_role = "literal"

# -- API reference -----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
# numpydoc renders the Parameters, Returns, ... sections; the class template
# lists the methods itself, so numpydoc's own member tables would repeat them
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# The class pages document the methods defined in this package, inherited ones
# included (the estimators share most of theirs in a base class), and only name
# the methods scikit-learn's base classes provide (get_params, score, metadata
# routing, ...): their docstrings are scikit-learn's and point into its docs.
def _defined_here(obj):
    function = getattr(obj, "fget", obj)  # a property's getter
    # members without a module (properties, some descriptors) count as ours
    module = getattr(function, "__module__", None) or "skmlp_scratch"
    return module.startswith("skmlp_scratch")


def _sklearn_methods(cls):
    return sorted(name for name in dir(cls) if not name.startswith("_")
                  and callable(getattr(cls, name))
                  and not _defined_here(getattr(cls, name)))


autosummary_context = {"sklearn_methods": {
    f"skmlp_scratch.{cls.__name__}": _sklearn_methods(cls)
    for cls in (skmlp_scratch.MLPScratchClassifier, skmlp_scratch.MLPScratchRegressor)}}


def skip_sklearn_methods(app, what, name, obj, skip, options):
    """Leave the methods of scikit-learn's base classes out of the class pages."""
    return True if what == "class" and not _defined_here(obj) else None


def setup(app):
    app.connect("autodoc-skip-member", skip_sklearn_methods)


# -- Gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # run every script; _common.py is the scripts' shared plumbing, not an example
    "filename_pattern": r"/[a-z][^/]*\.py$",
    "ignore_pattern": r"(^|/)_[^/]*\.py$",
    "within_subsection_order": "FileNameSortKey",
    "reset_argv": "gallery_hooks.small_mode_argv",
    "image_scrapers": ("gallery_hooks.saved_figures",),
    "abort_on_example_error": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
    # the computation-time pages load jQuery and DataTables from CDNs, and the
    # site must work offline (offline_pages checks every page)
    "write_computation_times": False,
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skmlp_scratch {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
