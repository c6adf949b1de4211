// GPU engine benchmark: the step rate of cuda::CudaEngine and cuda::CudaEnsembleEngine on the
// problems the GPU backend exists for — a million-neuron sparse network, one network with many
// states, a factored million-neuron Hebbian network, bit-packed binary recall against the dense
// path, ensembles of many small networks (random and Hebbian), continuous RK4 dynamics and a
// Hebbian network whose exact integer weights go to the tensor cores. Prints one JSON document on
// stdout (progress on stderr): the device, its device-to-device copy bandwidth measured in the same
// run, and per case the sizes, the steps taken, the time per step (median over repeats after a
// warm-up, from the engine's loop time), the bytes a step must move by the model written next to
// each case, the achieved bandwidth as a fraction of the copy bandwidth, state updates and synaptic
// events per second — and the time per step and fraction of the copy bandwidth that case's model
// predicts for an H100 (see "Predictions" below), so that a run is read against a number written
// before it.
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
#include <cstdio>
#include <exception>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "attractor/core/engine.hpp"
#include "attractor/core/ensemble.hpp"
#include "attractor/core/integer_weights.hpp"
#include "attractor/core/network.hpp"
#include "attractor/core/run_dynamics.hpp"
#include "attractor/cuda/cuda_engine.hpp"
#include "attractor/cuda/cuda_ensemble.hpp"
#include "attractor/cuda/device.hpp"
#include "attractor/cuda/launch_geometry.hpp"
#include "attractor/cuda/sell_matrix.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/engine/cpu_ensemble.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "bench_common.hpp"
#include "bench_device.hpp"

using namespace attractor;
using bench::as_double;
using nlohmann::json;

namespace {

constexpr const char* kCaseNames[] = {"sparse_1m", "dense_batch", "factored_1m",  "binary_recall",
                                      "ensemble",  "continuous",  "exact_hebbian"};

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

// ---------------------------------------------------------------------------------------------
// Predictions. Next to its bytes model every case derives the time one step should take on an
// H100 SXM (HBM3: 3.35 TB/s peak; 132 SMs at ~1.8 GHz; 50 MB of L2; 228 KB of shared memory per
// SM) from what limits its kernels — DRAM bytes, L2 sectors, L1 requests, tensor-core or issue
// throughput, latency — plus what the timed loop adds around the steps, and reports it with the
// fraction of the copy bandwidth it implies (bytes_per_step / predicted seconds /
// kCopyBytesPerS). The figures below are the assumptions; the first H100 run confirms or
// corrects them. On another GPU only the fractions of memory-bound cases compare.
namespace h100 {
constexpr const char* kDevice = "H100 SXM5 80 GB (HBM3)";
// Device-to-device cudaMemcpy, read + write counted (2.6–3.0 TB/s measured; peak 3.35).
constexpr double kCopyBytesPerS = 2.8e12;
// A kernel streaming reads from DRAM reaches about the copy rate; cuBLAS products with 64 columns
// stream their weights at ~80% of it (few output tiles, split-K reductions).
constexpr double kStreamBytesPerS = 2.8e12;
constexpr double kGemmStreamShare = 0.8;
// L2 hits, counted in the 32-byte sectors a scattered load fetches (random addresses, both
// partitions): about twice DRAM's rate.
constexpr double kL2SectorBytesPerS = 5.5e12;
constexpr double kL2Bytes = 50e6;
// cuBLAS on an N × N by N × 64 product, about 40–45% of peak for that shape: SGEMM without TF32
// (the engine's handle is CUBLAS_PEDANTIC_MATH; peak 67 TFLOP/s), fp16 HMMA with fp32 sums
// (989 TFLOP/s dense), int8 IMMA with int32 sums (1979 TOPS). The integer products set the
// handle to CUBLAS_DEFAULT_MATH for their cublasGemmEx call and back (kernels/src/device_model.cu,
// TensorCoreMath), so cuBLAS may pick its tensor-core kernels there.
constexpr double kFp32GemmFlopsPerS = 30e12;
constexpr double kFp16GemmFlopsPerS = 400e12;
constexpr double kInt8GemmOpsPerS = 800e12;
constexpr double kClockHz = 1.8e9;
constexpr int kSms = 132;
constexpr double kIssuePerS = kSms * 4 * kClockHz;  // warp instructions: 4 schedulers per SM
// A warp-wide global load whose 32 lanes touch 32 different 128-byte lines is 32 L1 wavefronts,
// about one per SM per clock: scattered lane loads (a sparse product's gathers) cannot run faster
// than this, whatever their sectors cost in L2.
constexpr double kScatteredLoadsPerS = kSms * kClockHz;
// The shortest a kernel takes in a stream of back-to-back launches (gap, ramp, drain), and what
// the host spends enqueuing one: a step of many tiny kernels is bound by the second.
constexpr double kKernelSeconds = 3e-6;
constexpr double kLaunchSeconds = 4e-6;
// One host round trip per synchronous chunk (kernels/src/cuda_engine.cu, sync_steps): the
// chunk's flags copied asynchronously into pinned memory, one wait for the stream, the flags
// replayed by core::run_dynamics, and the device idle until the next chunk's first kernels run.
constexpr double kChunkRoundTripSeconds = 25e-6;
// One host round trip per continuous step: the settle sums reduced, downloaded into pageable
// memory and waited for, each state classified on the host before the next step is enqueued.
constexpr double kStepRoundTripSeconds = 40e-6;
// A device-to-host copy into pageable memory (the ensemble's statuses after each launch).
constexpr double kPageableCopyBytesPerS = 10e9;
// Loads a warp keeps in flight in a simple loop (unrolled by 4), and the DRAM latency under load:
// kernels whose few warps load one byte per lane cannot reach the stream rate (Little's law).
constexpr double kLoadsInFlightPerWarp = 4;
constexpr double kDramLatencySeconds = 0.6e-6;
}  // namespace h100

// What a case should report on an H100 by its model: the device's steps, and what the timed loop
// adds around them — a host round trip (with a launch, for ensembles) every `steps_per_chunk`
// steps. The upload of the states is not in it: RunResult::loop_seconds starts after
// Stepper::load (core/src/run_dynamics.cpp), and core::run_ensemble's clock after the ensemble
// stepper has uploaded everything (core/src/ensemble.cpp).
struct Prediction {
  double step_seconds = 0;  // one device step of the whole batch, kernels back to back
  int launches_per_step = 0;
  std::int64_t steps_per_chunk = 1;  // steps between host round trips (or launches)
  double chunk_seconds = 0;          // each round trip or launch, with the device work it adds
  // CudaEngine's synchronous chunks run all their steps on the device: a state that stops inside
  // a chunk is frozen (its update skipped) but stays in the chunk's product, and the host learns
  // of the stop at the chunk's end. So a run whose slowest state stops after `steps` costs every
  // step of the chunk that holds it (up to max_steps). The ensemble kernel drops a network as
  // soon as it stops, so its launches cost only the steps taken.
  bool whole_chunks = false;
  std::int64_t max_steps = 0;
  std::string bound;  // what limits the step
  std::string basis;  // the model in a sentence

