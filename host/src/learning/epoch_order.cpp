#include "attractor/host/learning/epoch_order.hpp"

#include "attractor/core/discrete.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"

namespace attractor {

std::vector<std::int32_t> epoch_order(std::int64_t samples, std::uint64_t seed,
                                      std::int64_t epoch) {
  core::require(samples > 0 && samples < (std::int64_t{1} << 31), "samples",
                "must lie in [1, 2^31)");
  core::require(epoch >= 0 && epoch < (std::int64_t{1} << 32), "epoch", "must lie in [0, 2^32)");
  const core::CounterRng rng{seed};
  std::vector<std::uint32_t> order(static_cast<std::size_t>(samples)), partner(order.size());
  for (std::int64_t pos = 1; pos < samples; ++pos) {
    partner[pos] = rng.below(core::RngPurpose::MinibatchOrder, static_cast<std::uint32_t>(epoch),
                             static_cast<std::uint64_t>(pos), static_cast<std::uint32_t>(pos + 1));
  }
  core::apply_swaps(order.data(), partner.data(), samples);
  return {order.begin(), order.end()};
}

}  // namespace attractor
