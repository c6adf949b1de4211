#!/usr/bin/env python3
"""Hostile inputs for the attractor CLI: every reader (.npy, Matrix Market, IDX plain and gzip,
graph JSON, iris CSV, checkpoint.json) and every option that sizes an allocation, fed files and
values meant to break it: absurd sizes, sizes that wrap, decompression bombs, /dev/zero, FIFOs,
directories, truncations, NaN and Inf, control characters, path traversal.

The contract checked for each case (README: exit codes 0 ok, 2 bad usage or bad input, nothing
written, 3 failure while running):
  1. the exit code (2 for every bad input unless the case says otherwise);
  2. stderr is exactly one line, shorter than 400 characters, UTF-8 without control characters;
  3. the child's peak resident memory (os.wait4's ru_maxrss) stays within a bound (300 MB) of
     the program's own footprint at start-up (its peak for `--version`: about 15 MB for a CPU
     build, about 220 MB for one that carries the CUDA backend, whose kernels load at start);
  4. it finishes within a wall-clock limit (60 s; 20 s where a FIFO could block it);
  5. the case's folder -- its inputs, the --out folder pre-filled with a sentinel file (and, for
     some cases, the files of an earlier good run or checkpoint), anything beside them -- is byte
     for byte what it was: no file added (no leftover *.tmp.*), removed or changed.

Every hostile file is generated at run time in a temporary folder; nothing binary is committed.
The "baseline:" cases run the valid inputs the others start from and expect exit 0 (results in
--out, the sentinel kept), so that a hostile case fails or passes for the reason it names.

    ATTRACTOR_BIN=build/host/cli/attractor python3 tests/hostile_inputs.py [-k SUBSTRING] [-v]

Children are started by a small process forked before the harness builds anything, so that their
ru_maxrss does not include a copy of the harness. They run with an address-space limit
(ATTRACTOR_HOSTILE_AS_MB, default 4096; 0 turns it off, as a sanitizer build needs) so that an
unchecked allocation fails in the child instead of exhausting the machine: such a case then shows
up as exit 3 or a signal. Files the child writes are limited to 512 MiB (RLIMIT_FSIZE).
"""
import argparse
import gzip
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zlib

RSS_LIMIT_MB = 300
TIMEOUT_S = 60
FIFO_TIMEOUT_S = 20
STDERR_MAX_CHARS = 400
SENTINEL = "sentinel.txt"
SENTINEL_TEXT = b"an earlier file in --out; a failed run must leave it as it is\n"

N = 8  # neurons of the small valid network every reader case starts from


# --- file builders -------------------------------------------------------------------------------

def shape_repr(shape):
    if len(shape) == 1:
        return "(%d,)" % shape[0]
    return "(" + ", ".join(str(d) for d in shape) + ")"


def npy_bytes(shape, values=(), descr="<f8", fortran=False, header=None, version=1, data=None):
    """A .npy file. `header` replaces the dict text; `data` replaces the packed values."""
    if header is None:
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
            descr, "True" if fortran else "False", shape_repr(shape))
    head = header.encode("latin-1") if isinstance(header, str) else header
    prefix_len = 10 if version == 1 else 12
    total = prefix_len + len(head) + 1
    head += b" " * ((64 - total % 64) % 64) + b"\n"
    if version == 1:
        prefix = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head))
    else:
        prefix = b"\x93NUMPY" + bytes([version, 0]) + struct.pack("<I", len(head))
    if data is None:
        code = {"<f8": "d", "<f4": "f", "<i4": "i"}[descr]
        data = struct.pack("<%d%s" % (len(values), code), *values)
    return prefix + head + data


def mtx_text(matrix, field="real", symmetry="general"):
    rows = len(matrix)
    cols = len(matrix[0]) if rows else 0
    entries = [(i + 1, j + 1, v) for i, row in enumerate(matrix) for j, v in enumerate(row) if v != 0]
    lines = ["%%%%MatrixMarket matrix coordinate %s %s" % (field, symmetry),
             "%d %d %d" % (rows, cols, len(entries))]
    lines += ["%d %d %r" % e for e in entries]
    return ("\n".join(lines) + "\n").encode()


def idx_bytes(dims, data=None, dtype=0x08, ndim=None):
    header = bytes([0, 0, dtype, len(dims) if ndim is None else ndim])
    header += b"".join(struct.pack(">I", d) for d in dims)
    if data is None:
        count = 1
        for d in dims:
            count *= d
        data = bytes((k * 37) % 256 for k in range(count))
    return header + data


def gz(raw):
    return gzip.compress(raw, compresslevel=6, mtime=0)


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(content)
    return path


def gzip_bomb(path, head, zeros_mib):
    """gzip of `head` followed by `zeros_mib` MiB of zeros, streamed: one full-flushed deflate
    block of 1 MiB of zeros decodes the same wherever it stands, so it is compressed once and
    repeated, and the CRC of the zeros is computed chunk by chunk (low memory, a few seconds)."""
    chunk = bytes(1 << 20)
    first = zlib.compressobj(9, zlib.DEFLATED, -15)
    head_block = first.compress(head) + first.flush(zlib.Z_FULL_FLUSH)
    zero = zlib.compressobj(9, zlib.DEFLATED, -15)
    zero_block = zero.compress(chunk) + zero.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    with open(path, "wb") as f:
        f.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        f.write(head_block)
        for _ in range(zeros_mib):
            f.write(zero_block)
            crc = zlib.crc32(chunk, crc)
        f.write(b"\x03\x00")  # an empty final fixed-Huffman block
        f.write(struct.pack("<II", crc & 0xFFFFFFFF, (len(head) + (zeros_mib << 20)) & 0xFFFFFFFF))


# --- the valid inputs every case starts from -----------------------------------------------------

PATTERNS = [[1, -1, 1, 1, -1, -1, 1, -1], [1, 1, -1, 1, -1, 1, -1, -1]]


def hebbian_weights():
    w = [[0.0] * N for _ in range(N)]
    for i in range(N):
        for j in range(N):
            if i != j:
                w[i][j] = sum(p[i] * p[j] for p in PATTERNS) / N
    return w


WEIGHTS = hebbian_weights()
FLAT_WEIGHTS = [v for row in WEIGHTS for v in row]
INIT = [list(PATTERNS[0]), list(PATTERNS[1]), [-v for v in PATTERNS[0]]]
INIT[0][0] = -INIT[0][0]
FLAT_INIT = [float(v) for row in INIT for v in row]
FLAT_PATTERNS = [float(v) for row in PATTERNS for v in row]
SAMPLES = [[((3 * s + 5 * d) % 7) - 3.0 for d in range(4)] for s in range(20)]  # (20, 4)
FIELDS_W = [((7 * k) % 11) / 11.0 - 0.5 for k in range(4 * 16)]                 # (4, 16): 4x4 tiles


def write_valid_inputs(d):
    """The small valid files a case changes one thing of, in d/in."""
    j = lambda name: os.path.join(d, "in", name)  # noqa: E731
    write(j("W.npy"), npy_bytes((N, N), FLAT_WEIGHTS))
    write(j("W.mtx"), mtx_text(WEIGHTS))
    write(j("init.npy"), npy_bytes((3, N), FLAT_INIT))
    write(j("patterns.npy"), npy_bytes((2, N), FLAT_PATTERNS))
    write(j("bias.npy"), npy_bytes((N,), [0.0] * N))
    write(j("samples.npy"), npy_bytes((20, 4), [v for row in SAMPLES for v in row]))
    write(j("fieldsW.npy"), npy_bytes((4, 16), FIELDS_W))


