#include "attractor/host/engine/cpu_competing_units.hpp"

#include <algorithm>

#include "attractor/core/error.hpp"

namespace attractor {

CpuCompetingUnits::CpuCompetingUnits(std::int64_t hidden, std::int64_t inputs,
                                     core::CompetingUnitsRule rule)
    : hidden_(hidden), inputs_(inputs), update_(hidden, inputs, rule),
      W_(static_cast<std::size_t>(hidden * inputs), 0.0f) {}

void CpuCompetingUnits::set_weights(const std::vector<float>& W) {
  core::require(static_cast<std::int64_t>(W.size()) == hidden_ * inputs_, "weights",
                "expected H × D = " + std::to_string(hidden_ * inputs_) + " entries, got " +
                    std::to_string(W.size()));
  core::require(core::all_finite(W), "weights", "contain NaN or Inf");
  W_ = W;
}

void CpuCompetingUnits::load_inputs(const float* samples, std::int64_t count) {
  core::require(count > 0, "inputs", "need at least one sample");
  samples_ = samples;
  sample_count_ = count;
}

void CpuCompetingUnits::train(const std::int32_t* order, std::int64_t count, std::int64_t batch,
                              float eps) {
  core::require(samples_ != nullptr, "competing units", "load_inputs must come before train");
  core::require(batch > 0, "batch", "must be positive");
  minibatch_.resize(static_cast<std::size_t>(batch * inputs_));
  for (std::int64_t start = 0; start < count; start += batch) {
    const std::int64_t size = std::min(batch, count - start);
    for (std::int64_t b = 0; b < size; ++b) {
      const std::int32_t sample = order[start + b];
      core::require(sample >= 0 && sample < sample_count_, "order",
                    "sample index " + std::to_string(sample) + " out of range");
      std::copy_n(samples_ + sample * inputs_, inputs_, minibatch_.data() + b * inputs_);
    }
    update_(W_.data(), minibatch_.data(), size, eps);
  }
}

}  // namespace attractor
