#pragma once
// The Krotov–Hopfield update on the GPU, behind a C++-only interface (no CUDA types).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attractor/core/competing_units.hpp"

namespace attractor::cuda {

// core::CompetingUnitsStep in device memory, float32: W, the training inputs and each minibatch's
// workspace stay on the GPU; a `train` call uploads only the sample order. I comes from cuBLAS
// (no TF32); ranking, the sparse Hebbian term, the decay coefficients and the update follow the
// CPU reference (attractor::CompetingUnitsUpdate<float>) operation for operation, without fused
// multiply-adds, so the two differ only through I's summation order.
class CudaCompetingUnits final : public core::CompetingUnitsStep {
 public:
  CudaCompetingUnits(std::int64_t hidden, std::int64_t inputs, core::CompetingUnitsRule rule,
                     int device = 0);
  ~CudaCompetingUnits() override;
  CudaCompetingUnits(const CudaCompetingUnits&) = delete;
  CudaCompetingUnits& operator=(const CudaCompetingUnits&) = delete;

  std::string backend() const override { return "cuda"; }
  void set_weights(const std::vector<float>& W) override;
  std::vector<float> weights() const override;
  void load_inputs(const float* samples, std::int64_t count) override;
  void train(const std::int32_t* order, std::int64_t count, std::int64_t batch, float eps) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int device_;
};

}  // namespace attractor::cuda
