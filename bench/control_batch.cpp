// Controlled-plasticity batch benchmark: B control problems (one cue each: half near a stored
// equilibrium, half novel patterns) on the example network of N neurons (host/control_experiments
// .hpp), evaluated and solved on the GPU (cuda::CudaControlBatch, the whole batch) and on the CPU
// (CpuControlBatch, the first --cpu-problems of the same batch). Problems are independent and
// the lockstep solver gives each exactly the iterations it would take alone, so the CPU's time for
// the whole batch is its time per problem times B; the JSON says which numbers are measured and
// which are scaled. Prints one JSON document; progress on stderr.
//
// Bytes: one evaluation reads each problem's ξ once per Euler step in the forward pass and once in
// the adjoint (8 B per synapse each), writes and reads back the trajectory u_k, X_k (4 × 8 B per
// neuron per step), and writes the gradient once per interval; A, the column indices and the
// transpose map are shared by the batch and stay in the L2 cache, so they are not counted. That is
// the compulsory traffic; its rate is reported against the measured copy bandwidth.
//
// With --export DIR the network, the first --peer-problems cues and the problem are written as
// .npy/.json for bench/peer_torch_control.py, which evaluates J and ∇J of the same problems by
// PyTorch autograd on the same GPU.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attractor/host/control/control_experiments.hpp"
#include "attractor/host/engine/cpu_control_batch.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/io/npy.hpp"
#include "bench_common.hpp"
#if defined(ATTRACTOR_HAVE_CUDA)
#include "attractor/cuda/cuda_control.hpp"
#include "attractor/cuda/cuda_engine.hpp"
#include "bench_device.hpp"
#endif

using namespace attractor;
using bench::Clock;
using bench::seconds_since;
using nlohmann::json;
using Index = std::int64_t;

namespace {

struct Settings {
  Index n = 1000, problems = 1000, cpu_problems = 8, peer_problems = 64, intervals = 20;
  int repeats = 3;
  bool gpu = true;
  std::string commit = "unknown", export_dir;
};

void progress(const std::string& message) { std::cerr << "[bench_control] " << message << '\n'; }

int usage(std::ostream& out, int code) {
  out << "usage: attractor_bench_control [--n N] [--problems B] [--cpu-problems C]\n"
         "         [--peer-problems P] [--intervals I] [--repeats R] [--no-gpu] [--quick]\n"
         "         [--commit SHA] [--export DIR]\n"
         "  --quick   N = 200, B = 64: a smoke run\n"
         "  --no-gpu  the CPU part only\n";
  return code;
}

// Reports "k of B problems done" on stderr every 10 s of a solve and records when the first
// 50%, 90%, 99% and all of the problems were done: a batch ends with its slowest problem.
struct SolveClock {
  Clock::time_point start = Clock::now(), last = start;
  Index rounds = 0;
  json milestones = json::object();

