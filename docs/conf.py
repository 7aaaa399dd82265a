"""Sphinx configuration of sparsefit's documentation.

Build it from the repository root with ``bash .ci/docs`` (after ``pip install -e ".[docs]"``);
the site is written to ``docs/_build/html``.
"""

import ast
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the sparsefit of this checkout

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
    "myst_parser",  # to include benchmarks/*.md and conformance/*.md as they are
]

source_suffix = {".rst": "restructuredtext"}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"
myst_enable_extensions = ["dollarmath"]
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
# The examples are standalone scripts (``python examples/NAME.py [--output-dir DIR]``): a
# ``main()`` called under ``if __name__ == "__main__"``, which writes its figures as PNG files
# and closes them. sphinx-gallery runs each script as it is; three hooks adapt the build:
#
# * ``reset_argv`` gives each script ``--output-dir`` (a fresh temporary directory), and
#   ``__file__`` and ``__doc__``, which sphinx-gallery leaves undefined and empty (the
#   scripts locate their data directory from the first and describe their options with the
#   second);
# * ``_ExitStatus`` turns the closing ``sys.exit(main())`` into a check of main's status
#   instead of ending the build;
# * ``_png_scraper`` puts the PNG files the script wrote into the page, as sphinx-gallery's
#   matplotlib scraper does for open figures.
#
# The full-size runs take about 50 s on 2 cores altogether; SPARSEFIT_DOCS_QUICK=1 passes
# ``--quick`` (coarser grids, fewer draws) for a faster draft build.

_OUTPUT_DIRS = {}


def _reset_argv(gallery_conf, script_vars):
    src = str(script_vars["src_file"])
    out = Path(tempfile.mkdtemp(prefix="sparsefit-gallery-"))
    _OUTPUT_DIRS[src] = out
    # the scripts read their own __file__ and __doc__ (argparse's description), which
    # sphinx-gallery leaves undefined and empty
    script_vars["example_globals"]["__file__"] = src
    script_vars["example_globals"]["__doc__"] = ast.get_docstring(
        ast.parse(Path(src).read_text(encoding="utf-8")), clean=False
    )
    argv = ["--output-dir", str(out)]
    if os.environ.get("SPARSEFIT_DOCS_QUICK") and not src.endswith("plot_overfitting.py"):
        argv.append("--quick")
    return argv


class _ExitStatus:
    """``reset_modules`` hook: while an example runs, ``sys.exit(status)`` returns instead of
    raising SystemExit (which would end the whole build), and raises a RuntimeError, which
    sphinx-gallery reports as a failed example, when the status is an error."""

    def __init__(self):
        self._saved = None

    def __call__(self, gallery_conf, fname, when):
        if when == "before":
            self._saved = sys.exit
            sys.exit = self._exit
        elif self._saved is not None:
            sys.exit = self._saved
            self._saved = None
        if when == "after":
            for path in list(_OUTPUT_DIRS):
                shutil.rmtree(_OUTPUT_DIRS.pop(path), ignore_errors=True)

    @staticmethod
    def _exit(status=None):
        if status not in (None, 0):
            raise RuntimeError(f"the example's main() returned exit status {status!r}")

    def __repr__(self):  # sphinx-gallery puts the configuration into its cache key
        return "_ExitStatus()"


def _png_scraper(block, block_vars, gallery_conf):
    """Move the PNG files the example wrote into sphinx-gallery's image paths."""
    from sphinx_gallery.scrapers import figure_rst

    out = _OUTPUT_DIRS.get(str(block_vars["src_file"]))
    if out is None:
        return ""
    written = sorted(out.glob("*.png"), key=lambda p: p.stat().st_mtime_ns)
    images = []
    for png, target in zip(written, block_vars["image_path_iterator"], strict=False):
        shutil.move(png, target)
        images.append(target)
    return figure_rst(images, gallery_conf["src_dir"])


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",  # run every example
    "reset_argv": _reset_argv,
    "reset_modules": ("matplotlib", _ExitStatus()),
    "image_scrapers": (_png_scraper,),
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


def _example_titles(app, docname, source):
    """Make the first line of an example's docstring the title of its gallery page.

    The scripts' docstrings open with a one-line summary (argparse's description) rather
    than an underlined reStructuredText title; sphinx-gallery takes that line as the
    example's name in the gallery, and this gives the page the same line as its title.
    """
    if not docname.startswith("auto_examples/plot_"):
        return
    label = re.escape(f".. _sphx_glr_{docname.replace('/', '_')}.py:")
    pattern = rf"({label}\n\n)([^\n]+?)\.?\n(?![=\-~^*+#]{{3,}}\n)"
    source[0] = re.sub(
        pattern, lambda m: f"{m[1]}{m[2]}\n{'=' * len(m[2])}\n", source[0], count=1
    )


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("source-read", _example_titles)
