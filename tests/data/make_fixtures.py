#!/usr/bin/env python3
"""Writes the .npy and .mtx fixtures that tests/test_npy.cpp and tests/test_matrix_market.cpp
read, using NumPy and SciPy themselves, so the tests check interchange with the real writers; and
the small IDX files (plain and gzip, Python's own gzip module) that tests/test_idx.cpp reads.

Run from anywhere with a Python that has numpy and scipy (Debian: python3-numpy, python3-scipy):
    python3 tests/data/make_fixtures.py
The values are chosen to be exact in the files (SciPy writes 16 significant digits), and the
tests spell them out; the script prints them for comparison.
"""
import gzip
import pathlib
import struct

import numpy as np
import scipy.io
import scipy.sparse

HERE = pathlib.Path(__file__).resolve().parent


def save(name, array):
    np.save(HERE / name, array)
    print(f"{name}: dtype={array.dtype} shape={array.shape} values={array.ravel().tolist()}")


def mmwrite(name, matrix, **kwargs):
    scipy.io.mmwrite(HERE / name, matrix, **kwargs)
    print(f"{name}: {kwargs or ''}\n{matrix.toarray()}")


def idx(name, array):
    """An IDX file of unsigned bytes: 0, 0, type 0x08, ndim, big-endian dims, the data; the .gz
    twin has the same content (mtime 0, so reruns write identical bytes)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    (HERE / name).write_bytes(raw)
    (HERE / (name + ".gz")).write_bytes(gzip.compress(raw, mtime=0))
    print(f"{name}(.gz): shape={array.shape} values={array.ravel().tolist()}")


def main():
    # 3 images of 2 × 4 pixels: pixel (s, r, c) = 40 s + 10 r + c; labels 7, 0, 9.
    s, r, c = np.meshgrid(np.arange(3), np.arange(2), np.arange(4), indexing="ij")
    idx("tiny-images-idx3-ubyte", 40 * s + 10 * r + c)
    idx("tiny-labels-idx1-ubyte", np.array([7, 0, 9]))
    save("float64_2d.npy", np.array([[0.1, -2.5, np.pi], [1e-300, -0.0, 6.02214076e23]]))
    save("float32_1d.npy", np.array([0.1, -1.5, 3.4028235e38, 1e-45], dtype=np.float32))
    save("int8_2d.npy", np.array([[-128, 0], [1, 127]], dtype=np.int8))
    int32_values = np.array([-2147483648, -1, 0, 2147483647], dtype=np.int32)
    save("int32_3d.npy", int32_values.reshape(2, 1, 2))
    with open(HERE / "float64_v2.npy", "wb") as f:
        np.lib.format.write_array(f, np.array([1.0, 2.0, 3.0]), version=(2, 0))
    print("float64_v2.npy: format version 2.0, values [1.0, 2.0, 3.0]")

    general = scipy.sparse.coo_matrix(
        ([1.5, -2.0, 0.1, 1e-300], ([0, 0, 2, 1], [0, 3, 1, 2])), shape=(3, 4))
    mmwrite("general.mtx", general)
    symmetric = scipy.sparse.coo_matrix(
        np.array([[2.0, 0.5, 0.0], [0.5, 0.0, -3.25], [0.0, -3.25, 1.0]]))
    mmwrite("symmetric.mtx", symmetric, symmetry="symmetric")
    mmwrite("integer.mtx", scipy.sparse.coo_matrix(np.array([[0, 7], [-4, 0]], dtype=np.int64)))
    mmwrite("pattern.mtx", scipy.sparse.coo_matrix(np.array([[1, 0], [1, 1]])), field="pattern")

    # Truncated copies for the CLI contract tests: data cut short, and one entry line missing.
    data = (HERE / "float64_2d.npy").read_bytes()
    (HERE / "truncated.npy").write_bytes(data[:-8])
    lines = (HERE / "general.mtx").read_text().splitlines(keepends=True)
    (HERE / "truncated.mtx").write_text("".join(lines[:-1]))
    print("truncated.npy: float64_2d.npy less its last 8 bytes; truncated.mtx: general.mtx less "
          "its last entry")
    cli_fixtures()


def cli_fixtures():
    """Inputs of `attractor run` for tests/cli_contract.sh, good and bad."""
    xi = np.array([[1, -1, 1, -1, 1, -1, 1, -1], [1, 1, -1, -1, 1, 1, -1, -1]], dtype=np.int8)
    n = xi.shape[1]
    weights = (xi.T.astype(np.float64) @ xi) / n  # multiples of 1/8: exact in the file
    np.fill_diagonal(weights, 0.0)
    save("run_weights.npy", weights)
    mmwrite("run_weights.mtx", scipy.sparse.coo_matrix(weights))
    save("run_patterns.npy", xi)
    init = np.array([xi[0], xi[1], -xi[0]], dtype=np.float64)
    init[:, 0] *= -1  # one flipped bit per cue
    save("run_init.npy", init)
    save("run_bias.npy", np.zeros(n))
    bad_weights = weights.copy()
    bad_weights[2, 3] = np.nan
    save("nan_weights.npy", bad_weights)
    save("nonsquare_weights.npy", weights[:, :7].copy())
    save("complex_weights.npy", weights.astype(np.complex128))
    save("init_wrong_n.npy", init[:, :7].copy())
    half = init.copy()
    half[1, 4] = 0.5
    save("init_not_pm1.npy", half)
    # The two-neuron oscillator of test_continuous_dynamics.cpp: a limit cycle of period 6.838.
    save("cycle_weights.npy", np.array([[2.0, -2.0], [2.0, 2.0]]))
    save("cycle_init.npy", np.array([[0.1, 0.0]]))


if __name__ == "__main__":
    main()
