"""Data loading: the real fetch_openml path on a cache the tests write, IDX files,
clear errors without network or with broken files."""

import gzip
import hashlib
import json
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import sklearn.datasets._openml as sklearn_openml

from skmlp_scratch import datasets
from skmlp_scratch.datasets import (
    DatasetDownloadError,
    IDXFormatError,
    OpenMLImages,
    load_dataset,
    load_digits_split,
    load_fashion_mnist,
    load_idx,
    load_mnist,
)

FASHION_MNIST = Path(__file__).resolve().parents[2] / "shared/datasets/fashion-mnist"

# ------------------------------------------------------------------ OpenML
# fetch_openml reads every resource from data_home/openml/openml.org/<url path>.gz
# before it tries the network, so a cache holding the four JSON answers and
# the ARFF file makes it run its whole parsing path offline.

N_TRAIN, N_TEST, N_PIXELS = 30, 10, 784
OPENML_IDS = {"mnist": (554, "mnist_784"), "fashion-mnist": (40996, "Fashion-MNIST")}


def _pixels_and_labels(seed=0):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(N_TRAIN + N_TEST, N_PIXELS))
    labels = np.arange(N_TRAIN + N_TEST) % 10
    return pixels, labels


def _arff(name, pixels, labels, quote=""):
    header = [f"@RELATION {name}"]
    header += [f"@ATTRIBUTE pixel{i + 1} NUMERIC" for i in range(N_PIXELS)]
    classes = ",".join(f"{quote}{c}{quote}" for c in range(10))
    header += [f"@ATTRIBUTE class {{{classes}}}", "@DATA"]
    rows = [",".join(map(str, row)) + f",{quote}{label}{quote}"
            for row, label in zip(pixels, labels)]
    return "\n".join(header + rows) + "\n"


def _write_cached(data_home, url_path, content):
    path = Path(data_home, "openml", "openml.org", url_path + ".gz")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as f:
        f.write(content.encode() if isinstance(content, str) else content)


def _seed_openml_cache(data_home, key, pixels, labels, quote=""):
    data_id, name = OPENML_IDS[key]
    arff = _arff(name, pixels, labels, quote)
    file_path = f"data/v1/download/{data_id}/{name}.arff"
    listing = {"data": {"dataset": [{"did": data_id, "name": name, "version": 1,
                                     "status": "active", "format": "ARFF"}]}}
    description = {"data_set_description": {
        "id": str(data_id), "name": name, "version": "1", "format": "ARFF",
        "status": "active", "file_id": str(data_id),
        "url": f"https://www.openml.org/{file_path}",
        "default_target_attribute": "class",
        "md5_checksum": hashlib.md5(arff.encode()).hexdigest()}}
    features = [{"index": str(i), "name": f"pixel{i + 1}", "data_type": "numeric",
                 "is_target": "false", "is_ignore": "false",
                 "is_row_identifier": "false", "number_of_missing_values": "0"}
                for i in range(N_PIXELS)]
    features.append({"index": str(N_PIXELS), "name": "class", "data_type": "nominal",
                     "nominal_value": [str(c) for c in range(10)], "is_target": "true",
                     "is_ignore": "false", "is_row_identifier": "false",
                     "number_of_missing_values": "0"})
    qualities = {"data_qualities": {"quality": [
        {"name": "NumberOfInstances", "value": f"{len(labels)}.0"}]}}

    api = "api/v1/json/data"
    # fetch_openml looks the name up in lower case
    _write_cached(data_home, f"{api}/list/data_name/{name.lower()}/limit/2/data_version/1",
                  json.dumps(listing))
    _write_cached(data_home, f"{api}/{data_id}", json.dumps(description))
    _write_cached(data_home, f"{api}/features/{data_id}",
                  json.dumps({"data_features": {"feature": features}}))
    _write_cached(data_home, f"{api}/qualities/{data_id}", json.dumps(qualities))
    _write_cached(data_home, file_path, arff)


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if fetch_openml tries to open any URL."""
    def refuse(*args, **kwargs):
        raise AssertionError("fetch_openml went to the network")
    monkeypatch.setattr(sklearn_openml, "urlopen", refuse)


@pytest.fixture
def small_openml(monkeypatch):
    """The OpenML specs with the row counts of the cache the tests write."""
    for key, spec in list(datasets.OPENML_DATASETS.items()):
        monkeypatch.setitem(datasets.OPENML_DATASETS, key, OpenMLImages(
            spec.name, spec.version, n_train=N_TRAIN, n_test=N_TEST))


@pytest.mark.parametrize("parser", ["pandas", "liac-arff"])
@pytest.mark.parametrize("key, loader", [("mnist", load_mnist),
                                         ("fashion-mnist", load_fashion_mnist)])
def test_openml_loader_reads_a_seeded_cache_offline(
        key, loader, parser, tmp_path, monkeypatch, no_network, small_openml):
    monkeypatch.setattr(datasets, "_arff_parser", lambda: parser)
    pixels, labels = _pixels_and_labels()
    _seed_openml_cache(tmp_path, key, pixels, labels)

    X_train, X_test, y_train, y_test = loader(data_home=tmp_path)

    assert X_train.dtype == X_test.dtype == np.float32
    np.testing.assert_allclose(X_train, pixels[:N_TRAIN] / 255, rtol=1e-6)
    np.testing.assert_allclose(X_test, pixels[N_TRAIN:] / 255, rtol=1e-6)
    assert y_train.dtype.kind == y_test.dtype.kind == "i"
    np.testing.assert_array_equal(y_train, labels[:N_TRAIN])
    np.testing.assert_array_equal(y_test, labels[N_TRAIN:])


@pytest.mark.parametrize("parser", ["pandas", "liac-arff"])
def test_openml_loader_float64_quoted_labels_by_name(tmp_path, monkeypatch, parser,
                                                     no_network, small_openml):
    monkeypatch.setattr(datasets, "_arff_parser", lambda: parser)
    pixels, labels = _pixels_and_labels(seed=1)
    _seed_openml_cache(tmp_path, "mnist", pixels, labels, quote="'")
    X_train, _, y_train, _ = load_dataset("mnist", data_home=tmp_path, dtype=np.float64)
    assert X_train.dtype == np.float64
    np.testing.assert_array_equal(X_train, pixels[:N_TRAIN] / 255)
    np.testing.assert_array_equal(y_train, labels[:N_TRAIN])


def test_openml_loader_rejects_a_cache_of_the_wrong_shape(tmp_path, no_network,
                                                          monkeypatch):
    pixels, labels = _pixels_and_labels()
    _seed_openml_cache(tmp_path, "mnist", pixels, labels)
    # the real spec expects 70,000 rows: 40 rows must not be split silently
    with pytest.raises(ValueError, match=r"shape \(40, 784\), expected \(70000, 784\)"):
        load_mnist(data_home=tmp_path)


def _assert_clear_offline_error(excinfo, data_home):
    message = str(excinfo.value)
    assert "mnist_784" in message and str(data_home) in message
    for remedy in ("network access", "load_idx", "digits"):
        assert remedy in message


@pytest.fixture
def openml_at(monkeypatch):
    """Point fetch_openml's API at a local address instead of openml.org."""
    def point(address):
        monkeypatch.setattr(sklearn_openml, "_SEARCH_NAME",
                            f"http://{address}/api/v1/json/data/list/data_name/{{}}"
                            "/limit/2")
    return point


