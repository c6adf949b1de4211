#include "attractor/host/engine/cpu_ensemble.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <exception>

#include "attractor/core/ensemble_checks.hpp"
#include "attractor/host/engine/cpu_engine.hpp"

namespace attractor {

namespace {

// Network e runs alone, as state 0 of a one-state batch whose random stream is the one state e
// of a single-network batch would draw from — the CPU engine's own run loop, so one chunk holds
// the whole budget. Networks are independent, so the results do not depend on how threads share
// them out.
class CpuEnsembleStepper final : public core::EnsembleStepper {
 public:
  CpuEnsembleStepper(const core::Ensemble& ensemble, const core::StateBatch& states,
                     const core::RunOptions& options, core::Precision precision)
      : ensemble_(ensemble), states_(states), options_(options), precision_(precision) {}

  std::int64_t chunk() const override { return options_.max_steps; }

  void advance(std::int64_t until, std::vector<core::StateResult>& results) override {
    const std::int64_t count = ensemble_.count, n = ensemble_.n;
    // The inner runs get no progress callback: user code is called from the calling thread
    // only, below, in networks finished (a network's steps are not known until it ends).
    core::RunOptions one = options_;
    one.progress = nullptr;
    one.max_steps = until;
    std::int64_t finished = 0;
    int failed = 0;  // set once `failure` holds an exception: the remaining networks are skipped
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1) firstprivate(one) if (count > 1)
    for (std::int64_t e = 0; e < count; ++e) {
      int stop;
#pragma omp atomic read
      stop = failed;
      if (stop) continue;
      try {
        core::StateBatch state(1, n);
        std::copy_n(states_.state(e), n, state.state(0));
        one.stream_offset = options_.stream_offset + static_cast<std::uint64_t>(e);
        const core::RunResult r = CpuEngine(precision_).run(ensemble_.network(e), state, one);
        std::copy_n(state.state(0), n, states_.state(e));
        results[e] = r.states[0];
        std::int64_t done;
#pragma omp atomic capture
        done = ++finished;
        if (options_.progress && omp_get_thread_num() == 0) options_.progress(done, count);
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
  }

  void store(core::StateBatch& states) override { states.values = states_.values; }

 private:
  const core::Ensemble& ensemble_;
  core::StateBatch states_;
  const core::RunOptions& options_;
  core::Precision precision_;
};

}  // namespace

core::RunResult CpuEnsembleEngine::run(const core::Ensemble& ensemble, core::StateBatch& states,
                                       const core::RunOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  core::check_ensemble_run(ensemble, states, options);
  CpuEnsembleStepper stepper(ensemble, states, options, precision_);
  core::RunResult out = core::run_ensemble(ensemble, states, options, stepper);
  out.backend = name();
  out.precision = precision_;
  out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace attractor
