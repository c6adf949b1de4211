#pragma once
#include "attractor/core/engine.hpp"
#include "attractor/core/stepper.hpp"

namespace attractor::core {

// The run loop every backend shares: evolves `states` in place through `stepper` (made by the
// backend for this network, batch and options) and returns the per-state results, records and
// final observers. Engine::run implementations check inputs, make their Stepper and call this;
// the semantics they document are this function's.
//
// Synchronous steps go to the backend in chunks of 1, 2, 4, … up to kSyncChunk steps (cut at
// record steps), asynchronous sweeps in chunks of kAsyncChunk sweeps (or record_every): a backend
// may run a chunk without reporting back, so the host checks once per chunk, not once per step.
// The doubling keeps short runs (recall that ends in two or three steps) from paying for a whole
// chunk of steps after their states have stopped.
inline constexpr std::int64_t kSyncChunk = 16;
inline constexpr std::int64_t kAsyncChunk = 64;

RunResult run_dynamics(const Network& network, StateBatch& states, const RunOptions& options,
                       Stepper& stepper);

}  // namespace attractor::core
