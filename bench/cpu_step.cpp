// CPU engine step benchmark: one synchronous discrete step s ← sign(T s + b) for a batch of B
// states, sparse (CSR) and dense weights, timed through Engine::run. Prints one JSON object:
// each case with its time per step (median of repeats after a warm-up), bytes moved, achieved
// bandwidth as a fraction of this machine's copy bandwidth measured in the same run, and flops.
// With --export DIR it also writes the CSR matrix and states as .npy for the SciPy peer
// (bench/peer_scipy.py), which times the same update on the same data.
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "bench_common.hpp"
#include "engine/factored_fields.hpp"

using namespace attractor;
using bench::Clock;
using bench::median;
using bench::seconds_since;

namespace {

// Times `steps` synchronous steps, `repeats` times after one warm-up run.
nlohmann::json time_case(const std::string& name, core::Precision precision,
                         const core::Network& net, std::int64_t batch, std::int64_t steps,
                         int repeats, double bytes_per_step, double flops_per_step,
                         double bandwidth) {
  CpuEngine engine(precision);
  core::RunOptions options;
  options.dynamics = core::Dynamics::DiscreteSync;
  options.max_steps = steps;
  options.max_period = 1;  // only fixed points stop a state; random networks have none here
  core::StateBatch states;
  std::int64_t steps_taken = 0;
  const double t = bench::median_seconds_per_unit(
      repeats, [&] { states = bench::random_states(batch, net.size(), 42); },
      [&] {
        steps_taken = 0;
        for (const auto& s : engine.run(net, states, options).states) {
          steps_taken = std::max(steps_taken, s.steps);
        }
        return static_cast<double>(steps_taken);
      });
  return {{"name", name},
          {"precision", core::to_string(precision)},
          {"n", net.size()},
          {"synapses", net.synapse_count()},
          {"batch", batch},
          {"steps_per_run", steps_taken},
          {"repeats", repeats},
          {"seconds_per_step", t},
          {"bytes_per_step", bytes_per_step},
          {"bandwidth_bytes_per_s", bytes_per_step / t},
          {"fraction_of_copy_bandwidth", bytes_per_step / t / bandwidth},
          {"gflops", flops_per_step / t * 1e-9},
          {"state_updates_per_s", static_cast<double>(batch * net.size()) / t},
          {"synaptic_events_per_s", static_cast<double>(batch * net.synapse_count()) / t}};
}

// A field of /proc/self/status in bytes (VmRSS: resident now; VmHWM: the peak since the last
// reset), or −1 where the system has none.
double status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) return 1024.0 * std::stod(line.substr(field.size() + 1));
  }
  return -1.0;
}

// What a float32 run of a 10^6-neuron, 10^8-synapse network holds: the process's peak resident
// memory during the run (reset after the network is built, so the generator's scratch is not
// counted; the process's own code and libraries are), split into the network's arrays and what
// the engine adds per neuron.
nlohmann::json memory_case(bool quick) {
  const std::int64_t n = quick ? 100'000 : 1'000'000, k = 100;
  core::Network net;
  net.weights = bench::random_csr<float>(n, k, 1.0, 7);
  const std::int64_t nnz = net.synapse_count();
  const double network_bytes = static_cast<double>(nnz) * 8.0 + static_cast<double>(n + 1) * 8.0;
  const double before = status_bytes("VmRSS");
  {
    // Writing 5 resets VmHWM to the current resident size (Linux ≥ 4.0).
    std::ofstream reset("/proc/self/clear_refs");
    reset << "5";
  }
  core::RunOptions options;
  options.dynamics = core::Dynamics::DiscreteSync;
  options.max_steps = 3;
  options.max_period = 1;
  auto states = bench::random_states(1, n, 42);
  CpuEngine(core::Precision::Float32).run(net, states, options);
  const double peak = status_bytes("VmHWM");
  return {{"name", "memory_float32"},
          {"n", n},
          {"synapses", nnz},
          {"batch", 1},
          {"network_bytes", network_bytes},
          {"network_bytes_per_synapse", network_bytes / static_cast<double>(nnz)},
          {"resident_before_run_bytes", before},
          {"peak_resident_bytes", peak},
          {"run_bytes_per_neuron", (peak - before) / static_cast<double>(n)}};
}

