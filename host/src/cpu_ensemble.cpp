#include "attractor/host/cpu_ensemble.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <exception>

#include "attractor/core/ensemble_checks.hpp"
#include "attractor/host/cpu_engine.hpp"

namespace attractor::host {

core::RunResult CpuEnsembleEngine::run(const core::Ensemble& ensemble, core::StateBatch& states,
                                       const core::RunOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  core::check_ensemble_run(ensemble, states, options);
  const std::int64_t count = ensemble.count, n = ensemble.n;

  core::RunResult out;
  out.backend = name();
  out.states.resize(static_cast<std::size_t>(count));
  // Network e runs alone, as state 0 of a one-state batch whose random stream is the one state e
  // of a single-network batch would draw from. Networks are independent and each run is the
  // CPU engine's, so the results do not depend on how threads share them out. The inner runs
  // get no progress callback: user code is called from the calling thread only, below.
  core::RunOptions one = options;
  one.progress = nullptr;
  std::int64_t finished = 0;
  int failed = 0;  // set once `failure` holds an exception: the remaining networks are skipped
  std::exception_ptr failure;
  const auto loop_start = Clock::now();
#pragma omp parallel for schedule(dynamic, 1) firstprivate(one) if (count > 1)
  for (std::int64_t e = 0; e < count; ++e) {
    int stop;
#pragma omp atomic read
    stop = failed;
    if (stop) continue;
    try {
      core::StateBatch state(1, n);
      std::copy_n(states.state(e), n, state.state(0));
      one.stream_offset = options.stream_offset + static_cast<std::uint64_t>(e);
      const core::RunResult r = CpuEngine().run(ensemble.network(e), state, one);
      std::copy_n(state.state(0), n, states.state(e));
      out.states[e] = r.states[0];
      std::int64_t done;
#pragma omp atomic capture
      done = ++finished;
      // Progress in networks finished (a network's steps are not known until it ends).
      if (options.progress && omp_get_thread_num() == 0) options.progress(done, count);
    } catch (...) {
#pragma omp critical(attractor_cpu_ensemble_failure)
      {
        if (!failure) failure = std::current_exception();
#pragma omp atomic write
        failed = 1;
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
  out.loop_seconds = std::chrono::duration<double>(Clock::now() - loop_start).count();

  core::finish_ensemble_result(ensemble, states, out);
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace attractor::host
