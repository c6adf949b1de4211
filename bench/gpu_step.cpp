// GPU engine benchmark: the step rate of cuda::CudaEngine and cuda::CudaEnsembleEngine on the
// problems the GPU backend exists for — a million-neuron sparse network, one network with many
// states, a factored million-neuron Hebbian network, bit-packed binary recall against the dense
// float32 path, ensembles of many small networks and continuous RK4 dynamics. Prints one JSON
// document on stdout (progress on stderr): the device, its device-to-device copy bandwidth
// measured in the same run, and per case the sizes, the steps taken, the time per step (median
// over repeats after a warm-up, from the engine's device-event loop time), the bytes a step must
// move by the model written next to each case, the achieved bandwidth as a fraction of the copy
// bandwidth, state updates and synaptic events per second.
//
// The PyTorch peer (bench/peer_torch.py) regenerates random data of the same sizes and
// distributions itself instead of loading ours: these timings do not depend on the values, and
// a million-row CSR matrix written to disk and read back would cost more than the benchmark.
// bench/run_gpu_bench.py runs both and merges them.
//
// --cpu runs the same cases through the CPU reference engines: a check of this program (case
// set-up, timing, JSON) on a machine without a GPU, not a benchmark.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "attractor/core/engine.hpp"
#include "attractor/core/ensemble.hpp"
#include "attractor/core/network.hpp"
#include "attractor/cuda/cuda_engine.hpp"
#include "attractor/cuda/cuda_ensemble.hpp"
#include "attractor/cuda/device.hpp"
#include "attractor/host/cpu_engine.hpp"
#include "attractor/host/cpu_ensemble.hpp"
#include "attractor/host/hebbian.hpp"
#include "bench_common.hpp"
#include "bench_device.hpp"

using namespace attractor;
using bench::as_double;
using nlohmann::json;

namespace {

constexpr const char* kCaseNames[] = {"sparse_1m",     "dense_batch", "factored_1m",
                                      "binary_recall", "ensemble",    "continuous"};

struct Settings {
  bool quick = false;
  bool cpu = false;  // the CPU reference engines instead: checks this program without a GPU
  int repeats = 5;
  std::string commit = "unknown";
  std::vector<std::string> cases;  // empty: all
};

// Everything a case reports besides its timing.
struct CaseInfo {
  std::string name;     // the case group, as --case selects it
  std::string variant;  // e.g. "B16"; name/variant is the id the peer's entries carry too
  std::string storage;  // csr, dense, factored (bit-packed on the GPU), dense_stack
  std::string dynamics;
  std::int64_t n = 0;
  std::int64_t synapses = 0;  // per network: nnz for CSR, N² for dense and factored
  std::int64_t patterns = 0;  // P, factored only
  std::int64_t batch = 1;     // states per network
  std::int64_t networks = 1;
  std::int64_t max_steps = 0;
  double bytes_per_step = 0;
  std::string bytes_model;
  double flops_per_step = 0;
  std::string peer_case;  // the peer entry this case is compared with
};

struct Timing {
  double seconds_per_step = 0;  // median over repeats
  double min_seconds_per_step = 0;
  double max_seconds_per_step = 0;
  double call_seconds = 0;  // median of the whole run() call: checks, uploads, downloads too
  std::string timer;
  std::int64_t steps_min = 0;  // over the states of the last repeat
  std::int64_t steps_max = 0;
  json outcomes;
};

// One engine run on fresh copies of a case's initial states.
using RunOnce = std::function<core::RunResult()>;

void progress(const std::string& line) { std::cerr << "[gpu_step] " << line << std::endl; }

// Runs once as a warm-up, then `repeats` times. Time per step = the stepping loop's time (device
// events) / the steps of the slowest state, which is how many steps the loop ran.
Timing time_runs(const std::string& id, const RunOnce& run_once, int repeats) {
  Timing timing;
  std::vector<double> per_step, calls;
  for (int r = 0; r <= repeats; ++r) {
    const core::RunResult result = run_once();
    std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = 0;
    std::int64_t fixed = 0, cycles = 0, wandering = 0;
    for (const auto& s : result.states) {
      lo = std::min(lo, s.steps);
      hi = std::max(hi, s.steps);
      fixed += s.outcome == core::Outcome::FixedPoint;
      cycles += s.outcome == core::Outcome::LimitCycle;
      wandering += s.outcome == core::Outcome::Wandering;
    }
    if (hi <= 0) throw std::runtime_error(id + ": the engine ran no step");
    const bool events = result.loop_seconds > 0;
    timing.timer = events ? "loop_seconds" : "seconds (the engine reported no loop time)";
    const double seconds = events ? result.loop_seconds : result.seconds;
    progress(id + (r == 0 ? " warm-up" : " repeat " + std::to_string(r)) + ": " +
             std::to_string(hi) + " steps in " + std::to_string(seconds * 1e3) + " ms (call " +
             std::to_string(result.seconds * 1e3) + " ms)");
    if (r == 0) continue;
    per_step.push_back(seconds / as_double(hi));
    calls.push_back(result.seconds);
    timing.steps_min = lo;
    timing.steps_max = hi;
    timing.outcomes = {{"fixed_point", fixed}, {"limit_cycle", cycles}, {"wandering", wandering}};
  }
  timing.seconds_per_step = bench::median(per_step);
  timing.min_seconds_per_step = *std::min_element(per_step.begin(), per_step.end());
  timing.max_seconds_per_step = *std::max_element(per_step.begin(), per_step.end());
  timing.call_seconds = bench::median(calls);
  return timing;
}

class Suite {
 public:
  Suite(Settings settings, double copy_bandwidth, double peak_bandwidth)
      : settings_(std::move(settings)),
        copy_bandwidth_(copy_bandwidth),
        peak_bandwidth_(peak_bandwidth) {}

