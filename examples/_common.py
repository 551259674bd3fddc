"""Command line, data loading and figure saving shared by the example scripts.

Not an example itself (the leading underscore keeps it out of the example
tests): it holds the plumbing every script needs, so that each script shows
only its own idea. The scripts import it as ``_common``, which works because
Python puts a script's own folder first on ``sys.path``.
"""

import argparse
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from skmlp_scratch.datasets import load_dataset

# --small keeps at most this many rows: a few seconds of training on one core,
# yet about 200 training images for each of ten classes, enough for the scores
# to mean something.
SMALL_TRAIN = 2000
SMALL_TEST = 1000


def make_parser(doc, *, max_train=None):
    """Argument parser with the options every example takes.

    Parameters
    ----------
    doc : str
        The script's module docstring; its title becomes the description
        and the rest is shown after the options in ``--help``.
    max_train : int or None, default=None
        Default of ``--max-train``: None trains on the whole training set.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    parser = make_simple_parser(
        doc, small_help=f"at most {SMALL_TRAIN} training and {SMALL_TEST} test "
                        "images and a smaller model or search")
    parser.add_argument(
        "--dataset", default="digits",
        help="'digits' (bundled with scikit-learn, no network), 'mnist', "
             "'fashion-mnist' (downloaded from OpenML once, then cached in "
             "--data-home) or 'idx:DIRECTORY' (the four IDX files of MNIST or "
             "Fashion-MNIST); default: %(default)s")
    parser.add_argument(
        "--data-home", default=None,
        help="scikit-learn's data cache folder for 'mnist' and 'fashion-mnist'")
    parser.add_argument(
        "--max-train", type=int, default=max_train,
        help="train on a stratified subsample of at most this many images, 0 "
             f"for all of them; default: {max_train or 'all'}")
    return parser


def load_data(args, *, dtype=np.float32):
    """Train and test split of ``--dataset``, cut down by ``--small``, ``--max-train``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of :func:`make_parser`.
    dtype : {np.float32, np.float64}, default=np.float32
        Pixel type; float32 is the estimator's fast path.

    Returns
    -------
    X_train : ndarray of shape (n_train, n_pixels)
    X_test : ndarray of shape (n_test, n_pixels)
    y_train : ndarray of shape (n_train,)
    y_test : ndarray of shape (n_test,)
    """
    X_train, X_test, y_train, y_test = load_dataset(
        args.dataset, data_home=args.data_home, dtype=dtype)
    max_train = args.max_train or None  # 0 and None both mean "all"
    if args.small:
        max_train = min(SMALL_TRAIN, max_train or SMALL_TRAIN)
    X_train, y_train = _stratified_subsample(X_train, y_train, max_train)
    X_test, y_test = _stratified_subsample(X_test, y_test,
                                           SMALL_TEST if args.small else None)
    print(f"{args.dataset}: {len(y_train)} training and {len(y_test)} test images "
          f"of {X_train.shape[1]} pixels, {len(np.unique(y_train))} classes")
    return X_train, X_test, y_train, y_test


def _stratified_subsample(X, y, n):
    if n is None or n >= len(y):
        return X, y
    # stratified, so that a few thousand rows still hold every class in its
    # original share; a fixed seed keeps the rows the same from run to run
    X, _, y, _ = train_test_split(X, y, train_size=n, stratify=y, random_state=0)
    return X, y


def save_figure(fig, args, name):
    """Save ``fig`` as ``args.out / name`` and say where.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    args : argparse.Namespace
        Parsed options; ``args.out`` is created when missing.
    name : str
        File name, e.g. ``"confusion_matrix.png"``.

    Returns
    -------
    path : pathlib.Path
    """
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / name
    fig.savefig(path, dpi=120, bbox_inches="tight")
    print(f"figure saved to {path}")
    return path


# Real tables shipped with the examples (data/README.md gives their source and
# licence), so that every script runs in a clone with nothing beside it;
# ``--data PATH`` points a script at a bigger copy.
EXAMPLE_TABLES = Path(__file__).resolve().parent / "data"


def make_simple_parser(doc, *, small_help):
    """Argument parser with only ``--out`` and ``--small``, for data that is not images.

    :func:`make_parser` adds the image data sets to it; a script on a table
    or on synthetic data adds its own data options instead.

    Parameters
    ----------
    doc : str
        The script's module docstring; its title becomes the description
        and the rest is shown after the options in ``--help``.
    small_help : str
        What ``--small`` cuts down, e.g. ``"2000 training rows, a tiny grid"``.

    Returns
    -------
    parser : argparse.ArgumentParser
    """
    summary, details = _split_docstring(doc)
    parser = argparse.ArgumentParser(
        description=summary, epilog=details,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out", type=Path, default=Path("example_output"),
        help="folder the figure is saved in; default: %(default)s")
    parser.add_argument(
        "--small", action="store_true",
        help=f"fast check: {small_help}; a few seconds")
    return parser


def _split_docstring(doc):
    # a docstring opens with a reStructuredText title, underlined with "=",
    # which the documentation's gallery shows as the page title
    title, _, rest = (doc or "").partition("\n")
    underline, _, details = rest.partition("\n")
    if underline.strip("=") or not underline:
        return title, rest
    return title, details.lstrip("\n")


def read_table(path):
    """:func:`skmlp_scratch.tabular.read_table`, or exit saying where the data is.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    table : pandas.DataFrame
    """
    # imported here, not at the top: reading a table needs pandas, a test
    # extra, and the image examples run without it
    from skmlp_scratch.tabular import TableError
    from skmlp_scratch.tabular import read_table as read_any_table

    try:
        return read_any_table(path)
    except TableError as exc:
        raise SystemExit(f"{exc}\nPass a copy of the table with --data PATH.") from None
