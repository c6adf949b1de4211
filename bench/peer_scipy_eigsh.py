#!/usr/bin/env python3
"""SciPy peer of `attractor physical modes --method shift-invert`: the K lowest eigenvalues of the
same Hessian (written by `--write-hessian`) by ARPACK's shift-invert Lanczos about sigma = 0, the
way a SciPy user asks for them: eigsh(H, k=K, sigma=0, which='LM'), which factors H with SuperLU.
The SuperLU factorization is also timed alone (splu, the same defaults eigsh uses) so that the
factor and the iteration can be compared with attractor's separately. Prints JSON.

    python3 bench/peer_scipy_eigsh.py MATRIX.mtx --count K [--repeats R]
"""
import argparse
import json
import statistics
import time

import numpy as np
import scipy
import scipy.io
import scipy.sparse.linalg


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("matrix", help="Matrix Market file (symmetric, as --write-hessian writes it)")
    parser.add_argument("--count", type=int, default=20, help="lowest eigenvalues to find")
    parser.add_argument("--repeats", type=int, default=1,
                        help="timed runs of each step; the median is reported")
    args = parser.parse_args()

    start = time.perf_counter()
    H = scipy.io.mmread(args.matrix).tocsc()
    read_seconds = time.perf_counter() - start

    factor_times, factor_nnz = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        lu = scipy.sparse.linalg.splu(H)
        factor_times.append(time.perf_counter() - start)
        factor_nnz = int(lu.L.nnz + lu.U.nnz)
        del lu

    eigsh_times, values = [], None
    for _ in range(args.repeats):
        start = time.perf_counter()
        # Eigenvectors too (eigsh's default): attractor's Spectra solver always forms them.
        values, _ = scipy.sparse.linalg.eigsh(H, k=args.count, sigma=0, which="LM")
        eigsh_times.append(time.perf_counter() - start)

    print(json.dumps({
        "peer": f"scipy {scipy.__version__} eigsh (ARPACK, shift-invert, SuperLU), "
                f"numpy {np.__version__}",
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "rows": int(H.shape[0]),
        "nonzeros": int(H.nnz),
        "count": args.count,
        "eigenvalues": sorted(float(v) for v in values),
        "seconds": statistics.median(eigsh_times),
        "factor_seconds": statistics.median(factor_times),
        # SuperLU stores L and U (unit diagonal of L included), not one Cholesky triangle.
        "factor_nonzeros": factor_nnz,
        "read_seconds": read_seconds,
        "repeats": args.repeats,
        "all_seconds": eigsh_times,
        "all_factor_seconds": factor_times,
    }, indent=2))


if __name__ == "__main__":
    main()