  // Steps the device runs for a run whose slowest state took `steps` steps.
  std::int64_t device_steps(std::int64_t steps) const {
    const std::int64_t taken = std::max<std::int64_t>(steps, 1);
    if (!whole_chunks) return taken;
    const std::int64_t chunks = (taken + steps_per_chunk - 1) / steps_per_chunk;
    return std::max(taken, std::min(chunks * steps_per_chunk, max_steps));
  }
  // The time per step this program reports for such a run: its loop time over `steps`.
  double seconds_per_step(std::int64_t steps) const {
    const std::int64_t taken = std::max<std::int64_t>(steps, 1);
    const double chunks = std::ceil(as_double(taken) / as_double(steps_per_chunk));
    const double device_step = std::max(step_seconds, launches_per_step * h100::kLaunchSeconds);
    return (as_double(device_steps(taken)) * device_step + chunks * chunk_seconds) /
           as_double(taken);
  }
};

double kernel_seconds(double seconds) { return std::max(seconds, h100::kKernelSeconds); }
// An element-wise kernel moving `bytes` through DRAM.
double stream_seconds(double bytes) { return kernel_seconds(bytes / h100::kStreamBytesPerS); }
// Weights a product reads every step: from L2 when they fit (they stay there from step to
// step), else streamed from DRAM at cuBLAS's share of the stream rate.
double weight_read_seconds(double bytes) {
  return bytes <= 0.8 * h100::kL2Bytes ? bytes / h100::kL2SectorBytesPerS
                                       : bytes / (h100::kGemmStreamShare * h100::kStreamBytesPerS);
}

std::string ms_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g ms", seconds * 1e3);
  return text;
}

// A synchronous run of CudaEngine (kernels/src/cuda_engine.cu, sync_steps): per step the product
// (given), the fused update and fingerprint kernel (reads the field and the state, writes the
// state: 3·B·N·4 bytes) and the classify kernel; per chunk of up to core::kSyncChunk steps the
// listed states gathered into a compact block and scattered back (2·2·B·N·4 bytes), four memsets
// of the chunk's flags and one host round trip.
Prediction sync_run(double product_seconds, int product_launches, std::int64_t batch,
                    std::int64_t n, std::int64_t max_steps, std::string bound,
                    const std::string& basis) {
  const double entries = as_double(batch * n);
  Prediction p;
  p.step_seconds = product_seconds + stream_seconds(3.0 * 4.0 * entries) + h100::kKernelSeconds;
  p.launches_per_step = product_launches + 2;
  p.steps_per_chunk = core::kSyncChunk;
  p.whole_chunks = true;
  p.max_steps = max_steps;
  p.chunk_seconds = h100::kChunkRoundTripSeconds + 2.0 * stream_seconds(2.0 * 4.0 * entries) +
                    4.0 * h100::kKernelSeconds;
  p.bound = std::move(bound);
  p.basis = basis + "; step " + ms_text(p.step_seconds) + ", " + ms_text(p.chunk_seconds) +
            " per chunk of up to " + std::to_string(core::kSyncChunk) +
            " steps (one host round trip), every step of a chunk run on the device";
  return p;
}

// ---------------------------------------------------------------------------------------------
// Dense products. Under synchronous discrete dynamics the CUDA engine multiplies dense weights in
// their exact integer form when core::exact_integer_form finds one (kernels/src/device_model.cu,
// DeviceModel::plan): K = D·T as int8 (max|K| ≤ 127, and N a multiple of 4 for cuBLAS's int8
// GEMM) or fp16, ±1 states converted to the same type, exact int32 / fp32 sums on tensor cores
// (to_int8 or to_half kernel, cublasGemmEx with the handle's pedantic math lifted for the call, a
// kernel scaling the sums by 1/D); otherwise float32 SGEMM without TF32. The form decides the
// bytes and the bound, so it is looked up here and reported.
struct DenseProduct {
  std::string form;  // "int8", "fp16" or "float32"
  double bytes_per_step = 0;
  std::string bytes_model;
  double product_seconds = 0;
  int launches = 0;
  std::string bound;
  json integer_form;  // what core::exact_integer_form found: null for none
};

DenseProduct dense_product(const core::DenseMatrix<double>& T, std::int64_t batch,
                           bool integer_products) {
  const std::int64_t n = T.rows;
  const double n2 = as_double(n * n), entries = as_double(batch * n);
  const double ops = 2.0 * n2 * as_double(batch);
  DenseProduct d;
  const auto form = integer_products ? core::exact_integer_form(T) : std::nullopt;
  if (!form) {
    d.form = "float32";
    d.integer_form = nullptr;
    d.bytes_per_step = 4.0 * n2 + 2.0 * 4.0 * entries;
    d.bytes_model = "N*N*4 + 2*B*N*4";
    const double compute = ops / h100::kFp32GemmFlopsPerS, read = weight_read_seconds(4.0 * n2);
    d.product_seconds = kernel_seconds(std::max(compute, read));
    d.launches = 1;
    d.bound = compute >= read ? "fp32 FMA (SGEMM, no tensor cores)" : "DRAM (T read every step)";
    return d;
  }
  const bool int8 = form->storage == core::IntegerStorage::Int8 && n % 4 == 0;
  const double element = int8 ? 1.0 : 2.0;  // bytes of one K_ij and one converted state entry
  d.form = int8 ? "int8" : "fp16";
  d.integer_form = {
      {"denominator", form->denominator}, {"max_abs", form->max_abs}, {"storage_on_gpu", d.form}};
  // K once, the converted states read by the GEMM, its 4-byte sums written, and the float32
  // state read and written and the field read by the update. The conversion and scaling kernels
  // of the integer path move 5 (or 6) and 8 bytes per entry more: in the time, not the model.
  d.bytes_per_step = element * n2 + (element + 4.0 + 3.0 * 4.0) * entries;
  d.bytes_model = int8 ? "N*N (int8 K) + B*N (int8 states) + 4*B*N (int32 sums) + 3*4*B*N "
                         "(float32 state read and written, field read)"
                       : "2*N*N (fp16 K) + 2*B*N (fp16 states) + 4*B*N (fp32 sums) + 3*4*B*N "
                         "(float32 state read and written, field read)";
  const double compute = ops / (int8 ? h100::kInt8GemmOpsPerS : h100::kFp16GemmFlopsPerS);
  const double read = weight_read_seconds(element * n2);
  d.product_seconds = stream_seconds((4.0 + element) * entries) +
                      kernel_seconds(std::max(compute, read)) + stream_seconds(8.0 * entries);
  d.launches = 3;
  d.bound = compute >= read                        ? "tensor cores"
            : element * n2 <= 0.8 * h100::kL2Bytes ? "L2 (K stays on chip)"
                                                   : "DRAM (K read every step)";
  return d;
}

// The fields every dense case adds to its entry: the form its weights take on the GPU.
json dense_extra(const DenseProduct& product) {
  return {{"weights_form", product.form}, {"integer_form", product.integer_form}};
}

void progress(const std::string& line) { std::cerr << "[gpu_step] " << line << std::endl; }

