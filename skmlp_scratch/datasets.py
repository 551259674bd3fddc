"""Loading MNIST-shaped image data: from OpenML, from IDX files, or scikit-learn's digits.

Every loader returns ``X_train, X_test, y_train, y_test`` (the order of
:func:`sklearn.model_selection.train_test_split`), with one flattened image per
row, pixels scaled to [0, 1] in float32 (the fast path of the estimator) and
integer labels.
"""

import contextlib
import gzip
import importlib.util
import os
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

import numpy as np

__all__ = [
    "DATASETS",
    "DatasetDownloadError",
    "IDXFormatError",
    "load_dataset",
    "load_digits_split",
    "load_fashion_mnist",
    "load_idx",
    "load_mnist",
]


class DatasetDownloadError(OSError):
    """OpenML could not be reached and no cached copy of the data set exists."""


class IDXFormatError(ValueError):
    """An IDX file is missing, corrupt, truncated or does not match its partner."""


# ------------------------------------------------------------------ OpenML


@dataclass(frozen=True)
class OpenMLImages:
    """An OpenML image data set whose first ``n_train`` rows are the training set."""

    name: str
    version: int
    n_train: int
    n_test: int
    n_pixels: int = 784


OPENML_DATASETS = {
    "mnist": OpenMLImages("mnist_784", 1, n_train=60_000, n_test=10_000),
    "fashion-mnist": OpenMLImages("Fashion-MNIST", 1, n_train=60_000, n_test=10_000),
}


def load_mnist(*, data_home=None, dtype=np.float32, timeout=10.0):
    """MNIST handwritten digits through :func:`sklearn.datasets.fetch_openml`.

    The first download (about 15 MB) is cached in ``data_home``; later calls
    read the cache and need no network.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder of scikit-learn's data sets; None is scikit-learn's default
        (``~/scikit_learn_data`` or ``$SCIKIT_LEARN_DATA``).
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the pixels.
    timeout : float, default=10.0
        Seconds a network operation may wait before the download is given up.

    Returns
    -------
    X_train : ndarray of shape (60000, 784)
        Training images, one row of pixels in [0, 1] each.
    X_test : ndarray of shape (10000, 784)
        Test images, the same way.
    y_train : ndarray of shape (60000,) of int
        Training labels, 0 to 9.
    y_test : ndarray of shape (10000,) of int
        Test labels, 0 to 9.

    Raises
    ------
    DatasetDownloadError
        If OpenML cannot be reached and ``data_home`` holds no cached copy.
    """
    return _load_openml_images("mnist", data_home, dtype, timeout)


def load_fashion_mnist(*, data_home=None, dtype=np.float32, timeout=10.0):
    """Fashion-MNIST (Zalando's clothing images) through ``fetch_openml``.

    Same shapes and caching as :func:`load_mnist`; the labels 0 to 9 name ten
    kinds of clothing (T-shirt, trouser, pullover, dress, coat, sandal,
    shirt, sneaker, bag, ankle boot).

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder of scikit-learn's data sets; None is scikit-learn's default.
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the pixels.
    timeout : float, default=10.0
        Seconds a network operation may wait before the download is given up.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Pixels in [0, 1] of shape (60000, 784) and (10000, 784); integer labels.

    Raises
    ------
    DatasetDownloadError
        If OpenML cannot be reached and ``data_home`` holds no cached copy.
    """
    return _load_openml_images("fashion-mnist", data_home, dtype, timeout)