def test_unreachable_openml_fails_fast_with_a_clear_message(tmp_path, openml_at):
    # a port nobody listens on: the connection is refused at once
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    openml_at(f"127.0.0.1:{port}")
    start = time.perf_counter()
    with pytest.raises(DatasetDownloadError) as excinfo:
        load_mnist(data_home=tmp_path)
    assert time.perf_counter() - start < 10
    _assert_clear_offline_error(excinfo, tmp_path)


# a read that times out looks to scikit-learn like a broken cache file, which
# it deletes (there is none) and fetches once more before giving up
@pytest.mark.filterwarnings("ignore:Invalid cache")
def test_silent_server_times_out_instead_of_hanging(tmp_path, openml_at):
    # accepts connections and never answers, like a network that drops packets
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    accepted = []

    def accept_and_wait():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                pass

    thread = threading.Thread(target=accept_and_wait, daemon=True)
    thread.start()
    openml_at(f"127.0.0.1:{server.getsockname()[1]}")
    try:
        start = time.perf_counter()
        with pytest.raises(DatasetDownloadError) as excinfo:
            load_mnist(data_home=tmp_path, timeout=0.5)
        # two attempts of 0.5 s each and a 0.5 s pause, not minutes
        assert time.perf_counter() - start < 10
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        server.close()
    assert accepted, "the loader never reached the local server"
    _assert_clear_offline_error(excinfo, tmp_path)
    assert socket.getdefaulttimeout() is None  # the global default is restored


# --------------------------------------------------------------------- IDX


def _idx_bytes(array):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    header = bytes([0, 0, codes[array.dtype], array.ndim])
    return header + np.asarray(array.shape, ">u4").tobytes() + array.tobytes()