  bool selected(const std::string& name) const {
    return settings_.cases.empty() ||
           std::find(settings_.cases.begin(), settings_.cases.end(), name) != settings_.cases.end();
  }
  bool quick() const { return settings_.quick; }
  std::int64_t steps(std::int64_t full) const { return settings_.quick ? full / 5 : full; }
  json& cases() { return cases_; }

  // Times one case and appends its entry, or an entry with the error when it throws.
  void time_case(const CaseInfo& info, const RunOnce& run_once) {
    const std::string id = info.name + "/" + info.variant;
    try {
      const Timing t = time_runs(id, run_once, settings_.repeats);
      cases_.push_back(entry(info, t));
    } catch (const std::exception& e) {
      progress(id + " failed: " + e.what());
      cases_.push_back(failure(info.name, info.variant, e.what()));
    }
  }
  // Runs a case group's set-up; a failure there is recorded for the whole group.
  void guard(const std::string& name, const std::function<void()>& body) {
    if (!selected(name)) return;
    progress(name + ": setting up");
    try {
      body();
    } catch (const std::exception& e) {
      progress(name + " failed: " + e.what());
      cases_.push_back(failure(name, "*", e.what()));
    }
  }

 private:
  // null without a reference bandwidth (the --cpu check measures none).
  static json fraction(double bandwidth, double reference) {
    return reference > 0 ? json(bandwidth / reference) : json(nullptr);
  }
  static json failure(const std::string& name, const std::string& variant, const char* what) {
    return {{"id", name + "/" + variant}, {"name", name}, {"variant", variant}, {"error", what}};
  }

  json entry(const CaseInfo& info, const Timing& t) const {
    const double s = t.seconds_per_step;
    const double bandwidth = info.bytes_per_step / s;
    const std::int64_t states = info.batch * info.networks;
    json e = {{"id", info.name + "/" + info.variant},
              {"name", info.name},
              {"variant", info.variant},
              {"storage", info.storage},
              {"precision", settings_.cpu ? "float64" : "float32"},
              {"dynamics", info.dynamics},
              {"n", info.n},
              {"synapses", info.synapses},
              {"batch", info.batch},
              {"networks", info.networks},
              {"max_steps", info.max_steps},
              {"steps_min", t.steps_min},
              {"steps_max", t.steps_max},
              {"all_states_took_max_steps", t.steps_min == info.max_steps},
              {"outcomes", t.outcomes},
              {"repeats", settings_.repeats},
              {"timer", t.timer},
              {"seconds_per_step", s},
              {"min_seconds_per_step", t.min_seconds_per_step},
              {"max_seconds_per_step", t.max_seconds_per_step},
              {"call_seconds", t.call_seconds},
              {"bytes_per_step", info.bytes_per_step},
              {"bytes_model", info.bytes_model},
              {"bandwidth_bytes_per_s", bandwidth},
              {"fraction_of_copy_bandwidth", fraction(bandwidth, copy_bandwidth_)},
              {"fraction_of_peak_bandwidth", fraction(bandwidth, peak_bandwidth_)},
              {"flops_per_step", info.flops_per_step},
              {"gflops_per_s", info.flops_per_step / s * 1e-9},
              {"state_updates_per_s", as_double(states * info.n) / s},
              {"synaptic_events_per_s", as_double(states) * as_double(info.synapses) / s},
              {"peer_case", info.peer_case}};
    if (info.patterns > 0) e["patterns"] = info.patterns;
    if (t.steps_min < info.max_steps) {
      e["note"] =
          "some states stopped before max_steps (see outcomes); the time per step is the "
          "loop time over the slowest state's " +
          std::to_string(t.steps_max) + " steps";
    }
    return e;
  }

