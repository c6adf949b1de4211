#pragma once
// The observers every backend reports the same way: energies, overlaps, per-state records and
// the final per-state results. Backends hand over host copies of x (s, or V = g(u)), T x and the
// state; everything computed from them is defined once, here.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "attractor/core/engine.hpp"
#include "attractor/core/network.hpp"

namespace attractor::core {

// What the observers need of a network: N, the effective bias b = h − a, the activation. It reads
// the network's bias in place (the network outlives every run): a million-neuron run holds no
// per-neuron copy of it.
struct ObservedNetwork {
  explicit ObservedNetwork(const Network& network)
      : n(network.size()), activation(network.activation), network_(&network) {}
  std::int64_t n;
  Activation activation;
  double b(std::int64_t i) const { return network_->effective_bias(i); }

  // Discrete:   E(s) = −½ sᵀ T s − bᵀ s.
  // Continuous: E(u) = −½ Vᵀ T V − bᵀ V + Σ_i G(V_i), V = g(u)   (Hopfield 1984).
  // `x` holds s or V, `tx` holds T x, and `u` the continuous state (null for discrete).
  double energy(const double* x, const double* tx, const double* u) const;

 private:
  const Network* network_;
};

// Throws InputError for anything an engine cannot run: an invalid network or options, states of
// the wrong size or with NaN/Inf, non-±1 states for discrete dynamics, a sign activation for
// continuous ones, patterns of the wrong size, too many random streams.
void check_run_inputs(const Network& network, const StateBatch& states, const RunOptions& options);

// Collects per-state records at steps 0, K, 2K, ... and assembles them, padding states that
// stopped early with their last values, into the R × B (× P or N) arrays of Recording.
class Recorder {
 public:
  Recorder(const ObservedNetwork& network, const RunOptions& options, std::int64_t batch,
           bool continuous, bool energy_defined);

  bool enabled() const { return options_.record_every > 0; }
  bool due(std::int64_t step) const { return enabled() && step % options_.record_every == 0; }

  // x: s or V = g(u) for state b; tx: T x (read only when the energy is defined); state: s or u,
  // the state as the engine holds it.
  void record(std::int64_t b, double time, const double* x, const double* tx, const double* state);
  // The state's final values, which stand in for every record after it stopped.
  void finish(std::int64_t b, double time, const double* x, const double* tx, const double* state);
  Recording assemble() const;

 private:
  struct Values {
    std::vector<double> time, energy, overlaps, states;
  };
  struct PerState {
    Values records, last;
  };
  void append(Values& to, double time, const double* x, const double* tx, const double* state);

  const ObservedNetwork& network_;
  const RunOptions& options_;
  bool continuous_;
  bool energy_defined_;
  std::vector<PerState> per_state_;
};

// Appends m^μ(x) for every pattern μ.
void append_overlaps(const PatternSet& patterns, const double* x, std::vector<double>& out);

// The final observers of a run whose per-state outcomes and steps are set: energy, overlaps,
// matched pattern, time (discrete: steps), neuron updates, and the recorder's final values.
// x, tx: B × N host arrays as for Recorder::record (tx may be empty when the energy is not
// defined); states: the final states.
void finish_run(const ObservedNetwork& network, const RunOptions& options, const double* x,
                const double* tx, const StateBatch& states, Recorder& recorder, RunResult& out);

// The progress callback is user code and need not be thread-safe: engines call this only from
// the calling thread.
inline void report_progress(const RunOptions& options, std::int64_t done, std::int64_t total) {
  if (options.progress) options.progress(done, total);
}

// Progress of continuous dynamics from its slowest running state (results[b].time and .steps are
// kept current for every state): in time (per mille of t_end) when the run ends at a time, else
// in steps.
inline void report_continuous_progress(const RunOptions& options,
                                       const std::vector<std::int64_t>& active,
                                       const std::vector<StateResult>& results) {
  if (!options.progress) return;
  double t = options.t_end;
  std::int64_t steps = options.max_steps;
  for (const std::int64_t b : active) {
    t = std::min(t, results[static_cast<std::size_t>(b)].time);
    steps = std::min(steps, results[static_cast<std::size_t>(b)].steps);
  }
  if (options.t_end < std::numeric_limits<double>::infinity()) {
    report_progress(options, static_cast<std::int64_t>(1000.0 * t / options.t_end), 1000);
  } else {
    report_progress(options, steps, options.max_steps);
  }
}

}  // namespace attractor::core