  core::ProgressFn callback() {
    return [this](Index done, Index total) {
      ++rounds;
      for (const double fraction : {0.5, 0.9, 0.99, 1.0}) {
        const std::string key = std::to_string(fraction).substr(0, 4);
        if (!milestones.contains(key) &&
            static_cast<double>(done) >= fraction * static_cast<double>(total)) {
          milestones[key] = {{"seconds", seconds_since(start)}, {"rounds", rounds}};
        }
      }
      if (seconds_since(last) < 10.0) return;
      last = Clock::now();
      progress("  " + std::to_string(done) + " of " + std::to_string(total) +
               " problems done after " + std::to_string(rounds) + " rounds");
    };
  }
};

// Compulsory bytes of one evaluation of one problem (see the file comment).
double evaluation_bytes(const core::ControlledNetwork& net, const core::ControlPlan& plan,
                        Index intervals) {
  const double S = static_cast<double>(net.synapses()), n = static_cast<double>(net.n());
  const double steps = static_cast<double>(plan.steps);
  return steps * (2.0 * 8.0 * S + 4.0 * 8.0 * n) + static_cast<double>(intervals) * 8.0 * S;
}

double flops_per_evaluation(const core::ControlledNetwork& net, const core::ControlPlan& plan) {
  // Forward: 3 per synapse per step (add ξ, multiply, accumulate); adjoint: 3 for (A + ξ)ᵀq and
  // 2 for the gradient's q g(u).
  return 8.0 * static_cast<double>(net.synapses()) * static_cast<double>(plan.steps);
}

json outcome_counts(const std::vector<OutcomeReport>& outcomes) {
  json counts = json::object();
  for (const auto& o : outcomes) {
    const std::string name = to_string(o.outcome);
    counts[name] = counts.value(name, 0) + 1;
  }
  return counts;
}

// One evaluation of the batch at ξ = 0 (ControlBatch::start), median of `repeats`.
double time_evaluation(core::ControlBatch& batch, const core::ControlledNetwork& net,
                       const core::ControlProblem& problem, const core::ControlPlan& plan,
                       const std::vector<double>& cues, int repeats) {
  std::vector<double> samples;
  std::vector<core::CostTerms> costs;
  for (int r = 0; r <= repeats; ++r) {
    const auto start = Clock::now();
    batch.start(net, problem, plan, cues, {}, costs);
    if (r > 0) samples.push_back(seconds_since(start));  // the first run warms up
  }
  return bench::median(samples);
}

void export_peer(const Settings& settings, const ControlNetworkExample& ex,
                 const core::ControlProblem& problem, const core::ControlPlan& plan,
                 const std::vector<double>& cues) {
  namespace fs = std::filesystem;
  fs::create_directories(settings.export_dir);
  const auto path = [&](const char* name) {
    return (fs::path(settings.export_dir) / name).string();
  };
  const auto& T = ex.net.T;
  write_npy(path("row_ptr.npy"), {T.rows + 1},
            std::vector<double>(T.row_ptr.begin(), T.row_ptr.end()));
  write_npy(path("col_idx.npy"), {T.nnz()}, std::vector<double>(T.col_idx.begin(), T.col_idx.end()),
            NpyDtype::Int32);
  write_npy(path("A.npy"), {T.nnz()}, T.values);
  write_npy(path("b.npy"), {T.rows}, ex.net.b);
  const Index count = std::min<Index>(settings.peer_problems, settings.problems);
  write_npy(path("u0.npy"), {count, T.rows},
            std::vector<double>(cues.begin(), cues.begin() + count * T.rows));
  std::vector<double> weights;
  for (Index k = 0; k < plan.steps; ++k) weights.push_back(core::step_weight(problem, k));
  write_npy(path("step_weight.npy"), {plan.steps}, weights);
  std::ofstream(path("problem.json")) << json{
      {"mu", problem.mu},
      {"dt", problem.dt},
      {"gain", ex.net.activation.gain},
      {"steps", plan.steps},
      {"steps_per_interval", plan.steps_per_interval},
      {"intervals", problem.intervals}}.dump(2);
}

}  // namespace