def idx_folder(d, train_images=None, train_labels=None, test_images=None, test_labels=None,
               compress=False):
    """A folder of the four Fashion-MNIST file names (.gz names; the reader tells plain from gzip
    by the magic bytes) holding 20 training and 10 test images of 4 x 4, plain (`compress`: gzip);
    any of the four can be replaced by other bytes."""
    folder = os.path.join(d, "in", "idx")
    os.makedirs(folder, exist_ok=True)
    z = gz if compress else (lambda raw: raw)
    files = {
        "train-images-idx3-ubyte.gz": train_images if train_images is not None else z(idx_bytes((20, 4, 4))),
        "train-labels-idx1-ubyte.gz": train_labels if train_labels is not None else z(idx_bytes((20,), bytes(k % 10 for k in range(20)))),
        "t10k-images-idx3-ubyte.gz": test_images if test_images is not None else z(idx_bytes((10, 4, 4))),
        "t10k-labels-idx1-ubyte.gz": test_labels if test_labels is not None else z(idx_bytes((10,), bytes(range(10)))),
    }
    for name, content in files.items():
        if isinstance(content, bytes):
            write(os.path.join(folder, name), content)
        else:
            content(os.path.join(folder, name))  # a callable makes a special file (FIFO, link, ...)
    return folder


def grid_graph(side=6):
    """A triangulated side x side grid flow network grounded at node 0."""
    edges = []
    for r in range(side):
        for col in range(side):
            i = r * side + col
            if col + 1 < side:
                edges.append([i, i + 1])
            if r + 1 < side:
                edges.append([i, i + side])
            if col + 1 < side and r + 1 < side:
                edges.append([i, i + side + 1])
    return {"kind": "flow", "nodes": side * side, "edges": edges, "weights": [1] * len(edges), "ground": [0]}


GRAPH_OK = grid_graph()


def graph(first_edge=None, weight0=None, **changes):
    """The valid graph's JSON with fields replaced, its first edge replaced, or its first weight
    replaced by raw JSON text."""
    g = json.loads(json.dumps(GRAPH_OK))
    g.update(changes)
    if first_edge is not None:
        g["edges"][0] = first_edge
    if weight0 is not None:
        g["weights"][0] = "@W0@"
    text = json.dumps(g)
    if weight0 is not None:
        text = text.replace('"@W0@"', weight0)
    return text.encode()


def iris_csv(count=12, features=4, rows=None, header=None):
    if header is None:
        header = "%d,%d,setosa,versicolor,virginica" % (count, features)
    if rows is None:
        rows = ["%s,%d" % (",".join("%.1f" % (1 + ((3 * s + f) % 5) * 0.7) for f in range(features)), s % 3)
                for s in range(count)]
    return ("\n".join([header] + rows) + "\n").encode()


