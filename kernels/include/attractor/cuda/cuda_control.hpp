#pragma once
// The controlled-plasticity batch on the GPU, behind a C++-only interface (no CUDA types).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/control.hpp"

namespace attractor::cuda {

// core::ControlBatch in device memory, float64: every problem's iterate, gradient, direction and
// trial stay on the GPU, and each call launches one thread block per listed problem, which runs
// its whole forward (and adjoint) pass over every time step in one launch. The semantics are the
// CPU reference's (attractor::CpuControlBatch) with sums taken in another order, so results agree
// to rounding. Scratch for the trajectories is sized to the free memory: problems beyond what fits
// at once run in consecutive launches. A batch whose persistent vectors do not fit throws
// OutOfDeviceMemory with the bytes needed.
class CudaControlBatch final : public core::ControlBatch {
 public:
  // max_problems_per_launch > 0 caps the problems per launch below what memory allows (tests use
  // it to run a batch in several launches).
  explicit CudaControlBatch(int device = 0, std::int64_t max_problems_per_launch = 0);
  ~CudaControlBatch() override;
  CudaControlBatch(const CudaControlBatch&) = delete;
  CudaControlBatch& operator=(const CudaControlBatch&) = delete;

  std::string name() const override { return "cuda"; }
  void start(const core::ControlledNetwork& net, const core::ControlProblem& problem,
             const core::ControlPlan& plan, const std::vector<double>& u0,
             const std::vector<double>& initial_controls,
             std::vector<core::CostTerms>& costs) override;
  void directions(const std::vector<std::int64_t>& which, const std::vector<double>& alpha,
                  std::vector<core::Direction>& out) override;
  void trials(const std::vector<std::int64_t>& which, const std::vector<double>& theta,
              std::vector<core::CostTerms>& out) override;
  void accept(const std::vector<std::int64_t>& which, std::vector<core::Curvature>& out) override;
  core::ControlState read(std::int64_t p, bool with_gradient) override;

  // Problems whose trajectories fit in device memory at once (set by start()).
  std::int64_t problems_per_launch() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int device_;
  std::int64_t max_per_launch_;
};

}  // namespace attractor::cuda