// Continuous rate network du/dt = −u + T tanh(u) by forward Euler, the Brian2 peer's network. The
// couplings ±0.9/k make every row's Σ|T_ij| ≤ 0.9 < 1, a contraction, so rounding differences
// between implementations stay at the size of one step's rounding instead of growing. With an
// export folder: the matrix, u(0) and the float64 final state under DIR/euler for the peers.
nlohmann::json euler_cases(bool quick, const std::string& export_dir, double bandwidth) {
  const std::int64_t n = quick ? 20'000 : 200'000, k = 50, steps = quick ? 10 : 50;
  const double dt = 0.1;
  core::Network net;
  net.weights = bench::random_csr(n, k, 0.9 / static_cast<double>(k), 11);
  net.activation = {core::ActivationKind::Tanh, 1.0};
  const auto& csr = std::get<core::CsrMatrix<double>>(net.weights);
  // float32 runs read weights stored in float32, as a float32 user's network holds them.
  core::Network net32 = net;
  auto copy = csr;
  net32.weights = core::to_float32(std::move(copy), "euler");
  const auto u0 = bench::random_uniform_states(1, n, 1.0, 12);
  nlohmann::json cases = nlohmann::json::array();
  for (const auto precision : {core::Precision::Float64, core::Precision::Float32}) {
    const double real = precision == core::Precision::Float32 ? 4.0 : 8.0;
    core::RunOptions options;
    options.dynamics = core::Dynamics::Continuous;
    options.integrator = core::Integrator::Euler;
    options.dt = dt;
    options.max_steps = steps;
    options.tol = 0.0;       // never a fixed point: every run takes all its steps
    options.max_period = 1;  // the section test costs little and never fires here
    core::StateBatch u;
    const double t = bench::median_seconds_per_unit(
        quick ? 2 : 5, [&] { u = u0; },
        [&] {
          CpuEngine(precision).run(precision == core::Precision::Float32 ? net32 : net, u, options);
          return static_cast<double>(steps);
        });
    // Per step: the weights and columns once, u read twice and written once, tanh(u) written and
    // gathered (counted once).
    const double bytes = static_cast<double>(csr.nnz()) * (real + 4.0) +
                         static_cast<double>(n + 1) * 8.0 + 5.0 * real * static_cast<double>(n);
    cases.push_back({{"name", "csr_euler_step"},
                     {"precision", core::to_string(precision)},
                     {"n", n},
                     {"synapses", csr.nnz()},
                     {"batch", 1},
                     {"dt", dt},
                     {"steps_per_run", steps},
                     {"repeats", quick ? 2 : 5},
                     {"seconds_per_step", t},
                     {"bytes_per_step", bytes},
                     {"fraction_of_copy_bandwidth", bytes / t / bandwidth},
                     {"synaptic_events_per_s", static_cast<double>(csr.nnz()) / t}});
    if (!export_dir.empty() && precision == core::Precision::Float64) {
      const std::string dir = export_dir + "/euler";
      bench::export_csr(dir, csr);
      write_npy(dir + "/u0.npy", {n}, u0.values);
      write_npy(dir + "/engine_final_u_float64.npy", {n}, u.values);
    }
  }
  return cases;
}