def _write_idx_set(directory, n_train=12, n_test=5, side=4, gz=True, sep="-", seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images": rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        "train-labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images": rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        "t10k-labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for stem, array in arrays.items():
        name = f"{stem}{sep}idx{array.ndim}-ubyte" + (".gz" if gz else "")
        (directory / name).write_bytes(
            gzip.compress(_idx_bytes(array)) if gz else _idx_bytes(array))
    return arrays


@pytest.mark.parametrize("gz, sep", [(True, "-"), (False, "-"), (False, ".")])
def test_load_idx_reads_images_and_labels(tmp_path, gz, sep):
    arrays = _write_idx_set(tmp_path, gz=gz, sep=sep)
    X_train, X_test, y_train, y_test = load_idx(tmp_path)
    assert X_train.shape == (12, 16) and X_test.shape == (5, 16)
    assert X_train.dtype == np.float32
    np.testing.assert_allclose(X_train, arrays["train-images"].reshape(12, 16) / 255,
                               rtol=1e-6)
    np.testing.assert_array_equal(y_test, arrays["t10k-labels"])
    assert y_train.dtype == np.int64


def test_load_idx_float64_and_by_name(tmp_path):
    arrays = _write_idx_set(tmp_path)
    X_train, _, _, _ = load_dataset(f"idx:{tmp_path}", dtype=np.float64)
    np.testing.assert_array_equal(X_train, arrays["train-images"].reshape(12, 16) / 255)


def _replace(directory, stem, content):
    path = directory / f"{stem}.gz"
    path.write_bytes(gzip.compress(content))
    return path


def test_wrong_magic_number_names_the_file(tmp_path):
    _write_idx_set(tmp_path)
    _replace(tmp_path, "train-labels-idx1-ubyte", b"\x12\x34\x08\x01" + bytes(8))
    with pytest.raises(IDXFormatError, match=r"train-labels-idx1-ubyte\.gz: not an "
                                             r"IDX file \(magic number 12340801"):
        load_idx(tmp_path)


def test_truncated_file_is_reported(tmp_path):
    arrays = _write_idx_set(tmp_path)
    data = _idx_bytes(arrays["t10k-images"])
    _replace(tmp_path, "t10k-images-idx3-ubyte", data[:-7])
    with pytest.raises(IDXFormatError, match=r"t10k-images-idx3-ubyte\.gz: truncated"):
        load_idx(tmp_path)


def test_extra_bytes_are_reported(tmp_path):
    arrays = _write_idx_set(tmp_path)
    _replace(tmp_path, "t10k-labels-idx1-ubyte", _idx_bytes(arrays["t10k-labels"]) + b"x")
    with pytest.raises(IDXFormatError, match="longer than its header says"):
        load_idx(tmp_path)


def test_truncated_gzip_stream_is_reported(tmp_path):
    _write_idx_set(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(IDXFormatError, match=r"train-images-idx3-ubyte\.gz: cannot be "
                                             "read"):
        load_idx(tmp_path)


def test_labels_file_in_place_of_images_is_reported(tmp_path):
    arrays = _write_idx_set(tmp_path)
    _replace(tmp_path, "train-images-idx3-ubyte", _idx_bytes(arrays["train-labels"]))
    with pytest.raises(IDXFormatError, match="1-dimensional array, expected 3"):
        load_idx(tmp_path)


def test_images_and_labels_of_different_lengths_are_reported(tmp_path):
    arrays = _write_idx_set(tmp_path)
    _replace(tmp_path, "train-labels-idx1-ubyte", _idx_bytes(arrays["train-labels"][:-1]))
    with pytest.raises(IDXFormatError, match="12 images, 11 labels"):
        load_idx(tmp_path)


def test_missing_file_and_directory_are_reported(tmp_path):
    _write_idx_set(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="No t10k labels file.*t10k-images"):
        load_idx(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_idx(tmp_path / "nowhere")


@pytest.mark.skipif(not FASHION_MNIST.is_dir(),
                    reason="the shared Fashion-MNIST folder is not beside this checkout")
def test_load_idx_reads_the_real_fashion_mnist():
    X_train, X_test, y_train, y_test = load_idx(FASHION_MNIST)
    assert X_train.shape == (60_000, 784) and X_test.shape == (10_000, 784)
    assert X_train.dtype == np.float32
    assert 0.0 == X_train.min() and X_train.max() == 1.0
    # Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)


# ------------------------------------------------------------------ digits


def test_digits_split_is_stratified_scaled_and_reproducible():
    X_train, X_test, y_train, y_test = load_digits_split()
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert X_train.dtype == np.float32 and X_train.max() == 1.0
    np.testing.assert_allclose(np.bincount(y_test) / len(y_test),
                               np.bincount(y_train) / len(y_train), atol=0.01)
    np.testing.assert_array_equal(load_dataset("digits")[3], y_test)


def test_unknown_dataset_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"Unknown data set 'cifar'.*digits.*idx:"):
        load_dataset("cifar")


def test_unsupported_dtype_is_rejected(tmp_path):
    _write_idx_set(tmp_path)
    with pytest.raises(ValueError, match="float32 or float64; got int32"):
        load_idx(tmp_path, dtype=np.int32)
