"""Run the example scripts of ``examples/`` in sphinx-gallery as they are.

The examples are standalone scripts (``python examples/NAME.py [--output-dir DIR]``): a
``main()`` called under ``if __name__ == "__main__"`` that writes its figures as PNG files
and closes them. sphinx-gallery runs each script as it is; the hooks here, named in
``sphinx_gallery_conf`` by their qualified names (so that the configuration stays
picklable), adapt the build:

* :func:`reset_argv` gives each script ``--output-dir`` (a fresh temporary directory), and
  ``__file__`` and ``__doc__``, which sphinx-gallery leaves undefined and empty (the scripts
  find their data directory from the first and describe their options with the second);
* :data:`exit_status` turns the closing ``sys.exit(main())`` into a check of main's status
  instead of the end of the build;
* :func:`png_scraper` puts the PNG files the script wrote into the page, as sphinx-gallery's
  matplotlib scraper does for open figures;
* as a Sphinx extension, :func:`example_titles` makes the first line of each script's
  docstring the title of its page.

``SPARSEFIT_DOCS_QUICK=1`` passes ``--quick`` (coarser grids, fewer draws) to the scripts that
have it, for a faster draft build.
"""

import ast
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

#: the output directory of each running example, by source file
_OUTPUT_DIRS = {}


def reset_argv(gallery_conf, script_vars):
    """sphinx-gallery's ``reset_argv``: the command-line arguments of an example."""
    src = str(script_vars["src_file"])
    out = Path(tempfile.mkdtemp(prefix="sparsefit-gallery-"))
    _OUTPUT_DIRS[src] = out
    example_globals = script_vars["example_globals"]
    example_globals["__file__"] = src
    example_globals["__doc__"] = ast.get_docstring(
        ast.parse(Path(src).read_text(encoding="utf-8")), clean=False
    )
    argv = ["--output-dir", str(out)]
    if os.environ.get("SPARSEFIT_DOCS_QUICK") and not src.endswith("plot_overfitting.py"):
        argv.append("--quick")
    return argv


class _ExitStatus:
    """A ``reset_modules`` hook: while an example runs, ``sys.exit(status)`` returns instead of
    raising SystemExit (which would end the whole build), and raises a RuntimeError, which
    sphinx-gallery reports as a failed example, when the status is an error. Called before
    and after each example (``reset_modules_order='both'``): after, it restores ``sys.exit``
    and removes the example's output directory."""

    def __init__(self):
        self._saved = None

    def __call__(self, gallery_conf, fname, when):
        if when == "before":
            if self._saved is None:
                self._saved = sys.exit
            sys.exit = self._exit
            return
        if self._saved is not None:
            sys.exit = self._saved
            self._saved = None
        for src in list(_OUTPUT_DIRS):
            shutil.rmtree(_OUTPUT_DIRS.pop(src), ignore_errors=True)

    @staticmethod
    def _exit(status=None):
        if status not in (None, 0):
            raise RuntimeError(f"the example's main() returned exit status {status!r}")

    def __repr__(self):
        return "sparsefit_gallery.exit_status"


exit_status = _ExitStatus()


def png_scraper(block, block_vars, gallery_conf):
    """sphinx-gallery image scraper: move the PNG files the example wrote (oldest first)
    into the gallery's image paths and return their reST."""
    from sphinx_gallery.scrapers import figure_rst

    out = _OUTPUT_DIRS.get(str(block_vars["src_file"]))
    if out is None:
        return ""
    written = sorted(out.glob("*.png"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    images = []
    for png, target in zip(written, block_vars["image_path_iterator"], strict=False):
        shutil.move(png, target)
        images.append(target)
    return figure_rst(images, gallery_conf["src_dir"])


def example_titles(app, docname, source):
    """Make the first line of an example's docstring the title of its gallery page.

    The scripts' docstrings open with a one-line summary (argparse's description) rather
    than an underlined reStructuredText title; sphinx-gallery takes that line as the
    example's name in the gallery index, and this gives the page the same line as its title
    (without a closing period).
    """
    if not docname.startswith("auto_examples/plot_"):
        return
    label = re.escape(f".. _sphx_glr_{docname.replace('/', '_')}.py:")
    pattern = rf"({label}\n\n)([^\n]+?)\.?\n(?![=\-~^*+#]{{3,}}\n)"
    source[0] = re.sub(pattern, lambda m: f"{m[1]}{m[2]}\n{'=' * len(m[2])}\n", source[0], count=1)


def setup(app):
    app.connect("source-read", example_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
