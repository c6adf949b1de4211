#pragma once
// The CUDA ensemble engine, behind a C++-only interface (no CUDA types).
#include <string>

#include "attractor/core/ensemble.hpp"

namespace attractor::cuda {

// Many small networks on one GPU: one thread block per network, its state in shared memory (and
// its weights too when they fit), many steps fused in one launch, each network stopping on its
// own. Same semantics as core::EnsembleEngine documents (each network as the single-network
// engines would run it alone); arithmetic in `precision`.
class CudaEnsembleEngine final : public core::EnsembleEngine {
 public:
  explicit CudaEnsembleEngine(core::Precision precision = core::Precision::Float32, int device = 0);
  std::string name() const override { return "cuda"; }
  core::RunResult run(const core::Ensemble& ensemble, core::StateBatch& states,
                      const core::RunOptions& options) override;

 private:
  core::Precision precision_;
  int device_;
};

}  // namespace attractor::cuda
