"""Sphinx configuration of sparsefit's documentation.

Build it from the repository root with ``bash .ci/docs`` (after ``pip install -e ".[docs]"``);
the site is written to ``docs/_build/html``.
"""

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the sparsefit of this checkout
sys.path.insert(0, str(DOCS / "sphinxext"))

import sparsefit  # noqa: E402

project = "sparsefit"
author = "the sparsefit developers"
copyright = "sparsefit developers, BSD-3-Clause"  # noqa: A001
release = sparsefit.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",  # benchmarks/*.md are included as they are
    "sparsefit_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # the included Markdown files start at heading level 2

# -- API reference ------------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False  # the class template lists the members itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()  # validated by tests/test_docstrings.py instead


def _is_sparsefit_member(obj):
    """Whether a class member is sparsefit's own rather than one scikit-learn's base classes
    add (``get_params``, ``set_params``, the generated ``set_*_request`` methods): the API
    reference documents, and tests/test_docstrings.py validates, sparsefit's own only."""
    target = getattr(obj, "fget", None) or getattr(obj, "__func__", None) or obj
    return (getattr(target, "__module__", None) or "").startswith("sparsefit")


def _skip_foreign_members(app, what, name, obj, skip, options):
    if what == "class" and not skip and not _is_sparsefit_member(obj):
        return True
    return None


# -- gallery ------------------------------------------------------------------------------
# sphinxext/sparsefit_gallery.py runs the example scripts as they are (see its docstring);
# the full-size runs take about 50 s on 2 cores altogether.
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # run every example
    "reset_argv": "sparsefit_gallery.reset_argv",
    "reset_modules": ("matplotlib", "sparsefit_gallery.exit_status"),
    "reset_modules_order": "both",  # exit_status restores sys.exit and cleans up after each
    "image_scrapers": ("sparsefit_gallery.png_scraper",),
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 1,
    "doc_module": ("sparsefit",),
    "backreferences_dir": "gen_modules/backreferences",
}

# -- HTML ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sparsefit {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": []}
html_show_sourcelink = False

# MathJax is loaded from its CDN by default; SPARSEFIT_DOCS_MATHJAX may name another URL
# (e.g. a local copy, to look at the pages offline).
if os.environ.get("SPARSEFIT_DOCS_MATHJAX"):
    mathjax_path = os.environ["SPARSEFIT_DOCS_MATHJAX"]


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
