// Row-partitioned steps across MPI processes: the synchronous step s ← sign(T s + b) (B = 1 and
// B = 16) and an RK4 step of du/dt = T tanh(u) − u on the CSR network of bench/cpu_step.cpp,
// through CpuEngine(Processes) — each process computing its block of rows, the fields exchanged
// every multiplication. Also times the exchange alone (an allgather of the same N × B doubles),
// which with the step time gives the compute/communication split. Run under mpiexec; prints one
// JSON object from the first process. --export DIR writes the matrix for bench/peer_scipy.py.
#include <omp.h>

#include <algorithm>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/engine/processes.hpp"
#include "bench_common.hpp"

using namespace attractor;
using bench::Clock;
using bench::median;
using bench::seconds_since;

namespace {

// Seconds per step of the slowest process (its stepping loop): the median over repeats after a
// warm-up.
double time_steps(const Processes& processes, const core::Network& net,
                  const core::RunOptions& options, std::int64_t batch, int repeats,
                  bool continuous) {
  CpuEngine engine(processes);
  std::vector<double> per_step;
  for (int r = 0; r <= repeats; ++r) {
    auto states = continuous ? bench::random_uniform_states(batch, net.size(), 0.5, 42)
                             : bench::random_states(batch, net.size(), 42);
    const auto result = engine.run(net, states, options);
    // The stepping loop alone: every process repeats the checks before it (symmetry, finiteness),
    // which would otherwise hide the steps' scaling.
    const double seconds = processes.max(result.loop_seconds);
    std::int64_t steps = 0;
    for (const auto& s : result.states) steps = std::max(steps, s.steps);
    if (r > 0) per_step.push_back(seconds / static_cast<double>(steps));
  }
  return median(per_step);
}

// One exchange of N × m fields as the engine makes it, alone.
double time_exchange(const Processes& processes, std::int64_t n, std::int64_t m) {
  std::vector<double> data(static_cast<std::size_t>(n * m), 1.0);
  std::vector<std::int64_t> counts, displs;
  for (int r = 0; r < processes.size(); ++r) {
    const Share s = share_of(n, r, processes.size());
    counts.push_back(s.size() * m);
    displs.push_back(s.begin * m);
  }
  std::vector<double> times;
  for (int r = 0; r < 21; ++r) {
    const auto start = Clock::now();
    processes.allgather(data.data(), counts, displs);
    times.push_back(processes.max(seconds_since(start)));
  }
  times.erase(times.begin());
  return median(times);
}

// One process's part of the benchmark; main() stops every process when one fails.
int run(const Processes& processes, int argc, char** argv) {
  bench::BenchArgs args;
  const int exit_code = bench::parse_bench_args(
      argc, argv, args, "usage: mpiexec -n P attractor_bench_ranks [--quick] [--export DIR]\n",
      processes.root());
  if (exit_code >= 0) return exit_code;
  const bool quick = args.quick;
  const std::string& export_dir = args.export_dir;
  const std::int64_t n = quick ? 20'000 : 200'000, k = 50;
  core::Network net;
  net.weights = bench::random_csr(n, k, 1.0, 7);
  const auto& csr = std::get<core::CsrMatrix<double>>(net.weights);
  const int repeats = quick ? 2 : 5;

  nlohmann::json cases = nlohmann::json::array();
  const auto add = [&](const char* name, std::int64_t batch, int multiplications,
                       const core::RunOptions& options, bool continuous) {
    const double t = time_steps(processes, net, options, batch, repeats, continuous);
    const double exchange = processes.size() > 1 ? time_exchange(processes, n, batch) : 0.0;
    // What one process receives per step: every other process's rows of the fields (it keeps
    // n / P whole rows itself).
    const std::int64_t own_rows = n / processes.size();
    const double received = 8.0 * static_cast<double>(batch) * static_cast<double>(n - own_rows) *
                            multiplications * (processes.size() > 1 ? 1.0 : 0.0);
    cases.push_back(
        {{"name", name},
         {"n", n},
         {"synapses", csr.nnz()},
         {"batch", batch},
         {"seconds_per_step", t},
         {"exchanges_per_step", multiplications},
         {"exchange_seconds_per_step", exchange * multiplications},
         {"bytes_received_per_process_per_step", received},
         {"synaptic_events_per_s", static_cast<double>(batch * csr.nnz() * multiplications) / t}});
  };
  core::RunOptions sync;
  sync.dynamics = core::Dynamics::DiscreteSync;
  sync.max_steps = quick ? 5 : 20;
  sync.max_period = 1;  // only fixed points stop a state; this network has none
  add("csr_sync_step", 1, 1, sync, false);
  add("csr_sync_step", 16, 1, sync, false);
  core::RunOptions rk4;
  rk4.dynamics = core::Dynamics::Continuous;
  rk4.integrator = core::Integrator::RK4;
  rk4.dt = 0.01;
  rk4.max_steps = quick ? 3 : 10;
  rk4.max_period = 1;
  rk4.tol = 1e-12;  // far below any |du/dt| this wandering network reaches: every step taken
  net.activation = {core::ActivationKind::Tanh, 1.0};
  add("csr_rk4_step", 1, 4, rk4, true);

  if (!export_dir.empty() && processes.root()) bench::export_csr(export_dir, csr);
  if (processes.root()) {
    std::cout << nlohmann::json{{"benchmark", "ranks_step"},
                                {"processes", processes.size()},
                                {"threads_per_process", omp_get_max_threads()},
                                {"mpi", Processes::built_with_mpi()},
                                {"cases", cases}}
                     .dump(2)
              << '\n';
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Processes processes(argc, argv);
  try {
    return run(processes, argc, argv);
  } catch (const std::exception& e) {
    // One line, and every process stopped: the others would wait for this one for ever.
    std::cerr << "attractor_bench_ranks: failed on process " << processes.rank() << ": " << e.what()
              << '\n';
    processes.abort(1);
  }
}
