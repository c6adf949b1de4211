#pragma once
// Shares a batch of states out across processes: each runs its contiguous block of states on its
// own engine (its own GPU, or the CPU), and every process ends with every state and result, in
// batch order. State b draws the random numbers it would in one batch (RunOptions::stream_offset),
// so the results are those of one process running the whole batch wherever each state's run
// does not depend on which other states share its batch (CSR and factored weights on the CPU).
#include <memory>

#include "attractor/core/engine.hpp"
#include "attractor/host/engine/processes.hpp"

namespace attractor {

// Every process's part of a run, in process order, on every process: the per-state results and
// overlaps concatenated, the slowest process's times, the neuron updates summed, the energy
// defined where any part has it (a process with no part passes an empty result). The backend
// name is the caller's to set.
core::RunResult gather_results(const Processes& processes, const core::RunResult& mine);

class SplitBatchEngine final : public core::Engine {
 public:
  SplitBatchEngine(std::unique_ptr<core::Engine> inner, const Processes& processes);
  std::string name() const override { return inner_->name(); }
  // InputError for record_every > 0: recordings stay with the process that ran the state.
  core::RunResult run(const core::Network& network, core::StateBatch& states,
                      const core::RunOptions& options) override;

 private:
  std::unique_ptr<core::Engine> inner_;
  const Processes& processes_;
};

}  // namespace attractor