  Settings settings_;
  double copy_bandwidth_;
  double peak_bandwidth_;
  json cases_ = json::array();
};

core::RunOptions discrete_sync(std::int64_t max_steps) {
  core::RunOptions options;
  options.dynamics = core::Dynamics::DiscreteSync;
  options.max_steps = max_steps;
  options.max_period = 1;  // only a fixed point stops a state: cycles run on, as in the peer
  return options;
}

core::Network sign_network(core::Weights weights) {
  core::Network network;
  network.weights = std::move(weights);
  network.activation = {core::ActivationKind::Sign, 1.0};
  return network;
}

RunOnce run_engine(core::Engine& engine, const core::Network& network,
                   const core::StateBatch& initial, const core::RunOptions& options) {
  return [&engine, &network, &initial, options] {
    core::StateBatch states = initial;
    return engine.run(network, states, options);
  };
}

// Bit-packed factored step, T s = (Ξᵀ (Ξ s) − P s) / N: the overlaps M = Ξ s read Ξ once and the
// fields Ξᵀ M read it again (Ξ is P·N/8 bytes as bits — 125 MB at N = 10⁶, P = 10³, more than an
// L2 holds, so the second pass comes from DRAM); M (float64: exact integer sums) is written and
// read (B·P·8 each way); the states are read and written once (B·N·4 each way, float32).
double factored_bytes(std::int64_t n, std::int64_t p, std::int64_t batch) {
  return 2.0 * as_double(p * n) / 8.0 + 2.0 * 8.0 * as_double(batch * p) +
         2.0 * 4.0 * as_double(batch * n);
}
constexpr const char* kFactoredModel = "2*P*N/8 (bits of Xi, read twice) + 2*B*P*8 + 2*B*N*4";

// Dense float32 step for B states: T read once for all of them (a GEMM), each state entry read
// and written once.
double dense_bytes(std::int64_t n, std::int64_t batch) {
  return 4.0 * as_double(n * n) + 2.0 * 4.0 * as_double(batch * n);
}
constexpr const char* kDenseModel = "N*N*4 + 2*B*N*4";

// sparse_1m: one random asymmetric CSR network, N = 10⁶, 100 synapses per row (≈ 10⁸ nnz),
// values ±1/√100; B = 1 and B = 16 states.
void sparse_1m(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 100'000 : 1'000'000, k = 100;
  const core::Network network =
      sign_network(bench::random_csr(n, k, 1.0 / std::sqrt(as_double(k)), 11));
  const std::int64_t nnz = network.synapse_count();
  for (const std::int64_t batch : {1, 16}) {
    const core::StateBatch initial = bench::random_states(batch, n, 12);
    const std::string variant = "B" + std::to_string(batch);
    // CSR float32 step: every stored synapse once (4-byte value + 4-byte column index), the
    // 64-bit row offsets, the gathered state counted once per entry (the best case: a state
    // served from cache after its first read) and the new state written. With B = 16 each
    // synapse multiplies 16 gathered values, so real traffic is higher than this.
    const double bytes =
        as_double(nnz) * (4.0 + 4.0) + as_double(n + 1) * 8.0 + 2.0 * 4.0 * as_double(batch * n);
    const CaseInfo info{"sparse_1m",
                        variant,
                        "csr",
                        "discrete-sync",
                        n,
                        nnz,
                        0,
                        batch,
                        1,
                        suite.steps(100),
                        bytes,
                        "nnz*(4+4) + (N+1)*8 + 2*B*N*4",
                        2.0 * as_double(nnz * batch),
                        "sparse_1m/" + variant};
    suite.time_case(info, run_engine(engine, network, initial, discrete_sync(info.max_steps)));
  }
}

// dense_batch: one random asymmetric dense network, N = 8192, B = 64 states: T read once per
// step for all 64 (the SpMM/GEMM case a per-state peer loses).
void dense_batch(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 1024 : 8192, batch = 64;
  const core::Network network = sign_network(bench::random_dense(n, 1.0, 31, 1));
  const core::StateBatch initial = bench::random_states(batch, n, 32);
  const CaseInfo info{"dense_batch",
                      "B64",
                      "dense",
                      "discrete-sync",
                      n,
                      n * n,
                      0,
                      batch,
                      1,
                      suite.steps(100),
                      dense_bytes(n, batch),
                      kDenseModel,
                      2.0 * as_double(n * n * batch),
                      "dense_batch/B64"};
  suite.time_case(info, run_engine(engine, network, initial, discrete_sync(info.max_steps)));
}

// factored_1m: Hebbian N = 10⁶, P = 1000 (load 0.001), B = 1. From a cue (pattern 0, 10% of
// its bits flipped) recall converges in a few steps and the time per step is over those; from a
// random ±1 state the run shows how long the dynamics keep moving. Both reported as they come.
void factored_1m(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 100'000 : 1'000'000, p = suite.quick() ? 100 : 1000;
  const core::PatternSet patterns = host::random_patterns(p, n, 21);
  const core::Network network = host::hebbian_network(patterns, /*factored=*/true);
  const std::pair<const char*, core::StateBatch> starts[] = {
      {"cue", host::noisy_cues(patterns, 1, 0.1, 22)}, {"random", bench::random_states(1, n, 23)}};
  for (const auto& [variant, initial] : starts) {
    const CaseInfo info{"factored_1m",
                        variant,
                        "factored",
                        "discrete-sync",
                        n,
                        n * n,
                        p,
                        1,
                        1,
                        suite.steps(100),
                        factored_bytes(n, p, 1),
                        kFactoredModel,
                        4.0 * as_double(p * n),
                        "factored_1m/B1"};
    suite.time_case(info, run_engine(engine, network, initial, discrete_sync(info.max_steps)));
  }
}

// binary_recall: one Hebbian network, N = 16384, P = 1638 (load 0.1), 64 cues with 10% flips,
// 20 steps: factored (bit-packed on the GPU) against the dense float32 matrix of the same T.
// The fields are integers / N with N a power of two, exact in float32 when summed in float32 (not
// TF32), so both should take the same steps; each entry reports its own.
void binary_recall(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 2048 : 16384, p = n / 10, batch = 64;
  const core::PatternSet patterns = host::random_patterns(p, n, 61);
  const core::StateBatch cues = host::noisy_cues(patterns, batch, 0.1, 62);
  const std::int64_t max_steps = suite.quick() ? 10 : 20;
  {
    const CaseInfo info{"binary_recall",
                        "factored",
                        "factored",
                        "discrete-sync",
                        n,
                        n * n,
                        p,
                        batch,
                        1,
                        max_steps,
                        factored_bytes(n, p, batch),
                        kFactoredModel,
                        4.0 * as_double(p * n * batch),
                        "binary_recall/dense"};
    const core::Network factored = host::hebbian_network(patterns, /*factored=*/true);
    suite.time_case(info, run_engine(engine, factored, cues, discrete_sync(max_steps)));
  }
  const std::size_t factored_entry = suite.cases().size() - 1;
  {
    const CaseInfo info{"binary_recall",
                        "dense",
                        "dense",
                        "discrete-sync",
                        n,
                        n * n,
                        0,
                        batch,
                        1,
                        max_steps,
                        dense_bytes(n, batch),
                        kDenseModel,
                        2.0 * as_double(n * n * batch),
                        "binary_recall/dense"};
    const core::Network dense = host::hebbian_network(patterns, /*factored=*/false);
    suite.time_case(info, run_engine(engine, dense, cues, discrete_sync(max_steps)));
  }
  json& fast = suite.cases()[factored_entry];
  const json& slow = suite.cases().back();
  if (fast.contains("seconds_per_step") && slow.contains("seconds_per_step")) {
    // Target ≥ 10: the bit-packed path moves P·N/4 bytes of Ξ per step against 4 N² of T.
    fast["speedup_over_dense"] =
        slow["seconds_per_step"].get<double>() / fast["seconds_per_step"].get<double>();
  }
}

// ensemble: many random asymmetric dense networks (±1/√N, so they wander), one state each,
// through CudaEnsembleEngine: 4096 × N = 256 and 1024 × N = 1024 as asked, and 16384 × N = 64,
// where a float32 T (16 KiB) fits in a block's shared memory, unlike N = 256 (256 KiB).
void ensembles(Suite& suite, core::EnsembleEngine& engine) {
  const std::pair<std::int64_t, std::int64_t> shapes[] = {{4096, 256}, {1024, 1024}, {16384, 64}};
  for (const auto& [full_count, n] : shapes) {
    const std::int64_t count = suite.quick() ? full_count / 8 : full_count;
    core::Ensemble networks;
    networks.count = count;
    networks.n = n;
    networks.weights = core::Ensemble::DenseStack{
        bench::random_sign_stack(count, n, 1.0 / std::sqrt(as_double(n)), 41)};
    networks.activation = {core::ActivationKind::Sign, 1.0};
    const core::StateBatch initial = bench::random_states(count, n, 42);
    const std::string variant = std::to_string(full_count) + "x" + std::to_string(n);
    // Each network's float32 T read once per step, its state read and written once. An engine
    // that keeps T on chip across fused steps reads it once per launch instead, and may then
    // beat "100% of copy bandwidth": the step is no longer bound by DRAM.
    const CaseInfo info{"ensemble",
                        variant,
                        "dense_stack",
                        "discrete-sync",
                        n,
                        n * n,
                        0,
                        1,
                        count,
                        suite.steps(100),
                        as_double(count) * dense_bytes(n, 1),
                        "networks*(N*N*4 + 2*N*4)",
                        2.0 * as_double(count * n * n),
                        "ensemble/" + variant};
    const core::RunOptions options = discrete_sync(info.max_steps);
    suite.time_case(info, [&engine, &networks, &initial, options] {
      core::StateBatch states = initial;
      return engine.run(networks, states, options);
    });
  }
}

// continuous: du/dt = T tanh(u) − u, dense random asymmetric T with variance g²/N, g = 1.5
// (the chaotic regime of Sompolinsky, Crisanti & Sommers 1988, so nothing settles), N = 4096,
// B = 64, RK4 with dt = 0.01, 100 steps, tol = 0 (no fixed-point exit).
void continuous(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 1024 : 4096, batch = 64;
  const double g = 1.5;
  core::Network network;
  network.weights = bench::random_dense(n, g * std::sqrt(12.0 / as_double(n)), 51, 1);
  network.activation = {core::ActivationKind::Tanh, 1.0};
  const core::StateBatch initial = bench::random_uniform_states(batch, n, 1.0, 52);
  // RK4 step: 4 stage products, each reading T (N²·4) and its input g(u_stage) (B·N·4) and
  // writing its slope k (B·N·4); 3 stage inputs u + c dt k (read 2, write 1: 3·3·B·N·4); the
  // update u + dt/6 (k1 + 2k2 + 2k3 + k4) (read 5, write 1: 6·B·N·4). Compute-bound at B = 64.
  const double bytes =
      4.0 * 4.0 * as_double(n * n) + (8.0 + 9.0 + 6.0) * 4.0 * as_double(batch * n);
  const CaseInfo info{"continuous",
                      "B64",
                      "dense",
                      "continuous-rk4",
                      n,
                      n * n,
                      0,
                      batch,
                      1,
                      suite.steps(100),
                      bytes,
                      "4*N*N*4 + 23*B*N*4",
                      4.0 * 2.0 * as_double(n * n * batch),
                      "continuous/B64"};
  core::RunOptions options;
  options.dynamics = core::Dynamics::Continuous;
  options.integrator = core::Integrator::RK4;
  options.dt = 0.01;
  options.tol = 0.0;
  options.max_steps = info.max_steps;
  suite.time_case(info, run_engine(engine, network, initial, options));
}

int usage(std::ostream& out, int code) {
  out << "usage: attractor_bench_gpu [--case NAME]... [--quick] [--repeats R] [--commit SHA]\n"
         "  --case NAME   run only this case (repeatable, or comma-separated); cases:\n"
         "                ";
  for (const char* name : kCaseNames) out << name << ' ';
  out << "\n"
         "  --quick       sizes ~1/10 and fewer steps, for a smoke run\n"
         "  --repeats R   timed runs per case after one warm-up (default 5)\n"
         "  --commit SHA  recorded in the output\n"
         "  --cpu         run the cases through the CPU reference engines instead (checks this\n"
         "                program without a GPU; no bandwidth fractions; use with --quick)\n"
         "Prints one JSON document on stdout; progress on stderr.\n";
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    const bool has_value = a + 1 < argc;
    if (arg == "--quick") {
      settings.quick = true;
    } else if (arg == "--cpu") {
      settings.cpu = true;
    } else if (arg == "--case" && has_value) {
      std::string list = argv[++a];
      for (std::size_t start = 0; start <= list.size();) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string name = list.substr(start, comma - start);
        if (std::find_if(std::begin(kCaseNames), std::end(kCaseNames), [&](const char* known) {
              return name == known;
            }) == std::end(kCaseNames)) {
          std::cerr << "attractor_bench_gpu: --case: unknown case '" << name << "'\n";
          return usage(std::cerr, 2);
        }
        settings.cases.push_back(name);
        start = comma + 1;
      }
    } else if (arg == "--repeats" && has_value) {
      try {
        settings.repeats = std::stoi(argv[++a]);
      } catch (const std::exception&) {
        settings.repeats = 0;
      }
      if (settings.repeats < 1) {
        std::cerr << "attractor_bench_gpu: --repeats: need a positive integer\n";
        return usage(std::cerr, 2);
      }
    } else if (arg == "--commit" && has_value) {
      settings.commit = argv[++a];
    } else if (arg == "--help" || arg == "-h") {
      return usage(std::cout, 0);
    } else {
      std::cerr << "attractor_bench_gpu: unknown or incomplete argument '" << arg << "'\n";
      return usage(std::cerr, 2);
    }
  }

  json out = {{"benchmark", "gpu_step"},
              {"engines", settings.cpu ? "cpu (reference check)" : "cuda"},
              {"commit", settings.commit},
              {"quick", settings.quick},
              {"repeats", settings.repeats}};
  try {
    double copy_bandwidth = 0, peak_bandwidth = 0;
    std::unique_ptr<core::Engine> engine;
    std::unique_ptr<core::EnsembleEngine> ensemble_engine;
    if (settings.cpu) {
      engine = std::make_unique<host::CpuEngine>();
      ensemble_engine = std::make_unique<host::CpuEnsembleEngine>();
    } else {
      if (cuda::device_count() == 0) throw std::runtime_error("no CUDA device");
      const cuda::DeviceInfo info = cuda::device_info(0);
      out["device"] = bench::device_json(info);
      progress("device " + info.name + "; measuring the copy bandwidth");
      copy_bandwidth = bench::gpu_copy_bandwidth();
      peak_bandwidth = info.peak_bandwidth_bytes_per_s();
      out["copy_bandwidth_bytes_per_s"] = copy_bandwidth;
      out["copy_bandwidth_buffer_bytes"] = bench::kCopyBufferBytes;
      progress("copy bandwidth " + std::to_string(copy_bandwidth / 1e9) + " GB/s (read + write)");
      engine = std::make_unique<cuda::CudaEngine>(core::Precision::Float32);
      ensemble_engine = std::make_unique<cuda::CudaEnsembleEngine>(core::Precision::Float32);
    }
    Suite suite(settings, copy_bandwidth, peak_bandwidth);
    suite.guard("sparse_1m", [&] { sparse_1m(suite, *engine); });
    suite.guard("dense_batch", [&] { dense_batch(suite, *engine); });
    suite.guard("factored_1m", [&] { factored_1m(suite, *engine); });
    suite.guard("binary_recall", [&] { binary_recall(suite, *engine); });
    suite.guard("ensemble", [&] { ensembles(suite, *ensemble_engine); });
    suite.guard("continuous", [&] { continuous(suite, *engine); });
    out["cases"] = suite.cases();
  } catch (const std::exception& e) {
    // No device, or the device failed outside any case: still one JSON document, with the error.
    progress(std::string("failed: ") + e.what());
    out["error"] = e.what();
    std::cout << out.dump(2) << '\n';
    return 1;
  }
  std::cout << out.dump(2) << '\n';
  return 0;
}