int main(int argc, char** argv) try {
  Settings settings;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    const bool has_value = a + 1 < argc;
    const auto integer = [&] { return static_cast<Index>(std::stoll(argv[++a])); };
    if (arg == "--n" && has_value) {
      settings.n = integer();
    } else if (arg == "--problems" && has_value) {
      settings.problems = integer();
    } else if (arg == "--cpu-problems" && has_value) {
      settings.cpu_problems = integer();
    } else if (arg == "--peer-problems" && has_value) {
      settings.peer_problems = integer();
    } else if (arg == "--intervals" && has_value) {
      settings.intervals = integer();
    } else if (arg == "--repeats" && has_value) {
      settings.repeats = static_cast<int>(integer());
    } else if (arg == "--commit" && has_value) {
      settings.commit = argv[++a];
    } else if (arg == "--export" && has_value) {
      settings.export_dir = argv[++a];
    } else if (arg == "--no-gpu") {
      settings.gpu = false;
    } else if (arg == "--quick") {
      settings.n = 200;
      settings.problems = 64;
      settings.cpu_problems = 4;
    } else {
      return usage(arg == "--help" ? std::cout : std::cerr, arg == "--help" ? 0 : 2);
    }
  }
  if (settings.n < 10 || settings.problems < 2 || settings.cpu_problems < 1 ||
      settings.cpu_problems > settings.problems || settings.repeats < 1) {
    return usage(std::cerr, 2);
  }

  // The example network at N: ≈ 30 existing and ≈ 15 silent synapses per neuron, as in the
  // outcome tests, whatever N.
  ControlNetworkParams params;
  params.n = settings.n;
  params.connectivity = std::min(1.0, 30.0 / static_cast<double>(settings.n));
  params.silent = std::min(1.0, 15.0 / static_cast<double>(settings.n));
  core::ControlProblem problem;
  problem.mu = 0.3;
  problem.lambda = 2.0;
  problem.intervals = settings.intervals;
  SolveOptions solve;
  solve.gtol = 1e-6;
  solve.max_iterations = 3000;

  json out{{"benchmark", "control_batch"},
           {"commit", settings.commit},
           {"threads", omp_get_max_threads()},
           {"problem",
            {{"mu", problem.mu},
             {"lambda", problem.lambda},
             {"dt", problem.dt},
             {"intervals", problem.intervals},
             {"tail_tol", problem.tail_tol},
             {"gtol", solve.gtol}}}};
  CpuEngine cpu_engine;
  progress("building the network and its equilibria");
  const auto ex = control_network_example(params, cpu_engine);
  const Index stored = settings.problems / 2;
  const auto cues = control_cues(ex, stored, 0.0, 0.03, settings.problems - stored, params.seed);
  // Interleave the kinds, so that the CPU's subset (the first problems) holds both.
  std::vector<double> batch_cues(cues.size());
  const Index n = ex.net.n();
  for (Index b = 0; b < settings.problems; ++b) {
    const Index source = b % 2 == 0 ? b / 2 : stored + b / 2;
    std::copy(cues.begin() + source * n, cues.begin() + (source + 1) * n,
              batch_cues.begin() + b * n);
  }
  const auto plan = core::plan_horizon(ex.net, problem, batch_cues);
  const double bytes = evaluation_bytes(ex.net, plan, problem.intervals);
  const double flops = flops_per_evaluation(ex.net, plan);
  out["network"] = {{"n", n}, {"synapses", ex.net.synapses()}, {"K", ex.net.K}, {"k", ex.net.k}};
  out["plan"] = {{"steps", plan.steps}, {"horizon", plan.horizon}, {"tail_bound", plan.tail_bound}};
  out["problems"] = settings.problems;
  out["bytes_per_evaluation_per_problem"] = bytes;
  out["flops_per_evaluation_per_problem"] = flops;
  if (!settings.export_dir.empty()) export_peer(settings, ex, problem, plan, batch_cues);

  // The CPU: the first cpu_problems of the batch.
  const std::vector<double> cpu_cues(batch_cues.begin(),
                                     batch_cues.begin() + settings.cpu_problems * n);
  CpuControlBatch cpu;
  progress("CPU: one evaluation of " + std::to_string(settings.cpu_problems) + " problems");
  const double cpu_eval = time_evaluation(cpu, ex.net, problem, plan, cpu_cues, settings.repeats);
  const double copy_cpu = bench::cpu_copy_bandwidth();
  progress("CPU: solving " + std::to_string(settings.cpu_problems) + " problems");
  SolveClock cpu_clock;
  const auto cpu_solution =
      solve_control_batch(ex.net, problem, cpu_cues, cpu, solve, {}, cpu_clock.callback());
  const double cpu_solve = seconds_since(cpu_clock.start);
  const auto cpu_outcomes = classify_outcomes(ex.net, problem, cpu_solution, cpu_engine);
  const double per_problem = 1.0 / static_cast<double>(settings.cpu_problems);
  double cpu_iterations = 0;
  json cpu_problems = json::array();
  for (const auto& p : cpu_solution.problems) {
    cpu_iterations += static_cast<double>(p.iterations);
    cpu_problems.push_back({{"iterations", p.iterations},
                            {"evaluations", p.evaluations},
                            {"converged", p.converged},
                            {"J", p.cost.J}});
  }
  out["cpu"] = {
      {"copy_bandwidth_bytes_per_s", copy_cpu},
      {"problems_measured", settings.cpu_problems},
      {"evaluation_seconds", cpu_eval},
      {"evaluation_seconds_per_problem", cpu_eval * per_problem},
      {"evaluation_fraction_of_copy_bandwidth",
       bytes * static_cast<double>(settings.cpu_problems) / cpu_eval / copy_cpu},
      {"evaluation_gflops", flops * static_cast<double>(settings.cpu_problems) / cpu_eval * 1e-9},
      {"solve_seconds", cpu_solve},
      {"solve_seconds_per_problem", cpu_solve * per_problem},
      {"solve_seconds_scaled_to_batch",
       cpu_solve * per_problem * static_cast<double>(settings.problems)},
      {"mean_iterations", cpu_iterations * per_problem},
      {"solve_milestones", cpu_clock.milestones},
      {"per_problem", cpu_problems},
      {"outcomes", outcome_counts(cpu_outcomes)}};

