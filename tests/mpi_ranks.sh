#!/usr/bin/env bash
# Runs split across MPI processes give, to the bit, what one process gives: a sparse network's
# rows shared out (`run`: synchronous, RK4 and Dormand–Prince dynamics, with recordings and
# overlaps), cues shared out (`recall`, synchronous and asynchronous) and networks shared out
# (`ensemble`), on 1, 2, 3 and 4 processes; and what cannot be split says so. ATTRACTOR_BIN is the
# executable, MPIEXEC the launcher.
set -u
bin=${ATTRACTOR_BIN:?set ATTRACTOR_BIN to the attractor executable}
mpiexec=${MPIEXEC:-mpiexec}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

launch=("$mpiexec")
if "$mpiexec" --version 2>&1 | grep -qiE "open ?mpi|openrte"; then
  # More processes than this machine's cores, and a CI that runs as root.
  launch+=(--oversubscribe)
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
fi
# One thread per process: the ranks, not OpenMP, are what is being tested.
export OMP_NUM_THREADS=1

check() {  # check NAME CONDITION-RESULT (0 = ok) MESSAGE
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1: $3"; fi
}

on() {  # on RANKS OUT-STEM ARGS...: runs with RANKS processes, stdout to STEM.json
  local ranks=$1 stem=$2; shift 2
  "${launch[@]}" -n "$ranks" "$bin" "$@" >"$stem.json" 2>"$stem.err"
}

# Inputs from the standard library alone: a random sparse network (symmetric, ~24 synapses per
# neuron, rows of uneven length), an asymmetric one, ±1 and real initial states and patterns, and
# a small dense network for the refusal below.
python3 - "$work" <<'PY'
import random, struct, sys
work = sys.argv[1]
rng = random.Random(7)
n = 1500

def npy(path, shape, values):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (%s), }" % (
        ", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%dd" % len(values), *values))

def mtx(path, entries, symmetric):
    with open(path, "w") as f:
        f.write("%%%%MatrixMarket matrix coordinate real %s\n" % ("symmetric" if symmetric else "general"))
        f.write("%d %d %d\n" % (n, n, len(entries)))
        for (i, j), v in sorted(entries.items()):
            f.write("%d %d %.17g\n" % (i + 1, j + 1, v))

sym = {}
for i in range(n):
    for _ in range(rng.randint(2, 22)):
        j = rng.randrange(n)
        if i != j:
            sym[(max(i, j), min(i, j))] = rng.gauss(0, 1) / 5
mtx(f"{work}/sym.mtx", sym, True)
asym = {(i, rng.randrange(n)): rng.gauss(0, 1) * 0.3 for i in range(n) for _ in range(12)}
mtx(f"{work}/asym.mtx", asym, False)
npy(f"{work}/signs.npy", (7, n), [rng.choice((-1.0, 1.0)) for _ in range(7 * n)])
npy(f"{work}/patterns.npy", (3, n), [rng.choice((-1.0, 1.0)) for _ in range(3 * n)])
npy(f"{work}/u0.npy", (3, n), [rng.gauss(0, 0.5) for _ in range(3 * n)])
npy(f"{work}/dense.npy", (2, 2), [0.0, 1.0, 1.0, 0.0])
npy(f"{work}/two.npy", (2, 2), [1.0, -1.0, -1.0, 1.0])
PY

