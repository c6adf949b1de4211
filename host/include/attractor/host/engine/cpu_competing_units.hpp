#pragma once
// The CPU backend of core::CompetingUnitsStep: minibatches gathered in the given order and
// updated by the reference update (learning/competing_units.hpp) in float32, the precision of
// every backend of this step.
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/competing_units.hpp"
#include "attractor/host/learning/competing_units.hpp"

namespace attractor {

class CpuCompetingUnits final : public core::CompetingUnitsStep {
 public:
  CpuCompetingUnits(std::int64_t hidden, std::int64_t inputs, core::CompetingUnitsRule rule);
  std::string backend() const override { return "cpu"; }
  void set_weights(const std::vector<float>& W) override;
  std::vector<float> weights() const override { return W_; }
  void load_inputs(const float* samples, std::int64_t count) override;
  void train(const std::int32_t* order, std::int64_t count, std::int64_t batch, float eps) override;

 private:
  std::int64_t hidden_, inputs_;
  CompetingUnitsUpdate<float> update_;
  std::vector<float> W_, minibatch_;
  const float* samples_ = nullptr;
  std::int64_t sample_count_ = 0;
};

}  // namespace attractor
