#pragma once
// What every ensemble engine shares before and after its dynamics: the input checks (so the CPU
// and CUDA engines refuse exactly the same runs with the same messages) and the final observers
// (so both report the same energies for the same final states).
#include "attractor/core/engine.hpp"
#include "attractor/core/ensemble.hpp"

namespace attractor::core {

// Throws InputError, before any work, unless the ensemble is valid, `states` holds one ±1 state
// of N neurons per network (count × N), and `options` are valid and ask for what ensemble engines
// do: discrete dynamics, no patterns (overlaps), no recording.
void check_ensemble_run(const Ensemble& ensemble, const StateBatch& states,
                        const RunOptions& options);

// Fills what follows from the final states alone, the same way for every backend: per network,
// time = steps and the energy E = −½ sᵀ T s − bᵀ s (b = h − a, in float64) when its T is exactly
// symmetric (NaN otherwise); energy_defined when every network's T is; neuron_updates = Σ steps·N.
// `result.states` must already hold one entry per network with its steps.
void finish_ensemble_result(const Ensemble& ensemble, const StateBatch& states, RunResult& result);

// What an ensemble backend supplies to run_ensemble: every network's dynamics advanced in place,
// a chunk at a time. A network ends (fixed point, limit cycle) by the rules of discrete.hpp —
// inside a fused kernel on the GPU, so the backend applies them and reports the outcome.
class EnsembleStepper {
 public:
  virtual ~EnsembleStepper() = default;
  // The most steps (sweeps) one advance takes: the backend's unit of work between host checks.
  virtual std::int64_t chunk() const = 0;
  // Runs every network that has not ended up to `until` steps (sweeps) in all, or to its end;
  // sets results[e].steps, .outcome and .period of every network.
  virtual void advance(std::int64_t until, std::vector<StateResult>& results) = 0;
  // Writes the networks' states as they are now into `states`.
  virtual void store(StateBatch& states) = 0;
};

// The run loop of every ensemble engine, after check_ensemble_run: chunks of stepper.chunk()
// steps until every network has ended or the budget is spent, progress (steps done, budget) after
// each chunk from the calling thread, then the final states and finish_ensemble_result. With no
// networks or no budget the stepper is never called.
RunResult run_ensemble(const Ensemble& ensemble, StateBatch& states, const RunOptions& options,
                       EnsembleStepper& stepper);

}  // namespace attractor::core