# same NAME A B: every file A/ and B/ hold is byte-identical; summary.json up to timings.
same_run() {
  local name=$1 a=$2 b=$3 f
  for f in "$a"/*.npy; do
    cmp -s "$f" "$b/$(basename "$f")" || { check "$name" 1 "$(basename "$f") differs"; return; }
  done
  same_json "$name summary" "$a/summary.json" "$b/summary.json"
}

same_json() {  # same_json NAME A.json B.json: equal once timings, folders and process counts go
  python3 - "$2" "$3" <<'PY' >"$work/diff" 2>&1
import json, sys
drop = {"engine_seconds", "seconds", "loop_seconds", "neuron_updates_per_second", "out",
        "processes", "files"}
def clean(d):
    if isinstance(d, dict):
        return {k: clean(v) for k, v in d.items() if k not in drop}
    if isinstance(d, list):
        return [clean(v) for v in d]
    return d
a, b = (clean(json.load(open(p))) for p in sys.argv[1:3])
if a != b:
    sys.exit("differ: %s vs %s" % (json.dumps(a)[:300], json.dumps(b)[:300]))
PY
  check "$1" $? "$(head -c 600 "$work/diff")"
}

w=$work
runs=(
  "sync|--weights $w/sym.mtx --init $w/signs.npy --patterns $w/patterns.npy --record-every 2"
  "rk4|--weights $w/asym.mtx --init $w/u0.npy --dynamics continuous --gain 2 --dt 0.05 --steps 200 --record-every 20"
  "dopri5|--weights $w/sym.mtx --init $w/u0.npy --dynamics continuous --integrator dopri5 --steps 300"
)
for entry in "${runs[@]}"; do
  label=${entry%%|*}
  read -r -a args <<<"${entry#*|}"
  for ranks in 1 2 3 4; do
    on "$ranks" "$work/$label-$ranks" run "${args[@]}" --json --out "$work/$label-$ranks"
    check "run $label on $ranks" $? "$(head -c 400 "$work/$label-$ranks.err")"
  done
  for ranks in 2 3 4; do same_run "run $label: $ranks processes as 1" "$work/$label-1" "$work/$label-$ranks"; done
done
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['processes'] == 4, d['processes']" \
  "$work/sync-4/summary.json"
check "the summary says how many processes ran" $? "$(head -c 200 "$work/sync-4/summary.json")"

for mode in sync async; do
  for ranks in 1 2 3; do
    on "$ranks" "$work/recall-$mode-$ranks" recall --n 800 --patterns 60 --cues 13 --noise 0.2 \
      --dynamics "discrete-$mode" --json
    check "recall $mode on $ranks" $? "$(head -c 400 "$work/recall-$mode-$ranks.err")"
  done
  for ranks in 2 3; do
    same_json "recall $mode: $ranks processes as 1" "$work/recall-$mode-1.json" "$work/recall-$mode-$ranks.json"
  done
done

for ranks in 1 2 4; do
  on "$ranks" "$work/ensemble-$ranks" ensemble --networks 37 --n 64 --patterns 9 --json
  check "ensemble on $ranks" $? "$(head -c 400 "$work/ensemble-$ranks.err")"
done
for ranks in 2 4; do
  same_json "ensemble: $ranks processes as 1" "$work/ensemble-1.json" "$work/ensemble-$ranks.json"
done

# What cannot be split fails before any work, with one line from the first process.
expect_error() {  # expect_error NAME PATTERN ARGS...: exit 2 on 2 processes, one matching line
  local name=$1 pattern=$2; shift 2
  on 2 "$work/error" "$@"
  local rc=$?
  if [ "$rc" -ne 2 ]; then
    check "$name" 1 "exit $rc, expected 2: $(head -c 300 "$work/error.err")"
  elif ! grep -q -- "$pattern" "$work/error.err"; then
    check "$name" 1 "stderr lacks '$pattern': $(head -c 300 "$work/error.err")"
  else
    check "$name" $(($(grep -c "attractor" "$work/error.err") != 1)) "$(cat "$work/error.err")"
  fi
}
expect_error "asynchronous rows" "asynchronous sweep" \
  run --weights "$w/sym.mtx" --init "$w/signs.npy" --dynamics discrete-async --out "$work/e1"
expect_error "dense rows" "dense and factored weights are not partitioned" \
  run --weights "$work/dense.npy" --init "$work/two.npy" --out "$work/e2"
expect_error "one-process command" "runs on one process" capacity --n 100 --alphas 0.05
[ ! -e "$work/e1" ] && [ ! -e "$work/e2" ]
check "nothing written on error" $? "an --out folder was made"

echo "mpi ranks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