def _load_openml_images(key, data_home, dtype, timeout):
    from sklearn.datasets import fetch_openml

    spec = OPENML_DATASETS[key]
    parser = _arff_parser()
    options = {}
    if parser == "pandas":
        # Read pixels straight into float32 (half the memory of float64) and
        # the label as text: scikit-learn <= 1.9.1 fails on unquoted numeric
        # categories with pandas >= 3.1 (scikit-learn issue #34892).
        options["read_csv_kwargs"] = {"dtype": {
            **dict.fromkeys(range(spec.n_pixels), np.float32), spec.n_pixels: str}}
    try:
        with _network_timeout(timeout), warnings.catch_warnings():
            # one clear error below replaces scikit-learn's "Retrying..." warning
            warnings.filterwarnings("ignore", "A network error occurred")
            X, y = fetch_openml(spec.name, version=spec.version, data_home=data_home,
                                return_X_y=True, as_frame=False, parser=parser,
                                n_retries=1, delay=0.5, **options)
    except (URLError, TimeoutError, ConnectionError) as exc:
        raise DatasetDownloadError(_offline_message(key, spec, data_home, exc)) from exc

    expected = (spec.n_train + spec.n_test, spec.n_pixels)
    if X.shape != expected:
        raise ValueError(f"OpenML's {spec.name!r} version {spec.version} has shape "
                         f"{X.shape}, expected {expected}; the cache in data_home "
                         "may belong to another data set.")
    X = _scale_pixels(X, 255, dtype)
    # ARFF may quote nominal values ('5'); both parsers give text or numbers
    y = np.char.strip(np.asarray(y).astype(str), "'\"").astype(np.int64)
    n = spec.n_train
    return X[:n], X[n:], y[:n], y[n:]


def _arff_parser():
    # pandas parses the 120 MB ARFF file in seconds; liac-arff is the pure-Python
    # fallback scikit-learn ships, slower but with no extra dependency.
    return "pandas" if importlib.util.find_spec("pandas") else "liac-arff"


@contextlib.contextmanager
def _network_timeout(seconds):
    # fetch_openml's urlopen has no timeout of its own, so an unreachable host
    # would block for minutes; the previous default is restored on the way out.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _offline_message(key, spec, data_home, exc):
    reason = getattr(exc, "reason", exc)
    where = "scikit-learn's default data_home" if data_home is None else \
        f"data_home={str(data_home)!r}"
    return (
        f"Could not download {spec.name!r} from OpenML ({reason}), and {where} holds "
        f"no cached copy. Either run once with network access (the download is "
        f"cached in data_home, later runs work offline), or download the four IDX "
        f"files and call load_idx(directory) (--dataset idx:DIRECTORY on the command "
        f"line), or use scikit-learn's bundled digits (--dataset digits), which need "
        f"no network."
    )


# --------------------------------------------------------------------- IDX

# IDX type codes (third byte of the magic number) and their big-endian dtypes
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
               0x0E: ">f8"}


