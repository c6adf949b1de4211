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

}  // namespace attractor::core
