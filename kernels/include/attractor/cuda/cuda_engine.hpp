#pragma once
// The CUDA engine, behind a C++-only interface (no CUDA types), so that code including it builds
// with any C++17 compiler. Compiled in only when the build has CUDA (ATTRACTOR_HAVE_CUDA).
#include <string>

#include "attractor/core/engine.hpp"

namespace attractor::cuda {

// The same engine as attractor::CpuEngine — the same semantics, documented there, for every storage
// (dense, CSR, factored) and every dynamics — run on one GPU. What differs, and why it cannot
// change an outcome beyond rounding:
// - Arithmetic is `precision` (float32 by default). Fields of discrete dynamics are rounded sums,
//   so a field within rounding of 0 may take the other sign than in float64; with weights whose
//   products and partial sums are exact in the precision (small multiples of a power of two,
//   and every factored network: its fields are integer sums, accumulated in float64) the two
//   engines agree state for state.
// - Asynchronous dynamics are the CPU's, not an approximation of them: every state is one thread
//   block that updates its neurons one at a time in the same seeded order (Fisher–Yates keyed by
//   seed, state and sweep); the block parallelizes each neuron's field, not the sweep.
// - Reductions (norms, energies, Dormand–Prince errors) are deterministic: a fixed tree per
//   state, so a rerun reproduces every bit.
// Device memory: the weights, 2–12 copies of the batch (by integrator) and, for continuous
// dynamics, max_period + 1 section points per state. A problem that does not fit is refused
// before any work with OutOfDeviceMemory saying the bytes needed and free.
class CudaEngine final : public core::Engine {
 public:
  explicit CudaEngine(core::Precision precision = core::Precision::Float32, int device = 0);
  std::string name() const override { return "cuda"; }
  core::Precision precision() const { return precision_; }
  core::RunResult run(const core::Network& network, core::StateBatch& states,
                      const core::RunOptions& options) override;

 private:
  core::Precision precision_;
  int device_;
};

}  // namespace attractor::cuda