def load_idx(directory, *, dtype=np.float32):
    """The four standard IDX files of MNIST or Fashion-MNIST from a directory.

    Looks for ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally
    gzipped (``.gz``) and with ``.`` instead of the last ``-`` (as some mirrors
    name them).

    Parameters
    ----------
    directory : str or path-like
        Folder holding the files, e.g. where Debian's ``dataset-fashion-mnist``
        puts them (``/usr/share/datasets/fashion-mnist``).
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the pixels, scaled to [0, 1].

    Returns
    -------
    X_train : ndarray of shape (n_train, rows * cols)
        Training images, one row of pixels in [0, 1] each.
    X_test : ndarray of shape (n_test, rows * cols)
        Test images, the same way.
    y_train : ndarray of shape (n_train,) of int
        Training labels.
    y_test : ndarray of shape (n_test,) of int
        Test labels.

    Raises
    ------
    FileNotFoundError
        If the directory or one of the four files is missing.
    IDXFormatError
        If a file is corrupt or truncated, has a wrong magic number or shape,
        or its images and labels differ in number.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"IDX directory {str(directory)!r} does not exist.")
    parts = []
    for prefix in ("train", "t10k"):
        images = _read_idx(_find_idx(directory, prefix, "images", 3), ndim=3)
        labels = _read_idx(_find_idx(directory, prefix, "labels", 1), ndim=1)
        if len(images) != len(labels):
            raise IDXFormatError(
                f"{prefix} images and labels in {str(directory)!r} differ in number: "
                f"{len(images)} images, {len(labels)} labels.")
        parts.append((_scale_pixels(images.reshape(len(images), -1), 255, dtype),
                      labels.astype(np.int64)))
    (X_train, y_train), (X_test, y_test) = parts
    return X_train, X_test, y_train, y_test


def _find_idx(directory, prefix, kind, ndim):
    stems = [f"{prefix}-{kind}-idx{ndim}-ubyte", f"{prefix}-{kind}.idx{ndim}-ubyte"]
    for stem in stems:
        for name in (stem, stem + ".gz"):
            if (directory / name).is_file():
                return directory / name
    present = sorted(p.name for p in directory.iterdir())
    raise FileNotFoundError(
        f"No {prefix} {kind} file in {str(directory)!r}: looked for {stems[0]} "
        f"(optionally .gz); the directory holds {present}.")


def _read_idx(path, ndim):
    """Array stored in one IDX file, checked against its own header."""
    try:
        with open(path, "rb") as f:
            gzipped = f.read(2) == b"\x1f\x8b"
        with (gzip.open if gzipped else open)(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:  # gzip raises these on corrupt streams
        raise IDXFormatError(f"{path}: cannot be read ({exc}).") from exc

    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise IDXFormatError(f"{path}: not an IDX file (magic number "
                             f"{raw[:4].hex() or 'missing'}).")
    if raw[3] != ndim:
        raise IDXFormatError(f"{path}: holds a {raw[3]}-dimensional array, expected "
                             f"{ndim} dimensions.")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXFormatError(f"{path}: truncated inside its header.")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    item_dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = header + int(np.prod(shape)) * item_dtype.itemsize
    if len(raw) != expected:
        state = "truncated" if len(raw) < expected else "longer than its header says"
        raise IDXFormatError(f"{path}: {state}: the header announces shape {shape} "
                             f"({expected} bytes), the file has {len(raw)} bytes.")
    return np.frombuffer(raw, item_dtype, offset=header).reshape(shape)


def _scale_pixels(pixels, maximum, dtype):
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}.")
    # one allocation: the division writes straight into the float output
    return np.divide(pixels, maximum, dtype=dtype)


# ------------------------------------------------------------------ digits


def load_digits_split(*, dtype=np.float32, test_size=0.25, random_state=0):
    """Load scikit-learn's 8x8 digits, stratified into a train and a test set.

    Ships inside scikit-learn, so it works without network in a second.

    Parameters
    ----------
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the pixels.
    test_size : float, default=0.25
        Share of the 1,797 images held out for testing.
    random_state : int, default=0
        Seed of the split.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        Pixels scaled from 0-16 to [0, 1]; integer labels.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(_scale_pixels(X, 16, dtype), y, test_size=test_size,
                            stratify=y, random_state=random_state)


# ------------------------------------------------------------- by name

DATASETS = {
    "mnist": load_mnist,
    "fashion-mnist": load_fashion_mnist,
    "digits": load_digits_split,
}


def load_dataset(name, *, data_home=None, dtype=np.float32):
    """Load a data set by the name the command line and the examples use.

    Parameters
    ----------
    name : str
        ``"mnist"``, ``"fashion-mnist"``, ``"digits"`` or ``"idx:DIRECTORY"``.
    data_home : str or path-like, default=None
        OpenML cache folder, for ``"mnist"`` and ``"fashion-mnist"``.
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the pixels.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        As the loader of that data set returns them: pixels in [0, 1], one
        image a row; integer labels.
    """
    if name.startswith("idx:"):
        return load_idx(os.path.expanduser(name[len("idx:"):]), dtype=dtype)
    if name not in DATASETS:
        raise ValueError(f"Unknown data set {name!r}; choose one of "
                         f"{sorted(DATASETS)} or 'idx:DIRECTORY'.")
    if name == "digits":
        return load_digits_split(dtype=dtype)
    return DATASETS[name](data_home=data_home, dtype=dtype)