// Factored Hebbian recall: one product of the int8 path and of the bit path on the same cues
// (their ratio is the bit path's gain, measured in one run), then whole recalls in the engine,
// which takes the bit path for ±1 states.
nlohmann::json factored_cases(bool quick) {
  const std::int64_t n = quick ? 10'000 : 100'000, p = quick ? 500 : 5'000, cues = 16;
  const int repeats = quick ? 2 : 3;
  const auto patterns = random_patterns(p, n, 3);
  const auto states = noisy_cues(patterns, cues, 0.2, 4);
  std::vector<double> x(static_cast<std::size_t>(n * cues)), y(x.size());
  for (std::int64_t j = 0; j < cues; ++j) {
    for (std::int64_t i = 0; i < n; ++i) x[i * cues + j] = states.state(j)[i];
  }
  // The warm-up packs the patterns for the bit path.
  auto time_product = [&](auto product) {
    return bench::median_seconds_per_unit(
        repeats, [] {},
        [&] {
          product();
          return 1.0;
        });
  };
  const double int8 =
      time_product([&] { cpu::factored_fields(patterns, x.data(), cues, y.data()); });
  const cpu::PackedPatterns packed(patterns);
  const double bits = time_product([&] { packed.fields(x.data(), cues, y.data()); });
  nlohmann::json cases = nlohmann::json::array();
  const double events = static_cast<double>(2 * n * p * cues);  // two products of N P per state
  for (const auto& [path, seconds, bytes] :
       {std::tuple{"int8", int8, n * p}, std::tuple{"bits", bits, 2 * n * ((p + 7) / 8)}}) {
    cases.push_back({{"name", "factored_fields"},
                     {"path", path},
                     {"n", n},
                     {"patterns", p},
                     {"batch", cues},
                     {"seconds_per_product", seconds},
                     {"pattern_bytes", bytes},
                     {"synaptic_events_per_s", events / seconds},
                     {"speedup_vs_int8", int8 / seconds}});
  }
  for (const auto precision : {core::Precision::Float64, core::Precision::Float32}) {
    core::RunOptions options;
    options.dynamics = core::Dynamics::DiscreteSync;
    options.max_steps = 50;
    const auto net = hebbian_network(patterns, true);
    core::StateBatch cue;
    core::RunResult result;
    const double seconds = bench::median_seconds_per_unit(
        repeats, [&] { cue = states; },
        [&] {
          result = CpuEngine(precision).run(net, cue, options);
          return 1.0;
        });
    std::int64_t steps = 0, recalled = 0;
    for (const auto& s : result.states) {
      steps = std::max(steps, s.steps);
      recalled += s.outcome == core::Outcome::FixedPoint ? 1 : 0;
    }
    cases.push_back({{"name", "factored_recall"},
                     {"precision", core::to_string(precision)},
                     {"n", n},
                     {"patterns", p},
                     {"batch", cues},
                     {"noise", 0.2},
                     {"steps", steps},
                     {"fixed_points", recalled},
                     {"seconds", seconds},
                     {"seconds_per_step", seconds / static_cast<double>(steps)}});
  }
  return cases;
}

}  // namespace

