#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/enum_names.hpp"
#include "attractor/core/network.hpp"
#include "attractor/core/progress.hpp"
#include "attractor/core/state_batch.hpp"

namespace attractor::core {

// Discrete dynamics update s_i ← sign(f_i) (discrete-*) or by Glauber's heat bath at a
// temperature (glauber: asynchronous sweeps, Glauber's single-spin dynamics; glauber-sync: every
// neuron at once, Little's dynamics). Continuous dynamics integrate du/dt = T g(u) − u + b.
enum class Dynamics { DiscreteSync, DiscreteAsync, GlauberSync, GlauberAsync, Continuous };
constexpr NameTable<Dynamics, 5> enum_names(Dynamics) {
  return {"dynamics",
          {{{Dynamics::DiscreteSync, "discrete-sync"},
            {Dynamics::DiscreteAsync, "discrete-async"},
            {Dynamics::GlauberSync, "glauber-sync"},
            {Dynamics::GlauberAsync, "glauber"},
            {Dynamics::Continuous, "continuous"}}}};
}
enum class Integrator { Euler, RK4, Dopri5 };
constexpr NameTable<Integrator, 3> enum_names(Integrator) {
  return {
      "integrator",
      {{{Integrator::Euler, "euler"}, {Integrator::RK4, "rk4"}, {Integrator::Dopri5, "dopri5"}}}};
}
enum class Outcome { FixedPoint, LimitCycle, Wandering };
constexpr NameTable<Outcome, 3> enum_names(Outcome) {
  return {"outcome",
          {{{Outcome::FixedPoint, "fixed_point"},
            {Outcome::LimitCycle, "limit_cycle"},
            {Outcome::Wandering, "wandering"}}}};
}
// Arithmetic of a backend's weights and states, on either backend: float32 (the fast path: half
// the bytes per synapse and per state) or float64 (the reference arithmetic, for checks and for
// dynamics that need it). Each engine documents where it accumulates in more than this.
enum class Precision { Float32, Float64 };
constexpr NameTable<Precision, 2> enum_names(Precision) {
  return {"precision", {{{Precision::Float32, "float32"}, {Precision::Float64, "float64"}}}};
}

// How to evolve a batch. "Step" means one synchronous update, one asynchronous sweep (each neuron
// once, in a fresh seeded random order), or one accepted integrator step.
struct RunOptions {
  Dynamics dynamics = Dynamics::DiscreteSync;
  Integrator integrator = Integrator::RK4;
  double dt = 0.05;  // fixed step (Euler, RK4); first trial step (Dopri5)
  std::int64_t max_steps = 1000;
  double t_end = std::numeric_limits<double>::infinity();  // continuous: stop at this time
  double tol = 1e-6;   // continuous fixed point: ‖du/dt‖₂ ≤ tol
  double rtol = 1e-6;  // Dopri5 local error control
  double atol = 1e-9;
  int max_period = 32;  // longest cycle looked for, in steps (discrete) or sections (continuous)
  double cycle_tol = 1e-4;  // continuous: section return ‖Δu‖ ≤ cycle_tol · excursion of the orbit
  double match_overlap = 0.95;  // a fixed point "is" pattern μ when its overlap m^μ ≥ this
  double temperature = 1.0;     // glauber dynamics: T > 0 in units of the fields
  std::uint64_t seed = 0;       // async order, heat-bath draws, section direction
  // State b draws its random numbers from stream stream_offset + b, so a batch split into parts
  // (across ranks, or networks of an ensemble run one by one) draws what the whole batch would.
  std::uint64_t stream_offset = 0;
  std::int64_t record_every = 0;  // record energy/overlaps (and states if record_states) every K
  bool record_states = false;
  const PatternSet* patterns = nullptr;  // for overlaps m^μ = (1/N) Σ_i ξ^μ_i x_i; may be null
  // Called from the calling thread with (steps done by the slowest state, max_steps).
  ProgressFn progress;

  // Throws InputError for out-of-range values (non-positive dt, negative steps, ...).
  void validate() const;
};

struct StateResult {
  Outcome outcome = Outcome::Wandering;
  std::int64_t steps = 0;    // steps taken, including the one that confirmed convergence
  double time = 0.0;         // continuous: integration time reached
  std::int64_t period = 0;   // limit cycle: steps (discrete) or sections (continuous) per cycle
  double period_time = 0.0;  // continuous limit cycle: period in time units
  double energy = std::numeric_limits<double>::quiet_NaN();  // final; NaN when undefined
  double residual = 0.0;              // continuous: ‖du/dt‖₂ at the final state
  std::int64_t matched_pattern = -1;  // fixed point with m^μ ≥ match_overlap, else −1
  double best_overlap = std::numeric_limits<double>::quiet_NaN();  // max_μ m^μ, when patterns
};

// Per-state records at steps 0, K, 2K, ... (K = record_every). A state that stopped early repeats
// its final values, so every state has a record at every recorded step.
struct Recording {
  std::vector<std::int64_t> steps;  // R
  std::vector<double> time;         // R × B (continuous; steps · dt for discrete)
  std::vector<double> energy;       // R × B when the energy is defined
  std::vector<double> overlaps;     // R × B × P when patterns are given
  std::vector<double> states;       // R × B × N when record_states
};

struct RunResult {
  std::vector<StateResult> states;
  std::vector<double> overlaps;  // B × P final overlaps, when patterns are given
  bool energy_defined = false;   // T symmetric (and a smooth g for continuous dynamics)
  Recording recording;
  std::string backend;
  Precision precision = Precision::Float64;  // the arithmetic of the weights and states
  double seconds = 0.0;       // the whole call: checks, uploads, dynamics, observers, downloads
  double loop_seconds = 0.0;  // the run loop after the states are loaded: the step rate
  std::int64_t neuron_updates = 0;  // Σ_b steps_b · N (continuous: per accepted step)
};

// A backend that evolves a batch of states of one network in place. Implementations: the CPU
// reference (attractor::CpuEngine) and the CUDA engine; nothing above this interface knows which
// runs.
class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string name() const = 0;
  // `states` holds the initial states on entry and the final ones on return.
  virtual RunResult run(const Network& network, StateBatch& states, const RunOptions& options) = 0;
};

// One neuron at a time (discrete-async, glauber) rather than all at once.
inline bool is_asynchronous(Dynamics d) {
  return d == Dynamics::DiscreteAsync || d == Dynamics::GlauberAsync;
}
inline bool is_glauber(Dynamics d) {
  return d == Dynamics::GlauberSync || d == Dynamics::GlauberAsync;
}
inline bool is_discrete(Dynamics d) { return d != Dynamics::Continuous; }

}  // namespace attractor::core
