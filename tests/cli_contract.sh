#!/usr/bin/env bash
# The CLI's contract, checked by running it: exit codes (0 ok, 2 bad usage or input, 3 failure),
# one-line errors that name the file or option and the problem, no output left behind on error,
# and results that are what the inputs imply. ATTRACTOR_BIN points at the executable.
set -u
bin=${ATTRACTOR_BIN:?set ATTRACTOR_BIN to the attractor executable}
data=$(cd "$(dirname "$0")/data" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

check() {  # check NAME CONDITION-RESULT (0 = ok) MESSAGE
  if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1: $3"; fi
}

# expect_ok NAME ARGS...: exit 0
expect_ok() {
  local name=$1; shift
  "$bin" "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  check "$name" $((rc != 0)) "exit $rc, stderr: $(head -c 400 "$work/stderr")"
}

# expect_error NAME CODE PATTERN ARGS...: exit CODE, one stderr line matching PATTERN, no --out dir
expect_error() {
  local name=$1 code=$2 pattern=$3; shift 3
  rm -rf "$work/out"
  "$bin" "$@" >"$work/stdout" 2>"$work/stderr"
  local rc=$?
  local lines
  lines=$(grep -c . "$work/stderr")
  if [ "$rc" -ne "$code" ]; then
    check "$name" 1 "exit $rc, expected $code; stderr: $(head -c 400 "$work/stderr")"
  elif ! grep -q -- "$pattern" "$work/stderr"; then
    check "$name" 1 "stderr lacks '$pattern': $(head -c 400 "$work/stderr")"
  elif [ "$code" -eq 2 ] && [ -e "$work/out" ] && [ -n "$(ls -A "$work/out")" ]; then
    check "$name" 1 "left output behind in --out"
  elif [ "$code" -eq 2 ] && [ -e "$work/out" ]; then
    check "$name" 1 "created --out although the input was bad"
  else
    check "$name" 0 ""
  fi
  case "$name" in usage:*) ;; *)  # CLI11's usage errors add a "Run with --help" hint line
    [ "$lines" -le 1 ] || check "$name one-line" 1 "stderr has $lines lines" ;;
  esac
}