int main(int argc, char** argv) try {
  bench::BenchArgs args;
  const int exit_code = bench::parse_bench_args(
      argc, argv, args,
      "usage: attractor_bench_cpu [--quick] [--export DIR]\n"
      "  --quick   smaller problems, for a smoke run\n"
      "  --export  write the sparse case's matrix and states as .npy for the peer\n");
  if (exit_code >= 0) return exit_code;
  const bool quick = args.quick;
  const std::string& export_dir = args.export_dir;
  nlohmann::json cases = nlohmann::json::array();
  // First, while the process holds nothing else.
  cases.push_back(memory_case(quick));
  const double bandwidth = bench::cpu_copy_bandwidth();

  // Sparse, from 10^5 to 10^6 neurons with 50 or 100 synapses a row. Bytes per step: nnz (value
  // + 4 index) + row offsets + per state entry the int8 sign read and the new state written in
  // Real and as int8 (the gathers of the signs counted once: the best case of a cached state).
  // With an export folder each matrix goes to DIR/csr-N-K for the peers.
  // Steps and repeats per batch keep each case (and the peers', which run it alike) near a few
  // seconds.
  struct Timing {
    std::int64_t batch, steps;
    int repeats;
  };
  struct SparseCase {
    std::int64_t n, k;
    std::vector<Timing> timings;
  };
  const std::vector<SparseCase> sparse_cases =
      quick ? std::vector<SparseCase>{{20'000, 50, {{1, 5, 3}, {16, 5, 3}, {64, 2, 2}}}}
            : std::vector<SparseCase>{{100'000, 100, {{1, 20, 7}, {16, 10, 5}, {64, 4, 3}}},
                                      {200'000, 50, {{1, 20, 7}, {16, 10, 5}, {64, 4, 3}}},
                                      {1'000'000, 100, {{1, 10, 5}, {16, 3, 3}}}};
  for (const SparseCase& sc : sparse_cases) {
    core::Network sparse, sparse32;
    sparse.weights = bench::random_csr(sc.n, sc.k, 1.0, 7);
    sparse32.weights = bench::random_csr<float>(sc.n, sc.k, 1.0, 7);  // ±1: the same weights
    const auto& csr = std::get<core::CsrMatrix<double>>(sparse.weights);
    for (const auto precision : {core::Precision::Float64, core::Precision::Float32}) {
      const double real = precision == core::Precision::Float32 ? 4.0 : 8.0;
      for (const Timing& timing : sc.timings) {
        const double bytes = static_cast<double>(csr.nnz()) * (real + 4.0) +
                             static_cast<double>(sc.n + 1) * 8.0 +
                             (2.0 + real) * static_cast<double>(timing.batch * sc.n);
        const double flops = 2.0 * static_cast<double>(csr.nnz() * timing.batch);
        auto c = time_case("csr_sync_step", precision,
                           precision == core::Precision::Float32 ? sparse32 : sparse, timing.batch,
                           timing.steps, timing.repeats, bytes, flops, bandwidth);
        c["synapses_per_row"] = sc.k;
        cases.push_back(std::move(c));
      }
    }
    if (!export_dir.empty()) {
      bench::export_csr(export_dir + "/csr-" + std::to_string(sc.n) + "-" + std::to_string(sc.k),
                        csr);
    }
  }

  // Dense: B = 1 is a memory-bound GEMV (N² · 8 bytes), B = 64 a compute-bound GEMM.
  const std::int64_t n_dense = quick ? 1000 : 4000;
  core::Network dense_net, dense32;
  dense_net.weights = bench::random_dense(n_dense, 1.0, 9, 1);
  dense32.weights = core::to_float32(
      core::DenseMatrix<double>(std::get<core::DenseMatrix<double>>(dense_net.weights)), "dense");
  for (const auto precision : {core::Precision::Float64, core::Precision::Float32}) {
    const double real = precision == core::Precision::Float32 ? 4.0 : 8.0;
    for (std::int64_t batch : {1, 64}) {
      const double bytes = static_cast<double>(n_dense * n_dense) * real +
                           2.0 * real * static_cast<double>(batch * n_dense);
      const double flops = 2.0 * static_cast<double>(n_dense * n_dense * batch);
      cases.push_back(time_case("dense_sync_step", precision,
                                precision == core::Precision::Float32 ? dense32 : dense_net, batch,
                                quick ? 5 : 10, quick ? 3 : 5, bytes, flops, bandwidth));
    }
  }

  for (auto& c : euler_cases(quick, export_dir, bandwidth)) cases.push_back(std::move(c));
  for (auto& c : factored_cases(quick)) cases.push_back(std::move(c));

  const nlohmann::json out = {{"benchmark", "cpu_step"},
                              {"threads", omp_get_max_threads()},
                              {"copy_bandwidth_bytes_per_s", bandwidth},
                              {"cases", cases}};
  std::cout << out.dump(2) << '\n';
  return 0;
} catch (const std::exception& e) {
  // A failed run: one line and status 1, not std::terminate.
  std::cerr << "attractor_bench_cpu: " << e.what() << '\n';
  return 1;
}