#if defined(ATTRACTOR_HAVE_CUDA)
  if (settings.gpu) {
    try {
      if (cuda::device_count() == 0) throw std::runtime_error("no CUDA device");
      const auto info = cuda::device_info(0);
      out["device"] = bench::device_json(info);
      const double copy_gpu = bench::gpu_copy_bandwidth();
      cuda::CudaControlBatch gpu;
      progress("GPU: one evaluation of " + std::to_string(settings.problems) + " problems");
      const double gpu_eval =
          time_evaluation(gpu, ex.net, problem, plan, batch_cues, settings.repeats);
      progress("GPU: solving " + std::to_string(settings.problems) + " problems");
      SolveClock gpu_clock;
      const auto gpu_solution =
          solve_control_batch(ex.net, problem, batch_cues, gpu, solve, {}, gpu_clock.callback());
      const double gpu_solve = seconds_since(gpu_clock.start);
      double iterations = 0, max_iterations = 0;
      Index converged = 0;
      for (const auto& p : gpu_solution.problems) {
        iterations += static_cast<double>(p.iterations);
        max_iterations = std::max(max_iterations, static_cast<double>(p.iterations));
        converged += p.converged;
      }
      // The outcomes of the CPU's subset, classified on the GPU engine: they must agree.
      BatchSolution subset = gpu_solution;
      subset.problems.resize(static_cast<std::size_t>(settings.cpu_problems));
      cuda::CudaEngine gpu_engine(core::Precision::Float64);
      const auto gpu_outcomes = classify_outcomes(ex.net, problem, subset, gpu_engine);
      Index agree = 0;
      double J_difference = 0.0;
      for (Index b = 0; b < settings.cpu_problems; ++b) {
        agree += gpu_outcomes[b].outcome == cpu_outcomes[b].outcome;
        const double J = cpu_solution.problems[b].cost.J;
        J_difference = std::max(
            J_difference, std::fabs(gpu_solution.problems[b].cost.J - J) / std::max(J, 1e-300));
      }
      const double B = static_cast<double>(settings.problems);
      out["gpu"] = {{"copy_bandwidth_bytes_per_s", copy_gpu},
                    {"problems_per_launch", gpu.problems_per_launch()},
                    {"evaluation_seconds", gpu_eval},
                    {"evaluation_seconds_per_problem", gpu_eval / B},
                    {"evaluation_fraction_of_copy_bandwidth", bytes * B / gpu_eval / copy_gpu},
                    {"evaluation_gflops", flops * B / gpu_eval * 1e-9},
                    {"solve_seconds", gpu_solve},
                    {"solve_milestones", gpu_clock.milestones},
                    {"mean_iterations", iterations / B},
                    {"max_iterations", max_iterations},
                    {"converged", converged},
                    {"subset_outcomes_agree", agree},
                    {"subset_max_relative_J_difference", J_difference}};
      out["speedup_evaluation_vs_cpu"] = cpu_eval * per_problem * B / gpu_eval;
      out["speedup_solve_vs_cpu"] = cpu_solve * per_problem * B / gpu_solve;
    } catch (const std::exception& e) {
      progress(std::string("GPU part failed: ") + e.what());
      out["gpu_error"] = e.what();
    }
  }
#endif
  std::cout << out.dump(2) << '\n';
  return 0;
} catch (const std::exception& e) {
  // A bad option value (std::stoll) or a failed run: one line and status 1, not std::terminate.
  std::cerr << "attractor_bench_control: " << e.what() << '\n';
  return 1;
}