// Runs once as a warm-up, then `repeats` times. Time per step = the stepping loop's time
// (RunResult::loop_seconds: the host clock around core::run_dynamics's loop, which starts after
// Stepper::load has uploaded the states, or around core::run_ensemble's launches and status
// checks, after the ensemble's upload) / the steps of the slowest state, which is how many steps
// the loop ran.
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
      : settings_(std::move(settings)), copy_bandwidth_(copy_bandwidth),
        peak_bandwidth_(peak_bandwidth) {}

  bool selected(const std::string& name) const {
    return settings_.cases.empty() ||
           std::find(settings_.cases.begin(), settings_.cases.end(), name) != settings_.cases.end();
  }
  bool quick() const { return settings_.quick; }
  std::int64_t steps(std::int64_t full) const { return settings_.quick ? full / 5 : full; }
  json& cases() { return cases_; }

  // Times one case and appends its entry — with the prediction and any `extra` fields — or an
  // entry with the error when it throws.
  void time_case(const CaseInfo& info, const Prediction& prediction, const RunOnce& run_once,
                 const json& extra = json::object()) {
    const std::string id = info.name + "/" + info.variant;
    try {
      const Timing t = time_runs(id, run_once, settings_.repeats);
      json e = entry(info, t);
      add_prediction(e, info, prediction, t.steps_max);
      e.update(extra);
      cases_.push_back(std::move(e));
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
  // The H100 prediction for the steps this run took (they decide how many steps the device
  // runs and how far the per-chunk costs spread), and the fraction of the H100's copy bandwidth
  // it implies.
  static void add_prediction(json& e, const CaseInfo& info, const Prediction& p,
                             std::int64_t steps) {
    const double seconds = p.seconds_per_step(steps);
    e["predicted_seconds_per_step"] = seconds;
    e["predicted_step_seconds"] = p.step_seconds;
    e["predicted_device_steps"] = p.device_steps(steps);
    e["predicted_fraction_of_copy_bandwidth"] =
        info.bytes_per_step / seconds / h100::kCopyBytesPerS;
    e["predicted_bound"] = p.bound;
    e["prediction_basis"] = p.basis;
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
              {"layout", info.storage},  // what the GPU multiplies; cases that know better say
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

// The factored product of a synchronous discrete step on the GPU (kernels/src/device_model.cu,
// binary states), three kernels:
//   pack: the states to bits, 4·B·N bytes read;
//   popcount overlaps: a block of 256 threads per (pattern, state), P·B blocks, each XOR-counting
//     ⌈N/32⌉ words of Ξ against the state's: 2·P·B·N/8 bytes through L2, Ξ from DRAM once when it
//     fits in L2 and once per state when not; a short block (~1.5 µs, 8 resident per SM), so
//     many tiny blocks are bound by their count;
//   field: a thread per neuron and tile of kFactoredStates states looping over all P patterns,
//     float64 adds for every column of the tile (the empty ones too at B = 1): ~12 instructions
//     per (neuron, tile, pattern), so issue-bound at N·⌈B/4⌉·P·12/32 warp instructions against
//     4 per SM per clock; Ξ read once per tile (from L2 when it fits).
// Not the bytes: the factored step is bound by instruction issue and block count long before it
// reads Ξ twice.
struct FactoredProduct {
  double seconds = 0;
  std::string bound;
};
FactoredProduct factored_product(std::int64_t n, std::int64_t p, std::int64_t batch) {
  const double xi_bytes = as_double(p * n) / 8.0;
  const bool xi_in_l2 = xi_bytes <= 0.8 * h100::kL2Bytes;
  const double tiles = std::ceil(as_double(batch) / cuda::kFactoredStates);
  const double pack = stream_seconds(4.125 * as_double(batch * n));
  const double blocks = as_double(p * batch);
  const double popcount_blocks = std::ceil(blocks / (h100::kSms * 8.0)) * 1.5e-6;
  const double popcount_bytes =
      std::max((xi_in_l2 ? 1.0 : as_double(batch)) * xi_bytes / h100::kStreamBytesPerS,
               2.0 * blocks * as_double(n) / 8.0 / h100::kL2SectorBytesPerS);
  const double popcount = kernel_seconds(std::max(popcount_blocks, popcount_bytes));
  const double threads = std::ceil(as_double(n) / cuda::kThreads) * cuda::kThreads;
  const double field_issue = threads * tiles * as_double(p) * 12.0 / 32.0 / h100::kIssuePerS;
  const double field_bytes =
      xi_in_l2 ? xi_bytes / h100::kStreamBytesPerS + tiles * xi_bytes / h100::kL2SectorBytesPerS
               : tiles * xi_bytes / h100::kStreamBytesPerS;
  const double field = kernel_seconds(std::max(field_issue, field_bytes));
  FactoredProduct f;
  f.seconds = pack + popcount + field;
  const bool count_bound = popcount_blocks >= popcount_bytes;
  f.bound = field >= popcount
                ? (field_issue >= field_bytes ? "issue (field: float64 adds over 4-state tiles)"
                                              : "DRAM (Xi read per tile)")
                : (count_bound ? "block count (popcount: one short block per pattern and state)"
                               : "L2/DRAM (popcount)");
  return f;
}

// The sparse product Y = T X on the GPU (kernels/src/device_model.cu) in the layout the engine
// picks per matrix (DeviceModel::plan): SELL-C-σ (C = 32, σ = kSellSigma; a thread per row, the
// warp reading 32 consecutive values and columns per step, no reduction across lanes) when
// cuda::prefer_sell accepts cuda::to_sell(T) — rows of ≥ 8 entries on average and ≤ 10% padding
// — else CSR (a warp per row, a shuffle sum per row and state). B > 1 states are first
// transposed into a state-major copy (transpose_kernel: 2·B·N·4 bytes); both kernels then take
// the states in tiles of csr_states_per_tile(B) = 1, 8, 16 or 32 (one pass over the matrix for
// B ≤ 32), each stored entry's lane reading the tile's states of its column: contiguous, so
// ⌈tile·4/32⌉ sectors from L2, but as `tile` scalar loads whose 32 lanes touch 32 different
// lines. The largest of these bounds the kernel:
//   DRAM — the matrix once per tile, the states once, and the gathers that miss L2 (the
//     state-major copy past the L2's size);
//   L2 — the matrix and the gathered sectors;
//   L1 — stored·B scattered lane loads at one line per SM per clock (kScatteredLoadsPerS);
//   issue — per stored entry and state a load and an FMA (plus ~4 per entry and tile), and for
//     CSR ten warp instructions per row and state for the shuffle sum.
struct SparseProduct {
  std::string layout;       // "sell" or "csr"
  std::int64_t stored = 0;  // entries the kernel streams: nnz, or SELL's padded count
  double sell_padding = 1;  // SELL's stored / nnz, whichever layout was picked
  double bytes_per_step = 0;
  std::string bytes_model;
  double seconds = 0;
  int launches = 0;
  std::string bound;
};

// `sell` is cuda::to_sell(T, cuda::kSellSigma), as the engine builds it.
SparseProduct sparse_product(const core::CsrMatrix<double>& T, const cuda::SellMatrix& sell,
                             std::int64_t batch) {
  const std::int64_t n = T.rows, nnz = T.nnz();
  const bool use_sell = cuda::prefer_sell(T, sell);
  SparseProduct s;
  s.layout = use_sell ? "sell" : "csr";
  s.stored = use_sell ? sell.stored() : nnz;
  s.sell_padding = cuda::sell_padding(sell, nnz);
  // The matrix as the kernel reads it, the states read once and the new states written once
  // (the gathered state counted once per entry: the best case, a state served from cache after
  // its first read).
  const double states_bytes = 4.0 * as_double(batch * n);
  const double matrix_bytes = use_sell
                                  ? as_double(sell.stored()) * (4.0 + 4.0) +
                                        as_double(sell.slices()) * (8.0 + 4.0) + as_double(n) * 4.0
                                  : as_double(nnz) * (4.0 + 4.0) + as_double(n + 1) * 8.0;
  s.bytes_per_step = matrix_bytes + 2.0 * states_bytes;
  s.bytes_model = use_sell ? "stored*(4+4) + slices*(8+4) + N*4 (SELL values and columns, slice "
                             "offsets and widths, row order) + 2*B*N*4"
                           : "nnz*(4+4) + (N+1)*8 + 2*B*N*4";
  const std::int64_t tile = cuda::csr_states_per_tile(batch);
  const double tiles = std::ceil(as_double(batch) / as_double(tile));
  const double sectors = std::ceil(as_double(std::min(tile, batch)) * 4.0 / 32.0);
  const double entries = as_double(s.stored);
  const double gather_bytes = entries * tiles * sectors * 32.0;
  const double miss = std::max(0.0, 1.0 - h100::kL2Bytes / states_bytes);
  const double dram =
      (tiles * matrix_bytes + states_bytes + miss * gather_bytes) / h100::kStreamBytesPerS;
  const double l2 = (tiles * matrix_bytes + gather_bytes) / h100::kL2SectorBytesPerS;
  const double l1 = entries * as_double(batch) / h100::kScatteredLoadsPerS;
  const double issue = (entries * tiles * (2.0 * as_double(tile) + 4.0) / 32.0 +
                        (use_sell ? 0.0 : 10.0 * as_double(n) * as_double(batch))) /
                       h100::kIssuePerS;
  const double worst = std::max({dram, l2, l1, issue});
  s.bound = worst == l1     ? "L1 requests (a scattered lane load per entry and state)"
            : worst == l2   ? "L2 sectors (gathered states)"
            : worst == dram ? "DRAM (matrix stream)"
                            : "issue";
  s.seconds = (batch > 1 ? stream_seconds(2.0 * states_bytes) : 0.0) + kernel_seconds(worst);
  s.launches = batch > 1 ? 2 : 1;
  return s;
}

// sparse_1m: one random asymmetric CSR network, N = 10⁶, 100 synapses per row (≈ 10⁸ nnz),
// values ±1/√100; B = 1 and B = 16 states.
//
// Prediction (sparse_product). The rows are uniform (100 entries less the rare duplicate or
// diagonal), so SELL pads 0.005% and the engine takes SELL; the entry's "layout" says what the
// host computed. B = 1: the matrix streams once (0.81 GB from DRAM) and each entry gathers one
// 4-byte x_c, a scattered 32-byte sector from L2 (x, 4 MB, stays in L2): 4.0 GB through L2,
// ~0.74 ms, the L2 bound (the 10⁸ scattered loads alone take ~0.42 ms in L1) — a fraction of the
// copy bandwidth of ~0.39, below the 0.70 target, which a kernel must beat by fetching fewer
// sectors per synapse. B = 16: one pass over the matrix, each entry reading a 64-byte run of the
// state-major copy (6.4 GB through L2, the 64 MB copy ~22% missing L2), but as 16 scalar loads of
// 32 lanes in 32 different lines: 1.6·10⁹ L1 wavefronts, ~6.7 ms at one per SM per clock — the
// bound, far above L2's ~1.3 ms. So ~6.9 ms per step and a fraction of ~0.05; what would lift it
// is lanes that share a synapse's run (a warp's lanes over the tile's states) or vector loads,
// not fewer bytes.
void sparse_1m(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 100'000 : 1'000'000, k = 100;
  const core::Network network =
      sign_network(bench::random_csr(n, k, 1.0 / std::sqrt(as_double(k)), 11));
  const auto& T = std::get<core::CsrMatrix<double>>(network.weights);
  const cuda::SellMatrix sell = cuda::to_sell(T, cuda::kSellSigma);
  for (const std::int64_t batch : {1, 16}) {
    const core::StateBatch initial = bench::random_states(batch, n, 12);
    const std::string variant = "B" + std::to_string(batch);
    const SparseProduct product = sparse_product(T, sell, batch);
    const CaseInfo info{"sparse_1m",
                        variant,
                        "csr",
                        "discrete-sync",
                        n,
                        T.nnz(),
                        0,
                        batch,
                        1,
                        suite.steps(100),
                        product.bytes_per_step,
                        product.bytes_model,
                        2.0 * as_double(T.nnz() * batch),
                        "sparse_1m/" + variant};
    const std::string kernel =
        product.layout == "sell" ? "SELL-C-sigma, a thread per row" : "CSR, a warp per row";
    const Prediction prediction = sync_run(
        product.seconds, product.launches, batch, n, info.max_steps, product.bound,
        (batch > 1 ? "transpose to state-major + " : "") + kernel + ", states in tiles of " +
            std::to_string(cuda::csr_states_per_tile(batch)) + ": matrix streamed once, " +
            std::to_string(std::min<std::int64_t>(batch, cuda::csr_states_per_tile(batch))) +
            " scattered lane load(s) per entry");
    suite.time_case(info, prediction,
                    run_engine(engine, network, initial, discrete_sync(info.max_steps)),
                    {{"layout", product.layout},
                     {"stored_entries", product.stored},
                     {"sell_padding", product.sell_padding}});
  }
}

// dense_batch: one random asymmetric dense network, N = 8192, B = 64 states: T read once per
// step for all 64 (the SpMM/GEMM case a per-state peer loses).
//
// Prediction. Uniform random weights have no exact integer form (core::exact_integer_form finds
// none; the entry's weights_form says float32), so the product is cuBLAS SGEMM without TF32:
// 2·N²·B = 8.6 GFLOP at ~30 TFLOP/s (a 64-column product reaches about 45% of the 67 TFLOP/s
// fp32 peak) is 0.29 ms, three times the 0.1 ms it takes to stream T (0.27 GB): compute-bound,
// ~0.30 ms per step with the update and a chunk's round trip every 16 steps, a fraction of the
// copy bandwidth of ~0.33. The float32 peer (torch.matmul, the same SGEMM: PyTorch's default
// keeps TF32 off too) costs the same, so the predicted ratio is ~1×, and the 3× target cannot be
// met on this case by construction: both sides run the same fp32 product, and the engine's fused
// update saves microseconds of a 0.3 ms step. A margin needs fewer bytes or flops per weight —
// exact integer weights, as exact_hebbian has — which Gaussian or uniform weights do not allow.
void dense_batch(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 1024 : 8192, batch = 64;
  const core::Network network = sign_network(bench::random_dense(n, 1.0, 31, 1));
  const core::StateBatch initial = bench::random_states(batch, n, 32);
  const DenseProduct product = dense_product(std::get<core::DenseMatrix<double>>(network.weights),
                                             batch, /*integer_products=*/true);
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
                      product.bytes_per_step,
                      product.bytes_model,
                      2.0 * as_double(n * n * batch),
                      "dense_batch/B64"};
  const Prediction prediction =
      sync_run(product.product_seconds, product.launches, batch, n, info.max_steps, product.bound,
               product.form + " GEMM of N x N by N x B");
  suite.time_case(info, prediction,
                  run_engine(engine, network, initial, discrete_sync(info.max_steps)),
                  dense_extra(product));
}

// factored_1m: Hebbian N = 10⁶, P = 1000 (load 0.001), B = 1. From a cue (pattern 0, 10% of
// its bits flipped) recall converges in a few steps and the time per step is over those; from a
// random ±1 state the run shows how long the dynamics keep moving. Both reported as they come.
//
// Prediction (factored_product): the field kernel dominates — 10⁶ threads × 1000 patterns ×
// 12 instructions is 0.39 ms of issue, against 0.05 ms to stream Ξ (125 MB) once for the
// popcount overlaps and once for the field — so a step takes ~0.45 ms and reaches ~0.2 of the
// copy bandwidth by the bytes model: instruction-bound, with 3 of the 4 float64 adds per pattern
// spent on the empty columns of the 4-state tile at B = 1. The cue stops after 2 steps (the first
// corrects the flips, the second changes nothing), but its first chunk runs all 16 steps on the
// device (the host sees the stop at the chunk's end): ~7.2 ms over 2 steps, ~3.6 ms per step as
// measured, a fraction of ~0.025 — the chunk, not the kernels, decides a short recall's time.
void factored_1m(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 100'000 : 1'000'000, p = suite.quick() ? 100 : 1000;
  const core::PatternSet patterns = random_patterns(p, n, 21);
  const core::Network network = hebbian_network(patterns, /*factored=*/true);
  const std::pair<const char*, core::StateBatch> starts[] = {
      {"cue", noisy_cues(patterns, 1, 0.1, 22)}, {"random", bench::random_states(1, n, 23)}};
  const FactoredProduct product = factored_product(n, p, 1);
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
    const Prediction prediction =
        sync_run(product.seconds, 3, 1, n, info.max_steps, product.bound,
                 "pack, popcount overlaps, float64 field over P patterns");
    suite.time_case(info, prediction,
                    run_engine(engine, network, initial, discrete_sync(info.max_steps)),
                    {{"layout", "factored-bits"}});
  }
}

// binary_recall: one Hebbian network, N = 16384, P = 1638 (load 0.1), 64 cues with 10% flips,
// 20 steps: factored (bit-packed on the GPU) against the dense matrix of the same T. The dense
// T = K/N has an exact integer form (K = ΞᵀΞ is even for even P, so K/2 over N/2), which the
// engine multiplies as int8 (max|K/2| ≤ 127, as is likely at this size; the entry says) or fp16
// on tensor cores; the fields are exact either way, so both take the same steps; each entry
// reports its own.
//
// Prediction. Factored (factored_product): 1638 × 64 = 105k popcount blocks of 2 KB each are
// ~100 waves of short blocks, ~0.15 ms, and the field kernel 16384 threads × 16 tiles × 1638
// patterns, ~0.16 ms of issue: ~0.33 ms per step. Dense, int8: K is 268 MB, ~0.12 ms to stream
// at cuBLAS's share of the bandwidth, against 43 µs of IMMA work — ~0.14 ms per step with the
// conversion, scaling and update kernels (fp16: ~0.26 ms). So the bit-packed path is predicted
// ~2.4× slower per step than the exact dense one (the 10× target was set against float32 SGEMM,
// ~1.2 ms per step here). If every cue stops within the first chunk (~4 steps), both run all 16
// of its steps on the device, which multiplies both times per step by ~4 (dense ~0.54 ms,
// factored ~1.3 ms); a cue caught in a 2-cycle (max_period = 1 does not stop it; the --quick
// size has some) keeps the run to 20 steps (dense ~0.14 ms, factored ~0.33 ms; the model charges
// the whole batch to the last 4, an upper bound for the factored kernels, which shrink with it).
// speedup_over_dense ~0.41 either way. The dense path's peers are exact too (fp32 addmm, fp16
// matmul, int8 _int_mm on K/2, as exact_hebbian's): the int8 peer streams the same 268 MB per
// step for 20 steps, ~0.13 ms, so ours is predicted ~1× at 20 steps and ~0.25× at 4.
void binary_recall(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 2048 : 16384, p = n / 10, batch = 64;
  const core::PatternSet patterns = random_patterns(p, n, 61);
  const core::StateBatch cues = noisy_cues(patterns, batch, 0.1, 62);
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
    const FactoredProduct product = factored_product(n, p, batch);
    const Prediction prediction =
        sync_run(product.seconds, 3, batch, n, max_steps, product.bound,
                 "pack, popcount overlaps, float64 field over P patterns");
    const core::Network factored = hebbian_network(patterns, /*factored=*/true);
    suite.time_case(info, prediction, run_engine(engine, factored, cues, discrete_sync(max_steps)),
                    {{"layout", "factored-bits"}});
  }
  const std::size_t factored_entry = suite.cases().size() - 1;
  {
    const core::Network dense = hebbian_network(patterns, /*factored=*/false);
    const DenseProduct product = dense_product(std::get<core::DenseMatrix<double>>(dense.weights),
                                               batch, /*integer_products=*/true);
    const CaseInfo info{"binary_recall",
                        "dense",
                        "dense",
                        "discrete-sync",
                        n,
                        n * n,
                        p,
                        batch,
                        1,
                        max_steps,
                        product.bytes_per_step,
                        product.bytes_model,
                        2.0 * as_double(n * n * batch),
                        "binary_recall/dense"};
    const Prediction prediction =
        sync_run(product.product_seconds, product.launches, batch, n, max_steps, product.bound,
                 product.form + " GEMM of N x N by N x B (to " + product.form +
                     ", cublasGemmEx on tensor cores, scale by 1/D)");
    suite.time_case(info, prediction, run_engine(engine, dense, cues, discrete_sync(max_steps)),
                    dense_extra(product));
  }
  json& fast = suite.cases()[factored_entry];
  const json& slow = suite.cases().back();
  if (fast.contains("seconds_per_step") && slow.contains("seconds_per_step")) {
    // Target ≥ 10 against a float32 dense path: the bit-packed path moves P·N/4 bytes of Ξ per
    // step against 4 N² of T. Against the exact integer path it is predicted below 1.
    fast["speedup_over_dense"] =
        slow["seconds_per_step"].get<double>() / fast["seconds_per_step"].get<double>();
    fast["predicted_speedup_over_dense"] = slow["predicted_seconds_per_step"].get<double>() /
                                           fast["predicted_seconds_per_step"].get<double>();
  }
}

