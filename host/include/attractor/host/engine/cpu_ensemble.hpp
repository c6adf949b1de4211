#pragma once
#include "attractor/core/ensemble.hpp"

namespace attractor {

// The reference ensemble engine: each network run alone by the CPU engine (its state as a
// one-state batch, with stream_offset shifted to the network's index), so the ensemble's
// semantics are the single-network engine's by construction.
class CpuEnsembleEngine final : public core::EnsembleEngine {
 public:
  explicit CpuEnsembleEngine(core::Precision precision = core::Precision::Float64)
      : precision_(precision) {}
  std::string name() const override { return "cpu"; }
  core::RunResult run(const core::Ensemble& ensemble, core::StateBatch& states,
                      const core::RunOptions& options) override;

 private:
  core::Precision precision_;
};

}  // namespace attractor