json_field() {  # json_field FILE PYTHON-EXPRESSION-ON-d
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# --- help everywhere ---------------------------------------------------------------------------
expect_ok help --help
for cmd in demo recall capacity run ensemble; do expect_ok "help $cmd" "$cmd" --help; done
expect_ok "help dam" dam --help
expect_ok "help control" control --help
expect_ok "help memory-experiment" memory-experiment --help

# --- good runs ---------------------------------------------------------------------------------
expect_ok "demo json" demo --json
python3 -c "import json,sys; d=json.load(sys.stdin); assert d['recall_rate'] == 1.0, d" \
  <"$work/stdout" >/dev/null 2>&1
check "demo recalls every cue" $? "$(head -c 300 "$work/stdout")"

expect_ok "recall small" recall --n 200 --patterns 4 --noise 0.1 --cues 8 --dynamics discrete-async --json
# The previous release's spellings still parse, for one release, with a note on stderr; --help
# shows only the new ones.
expect_ok "deprecated --mode" recall --n 200 --patterns 4 --cues 8 --mode async --json
python3 -c "import json,sys; d=json.load(sys.stdin); assert d['dynamics'] == 'discrete-async', d" \
  <"$work/stdout" >/dev/null 2>&1
check "--mode async is --dynamics discrete-async" $? "$(head -c 300 "$work/stdout")"
grep -q "mode is deprecated.*--dynamics discrete-async" "$work/stderr"
check "--mode says it is deprecated" $? "$(head -c 300 "$work/stderr")"
expect_ok "deprecated --max-steps" ensemble --networks 2 --n 32 --patterns 2 --max-steps 7 --json
python3 -c "import json,sys; d=json.load(sys.stdin); assert d['max_steps'] == 7, d" \
  <"$work/stdout" >/dev/null 2>&1
check "--max-steps is --steps" $? "$(head -c 300 "$work/stdout")"
expect_error "--mode and --dynamics together" 2 "deprecated spelling" recall --mode sync --dynamics discrete-async
"$bin" recall --help >"$work/stdout" 2>&1
! grep -q -- "--mode\|--max-steps" "$work/stdout"
check "--help hides the deprecated spellings" $? "$(grep -- "--mode\|--max-steps" "$work/stdout")"
expect_ok "capacity small" capacity --n 100 --alphas 0.05,0.3 --trials 1 --json
python3 -c "import json,sys; d=json.load(sys.stdin); c=d['curve']; assert len(c)==2 and c[0]['alpha']==0.05, c" \
  <"$work/stdout" >/dev/null 2>&1
check "capacity json curve" $? "$(head -c 300 "$work/stdout")"
expect_ok "capacity storkey" capacity --n 100 --alphas 0.1,0.2 --trials 1 --rule storkey --json
[ "$(json_field "$work/stdout" "d['rule'], d['storage'], len(d['curve']), sep=' '")" = "storkey dense 2" ]
check "capacity json reports the rule" $? "$(head -c 300 "$work/stdout")"
expect_ok "capacity pinv at P = N" capacity --n 60 --alphas 1 --trials 1 --rule pinv --json
[ "$(json_field "$work/stdout" "d['rule'], d['curve'][0]['retrieval_rate'], sep=' '")" = "pinv 1.0" ]
check "capacity pinv keeps every pattern" $? "$(head -c 300 "$work/stdout")"

expect_ok "recall with factored weights" recall --n 2000 --patterns 41 --cues 8 --storage factored --json
python3 -c "import json,sys; d=json.load(sys.stdin); assert d['storage'] == 'factored' and d['recall_rate'] == 1.0, d" \
  <"$work/stdout" >/dev/null 2>&1
check "factored recall recalls every cue" $? "$(head -c 300 "$work/stdout")"

expect_ok "ensemble json" ensemble --networks 16 --n 100 --patterns 5 --json
python3 -c "
import json, sys
d = json.load(sys.stdin)
keys = {'backend', 'networks', 'n', 'patterns', 'load', 'retrieval_rate', 'mean_overlap', 'outcomes',
        'steps', 'seconds', 'loop_seconds'}
assert keys <= d.keys(), keys - d.keys()
assert d['networks'] == 16 and sum(d['outcomes'].values()) == 16, d
assert d['retrieval_rate'] == 1.0 and d['steps']['max'] >= 1, d  # load 0.05: every network retrieves
" <"$work/stdout" >/dev/null 2>&1
check "ensemble json has the keys and every network retrieves" $? "$(head -c 300 "$work/stdout")"
expect_ok "ensemble async" ensemble --networks 8 --n 64 --patterns 3 --dynamics discrete-async
grep -q "retrieval rate" "$work/stdout"
check "ensemble prints a table" $? "$(head -c 300 "$work/stdout")"

# Load 1.0, seven times the Hebbian 0.138: the cubic memory and the softmax network retrieve every
# pattern, the Hebbian network none; --out holds the same JSON as stdout (summary.json).
expect_ok "dam json" dam --n 60 --alphas 0.1,1 --kinds hebbian,poly3,softmax --trials 1 --json --out "$work/dam"
python3 -c "
import json, sys
d = json.load(sys.stdin)
assert d == json.load(open(sys.argv[1])), 'stdout and --out differ'
rate = {(c['kind'], c['alpha']): c['retrieval_rate'] for c in d['curve']}
assert d['backend'] == 'cpu' and len(rate) == 6, d
assert rate[('poly3', 1.0)] == 1.0 and rate[('softmax', 1.0)] == 1.0 and rate[('hebbian', 1.0)] <= 0.1, rate
" "$work/dam/summary.json" <"$work/stdout" >/dev/null 2>&1
check "dam: dense memories store beyond 0.138 N, the Hebbian network does not" $? "$(head -c 300 "$work/stdout")"

# The embedded control example: a cue near a stored equilibrium is recognized, a novel pattern is
# recorded, every solve's truncated tail stays below its tolerance; --out holds xi_inf per cue.
expect_ok "control json" control --stored 1 --novel 1 --json --out "$work/control"
python3 -c "
import json, sys
d = json.load(sys.stdin)
assert [c['outcome'] for c in d['cues']] == ['recognized', 'recorded'], d['cues']
assert d['plan']['tail_bound'] <= d['problem']['tail_tol'], d['plan']
assert json.load(open(sys.argv[1]))['cues'] == d['cues'], 'stdout and summary.json differ'
" "$work/control/summary.json" <"$work/stdout" >/dev/null 2>&1
check "control: recognized and recorded, tail below its tolerance" $? "$(head -c 300 "$work/stdout")"
for f in summary.json xi_inf_0.mtx xi_inf_1.mtx u_limit.npy residual.npy control_norm.npy time.npy; do
  [ -s "$work/control/$f" ]; check "control wrote $f" $? "missing $work/control/$f"
done
expect_ok "control from files" control --A "$data/run_weights.mtx" --init "$data/run_init.npy" --K 0.2 --k 0.02 --json
json_field "$work/stdout" "d['network']['silent'] == 0 and len(d['cues']) > 0" >"$work/field" 2>&1
grep -q True "$work/field"; check "control from files: no silent synapses without --mask" $? "$(cat "$work/field")"
expect_ok "control sweep" control --stored 1 --novel 1 --mus 0.2,0.9 --json
json_field "$work/stdout" "[p['recorded'] for p in d['pareto']] == [1, 0]" >"$work/field" 2>&1
grep -q True "$work/field"; check "control sweep: mu = 0.9 records nothing" $? "$(head -c 300 "$work/stdout")"
expect_ok "memory-experiment json" memory-experiment --json
json_field "$work/stdout" "[(e['kind'], e['memory']) for e in d['events']][0] == ('forgotten', 0) and d['events'][-1]['kind'] == 'recovered'" >"$work/field" 2>&1
grep -q True "$work/field"; check "memory-experiment: forgotten, then recovered" $? "$(cat "$work/field")"

common=(--init "$data/run_init.npy" --patterns "$data/run_patterns.npy")
expect_ok "run dense" run --weights "$data/run_weights.npy" "${common[@]}" --bias "$data/run_bias.npy" --out "$work/dense"
for f in final.npy energy.npy overlaps.npy summary.json; do
  [ -f "$work/dense/$f" ]; check "run dense writes $f" $? "missing"
done
# Each cue is its pattern (or the pattern's negative) with one bit flipped: one sync step repairs it.
out=$(json_field "$work/dense/summary.json" "[s['outcome'] for s in d['states']], [s['matched_pattern'] for s in d['states']], d['energy_defined']")
[ "$out" = "['fixed_point', 'fixed_point', 'fixed_point'] [0, 1, None] True" ]
check "run dense recalls the patterns" $? "$out"

expect_ok "run sparse" run --weights "$data/run_weights.mtx" "${common[@]}" --out "$work/sparse"
cmp -s "$work/dense/final.npy" "$work/sparse/final.npy"
check "dense and sparse weights give the same final states" $? "final.npy differs"

expect_ok "run async recorded" run --weights "$data/run_weights.npy" "${common[@]}" \
  --dynamics discrete-async --record-every 1 --out "$work/async"
[ -f "$work/async/trajectory.npy" ]; check "record-every writes trajectory.npy" $? "missing"

expect_ok "run continuous cycle" run --weights "$data/cycle_weights.npy" --init "$data/cycle_init.npy" \
  --dynamics continuous --activation tanh --integrator rk4 --dt 0.01 --steps 200000 --out "$work/cycle" --json
out=$(json_field "$work/cycle/summary.json" "d['states'][0]['outcome'], round(d['states'][0]['period_time'], 2), d['energy_defined']")
[ "$out" = "limit_cycle 6.84 False" ]
check "continuous oscillator is a limit cycle of period 6.84" $? "$out"

expect_ok "run continuous until t-end" run --weights "$data/cycle_weights.npy" --init "$data/cycle_init.npy" \
  --dynamics continuous --integrator dopri5 --t-end 10 --out "$work/tend"
out=$(json_field "$work/tend/summary.json" "d['states'][0]['outcome'], round(d['states'][0]['time'], 9)")
[ "$out" = "wandering 10.0" ]
check "--t-end stops the integration at that time" $? "$out"

# Without --record-every, energy.npy holds the initial and the final energy of each state.
python3 - "$work/dense/energy.npy" <<'PY' >/dev/null 2>&1
import struct, sys
data = open(sys.argv[1], "rb").read()
header_len = struct.unpack("<H", data[8:10])[0]
header = data[10:10 + header_len].decode()
assert "'shape': (2, 3)" in header, header
energies = struct.unpack("<6d", data[10 + header_len:])
assert all(final <= initial for initial, final in zip(energies[:3], energies[3:])), energies
PY
check "energy.npy holds initial and final energies, the final ones lower" $? "$(head -c 200 "$work/dense/energy.npy" | tr -d '\0')"

# --- bad input: exit 2, one line naming the file or option and the problem, nothing written ----
w=(--weights "$data/run_weights.npy")
i=(--init "$data/run_init.npy")
expect_error "truncated npy" 2 "truncated.npy.*truncated" run --weights "$data/truncated.npy" "${i[@]}" --out "$work/out"
expect_error "truncated mtx" 2 "truncated.mtx" run --weights "$data/truncated.mtx" "${i[@]}" --out "$work/out"
expect_error "malformed npy" 2 "run_weights.mtx.*" run "${w[@]}" --init "$data/run_weights.mtx" --out "$work/out"
expect_error "wrong dtype" 2 "complex_weights.npy.*dtype" run --weights "$data/complex_weights.npy" "${i[@]}" --out "$work/out"
expect_error "non-square" 2 "nonsquare_weights.npy.*square" run --weights "$data/nonsquare_weights.npy" "${i[@]}" --out "$work/out"
expect_error "shape mismatch" 2 "init_wrong_n.npy.*shape" run "${w[@]}" --init "$data/init_wrong_n.npy" --out "$work/out"
expect_error "NaN weights" 2 "nan_weights.npy.*NaN" run --weights "$data/nan_weights.npy" "${i[@]}" --out "$work/out"
expect_error "states not +-1" 2 "init_not_pm1.npy.*+1 and -1" run "${w[@]}" --init "$data/init_not_pm1.npy" --out "$work/out"
expect_error "missing file" 2 "no_such.npy" run --weights "$data/no_such.npy" "${i[@]}" --out "$work/out"
expect_error "bias shape" 2 "run_init.npy.*bias" run "${w[@]}" "${i[@]}" --bias "$data/run_init.npy" --out "$work/out"
expect_error "negative dt" 2 "dt" run "${w[@]}" "${i[@]}" --dynamics continuous --dt -1 --out "$work/out"
expect_error "zero steps" 2 "steps" run "${w[@]}" "${i[@]}" --steps 0 --out "$work/out"
expect_error "t-end on discrete" 2 "t-end" run "${w[@]}" "${i[@]}" --t-end 5 --out "$work/out"
expect_error "negative n" 2 "\-\-n" recall --n -5
expect_error "absurd n" 2 "\-\-n" recall --n 100000000000
expect_error "dense too large" 2 "dense" recall --n 50000 --storage dense
expect_error "memory beyond reach" 2 "MiB" recall --n 10000000 --patterns 5000 --cues 1000
expect_error "usage: bad storage" 2 "storage" recall --storage sparse
expect_error "absurd patterns" 2 "\-\-patterns" recall --n 100 --patterns 1000
expect_error "noise out of range" 2 "\-\-noise" recall --noise 2
expect_error "nan noise" 2 "\-\-noise" recall --noise nan
expect_error "zero trials" 2 "\-\-trials" capacity --trials 0
expect_error "bad alpha" 2 "\-\-alphas" capacity --alphas 0.1,-3
expect_error "usage: non-numeric alpha" 2 "alphas" capacity --alphas 0.1,abc
expect_error "unknown storage rule" 2 "\-\-rule" capacity --n 100 --rule nope
expect_error "storkey factored" 2 "\-\-storage.*Hebb" capacity --n 100 --rule storkey --storage factored
expect_error "pinv past P = N" 2 "linearly dependent" capacity --n 100 --rule pinv --alphas 0.5,1.5
expect_error "ensemble zero networks" 2 "\-\-networks" ensemble --networks 0
expect_error "ensemble flip out of range" 2 "\-\-flip" ensemble --flip 0.7
expect_error "ensemble more patterns than neurons" 2 "\-\-patterns" ensemble --n 10 --patterns 11
expect_error "ensemble zero steps" 2 "\-\-steps" ensemble --steps 0
expect_error "ensemble weights beyond reach" 2 "MiB" ensemble --networks 100000 --n 8000
expect_error "usage: ensemble continuous" 2 "dynamics" ensemble --dynamics continuous
expect_error "dam bad kind" 2 "\-\-kinds.*degree" dam --kinds hebbian,poly1
expect_error "dam noise out of range" 2 "\-\-noise" dam --noise 0.9
expect_error "dam on cuda" 2 "\-\-backend.*CPU" dam --backend cuda
expect_error "control mu out of range" 2 "mu" control --mu 1.5 --out "$work/out"
expect_error "control k above K" 2 "\-\-k" control --K 0.1 --k 0.2 --out "$work/out"
expect_error "control mask without A" 2 "\-\-mask.*\-\-A" control --mask "$data/run_weights.mtx" --out "$work/out"
expect_error "control A without init" 2 "\-\-init" control --A "$data/run_weights.mtx" --out "$work/out"
expect_error "control missing A" 2 "nope.mtx" control --A "$work/nope.mtx" --init "$data/run_init.npy" --out "$work/out"
expect_error "control init of the wrong size" 2 "cycle_init.npy.*shape" control --init "$data/cycle_init.npy" --out "$work/out"
expect_error "usage: control float32" 2 "\-\-precision.*float64" control --precision float32 --out "$work/out"
expect_error "control bad mus" 2 "\-\-mus" control --mus 0,0.5 --out "$work/out"
expect_error "control no cues" 2 "\-\-stored" control --stored 0 --novel 0 --out "$work/out"
expect_error "memory release before record" 2 "\-\-sequence.*not presented" memory-experiment --sequence 0,-2 --out "$work/out"
expect_error "memory pattern twice" 2 "\-\-sequence.*twice" memory-experiment --sequence 0,1,0 --out "$work/out"
expect_error "memory on a file network" 2 "\-\-A" memory-experiment --A "$data/run_weights.mtx" --out "$work/out"
expect_error "usage: unknown option" 2 "bogus" recall --bogus
expect_error "usage: unknown command" 2 "subcommand" frobnicate
expect_error "usage: bad backend" 2 "backend" demo --backend tpu
expect_error "usage: missing required" 2 "weights" run "${i[@]}" --out "$work/out"
"$bin" demo --backend cuda >/dev/null 2>"$work/stderr"
rc=$?
# Without a usable CUDA engine the request is refused with a reason; with one it runs.
if [ "$rc" -ne 0 ]; then
  [ "$rc" -eq 2 ] && grep -q "cuda" "$work/stderr"
  check "cuda backend refused with a reason" $? "exit $rc: $(cat "$work/stderr")"
fi

# --- learn hebb|covariance|bcm|oja|sanger: local rules ------------------------------------------
for rule in hebb covariance bcm oja sanger; do
  expect_ok "help learn $rule" learn "$rule" --help
  expect_ok "learn $rule small" learn "$rule" --epochs 5 --json
done
expect_ok "learn oja defaults" learn oja --json --out "$work/oja"
cp "$work/stdout" "$work/oja.json"
[ "$(json_field "$work/oja.json" "d['abs_cos'][0] >= 0.999 and abs(d['norm_squared_minus_one']) < 1e-2")" = True ]
check "oja finds the top eigenvector" $? "$(head -c 300 "$work/oja.json")"
[ -f "$work/oja/weights.npy" ] && [ -f "$work/oja/norm_history.npy" ] &&
  [ "$(json_field "$work/oja/summary.json" "d['rule']")" = oja ]
check "oja --out writes weights and summary" $? "$(ls "$work/oja" 2>&1)"
expect_ok "learn sanger on a file" learn sanger --data "$data/run_init.npy" --components 2 --json
[ "$(json_field "$work/stdout" "len(d['weights']) == 2 and len(d['weights'][0]) == 8")" = True ]
check "sanger weights are M x D" $? "$(head -c 300 "$work/stdout")"
expect_error "learn bad rate" 2 "\-\-rate" learn oja --rate -1 --out "$work/out"
expect_error "learn nan rate" 2 "\-\-rate" learn hebb --rate nan --out "$work/out"
expect_error "learn missing data" 2 "no_such.npy" learn oja --data "$data/no_such.npy" --out "$work/out"
expect_error "learn 1-d data" 2 "float32_1d.npy.*shape" learn sanger --data "$data/float32_1d.npy" --out "$work/out"
expect_error "learn 3-d data" 2 "int32_3d.npy.*shape" learn bcm --data "$data/int32_3d.npy" --out "$work/out"
expect_error "learn NaN data" 2 "nan_weights.npy.*NaN" learn covariance --data "$data/nan_weights.npy" --out "$work/out"
expect_error "learn too many components" 2 "\-\-components" learn sanger --data "$data/run_init.npy" --components 9 --out "$work/out"
expect_error "learn zero tau" 2 "\-\-tau" learn bcm --tau 0 --out "$work/out"
expect_error "usage: learn data and samples" 2 "excludes" learn hebb --data "$data/run_init.npy" --samples 5

# --- learn krotov|backprop: competing units, top layer, backprop baseline -------------------------
expect_ok "help learn krotov" learn krotov --help
expect_ok "help learn backprop" learn backprop --help
expect_ok "learn krotov synthetic" learn krotov --synthetic --hidden 50 --epochs 5 --top-epochs 10 \
  --top-lr 1e-2 --top-lr-end 1e-3 --json --out "$work/kh"
cp "$work/stdout" "$work/kh.json"
[ "$(json_field "$work/kh.json" "d['test_accuracy'] > 0.5 and 0 <= d['converged_fraction'] <= 1 and len(d['history']['converged']) == 5")" = True ]
check "krotov learns the synthetic classes (chance 10%)" $? "$(head -c 300 "$work/kh.json")"
[ -f "$work/kh/W.npy" ] && [ -f "$work/kh/S.npy" ] && [ -f "$work/kh/fields.png" ] &&
  [ "$(head -c 4 "$work/kh/fields.png" | tail -c 3)" = PNG ] &&
  [ "$(json_field "$work/kh/result.json" "d['params']['hidden']")" = 50 ]
check "krotov --out writes W, S, the receptive fields and the result" $? "$(ls "$work/kh" 2>&1)"
expect_ok "learn fields" learn fields "$work/kh/W.npy" "$work/kh-fields.png" --units 20 --columns 5
[ "$(head -c 4 "$work/kh-fields.png" | tail -c 3)" = PNG ]
check "learn fields draws saved weights" $? "$(ls -la "$work/kh-fields.png" 2>&1)"
expect_error "learn fields non-square" 2 "S.npy: 50 inputs are not a square image" learn fields "$work/kh/S.npy" "$work/x.png"
expect_error "learn fields 1-d" 2 "float32_1d.npy: expected a (units, inputs) array" learn fields "$data/float32_1d.npy" "$work/x.png"
expect_ok "learn backprop synthetic" learn backprop --synthetic --hidden 32 --epochs 3 --lr 1e-2 \
  --lr-end 1e-3 --json
[ "$(json_field "$work/stdout" "d['test_accuracy'] > 0.8")" = True ]
check "backprop learns the synthetic classes" $? "$(head -c 300 "$work/stdout")"
expect_error "krotov rank 1" 2 "rank k" learn krotov --synthetic --k 1 --out "$work/out"
expect_error "krotov p below 2" 2 "p: must" learn krotov --synthetic --p 1 --out "$work/out"
expect_error "krotov missing dataset" 2 "dataset-fashion-mnist" learn krotov --data "$work/none" --out "$work/out"
mkdir -p "$work/idx"
for split in train t10k; do
  cp "$data/tiny-labels-idx1-ubyte.gz" "$work/idx/$split-images-idx3-ubyte.gz"
  cp "$data/tiny-labels-idx1-ubyte.gz" "$work/idx/$split-labels-idx1-ubyte.gz"
done
expect_error "learn on labels given as images" 2 "train-images-idx3-ubyte.gz: images must have 3 dimensions" \
  learn backprop --data "$work/idx" --out "$work/out"
expect_error "resume needs --out" 2 "\-\-resume" learn krotov --synthetic --resume
expect_error "resume without checkpoint" 2 "no checkpoint" learn backprop --synthetic --resume --out "$work/empty"
expect_error "checkpoint needs --resume" 2 "\-\-resume" learn krotov --synthetic --hidden 50 --epochs 5 \
  --top-epochs 10 --out "$work/kh"
expect_error "resume with other parameters" 2 "other parameters" learn krotov --synthetic --hidden 50 \
  --epochs 6 --top-epochs 10 --resume --out "$work/kh"
expect_error "backprop on cuda" 2 "\-\-backend" learn backprop --synthetic --backend cuda --out "$work/out"

# --- physical train|modes: physical learning and the Hessian's modes ----------------------------
expect_ok "help physical" physical --help
expect_ok "help physical train" physical train --help
expect_ok "help physical modes" physical modes --help
expect_ok "physical reference" physical train --task reference --nodes 64 --steps 3000 --json --out "$work/phys"
cp "$work/stdout" "$work/phys.json"
[ "$(json_field "$work/phys.json" "d['cost_ratio'] < 0.1 and d['rule'] == 'couple'")" = True ]
check "coupled learning lowers the reference error" $? "$(head -c 300 "$work/phys.json")"
[ "$(json_field "$work/phys/result.json" "len(d['cost_curve']) == 3001 and len(d['analyses']) > 1")" = True ] &&
  [ -f "$work/phys/network_before.json" ] && [ -f "$work/phys/network_after.json" ]
check "physical train --out writes curves and both networks" $? "$(ls "$work/phys" 2>&1)"
expect_ok "physical modes of a trained network" physical modes --graph "$work/phys/network_after.json" \
  --count 5 --forces 200 --json --write-hessian "$work/phys/H.mtx"
[ "$(json_field "$work/stdout" "len(d['eigenvalues']) == 5 and d['method'] == 'dense' and d['ensemble']['forces'] == 200")" = True ] &&
  head -1 "$work/phys/H.mtx" | grep -q "MatrixMarket matrix coordinate real symmetric"
check "physical modes reads a written network and writes H" $? "$(head -c 300 "$work/stdout")"
expect_ok "physical modes shift-invert" physical modes --lattice triangular --network elastic --nodes 400 \
  --count 6 --method shift-invert --json
[ "$(json_field "$work/stdout" "d['method'] == 'shift-invert' and d['eigenvalues'][0] > 0")" = True ]
check "shift-invert finds positive modes of a pinned triangular lattice" $? "$(head -c 300 "$work/stdout")"
expect_ok "physical iris" physical train --task iris --nodes 64 --steps 50 --json
printf '{"kind": "flow", "nodes": 4, "edges": [[0, 1], [2, 3]], "weights": [1, 1], "ground": [0]}' >"$work/cut.json"
expect_error "physical disconnected graph" 2 "cut.json.*disconnected" physical train --graph "$work/cut.json" --out "$work/out"
printf '{"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, 1], "ground": []}' >"$work/float.json"
expect_error "physical ungrounded graph" 2 "ungrounded" physical modes --graph "$work/float.json"
printf '{"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, 0], "ground": [0]}' >"$work/zero.json"
expect_error "physical zero weight" 2 "positive" physical train --graph "$work/zero.json" --out "$work/out"
printf '{"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, NaN], "ground": [0]}' >"$work/nan.json"
expect_error "physical NaN weight" 2 "nan.json.*not valid JSON" physical modes --graph "$work/nan.json"
printf '{"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, ' >"$work/cut_short.json"
expect_error "physical truncated graph" 2 "cut_short.json.*not valid JSON" physical modes --graph "$work/cut_short.json"
expect_error "physical missing graph" 2 "no_such.json" physical train --graph "$work/no_such.json" --out "$work/out"
expect_error "physical floppy lattice" 2 "floppy" physical modes --network elastic --lattice square --nodes 100 --ground node
expect_error "physical bad alpha" 2 "\-\-alpha" physical train --alpha -1 --out "$work/out"
expect_error "physical nan eta" 2 "\-\-eta" physical train --eta nan --out "$work/out"
expect_error "physical zero floor" 2 "\-\-floor" physical train --floor 0 --out "$work/out"
expect_error "physical no tasks" 2 "\-\-tasks" physical train --tasks 0 --out "$work/out"
expect_error "physical too many inputs" 2 "more nodes" physical train --nodes 64 --inputs 60 --out "$work/out"
expect_error "physical low degree" 2 "\-\-degree" physical train --degree 1 --out "$work/out"
expect_error "physical zero count" 2 "\-\-count" physical modes --count 0
expect_error "physical iris missing data" 2 "none.csv" physical train --task iris --data "$work/none.csv" --out "$work/out"
expect_error "physical on cuda" 2 "\-\-backend" physical train --backend cuda --out "$work/out"
expect_error "physical diverging steps" 3 "lower --alpha" physical train --network linear --nodes 30 --alpha 3 --steps 200

# A run killed mid-training (SIGKILL: no chance to clean up) and resumed ends on the same bits as
# an uninterrupted run from the same seed.
resume_args=(learn krotov --synthetic --hidden 200 --epochs 400 --top-epochs 5)
"$bin" "${resume_args[@]}" --out "$work/whole" >/dev/null 2>&1
"$bin" "${resume_args[@]}" --out "$work/killed" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do
  done_epochs=$(json_field "$work/killed/checkpoint.json" "d['epochs_done']" 2>/dev/null || echo 0)
  [ "${done_epochs:-0}" -ge 3 ] && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid"
killed_rc=$?
killed_at=$(json_field "$work/killed/checkpoint.json" "d['phase'] + ' ' + str(d['epochs_done'])")
[ "$killed_rc" -eq 137 ] && [ "${killed_at%% *}" = units ]
check "the run was killed during the unsupervised epochs" $? "exit $killed_rc, checkpoint at $killed_at"
expect_ok "resume the killed run" "${resume_args[@]}" --out "$work/killed" --resume
cmp -s "$work/whole/W.npy" "$work/killed/W.npy" && cmp -s "$work/whole/S.npy" "$work/killed/S.npy"
check "killed and resumed ends on the uninterrupted run's bits" $? "W.npy or S.npy differ"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