// The weights' form in CudaEnsembleEngine (kernels/src/cuda_ensemble.cu, run_ensemble): int8
// when the whole dense stack is integers over one denominator with max|K| ≤ 127
// (core::exact_integer_form over the stack), else float32.
struct EnsembleForm {
  std::string name = "float32";
  std::size_t weight_bytes = sizeof(float);
  json integer_form = nullptr;
};
EnsembleForm ensemble_form(const core::Ensemble& ensemble) {
  EnsembleForm f;
  const auto* dense = std::get_if<core::Ensemble::DenseStack>(&ensemble.weights);
  if (dense == nullptr) return f;
  const auto form = core::exact_integer_form(
      dense->values.data(), static_cast<std::int64_t>(dense->values.size()), ensemble.n);
  if (form && form->storage == core::IntegerStorage::Int8) {
    f.name = "int8";
    f.weight_bytes = 1;
    f.integer_form = {
        {"denominator", form->denominator}, {"max_abs", form->max_abs}, {"storage_on_gpu", "int8"}};
  }
  return f;
}

// The synchronous ensemble kernels (kernels/src/cuda_ensemble.cu) on an H100, as
// cuda::ensemble_launch plans them for sm_90 (clusters of up to kMaxPortableCluster blocks): a
// block per network (⌈N/8⌉ warps, at most 16) when the state fits a block, its weights staged in
// shared memory when they fit beside it (sync_kernel); else, for dense weights, a thread-block
// cluster of c = 2, 4 or 8 blocks per network, each staging its rows of the weights beside a full
// copy of the state and storing each new value into every block's copy (sync_cluster_kernel,
// three cluster barriers per step). A block or cluster runs every step of a launch on its
// network and drops it as soon as it stops; launches of ⌊2^30 / (networks·(N² + N))⌋ steps, each
// followed by a download of the networks' statuses and a check on the host (core::run_ensemble,
// whose host clock is loop_seconds; the upload happens before it). The weights are int8 when the
// stack has an exact integer form (ensemble_form), else float32. A step is bound by the largest of:
//   issue — per row ⌈N/32⌉ iterations of two loads and a multiply-add (float32 ~5 warp
//     instructions; int8 ~6: a compare and select for ±K_ij) and the row's shuffle sum and sign
//     update (float32 ~25; int8 ~50: the int32 sum converted and divided by D in float64 on every
//     lane, float64 at half rate; clusters c more for the remote stores); per 64-neuron word two
//     ballots, the word hash and a shared atomic (~30); thread 0's ring (~50); all networks'
//     instructions against 4 per SM per clock;
//   latency — waves of resident networks (blocks per SM limited by 2048 threads, 32 blocks and
//     the shared memory of an SM; a cluster takes c of them), each network-step the chain of one
//     warp's rows (staged: ~30 cycles per iteration and ~150 per row; from L2/DRAM ~600 + ~10 per
//     iteration + ~150; int8 +100 for the division), the hash (~200 cycles per word a warp hashes)
//     and the barriers around thread 0's ring in global memory (~800; a cluster's three barriers
//     ~1500 more);
//   DRAM, weights not staged — every network's weights every step.
// Weights come from DRAM (staged once per launch, or every step) at the lower of ~85% of the
// stream rate and what the resident warps keep in flight: each warp load is 32 lanes × the
// weight's bytes (int8: one 32-byte sector), kLoadsInFlightPerWarp of them per warp, over
// kDramLatencySeconds. A block stages while the SM's other blocks step, so with two or more blocks
// per SM only the first wave's staging (and any excess over the launch's steps) shows; with one
// block per SM (clusters of 140 KB blocks) staging and steps add.
Prediction ensemble_prediction(std::int64_t count, std::int64_t n, std::size_t weight_bytes,
                               std::int64_t max_steps) {
  constexpr std::size_t kOptinSharedBytes = 227 * 1024;  // cudaDevAttrMaxSharedMemoryPerBlockOptin
  constexpr std::size_t kStaticSharedBytes = 16;         // the kernels' hash, flags and verdict
  constexpr double kSharedPerSm = 228.0 * 1024;          // 1 KiB of it reserved per block
  constexpr double kStatusBytes = 24;                    // a network's NetworkStatus
  const bool int8 = weight_bytes == 1;
  const cuda::EnsembleLaunch launch = cuda::ensemble_launch(
      {count, n, n * n, /*sync=*/true, /*sparse=*/false, sizeof(float), weight_bytes},
      kOptinSharedBytes, kStaticSharedBytes, cuda::kMaxPortableCluster);
  const double cluster = as_double(launch.cluster);
  const double rows = launch.cluster > 1 ? as_double(launch.rows_per_block) : as_double(n);
  const double threads = launch.shape.block;
  const double warps = threads / 32.0;
  const double per_sm = std::min(
      {std::floor(2048.0 / threads), 32.0,
       std::floor(kSharedPerSm /
                  (as_double(static_cast<std::int64_t>(launch.shape.shared_bytes)) + 1024.0))});
  const double networks_at_once = std::floor(h100::kSms * per_sm / cluster);
  const double waves = std::ceil(as_double(count) / networks_at_once);
  const double iterations = std::ceil(as_double(n) / 32.0), words = std::ceil(as_double(n) / 64.0);
  const double row_instructions =
      iterations * (int8 ? 6.0 : 5.0) + (int8 ? 50.0 : 25.0) + (cluster > 1 ? cluster : 0.0);
  const double issue =
      as_double(count) * (as_double(n) * row_instructions + words * 30.0 + 50.0) / h100::kIssuePerS;
  const double row_cycles =
      (launch.weights_in_shared ? 30.0 * iterations + 150.0 : 600.0 + 10.0 * iterations + 150.0) +
      (int8 ? 100.0 : 0.0);
  const double network_step =
      (std::ceil(rows / warps) * row_cycles + std::ceil(std::ceil(rows / 64.0) / warps) * 200.0 +
       800.0 + (cluster > 1 ? 1500.0 : 0.0)) /
      h100::kClockHz;
  const double latency = waves * network_step;
  const double all_weights =
      as_double(count * n * n) * as_double(static_cast<std::int64_t>(weight_bytes));
  const double in_flight = h100::kSms * per_sm * warps * h100::kLoadsInFlightPerWarp * 32.0 *
                           as_double(static_cast<std::int64_t>(weight_bytes));
  const double weight_rate =
      std::min(0.85 * h100::kStreamBytesPerS, in_flight / h100::kDramLatencySeconds);
  const double dram = launch.weights_in_shared ? 0.0 : all_weights / weight_rate;
  Prediction p;
  p.step_seconds = std::max({issue, latency, dram});
  p.steps_per_chunk = std::clamp<std::int64_t>(
      static_cast<std::int64_t>(0x1p30 / (as_double(count) * as_double(n * n + n))), 1,
      std::max<std::int64_t>(max_steps, 1));
  p.launches_per_step = 0;  // one launch per chunk, counted in chunk_seconds
  p.max_steps = max_steps;
  const double stage = launch.weights_in_shared ? all_weights / weight_rate : 0.0;
  const double launch_steps = as_double(p.steps_per_chunk) * p.step_seconds;
  const double exposed_stage =
      per_sm >= 2 ? std::max(0.0, stage - launch_steps) + std::min(stage, launch_steps) / waves
                  : stage;
  p.chunk_seconds = h100::kLaunchSeconds + h100::kChunkRoundTripSeconds +
                    kStatusBytes * as_double(count) / h100::kPageableCopyBytesPerS +
                    stream_seconds(3.0 * 4.0 * as_double(count * n)) + exposed_stage;
  const std::string form = int8 ? "int8" : "float32";
  const std::string where =
      launch.cluster > 1
          ? "clusters of " + std::to_string(launch.cluster) + " blocks, each staging " +
                std::to_string(launch.rows_per_block) + " rows"
          : (launch.weights_in_shared ? std::string("a block per network, staged")
                                      : std::string("a block per network, from L2/DRAM"));
  p.bound = p.step_seconds == dram    ? "DRAM (every network's " + form + " weights every step)"
            : p.step_seconds == issue ? "issue (rows of " + form + " weights" +
                                            (int8 ? ", a float64 division per row" : "") + ")"
                                      : "latency (a network's rows, hash and barriers per wave)";
  if (exposed_stage > launch_steps) {
    p.bound = "staging: " + form + " weights from DRAM once per " +
              std::to_string(p.steps_per_chunk) + "-step launch, " + ms_text(stage) + " at " +
              std::to_string(static_cast<int>(weight_rate / 1e9)) + " GB/s (loads in flight)";
  }
  p.basis = form + " weights, " + where + "; launches of " + std::to_string(p.steps_per_chunk) +
            " steps, " + std::to_string(static_cast<int>(per_sm)) + " blocks per SM, " +
            std::to_string(static_cast<int>(waves)) + " waves; per step issue " + ms_text(issue) +
            ", latency " + ms_text(latency) +
            (launch.weights_in_shared ? ", staging " + ms_text(stage) + " per launch (" +
                                            ms_text(exposed_stage) + " exposed)"
                                      : ", DRAM " + ms_text(dram));
  return p;
}

