"""How the gallery runs the example scripts and collects their figures.

The scripts in ``examples/`` are plain command-line programs: they take
``--small`` and ``--out`` and save each figure as a PNG file. The gallery runs
every one of them in ``--small`` mode, so the whole gallery builds in about a
minute, and shows the files each one saved, in the order saved, instead of
asking the scripts to leave their matplotlib figures open.

``conf.py`` names these functions by their import path, as sphinx-gallery
asks, so the configuration stays picklable.
"""

import os
import shutil
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst

# the figures of each script land here, one folder per script, emptied before
# the script runs; the folder is inside the build tree, which git ignores
FIGURE_ROOT = Path(__file__).resolve().parents[1] / "_build" / "gallery_figures"

# paths already shown, so that a script with several code blocks shows each
# file once, after the block that saved it
_shown = set()


def _figure_folder(src_file):
    return FIGURE_ROOT / Path(src_file).stem


def small_mode_argv(sphinx_gallery_conf, script_vars):
    """Command-line arguments of every example: ``--small`` and a fresh ``--out``.

    Parameters
    ----------
    sphinx_gallery_conf : dict
        The gallery configuration (unused).
    script_vars : dict
        Facts about the script being run; ``"src_file"`` is its path.

    Returns
    -------
    argv : list of str
        Appended to the script's name in ``sys.argv``.
    """
    if Path(script_vars["src_file"]).name == "quickstart.py":
        return []  # the one script without options: it saves no figure
    folder = _figure_folder(script_vars["src_file"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    # relative to the folder sphinx-gallery runs the script in (its own), so
    # that the page's output names no machine's absolute path
    return ["--small", "--out", os.path.relpath(folder, Path(script_vars["src_file"]).parent)]


def saved_figures(block, block_vars, gallery_conf):
    """Show the PNG files the script saved since the last code block.

    Parameters
    ----------
    block : tuple
        The code block just run (unused).
    block_vars : dict
        ``"src_file"`` names the script; ``"image_path_iterator"`` gives the
        paths the gallery expects its images at.
    gallery_conf : dict
        The gallery configuration; ``"src_dir"`` is the documentation root.

    Returns
    -------
    rst : str
        The reStructuredText showing the new figures, empty when there are none.
    """
    folder = _figure_folder(block_vars["src_file"])
    if not folder.is_dir():
        return ""
    new = sorted((p for p in folder.glob("*.png") if p not in _shown),
                 key=lambda p: (p.stat().st_mtime_ns, p.name))
    image_paths = []
    for path, target in zip(new, block_vars["image_path_iterator"]):
        shutil.copyfile(path, target)
        _shown.add(path)
        image_paths.append(target)
    # one full-width image each: the scripts' figures hold several panels,
    # which a row of thumbnails would make unreadable
    return "".join(figure_rst([path], gallery_conf["src_dir"]) for path in image_paths)
