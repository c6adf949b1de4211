#pragma once
// What the GPU benchmark programs share (CUDA builds only): the device description and the copy
// bandwidth every memory-bound kernel is measured against.
#include <nlohmann/json.hpp>
#include <string>

#include "attractor/cuda/device.hpp"

namespace attractor::bench {

constexpr std::size_t kCopyBufferBytes = std::size_t{1} << 30;  // 1 GiB, far beyond any L2
constexpr int kCopyRepeats = 10;

inline nlohmann::json device_json(const cuda::DeviceInfo& info) {
  return {{"index", info.index},
          {"name", info.name},
          {"compute_capability", std::to_string(info.major) + "." + std::to_string(info.minor)},
          {"multiprocessors", info.multiprocessors},
          {"memory_bytes", info.total_bytes},
          {"free_bytes", info.free_bytes},
          {"l2_cache_bytes", info.l2_cache_bytes},
          {"memory_bus_width_bits", info.memory_bus_width_bits},
          {"peak_bandwidth_bytes_per_s", info.peak_bandwidth_bytes_per_s()},
          {"peak_fp32_flops", info.peak_fp32_flops()}};
}

// Device-to-device copy bandwidth of device 0 (read + write), median of kCopyRepeats copies.
inline double gpu_copy_bandwidth() {
  return cuda::measure_copy_bandwidth(kCopyBufferBytes, kCopyRepeats);
}

}  // namespace attractor::bench