// ensemble: many dense networks with one state each, through CudaEnsembleEngine, synchronous.
// Random asymmetric networks with T_ij = ±1/√N (random signs, so they wander for all 100 steps):
// 4096 × N = 256 and 1024 × N = 1024 as asked, and 16384 × N = 64. For N = 64, 256 and 1024,
// 1/√N is a power of two, so each stack is K/√N with K = ±1 off the diagonal: an exact int8 form,
// which the engine finds and uses (the entry's weights_form says so). And 4096 Hebbian networks
// of N = 256, P = 13 patterns each (K = N·T odd integers in [−13, 13]: int8), from one cue each
// (pattern 0 with 10% flips), up to 20 steps: recall, as an ensemble of small memories runs.
//
// Prediction (ensemble_prediction). 4096 × 256, int8: 64 KB of weights per block fits the
// 227 KiB opt-in, 3 blocks per SM; the step is issue-bound, ~0.11 ms (the float64 division per
// row is a third of it), and the weights' byte-wide staging (~0.2 ms per 3-step launch at the
// ~1.3 TB/s the resident warps keep in flight) hides behind the other blocks' steps but for the
// first wave: ~0.13 ms per step with the launch's status round trip, ~0.76 of the copy bandwidth
// by its int8 bytes model (float32 would take clusters of 2 and ~0.41 ms). 1024 × 1024, int8:
// 1 MB per network fits no block, so clusters of 8 blocks of 140 KB each stage 128 rows — one
// block per SM, 16 networks at a time, 64 waves — and launches are 1 step long (2^30 visits), so
// every step stages all 1.07 GB again, one byte per lane from 16 warps per SM: ~0.45 TB/s in
// flight, ~2.4 ms, after which the step itself (~0.43 ms of latency) adds: ~2.85 ms per step,
// ~0.14 of the copy bandwidth — slower than streaming the int8 weights from DRAM every step with
// 4 blocks per SM would be (~0.6 ms). Longer launches for staged clusters, or staging copies of
// 16 bytes per lane, are what the model says would fix it. 16384 × 64, int8 4 KB staged: ~70 µs
// of issue per step — slower than float32's ~40 µs would be (the same 8 blocks per SM, but the
// per-row float64 division outweighs reading a row from shared memory) — ~75 µs per step, ~0.36
// of the copy bandwidth. The Hebbian 4096 × 256 takes the 4096 × 256 step for its 2–4 steps,
// ~0.13–0.14 ms per step (an upper bound: networks leave as they stop). A peer streaming fp16 K
// (half of float32's bytes) in one bmm per step at ~2.8 TB/s takes ~0.2 ms at 4096 × 256 and
// ~0.8 ms at 1024 × 1024: predicted ratios ~1.5× and ~0.3×, not 10×.
void ensembles(Suite& suite, core::EnsembleEngine& engine) {
  struct Shape {
    std::int64_t count, n;
    bool hebbian;
  };
  constexpr std::int64_t kHebbianPatterns = 13;
  const Shape shapes[] = {
      {4096, 256, false}, {1024, 1024, false}, {16384, 64, false}, {4096, 256, true}};
  for (const auto& [full_count, n, hebbian] : shapes) {
    const std::int64_t count = suite.quick() ? full_count / 8 : full_count;
    core::Ensemble networks;
    networks.count = count;
    networks.n = n;
    networks.activation = {core::ActivationKind::Sign, 1.0};
    core::StateBatch initial;
    if (hebbian) {
      bench::HebbianStack stack = bench::hebbian_stack(count, n, kHebbianPatterns, 0.1, 43);
      networks.weights = core::Ensemble::DenseStack{std::move(stack.weights)};
      initial = std::move(stack.cues);
    } else {
      networks.weights = core::Ensemble::DenseStack{
          bench::random_sign_stack(count, n, 1.0 / std::sqrt(as_double(n)), 41)};
      initial = bench::random_states(count, n, 42);
    }
    const EnsembleForm form = ensemble_form(networks);
    const std::string variant =
        std::to_string(full_count) + "x" + std::to_string(n) + (hebbian ? "-hebbian" : "");
    // Each network's weights read once per step in the engine's form, its state read and written
    // once. An engine that keeps them on chip across fused steps reads them once per launch
    // instead, and may then beat "100% of copy bandwidth": the step is no longer DRAM-bound.
    const double weight_bytes = as_double(static_cast<std::int64_t>(form.weight_bytes));
    const CaseInfo info{
        "ensemble",
        variant,
        "dense_stack",
        "discrete-sync",
        n,
        n * n,
        hebbian ? kHebbianPatterns : 0,
        1,
        count,
        hebbian ? (suite.quick() ? 10 : 20) : suite.steps(100),
        as_double(count) * (weight_bytes * as_double(n * n) + 2.0 * 4.0 * as_double(n)),
        "networks*(N*N*" + std::to_string(form.weight_bytes) + " (" + form.name +
            " weights) + 2*N*4)",
        2.0 * as_double(count * n * n),
        "ensemble/" + variant};
    const core::RunOptions options = discrete_sync(info.max_steps);
    suite.time_case(info, ensemble_prediction(count, n, form.weight_bytes, info.max_steps),
                    [&engine, &networks, &initial, options] {
                      core::StateBatch states = initial;
                      return engine.run(networks, states, options);
                    },
                    {{"layout", "dense_stack"},
                     {"weights_form", form.name},
                     {"integer_form", form.integer_form}});
  }
}