def mkfifo(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.mkfifo(path)


def symlink_to(target):
    def make(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)
    return make


def mkdir(path):
    os.makedirs(path)


# --- cases -------------------------------------------------------------------------------------

class Case:
    def __init__(self, name, args, setup=None, code=2, prefill=None, rss_mb=RSS_LIMIT_MB,
                 timeout=TIMEOUT_S, check=None, usage=False):
        self.name = name
        self.args = args          # callable(Ctx) -> list of arguments
        self.setup = setup        # callable(Ctx) writing the inputs
        self.code = code
        self.prefill = prefill    # None (sentinel only), "run" or "krotov": an earlier good run
        self.rss_mb = rss_mb
        self.timeout = timeout
        self.check = check        # callable(Ctx) -> list of extra problems
        self.usage = usage        # CLI11's usage errors add a "Run with --help" line


class Ctx:
    def __init__(self, d, shared):
        self.d = d
        self.shared = shared
        self.out = os.path.join(d, "out")

    def p(self, *parts):
        return os.path.join(self.d, *parts)

    def i(self, name):
        return os.path.join(self.d, "in", name)


CASES = []


def case(name, args, setup=None, **kw):
    CASES.append(Case(name, args, setup, **kw))


def put(name, content):
    """setup: write `content` (bytes, or a callable making a special file) as in/<name>."""
    def setup(c):
        path = c.i(name)
        if callable(content):
            content(path)
        else:
            write(path, content)
    return setup


def run_args(weights="W.npy", init="init.npy", extra=(), raw=None):
    """`attractor run` on the valid inputs, with one of them replaced."""
    def args(c):
        a = ["run", "--weights", c.i(weights), "--init", raw if raw else c.i(init),
             "--out", c.out, "--steps", "50"]
        return a + [x.format(in_=c.i(""), d=c.d) for x in extra]
    return args


def control_args(A="W.mtx", init="init.npy", extra=()):
    def args(c):
        return ["control", "--A", c.i(A), "--init", c.i(init), "--K", "0.2", "--k", "0.02",
                "--max-iterations", "5", "--out", c.out] + [x.format(in_=c.i("")) for x in extra]
    return args


def streamed(head, filler, mib, tail):
    """A file of `head`, `mib` MiB of the byte `filler`, then `tail`, written in 1 MiB blocks (the
    harness stays small: its memory would count in the children's peak RSS otherwise)."""
    def make(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(head)
            block = filler * (1 << 20)
            for _ in range(mib):
                f.write(block)
            f.write(tail)
    return make


def big_token_mtx(token_bytes):
    return streamed(b"%%MatrixMarket matrix coordinate real general\n8 8 1\n1 1 ", b"1", token_bytes >> 20, b"\n")


def define_cases():
    # ---------------- baselines: the valid inputs the hostile cases start from work ----------------
    # Exit 0 and results in --out (where the sentinel stays); a failure here means the cases below
    # may fail or pass for another reason than the one they test.
    case("baseline: run W.npy", lambda c: ["run", "--weights", c.i("W.npy"), "--init", c.i("init.npy"),
                                           "--patterns", c.i("patterns.npy"), "--bias", c.i("bias.npy"),
                                           "--out", c.out], code=0)
    case("baseline: run W.mtx", run_args(weights="W.mtx"), code=0)
    case("baseline: control --A --init", control_args(), code=0)
    case("baseline: learn oja --data", lambda c: ["learn", "oja", "--data", c.i("samples.npy"), "--epochs", "2",
                                                  "--out", c.out], code=0)
    case("baseline: learn fields", lambda c: ["learn", "fields", c.i("fieldsW.npy"), c.p("out", "fields.png")],
         code=0)
    case("baseline: learn backprop, plain IDX",
         lambda c: ["learn", "backprop", "--data", c.i("idx"), "--hidden", "8", "--epochs", "1", "--out", c.out],
         lambda c: idx_folder(c.d), code=0)
    case("baseline: learn krotov, gzip IDX",
         lambda c: ["learn", "krotov", "--data", c.i("idx"), "--hidden", "10", "--epochs", "1", "--top-epochs", "1",
                    "--out", c.out], lambda c: idx_folder(c.d, compress=True), code=0)
    case("baseline: physical train --graph",
         lambda c: ["physical", "train", "--graph", c.i("g.json"), "--task", "reference", "--steps", "5",
                    "--out", c.out], put("g.json", graph()), code=0)
    case("baseline: physical modes --graph", lambda c: ["physical", "modes", "--graph", c.i("g.json"), "--count", "2"],
         put("g.json", graph()), code=0)
    case("baseline: physical train --task iris",
         lambda c: ["physical", "train", "--task", "iris", "--data", c.i("iris.csv"), "--nodes", "64", "--steps", "5",
                    "--out", c.out], put("iris.csv", iris_csv()), code=0)
    case("baseline: learn krotov --resume", lambda c: KROTOV_BASE + ["--out", c.out, "--resume"], code=0,
         prefill="krotov")

    # ---------------- .npy: run --weights/--init/--bias/--patterns ----------------
    case("npy weights NaN", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((N, N), [float("nan")] + FLAT_WEIGHTS[1:])), prefill="run")
    case("npy weights +Inf", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((N, N), FLAT_WEIGHTS[:-1] + [float("inf")])))
    case("npy init -Inf (continuous)", run_args(init="bad.npy", extra=["--dynamics", "continuous"]),
         put("bad.npy", npy_bytes((3, N), [float("-inf")] + FLAT_INIT[1:])), prefill="run")
    case("npy bias NaN", run_args(extra=["--bias", "{in_}bad.npy"]),
         put("bad.npy", npy_bytes((N,), [0.0] * (N - 1) + [float("nan")])))
    case("npy patterns Inf", run_args(extra=["--patterns", "{in_}bad.npy"]),
         put("bad.npy", npy_bytes((2, N), [float("inf")] + FLAT_PATTERNS[1:])))
    case("npy weights 3-d", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((2, 2, 2), [1.0] * 8)))
    case("npy weights empty (0, 0)", run_args(weights="bad.npy"), put("bad.npy", npy_bytes((0, 0))))
    case("npy weights huge shape, no data", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((3037000499, 3037000499))), prefill="run")
    case("npy weights shape over 2^63 bytes", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((2 ** 40, 2 ** 40))))
    case("npy weights negative dimension", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((-1, N))))
    case("npy weights Fortran order", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((N, N), FLAT_WEIGHTS, fortran=True)))
    case("npy weights complex dtype", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((N, N), header="{'descr': '<c16', 'fortran_order': False, 'shape': (8, 8), }",
                                  data=bytes(16 * N * N))))
    case("npy weights object dtype", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((1,), header="{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
                                  data=b"\x80\x04N.")))
    case("npy header length 4 GiB (v2)", run_args(weights="bad.npy"),
         put("bad.npy", b"\x93NUMPY\x02\x00\xff\xff\xff\xff{'descr': '<f8'"))
    case("npy truncated header", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((N, N), FLAT_WEIGHTS)[:40]))
    case("npy truncated data", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((N, N), FLAT_WEIGHTS)[:-9]), prefill="run")
    case("npy init truncated to the magic", run_args(init="bad.npy"), put("bad.npy", b"\x93NUMP"))
    case("npy init wrong N", run_args(init="bad.npy"),
         put("bad.npy", npy_bytes((3, N + 1), [1.0] * (3 * (N + 1)))))
    case("npy init zero states (0, N)", run_args(init="bad.npy"),  # no state to run is bad input
         put("bad.npy", npy_bytes((0, N))))
    case("npy patterns wrong N", run_args(extra=["--patterns", "{in_}bad.npy"]),
         put("bad.npy", npy_bytes((2, N - 1), [1.0] * (2 * (N - 1)))))
    case("npy bias shape (N, 1)", run_args(extra=["--bias", "{in_}bad.npy"]),
         put("bad.npy", npy_bytes((N, 1), [0.0] * N)))
    case("npy descr with terminal escapes", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((N, N), header="{'descr': '\x1b[31m\x1b[2J<f8', 'fortran_order': False, 'shape': (8, 8), }",
                                  data=bytes(8 * N * N))))
    case("npy dict key with NUL and escapes", run_args(weights="bad.npy"),
         put("bad.npy", npy_bytes((N, N), header="{'\x00\x1b]0;owned\x07': 1, 'descr': '<f8', 'fortran_order': False, 'shape': (8, 8), }",
                                  data=bytes(8 * N * N))))
    case("npy weights /dev/zero", run_args(weights="zero.npy"), put("zero.npy", symlink_to("/dev/zero")))
    case("npy init /dev/zero path", run_args(raw="/dev/zero"))
    case("npy weights FIFO", run_args(weights="fifo.npy"), put("fifo.npy", mkfifo),
         timeout=FIFO_TIMEOUT_S, prefill="run")
    case("npy init FIFO", run_args(init="fifo.npy"), put("fifo.npy", mkfifo), timeout=FIFO_TIMEOUT_S)
    case("npy weights directory", run_args(weights="dir.npy"), put("dir.npy", mkdir))

    # ---------------- Matrix Market: run --weights W.mtx ----------------
    MM = b"%%MatrixMarket matrix coordinate real general\n"
    case("mtx size 2147483647^2, 0 entries", run_args(weights="bad.mtx"),
         put("bad.mtx", MM + b"2147483647 2147483647 0\n"), prefill="run")
    case("mtx size 214004736^2, 0 entries", run_args(weights="bad.mtx"),
         put("bad.mtx", MM + b"214004736 214004736 0\n"))
    case("mtx pattern 2147483647^2, 1 entry", run_args(weights="bad.mtx"),
         put("bad.mtx", b"%%MatrixMarket matrix coordinate pattern symmetric\n2147483647 2147483647 1\n1 1\n"))
    case("mtx entries 2^63-1 declared", run_args(weights="bad.mtx"),
         put("bad.mtx", MM + b"8 8 9223372036854775807\n1 2 1.0\n"))
    case("mtx 50 MB numeric token", run_args(weights="bad.mtx"),
         put("bad.mtx", big_token_mtx(50 << 20)))
    case("mtx value with terminal escapes", run_args(weights="bad.mtx"),
         put("bad.mtx", MM + b"8 8 1\n1 2 \x1b[31m\x1b[2J1.0\n"))
    case("mtx NUL byte in a token", run_args(weights="bad.mtx"),
         put("bad.mtx", MM + b"8 8 1\n1 2 1.0\x00\x1b[0m5\n"))
    case("mtx banner with escapes", run_args(weights="bad.mtx"),
         put("bad.mtx", b"%%MatrixMarket matrix coordinate \x1b[31mreal general\n8 8 0\n"))
    case("mtx duplicate 1e308 twice sums to Inf", run_args(weights="bad.mtx"),
         put("bad.mtx", MM + b"8 8 3\n1 2 1e308\n1 2 1e308\n2 1 1.0\n"), prefill="run")
    case("mtx value Inf", run_args(weights="bad.mtx"), put("bad.mtx", MM + b"8 8 1\n1 2 inf\n"))
    case("mtx value 1e400 overflows", run_args(weights="bad.mtx"), put("bad.mtx", MM + b"8 8 1\n1 2 1e400\n"))
    case("mtx index 0", run_args(weights="bad.mtx"), put("bad.mtx", MM + b"8 8 1\n0 1 1.0\n"))
    case("mtx index past the size", run_args(weights="bad.mtx"),
         put("bad.mtx", MM + b"8 8 1\n9223372036854775807 1 1.0\n"))
    case("mtx non-square 8 x 9", run_args(weights="bad.mtx"), put("bad.mtx", MM + b"8 9 1\n1 2 1.0\n"))
    case("mtx truncated entries", run_args(weights="bad.mtx"),
         put("bad.mtx", mtx_text(WEIGHTS)[:-30]))
    case("mtx truncated banner", run_args(weights="bad.mtx"), put("bad.mtx", b"%%Matrix"))
    case("mtx /dev/zero", run_args(weights="zero.mtx"), put("zero.mtx", symlink_to("/dev/zero")), prefill="run")
    case("mtx FIFO", run_args(weights="fifo.mtx"), put("fifo.mtx", mkfifo), timeout=FIFO_TIMEOUT_S)
    case("mtx directory", run_args(weights="dir.mtx"), put("dir.mtx", mkdir))

    # ---------------- control --A / --mask / --bias / --init ----------------
    case("control --A size 214004736^2", control_args(A="bad.mtx"),
         put("bad.mtx", MM + b"214004736 214004736 0\n"))
    case("control --mask size 2147483647^2", control_args(extra=["--mask", "{in_}bad.mtx"]),
         put("bad.mtx", MM + b"2147483647 2147483647 0\n"))
    case("control --A duplicates sum to Inf", control_args(A="bad.mtx"),
         put("bad.mtx", MM + b"8 8 3\n1 2 1e308\n1 2 1e308\n2 1 1.0\n"))
    case("control --mask NUL in token", control_args(extra=["--mask", "{in_}bad.mtx"]),
         put("bad.mtx", MM + b"8 8 1\n1\x00 2 1.0\n"))
    case("control --A /dev/zero", control_args(A="zero.mtx"), put("zero.mtx", symlink_to("/dev/zero")))
    case("control --mask FIFO", control_args(extra=["--mask", "{in_}fifo.mtx"]), put("fifo.mtx", mkfifo),
         timeout=FIFO_TIMEOUT_S)
    case("control --bias NaN", control_args(extra=["--bias", "{in_}bad.npy"]),
         put("bad.npy", npy_bytes((N,), [float("nan")] * N)))
    case("control --bias wrong shape", control_args(extra=["--bias", "{in_}bad.npy"]),
         put("bad.npy", npy_bytes((N + 1,), [0.0] * (N + 1))))
    case("control --init Inf", control_args(init="bad.npy"),
         put("bad.npy", npy_bytes((3, N), [float("inf")] + FLAT_INIT[1:])))
    case("control --init /dev/zero", control_args(init="zero.npy"), put("zero.npy", symlink_to("/dev/zero")))

    # ---------------- learn local rules --data X.npy ----------------
    def local(rule, name, extra=()):
        return lambda c: ["learn", rule, "--data", c.i(name), "--epochs", "2", "--out", c.out] + list(extra)
    case("learn oja data Inf", local("oja", "bad.npy"),
         put("bad.npy", npy_bytes((20, 4), [float("inf")] + [1.0] * 79)))
    case("learn sanger data (20, 0)", local("sanger", "bad.npy"), put("bad.npy", npy_bytes((20, 0))))
    case("learn hebb data (0, 4)", local("hebb", "bad.npy"), put("bad.npy", npy_bytes((0, 4))))
    case("learn bcm data huge shape, no data", local("bcm", "bad.npy"),
         put("bad.npy", npy_bytes((2 ** 31, 2 ** 31))))
    case("learn covariance data /dev/zero", local("covariance", "zero.npy"),
         put("zero.npy", symlink_to("/dev/zero")))
    case("learn oja data FIFO", local("oja", "fifo.npy"), put("fifo.npy", mkfifo), timeout=FIFO_TIMEOUT_S)
    case("learn oja data directory", local("oja", "dir.npy"), put("dir.npy", mkdir))

    # ---------------- learn krotov --units W.npy (units of an earlier run) ----------------
    def units(name):
        return lambda c: ["learn", "krotov", "--synthetic", "--hidden", "10", "--units", c.i(name),
                          "--top-epochs", "1", "--out", c.out]
    case("krotov --units NaN", units("bad.npy"), put("bad.npy", npy_bytes((10, 196), [float("nan")] * 1960)))
    case("krotov --units wrong shape", units("bad.npy"), put("bad.npy", npy_bytes((10, 195), [0.5] * 1950)))
    case("krotov --units /dev/zero", units("zero.npy"), put("zero.npy", symlink_to("/dev/zero")))

    # ---------------- learn fields W.npy out.png ----------------
    def fields(name, *extra):
        return lambda c: ["learn", "fields", c.i(name), c.p("out", "fields.png")] + list(extra)
    case("fields --columns 1431655766", fields("fieldsW.npy", "--columns", "1431655766"))
    case("fields --columns 100000000000", fields("fieldsW.npy", "--columns", "100000000000"))
    case("fields zero units (0, 16)", fields("bad.npy"), put("bad.npy", npy_bytes((0, 16))))
    case("fields zero inputs (4, 0)", fields("bad.npy"), put("bad.npy", npy_bytes((4, 0))))
    case("fields 2^31 units of 1 input, no data", fields("bad.npy"), put("bad.npy", npy_bytes((2 ** 31, 1))))
    case("fields NaN weights", fields("bad.npy"),
         put("bad.npy", npy_bytes((4, 16), [float("nan")] + FIELDS_W[1:])))
    case("fields weights /dev/zero", fields("zero.npy"), put("zero.npy", symlink_to("/dev/zero")))
    case("fields png under a regular file",
         lambda c: ["learn", "fields", c.i("fieldsW.npy"), c.p("out", SENTINEL, "fields.png")])

    # ---------------- IDX: learn backprop|krotov --data FOLDER ----------------
    def backprop(extra=(), hidden="8"):
        return lambda c: ["learn", "backprop", "--data", c.i("idx"), "--hidden", hidden, "--epochs", "1",
                          "--out", c.out] + list(extra)

    def krotov(extra=()):
        return lambda c: ["learn", "krotov", "--data", c.i("idx"), "--hidden", "10", "--epochs", "1",
                          "--top-epochs", "1", "--out", c.out] + list(extra)

    def idx_case(name, args, **files):
        kw = {k: v for k, v in files.items() if k in ("prefill", "rss_mb", "timeout")}
        files = {k: v for k, v in files.items() if k not in kw}
        case(name, args, lambda c: idx_folder(c.d, **files), **kw)

    idx_case("idx dims 65536 x 65536 x 1 (2^32 wraps to 0), no data", backprop(),
             train_images=idx_bytes((65536, 65536, 1), data=b""))
    idx_case("gzip idx dims 65536 x 65536 x 1 (2^32 wraps to 0), no data", backprop(),
             train_images=gz(idx_bytes((65536, 65536, 1), data=b"")))
    idx_case("idx plain dims 1 x 65536 x 65536, no data", backprop(),
             train_images=idx_bytes((1, 65536, 65536), data=b""))
    idx_case("idx 0 images of 65536 x 65536 (backprop)", backprop(),
             train_images=(idx_bytes((0, 65536, 65536), data=b"")),
             train_labels=(idx_bytes((0,), data=b"")))
    idx_case("idx 0 images of 65536 x 65536 (krotov)", krotov(),
             train_images=(idx_bytes((0, 65536, 65536), data=b"")),
             train_labels=(idx_bytes((0,), data=b"")))
    idx_case("idx test set of 0 x 65536 x 65536", backprop(),
             test_images=(idx_bytes((0, 65536, 65536), data=b"")),
             test_labels=(idx_bytes((0,), data=b"")))
    idx_case("idx images of 0 x 0 pixels", backprop(),
             train_images=(idx_bytes((20, 0, 0), data=b"")))
    idx_case("idx huge dims 2^32-1 cubed", backprop(),
             train_images=(idx_bytes((0xFFFFFFFF,) * 3, data=b"")))
    idx_case("idx 255 dimensions, truncated header", backprop(),
             train_images=(bytes([0, 0, 8, 255]) + b"\x00\x00\x00\x01" * 10))
    idx_case("idx float element type", backprop(),
             train_images=(idx_bytes((20, 4, 4), dtype=0x0D, data=bytes(20 * 16 * 4))))
    idx_case("idx truncated data", backprop(), train_images=(idx_bytes((20, 4, 4))[:-5]))
    idx_case("idx trailing bytes", backprop(), train_images=(idx_bytes((20, 4, 4)) + b"\x00" * 7))
    idx_case("idx labels count mismatch", backprop(),
             train_labels=(idx_bytes((19,), bytes(k % 10 for k in range(19)))))
    idx_case("idx labels given as images", backprop(), train_images=(idx_bytes((20,), bytes(20))))
    idx_case("gzip truncated stream", backprop(), train_images=gz(idx_bytes((20, 4, 4)))[:-12])
    idx_case("gzip 0 images of 65536 x 65536 (krotov)", krotov(),
             train_images=gz(idx_bytes((0, 65536, 65536), data=b"")), train_labels=gz(idx_bytes((0,), data=b"")))
    idx_case("gzip bad CRC", backprop(),
             train_images=(lambda b: b[:-8] + bytes([b[-8] ^ 0xFF]) + b[-7:])(gz(idx_bytes((20, 4, 4)))))
    idx_case("gzip FEXTRA length past the end", backprop(),
             train_images=b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\xff\xff" + b"\x00" * 10)
    idx_case("gzip FNAME without terminator", backprop(),
             train_images=b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\xff" + b"A" * 30)

    def bomb(c):
        link = c.i(os.path.join("idx", "train-images-idx3-ubyte.gz"))
        idx_folder(c.d, compress=True)
        os.remove(link)
        os.link(c.shared["bomb"], link)
    case("gzip bomb: 1 GiB of zeros after a 20 x 4 x 4 IDX", backprop(), bomb, prefill=None)
    idx_case("idx images /dev/zero", backprop(), train_images=symlink_to("/dev/zero"))
    idx_case("idx labels FIFO", backprop(), train_labels=mkfifo, timeout=FIFO_TIMEOUT_S)
    idx_case("idx images directory", backprop(), train_images=mkdir)
    case("idx 2 images of 256 x 256, backprop --hidden 1048576",
         backprop(hidden="1048576"),
         lambda c: idx_folder(c.d, train_images=idx_bytes((2, 256, 256), data=bytes(range(256)) * 512),
                              train_labels=idx_bytes((2,), b"\x01\x02"),
                              test_images=idx_bytes((1, 256, 256), data=bytes(65536)),
                              test_labels=idx_bytes((1,), b"\x02")))

    # ---------------- graph JSON: physical train|modes --graph ----------------
    def phys_train(name="g.json"):
        return lambda c: ["physical", "train", "--graph", c.i(name), "--task", "reference", "--steps", "5",
                          "--out", c.out]

    def phys_modes(name="g.json", *extra):
        return lambda c: ["physical", "modes", "--graph", c.i(name), "--count", "2"] + list(extra)

    case("graph nodes 2147483648", phys_train(), put("g.json", graph(nodes=2147483648)))
    case("graph nodes 2147483647 (modes)", phys_modes(), put("g.json", graph(nodes=2147483647)))
    case("graph nodes 1e300", phys_train(), put("g.json", graph(nodes=1e300)))
    case("graph nodes -1e300", phys_modes(), put("g.json", graph(nodes=-1e300)))
    case("graph nodes 2.5", phys_modes(), put("g.json", graph(nodes=2.5)))
    case("graph float edge indices 2.9", phys_train(),
         put("g.json", graph(first_edge=[1.9, 2.9])))
    case("graph edge index 2^63-1", phys_modes(),
         put("g.json", graph(first_edge=[0, 9223372036854775807])))
    case("graph edge index -1", phys_modes(),
         put("g.json", graph(first_edge=[0, -1])))
    case("graph ground 2^40", phys_modes(), put("g.json", graph(ground=[2 ** 40])))
    case("graph weight 1e400 (Inf)", phys_modes(),
         put("g.json", graph(weight0="1e400")))
    case("graph weight 1e-400 (underflows to 0)", phys_modes(), put("g.json", graph(weight0="1e-400")))
    case("graph edge index 1e20", phys_modes(), put("g.json", graph(first_edge=[0, 1e20])))
    case("graph weights shorter than edges", phys_train(), put("g.json", graph(weights=[1, 1])))
    case("graph linear 100000 nodes, no couplings", phys_modes(),
         put("g.json", json.dumps({"kind": "linear", "nodes": 100000, "couplings": []}).encode()))
    case("graph space_dim 2^31-1", phys_modes(), put("g.json", graph(space_dim=2147483647)))
    case("graph kind with terminal escapes", phys_modes(), put("g.json", graph(kind="\x1b[31m\x1b[2Jflow")))
    case("graph nested 2^20 arrays", phys_modes(), put("g.json", streamed(b"", b"[", 1, b"]" * (1 << 20))))
    case("graph truncated", phys_train(), put("g.json", graph()[:37]))
    case("graph /dev/zero", phys_train("zero.json"), put("zero.json", symlink_to("/dev/zero")))
    case("graph FIFO", phys_modes("fifo.json"), put("fifo.json", mkfifo), timeout=FIFO_TIMEOUT_S)
    case("graph directory", phys_modes("dir.json"), put("dir.json", mkdir))

    # ---------------- iris CSV: physical train --task iris --data ----------------
    def iris(name="iris.csv"):
        return lambda c: ["physical", "train", "--task", "iris", "--data", c.i(name), "--nodes", "64",
                          "--steps", "5", "--out", c.out]
    case("csv header 9223372036854775807 features", iris(),
         put("iris.csv", iris_csv(header="12,9223372036854775807,a,b,c")))
    case("csv header 9223372036854775807 samples", iris(),
         put("iris.csv", iris_csv(header="9223372036854775807,4,a,b,c")))
    case("csv 1000 features on 64 nodes", iris(),
         put("iris.csv", iris_csv(count=4, features=1000)))
    case("csv 1000000 class names", iris(),
         lambda c: write(c.i("iris.csv"), ("12,4," + ",".join("c%d" % k for k in range(1000000)) + "\n").encode()
                         + b"\n".join(iris_csv().split(b"\n")[1:])))
    case("csv 50 MB cell", iris(),
         put("iris.csv", streamed(b"2,1,a,b\n", b"1", 50, b",0\n1.0,1\n")))
    case("csv cell with terminal escapes", iris(),
         put("iris.csv", b"2,1,a,b\n\x1b[31m\x1b[2J1.0,0\n1.0,1\n"))
    case("csv NUL in a cell", iris(), put("iris.csv", b"2,1,a,b\n1.0\x00,0\n1.0,1\n"))
    case("csv NaN value", iris(), put("iris.csv", iris_csv(rows=["nan,1,1,1,0"] + [
        "1,1,1,1,%d" % (k % 3) for k in range(11)])))
    case("csv label out of range", iris(), put("iris.csv", iris_csv(rows=["1,1,1,1,3"] + [
        "1,1,1,1,%d" % (k % 3) for k in range(11)])))
    case("csv truncated rows", iris(), put("iris.csv", iris_csv()[:-40]))
    case("csv /dev/zero", iris("zero.csv"), put("zero.csv", symlink_to("/dev/zero")))
    case("csv FIFO", iris("fifo.csv"), put("fifo.csv", mkfifo), timeout=FIFO_TIMEOUT_S)
    case("csv directory", iris("dir.csv"), put("dir.csv", mkdir))

    # ---------------- checkpoint.json: learn krotov --out DIR --resume ----------------
    def resume(c):
        return KROTOV_BASE + ["--out", c.out, "--resume"]

    def ckpt(edit, extra_setup=None):
        def setup(c):
            with open(os.path.join(c.out, "checkpoint.json")) as f:
                meta = json.load(f)
            if extra_setup:
                extra_setup(c, meta)
            content = edit(meta, c)
            path = os.path.join(c.out, "checkpoint.json")
            if callable(content):
                os.remove(path)
                content(path)
            else:
                write(path, content if isinstance(content, bytes) else json.dumps(content).encode())
        return setup

    def edited(**changes):
        def edit(meta, c):
            meta.update(changes)
            return meta
        return edit

    case("checkpoint epochs_done a string", resume, ckpt(edited(epochs_done="1")), prefill="krotov")
    case("checkpoint phase a number", resume, ckpt(edited(phase=7)), prefill="krotov")
    case("checkpoint unknown phase", resume, ckpt(edited(phase="bogus", epochs_done=0)), prefill="krotov")
    case("checkpoint empty steps list", resume, ckpt(edited(steps=[], epochs_done=1)), prefill="krotov")
    case("checkpoint history a number", resume, ckpt(edited(history=5, epochs_done=1)), prefill="krotov")
    case("checkpoint generation a string", resume, ckpt(edited(generation="x")), prefill="krotov")
    case("checkpoint epochs_done -5", resume, ckpt(edited(phase="units", epochs_done=-5, steps=[0])),
         prefill="krotov")
    case("checkpoint epochs_done 1e300", resume, ckpt(edited(epochs_done=1e300)), prefill="krotov")

    def arrays_number(meta, c):
        meta["arrays"] = dict(meta["arrays"], W=5)
        return meta
    case("checkpoint array name a number", resume, ckpt(arrays_number), prefill="krotov")

    def traversal(meta, c):
        meta.update(phase="units", epochs_done=1, steps=[0])
        meta["arrays"] = {"W": meta["arrays"]["W"], "x": "../victim.txt"}
        return meta

    def victim_txt(c, meta):
        write(c.p("victim.txt"), b"a file outside --out that a checkpoint must not reach\n")

    def victim_survives(name):
        return lambda c: [] if os.path.exists(c.p(name)) else ["%s outside --out was removed" % name]
    case("checkpoint arrays x: ../victim.txt", resume, ckpt(traversal, victim_txt), prefill="krotov",
         check=victim_survives("victim.txt"))

    def outside_read(meta, c):
        meta.update(phase="units", epochs_done=1, steps=[0])
        meta["arrays"] = {"W": "../victim.npy"}
        return meta

    def victim_npy(c, meta):
        shutil.copyfile(os.path.join(c.out, meta["arrays"]["W"]), c.p("victim.npy"))
    case("checkpoint arrays W: ../victim.npy", resume, ckpt(outside_read, victim_npy), prefill="krotov",
         check=victim_survives("victim.npy"))

    def nan_array(meta, c):
        path = os.path.join(c.out, meta["arrays"]["W"])
        raw = bytearray(open(path, "rb").read())
        raw[-4:] = struct.pack("<f", float("nan"))
        write(path, bytes(raw))
        return meta
    case("checkpoint W array holds NaN", resume, ckpt(nan_array), prefill="krotov")

    def wrong_size(meta, c):
        write(os.path.join(c.out, meta["arrays"]["W"]), npy_bytes((3,), [1.0, 2.0, 3.0], descr="<f4"))
        return meta
    case("checkpoint W array of 3 entries", resume, ckpt(wrong_size), prefill="krotov")
    case("checkpoint not JSON", resume, ckpt(lambda m, c: b"{\"identity\": {\"x\": [1, 2"), prefill="krotov")
    case("checkpoint nested 1e6 objects", resume,
         ckpt(lambda m, c: b"{\"a\":" * 1000000 + b"1" + b"}" * 1000000), prefill="krotov")
    case("checkpoint /dev/zero", resume, ckpt(lambda m, c: symlink_to("/dev/zero")), prefill="krotov")
    case("checkpoint FIFO", resume, ckpt(lambda m, c: mkfifo), prefill="krotov", timeout=FIFO_TIMEOUT_S)
    case("checkpoint directory", resume, ckpt(lambda m, c: mkdir), prefill="krotov")

    # ---------------- --out that cannot be written ----------------
    # Root ignores chmod 555, so where a read-only folder would still be writable the folder is
    # replaced by a path under a regular file (out/sentinel.txt/sub), which no one can create.
    def unwritable_out(c):
        return os.path.join(c.out, SENTINEL, "sub")

    def readonly_out(c):
        return c.out if not c.shared["root_writes"] else unwritable_out(c)

    def chmod_out(c):
        if not c.shared["root_writes"]:
            os.chmod(c.out, 0o555)
    good_run = lambda c, out: ["run", "--weights", c.i("W.npy"), "--init", c.i("init.npy"), "--out", out]  # noqa: E731
    case("out read-only folder (run)", lambda c: good_run(c, readonly_out(c)), chmod_out, prefill="run")
    case("out under a regular file (run)", lambda c: good_run(c, unwritable_out(c)))
    case("out is a regular file (run)", lambda c: good_run(c, os.path.join(c.out, SENTINEL)))
    case("out read-only folder (learn oja)",
         lambda c: ["learn", "oja", "--epochs", "2", "--out", readonly_out(c)], chmod_out)
    case("out under a regular file (learn krotov)",
         lambda c: ["learn", "krotov", "--synthetic", "--hidden", "10", "--epochs", "1", "--top-epochs", "1",
                    "--out", unwritable_out(c)])
    case("out under a regular file (control)",
         lambda c: ["control", "--stored", "1", "--novel", "0", "--max-iterations", "2", "--out", unwritable_out(c)])
    case("out under a regular file (physical train)",
         lambda c: ["physical", "train", "--task", "reference", "--nodes", "64", "--steps", "5",
                    "--out", unwritable_out(c)])
    case("out under a regular file (memory-experiment)",
         lambda c: ["memory-experiment", "--out", unwritable_out(c)])
    case("out under a regular file (dam)",
         lambda c: ["dam", "--n", "30", "--alphas", "0.1", "--trials", "1", "--out", unwritable_out(c)])
    case("out under a regular file (physical modes --write-hessian)",
         lambda c: ["physical", "modes", "--nodes", "32", "--count", "2", "--write-hessian",
                    unwritable_out(c) + ".mtx"])

    # ---------------- size options ----------------
    def sized(*args, out=True):
        return lambda c: list(args) + (["--out", c.out] if out else [])
    big = "4611686018427387904"  # 2^62
    case("recall --patterns 2^62", sized("recall", "--n", "100", "--patterns", big, out=False))
    case("recall --cues 2^62", sized("recall", "--n", "100", "--patterns", "5", "--cues", big, out=False))
    case("recall --n 2^31 factored", sized("recall", "--n", "2147483648", "--patterns", "1", "--cues", "1",
                                           "--storage", "factored", out=False))
    case("capacity --n 2^62", sized("capacity", "--n", big, "--trials", "1", out=False))
    case("capacity --alphas 1e12", sized("capacity", "--n", "100", "--alphas", "1e12", "--trials", "1", out=False))
    case("ensemble --networks 2^62", sized("ensemble", "--networks", big, "--n", "100", out=False))
    case("ensemble --n 2^31-1", sized("ensemble", "--networks", "1", "--n", "2147483647", "--patterns", "1", out=False))
    case("dam --n 2^62", sized("dam", "--n", big, "--alphas", "0.1", "--trials", "1", out=False))
    case("dam --cues 2^62", sized("dam", "--n", "50", "--alphas", "0.1", "--trials", "1", "--cues", big, out=False))
    case("dam --alphas 1e15", sized("dam", "--n", "100", "--alphas", "1e15", "--trials", "1", out=False))
    case("control --n 10^6 --connectivity 0.002", sized("control", "--n", "1000000", "--connectivity", "0.002",
                                                        "--silent", "0"))
    case("control --intervals 10^12", sized("control", "--intervals", "1000000000000"))
    case("control --stored 10^12", sized("control", "--stored", "1000000000000", "--novel", "0"))
    case("control --lambda 1e-300 (horizon steps)", sized("control", "--lambda", "1e-300"))
    case("learn oja --samples 10^12", sized("learn", "oja", "--samples", "1000000000000"))
    case("learn sanger --components 2^62", sized("learn", "sanger", "--components", big))
    case("learn hebb --epochs 2^62", sized("learn", "hebb", "--epochs", big))
    case("learn krotov --hidden 2^24", sized("learn", "krotov", "--synthetic", "--hidden", "16777216",
                                            "--epochs", "1", "--top-epochs", "1"))
    case("learn krotov --batch 65536 --hidden 2^24", sized("learn", "krotov", "--synthetic", "--hidden", "16777216",
                                                          "--batch", "65536", "--epochs", "1", "--top-epochs", "1"))
    case("learn krotov --top-epochs 2^62", sized("learn", "krotov", "--synthetic", "--hidden", "10", "--epochs", "1",
                                                "--top-epochs", big))
    case("learn backprop --epochs 2^62", sized("learn", "backprop", "--synthetic", "--hidden", "8", "--epochs", big))
    case("learn backprop --batch 2^62", sized("learn", "backprop", "--synthetic", "--hidden", "8", "--epochs", "1",
                                             "--batch", big))
    case("physical train --nodes 2^62", sized("physical", "train", "--nodes", big, "--steps", "5"))
    case("physical train --nodes 10^8", sized("physical", "train", "--nodes", "100000000", "--steps", "5"))
    case("physical train --inputs 2^62", sized("physical", "train", "--task", "reference", "--nodes", "64",
                                              "--inputs", big, "--steps", "5"))
    case("physical train --steps 10^15", sized("physical", "train", "--task", "reference", "--nodes", "64", "--steps", "1000000000000000"))
    case("physical train --tasks 10^9", sized("physical", "train", "--task", "reference", "--nodes", "64", "--tasks", "1000000000",
                                             "--steps", "5"))
    # (--modes beyond the degrees of freedom records all of them, as --count does: exit 0, and no
    # allocation for the 10^12 asked.)
    case("physical train --modes 10^12", sized("physical", "train", "--task", "reference", "--nodes", "64", "--modes", "1000000000000",
                                              "--steps", "5"), code=0)
    case("physical train --forces 10^12", sized("physical", "train", "--task", "reference", "--nodes", "64", "--forces", "1000000000000",
                                               "--steps", "5"))
    # (--method dense clamps --count to the degrees of freedom, by design: exit 0 there.)
    case("physical modes --count 2^62 shift-invert", sized("physical", "modes", "--nodes", "32", "--count", big,
                                                          "--method", "shift-invert", out=False))
    case("physical modes --forces 10^12", sized("physical", "modes", "--nodes", "32", "--forces", "1000000000000",
                                               out=False))
    case("physical modes --nodes 2^31 lattice", sized("physical", "modes", "--nodes", "2147483648", "--lattice",
                                                     "square", out=False))

    # ---------------- names that are themselves hostile ----------------
    case("missing file name with newline and escapes",
         lambda c: ["run", "--weights", c.i("no\n\x1b[31msuch\x07.npy"), "--init", c.i("init.npy"), "--out", c.out])
    case("missing file name of 1000 characters",
         lambda c: ["run", "--weights", c.i("/".join(["x" * 199] * 5) + ".npy"), "--init", c.i("init.npy"),
                    "--out", c.out])


KROTOV_BASE = ["learn", "krotov", "--synthetic", "--hidden", "10", "--epochs", "2", "--top-epochs", "2",
               "--seed", "3"]


# --- running and checking -----------------------------------------------------------------------

def as_limit_bytes():
    mb = int(os.environ.get("ATTRACTOR_HOSTILE_AS_MB", "4096"))
    return mb << 20 if mb > 0 else None


def child_limits():
    limit = as_limit_bytes()
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_FSIZE, (512 << 20, 512 << 20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_child(argv, cwd, stdout_path, stderr_path, timeout):
    """Runs argv; returns (status text, exit code or -signal, peak RSS in MiB, seconds, timed out)."""
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True, preexec_fn=child_limits)
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.monotonic() - start > timeout:
                timed_out = True
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = -1  # reaped here; keeps Popen from waiting again
        seconds = time.monotonic() - start
    if os.WIFSIGNALED(status):
        code = -os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
    return code, usage.ru_maxrss / 1024.0, seconds, timed_out


class Spawner:
    """Runs the children from a small process forked before the harness builds anything: a child
    starts as a copy of the process that forks it, and on Linux that copy's memory counts in the
    child's ru_maxrss; forked from the lean spawner, it adds a few MB instead of the harness's."""

    def __init__(self):
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(from_parent)
            os.close(to_parent)
            with os.fdopen(to_child, "r") as requests, os.fdopen(from_child, "w") as answers:
                for line in requests:
                    answers.write(json.dumps(run_child(*json.loads(line))) + "\n")
                    answers.flush()
            os._exit(0)
        os.close(to_child)
        os.close(from_child)
        self.pid = pid
        self.requests = os.fdopen(from_parent, "w")
        self.answers = os.fdopen(to_parent, "r")

    def run(self, argv, cwd, stdout_path, stderr_path, timeout):
        self.requests.write(json.dumps([argv, cwd, stdout_path, stderr_path, timeout]) + "\n")
        self.requests.flush()
        return tuple(json.loads(self.answers.readline()))

    def close(self):
        self.requests.close()
        os.waitpid(self.pid, 0)


def snapshot(root):
    """Every entry under root: type, and for files size and sha256 (links are not followed)."""
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                entries[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                entries[rel] = ("dir", stat.S_IMODE(st.st_mode))
            elif stat.S_ISFIFO(st.st_mode):
                entries[rel] = ("fifo",)
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                entries[rel] = ("file", st.st_size, h.hexdigest())
            else:
                entries[rel] = ("other", st.st_mode)
        # a folder the case made unreadable or unwritable is still walked (we are its owner)
    return entries


def snapshot_diff(before, after):
    problems = []
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    temps = [k for k in added if ".tmp" in os.path.basename(k)]
    if temps:
        problems.append("left temporary files %s" % temps[:3])
    others = [k for k in added if k not in temps]
    if others:
        problems.append("created %s" % others[:4])
    if removed:
        problems.append("removed %s" % removed[:4])
    if changed:
        problems.append("changed %s" % changed[:4])
    return problems


def stderr_problems(data, size, usage):
    """`data`: the first MiB of stderr; `size`: its whole length in bytes."""
    problems = []
    if not data:
        return ["stderr is empty (expected one line naming the file or option and the problem)"]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append("stderr is not UTF-8")
        text = data.decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    allowed = 2 if usage else 1
    if len(lines) > allowed:
        problems.append("stderr has %d lines" % len(lines))
    if not text.endswith("\n"):
        problems.append("stderr does not end with a newline")
    if size > len(data) or len(text) >= STDERR_MAX_CHARS * allowed:
        problems.append("stderr is %d bytes long" % size)
    body = text[:-1] if text.endswith("\n") else text
    bad = sorted({ch for ch in body if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) < 0xA0})
    if bad:
        problems.append("stderr holds control characters %s" % ",".join("%#04x" % ord(ch) for ch in bad))
    if not body.startswith("attractor: error: ") and not usage:
        problems.append("stderr does not start with 'attractor: error: '")
    return problems


def short(data, limit=200):
    text = data[:limit * 4].decode("utf-8", "replace")
    text = text.encode("unicode_escape").decode("ascii")
    return text[:limit] + ("..." if len(text) > limit or len(data) > limit * 4 else "")


class Runner:
    def __init__(self, binary, work, verbose, spawner):
        self.spawner = spawner
        self.binary = binary
        self.work = work
        self.verbose = verbose
        self.baseline_mb = 0.0  # the program's peak RSS at start-up, measured in main()
        self.shared = {}
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.logs)

    def wait_for_binary(self):
        for _ in range(300):
            if os.access(self.binary, os.X_OK):
                return True
            time.sleep(1)
        return False

    def prepare(self):
        shared = os.path.join(self.work, "shared")
        os.makedirs(shared)
        self.shared["dir"] = shared
        # Does chmod 555 keep this user (root?) from writing?
        probe = os.path.join(shared, "ro")
        os.makedirs(probe)
        os.chmod(probe, 0o555)
        try:
            with open(os.path.join(probe, "x"), "wb"):
                pass
            self.shared["root_writes"] = True
            print("note: this user writes into chmod 555 folders (root): the read-only --out cases "
                  "use a path under a regular file instead")
        except OSError:
            self.shared["root_writes"] = False
        os.chmod(probe, 0o755)
        shutil.rmtree(probe)
        # The gzip bomb, made once and hard-linked into the case that reads it.
        bomb = os.path.join(shared, "bomb.gz")
        gzip_bomb(bomb, idx_bytes((20, 4, 4)), 1024)
        self.shared["bomb"] = bomb
        # Earlier good runs whose files pre-fill --out: `run` and a finished krotov run (its
        # checkpoint is what the checkpoint cases edit).
        write_valid_inputs(shared)
        ok = True
        for name, argv in (
                ("run", ["run", "--weights", os.path.join(shared, "in", "W.npy"),
                         "--init", os.path.join(shared, "in", "init.npy"),
                         "--patterns", os.path.join(shared, "in", "patterns.npy"),
                         "--out", os.path.join(shared, "run")]),
                ("krotov", KROTOV_BASE + ["--out", os.path.join(shared, "krotov")])):
            code, rss, seconds, timed_out = self.spawner.run(
                [self.binary] + argv, shared, os.path.join(self.logs, name + ".out"),
                os.path.join(self.logs, name + ".err"), 300)
            if code != 0 or not os.path.isdir(os.path.join(shared, name)):
                err = open(os.path.join(self.logs, name + ".err"), "rb").read()
                print("setup: the good %s run failed (exit %d): %s" % (name, code, short(err)))
                ok = False
            self.shared[name] = os.path.join(shared, name)
        return ok

    def run_case(self, index, case):
        d = os.path.join(self.work, "case%03d" % index)
        os.makedirs(os.path.join(d, "out"))
        c = Ctx(d, self.shared)
        write(os.path.join(d, "out", SENTINEL), SENTINEL_TEXT)
        if case.prefill:
            src = self.shared[case.prefill]
            for name in os.listdir(src):
                shutil.copy2(os.path.join(src, name), os.path.join(d, "out", name))
        write_valid_inputs(d)
        if case.setup:
            case.setup(c)
        argv = [self.binary] + case.args(c)
        before = snapshot(d)
        siblings = sorted(os.listdir(self.work))
        stdout_path = os.path.join(self.logs, "case%03d.out" % index)
        stderr_path = os.path.join(self.logs, "case%03d.err" % index)
        code, rss, seconds, timed_out = self.spawner.run(argv, d, stdout_path, stderr_path, case.timeout)
        after = snapshot(d)
        os.chmod(c.out, 0o755)  # a chmod-555 --out can be removed again
        problems = []
        if timed_out:
            problems.append("no exit within %d s (killed)" % case.timeout)
        elif code < 0:
            problems.append("killed by signal %d (%s)" % (-code, signal.Signals(-code).name))
        elif code != case.code:
            problems.append("exit %d, expected %d" % (code, case.code))
        with open(stderr_path, "rb") as f:
            err = f.read(1 << 20)
        err_size = os.path.getsize(stderr_path)
        if case.code != 0 and not timed_out:
            problems += stderr_problems(err, err_size, case.usage)
        if rss - self.baseline_mb >= case.rss_mb:
            problems.append("peak RSS %.0f MB (limit %d above the %.0f MB at start-up)"
                            % (rss, case.rss_mb, self.baseline_mb))
        if case.code == 0:
            # A good run writes into --out; everything else (the sentinel included) stays, and no
            # temporary file is left anywhere.
            keep = lambda k: not k.startswith("out" + os.sep) or k == os.path.join("out", SENTINEL)  # noqa: E731
            changes = snapshot_diff({k: v for k, v in before.items() if keep(k)},
                                    {k: v for k, v in after.items() if keep(k)})
            temps = [k for k in after if ".tmp" in os.path.basename(k)]
            if temps:
                changes.append("left temporary files %s" % temps[:3])
        else:
            changes = snapshot_diff(before, after)
        if timed_out:  # SIGKILL leaves no chance to clean up
            changes = [p + " (after the kill)" for p in changes]
        problems += changes
        if sorted(os.listdir(self.work)) != siblings:
            problems.append("created files beside the case folder")
        if case.check:
            problems += case.check(c)
        return problems, code, rss, seconds, err, err_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-k", action="append", default=[], metavar="SUBSTRING",
                        help="run only the cases whose name contains SUBSTRING (repeatable)")
    parser.add_argument("-v", action="store_true", help="print every case")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    options = parser.parse_args()
    spawner = Spawner() if not options.list else None

    define_cases()
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    selected = [(i, c) for i, c in enumerate(CASES)
                if not options.k or any(k.lower() in c.name.lower() for k in options.k)]
    if options.list:
        for _, c in selected:
            print(c.name)
        print("%d cases" % len(selected))
        return 0

    binary = os.environ.get("ATTRACTOR_BIN")
    if not binary:
        print("set ATTRACTOR_BIN to the attractor executable", file=sys.stderr)
        return 2
    binary = os.path.abspath(binary)
    work = tempfile.mkdtemp(prefix="attractor-hostile-")
    try:
        runner = Runner(binary, work, options.v, spawner)
        floor = spawner.run(["/bin/sh", "-c", "exit 0"], work, os.devnull, os.devnull, 10)[1]
        if options.v:
            print("a child's peak RSS starts at %.0f MB (the spawner's copy)" % floor)
        if not runner.wait_for_binary():
            print("%s is not an executable" % binary, file=sys.stderr)
            return 2
        runner.baseline_mb = spawner.run([binary, "--version"], work, os.devnull, os.devnull,
                                         10)[1]
        if options.v:
            print("the program's peak RSS at start-up: %.0f MB" % runner.baseline_mb)
        if not runner.prepare():
            print("0 passed, %d failed" % len(selected))
            return 1
        passed = failed = 0
        for index, c in selected:
            if not runner.wait_for_binary():
                print("%s disappeared" % binary, file=sys.stderr)
                return 2
            problems, code, rss, seconds, err, err_size = runner.run_case(index, c)
            detail = "exit %d, %.0f MB, %.1f s, stderr (%d bytes): %s" % (
                code, rss, seconds, err_size, short(err))
            if problems:
                failed += 1
                print("FAIL %s: %s | %s" % (c.name, "; ".join(problems), detail))
            else:
                passed += 1
                if options.v:
                    print("ok   %s | %s" % (c.name, detail))
            sys.stdout.flush()
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
    finally:
        spawner.close()
        if options.keep:
            print("kept %s" % work)
        else:
            for dirpath, dirnames, _ in os.walk(work):
                for name in dirnames:
                    try:
                        os.chmod(os.path.join(dirpath, name), 0o755)
                    except OSError:
                        pass
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