// continuous: du/dt = T tanh(u) − u, dense random asymmetric T with variance g²/N, g = 1.5
// (the chaotic regime of Sompolinsky, Crisanti & Sommers 1988, so nothing settles), N = 4096,
// B = 64, RK4 with dt = 0.01, 100 steps, tol = 0 (no fixed-point exit).
//
// Prediction. Four SGEMMs of 2·N²·B = 2.1 GFLOP each, ~72 µs at ~30 TFLOP/s (T, 67 MB, streams
// in 24 µs: compute-bound; continuous states have no integer form); 14 element-wise kernels (4
// gathers with tanh, 4 field scatters, 3 stage points, the update, the settle reduction's two
// passes) at ~3 µs each, more than their 23·B·N·4 = 24 MB need; and a host round trip every step
// (core::run_dynamics settles each step on the host: a download and a wait). ~0.37 ms per step,
// a fraction of ~0.28.
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
  const DenseProduct product = dense_product(std::get<core::DenseMatrix<double>>(network.weights),
                                             batch, /*integer_products=*/false);
  constexpr int kElementwiseKernels = 14;
  Prediction prediction;
  prediction.step_seconds = 4.0 * product.product_seconds +
                            std::max(kElementwiseKernels * h100::kKernelSeconds,
                                     23.0 * 4.0 * as_double(batch * n) / h100::kStreamBytesPerS);
  prediction.launches_per_step = 4 * product.launches + kElementwiseKernels;
  prediction.steps_per_chunk = 1;
  prediction.max_steps = info.max_steps;
  prediction.chunk_seconds = h100::kStepRoundTripSeconds;
  prediction.bound = product.bound;
  prediction.basis = "4 SGEMMs per RK4 step, 14 element-wise kernels, a host round trip per step";
  core::RunOptions options;
  options.dynamics = core::Dynamics::Continuous;
  options.integrator = core::Integrator::RK4;
  options.dt = 0.01;
  options.tol = 0.0;
  options.max_steps = info.max_steps;
  suite.time_case(info, prediction, run_engine(engine, network, initial, options),
                  dense_extra(product));
}

// exact_hebbian: one Hebbian network of N = 8192 neurons and P = 101 patterns stored dense,
// T = K/N with K = ΞᵀΞ − P·I, 64 cues with 10% flips, synchronous, up to 20 steps. K's entries
// are integers in [−P, P] (odd, since P is: no field is ever 0, so the tie rule never acts), so
// the engine multiplies K as int8 with ±1 int8 states into exact int32 sums on tensor cores; the
// PyTorch peers do the same work exactly in float32, fp16 (torch.addmm) and int8
// (torch._int_mm), and the case is compared with the fastest of them.
//
// Prediction. An int8 GEMM of 8192 × 8192 × 64 is 8.6 GOP, ~11 µs at ~800 TOPS, but K is 67 MB
// and does not stay in a 50 MB L2, so reading it takes ~30 µs at cuBLAS's share of the copy
// bandwidth: memory-bound. With the conversion to int8, the scaling of the sums and the update
// (~3 µs each) a step is ~42 µs, ~0.65 of the copy bandwidth by the bytes model. The int8 peer
// streams the same 67 MB and runs about as many small kernels, so the steps alone are predicted
// at ~1× the best peer. But the cues stop after 2–3 steps (load 0.012) and the engine's first
// chunk runs all 16 steps on the device before the host sees it: ~0.7 ms over 2–3 steps,
// ~0.24–0.36 ms per step as measured, ~0.13–0.2× the int8 peer (~45 µs per step, timed over 20
// steps, no early exit). The target needs the chunk to end when its states have stopped.
void exact_hebbian(Suite& suite, core::Engine& engine) {
  const std::int64_t n = suite.quick() ? 1024 : 8192, p = 101, batch = 64;
  const core::PatternSet patterns = random_patterns(p, n, 71);
  const core::StateBatch cues = noisy_cues(patterns, batch, 0.1, 72);
  const core::Network network = hebbian_network(patterns, /*factored=*/false);
  const DenseProduct product = dense_product(std::get<core::DenseMatrix<double>>(network.weights),
                                             batch, /*integer_products=*/true);
  const CaseInfo info{"exact_hebbian",
                      "B64",
                      "dense",
                      "discrete-sync",
                      n,
                      n * n,
                      p,
                      batch,
                      1,
                      suite.quick() ? 10 : 20,
                      product.bytes_per_step,
                      product.bytes_model,
                      2.0 * as_double(n * n * batch),
                      "exact_hebbian/B64"};
  const Prediction prediction =
      sync_run(product.product_seconds, product.launches, batch, n, info.max_steps, product.bound,
               product.form + " GEMM of N x N by N x B (to " + product.form +
                   ", cublasGemmEx on tensor cores, scale by 1/D)");
  suite.time_case(info, prediction,
                  run_engine(engine, network, cues, discrete_sync(info.max_steps)),
                  dense_extra(product));
}

// The assumptions every case's prediction rests on, recorded with the results.
json prediction_model() {
  return {{"device", h100::kDevice},
          {"copy_bandwidth_bytes_per_s", h100::kCopyBytesPerS},
          {"stream_bytes_per_s", h100::kStreamBytesPerS},
          {"gemm_stream_share", h100::kGemmStreamShare},
          {"l2_sector_bytes_per_s", h100::kL2SectorBytesPerS},
          {"l2_bytes", h100::kL2Bytes},
          {"scattered_loads_per_s", h100::kScatteredLoadsPerS},
          {"fp32_gemm_flops_per_s", h100::kFp32GemmFlopsPerS},
          {"fp16_gemm_flops_per_s", h100::kFp16GemmFlopsPerS},
          {"int8_gemm_ops_per_s", h100::kInt8GemmOpsPerS},
          {"warp_instructions_per_s", h100::kIssuePerS},
          {"kernel_seconds", h100::kKernelSeconds},
          {"launch_seconds", h100::kLaunchSeconds},
          {"sync_chunk_steps", core::kSyncChunk},
          {"chunk_round_trip_seconds", h100::kChunkRoundTripSeconds},
          {"continuous_step_round_trip_seconds", h100::kStepRoundTripSeconds},
          {"pageable_copy_bytes_per_s", h100::kPageableCopyBytesPerS},
          {"loads_in_flight_per_warp", h100::kLoadsInFlightPerWarp},
          {"dram_latency_seconds", h100::kDramLatencySeconds},
          {"note",
           "predicted_seconds_per_step is for the steps the run took (loop time after the load "
           "over the slowest state's steps, with every step of a synchronous chunk run on the "
           "device: predicted_device_steps); predicted_step_seconds is one step's kernels alone; "
           "predicted_fraction_of_copy_bandwidth = bytes_per_step / predicted_seconds_per_step / "
           "copy_bandwidth_bytes_per_s"}};
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

  json out = {
      {"benchmark", "gpu_step"},     {"engines", settings.cpu ? "cpu (reference check)" : "cuda"},
      {"commit", settings.commit},   {"quick", settings.quick},
      {"repeats", settings.repeats}, {"prediction_model", prediction_model()}};
  try {
    double copy_bandwidth = 0, peak_bandwidth = 0;
    std::unique_ptr<core::Engine> engine;
    std::unique_ptr<core::EnsembleEngine> ensemble_engine;
    if (settings.cpu) {
      engine = std::make_unique<CpuEngine>();
      ensemble_engine = std::make_unique<CpuEnsembleEngine>();
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
    suite.guard("exact_hebbian", [&] { exact_hebbian(suite, *engine); });
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
