// The CUDA backend's device layer. Compiled only when the build has CUDA; each case that needs a
// GPU skips with the reason when none is present, so the suite also runs on CPU-only machines.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "attractor/core/philox.hpp"
#include "attractor/cuda/device.hpp"

namespace {

namespace cuda = attractor::cuda;
using attractor::core::CounterRng;
using attractor::core::RngPurpose;

#define ATTRACTOR_REQUIRE_CUDA_DEVICE() \
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device"

// Runs on every machine: no GPU or no driver is a configuration, not an error.
TEST(CudaDevice, CountsDevicesWithoutThrowing) {
  int count = -1;
  EXPECT_NO_THROW(count = cuda::device_count());
  EXPECT_GE(count, 0);
}

TEST(CudaDevice, DeviceInfoRejectsAMissingDevice) {
  const int count = cuda::device_count();
  EXPECT_THROW(cuda::device_info(count), std::out_of_range);
  EXPECT_THROW(cuda::device_info(-1), std::out_of_range);
}

TEST(CudaDevice, PhiloxMatchesHostBitForBit) {
  ATTRACTOR_REQUIRE_CUDA_DEVICE();
  // Not a multiple of the block size, so the tail of the grid-stride loop is exercised; both seed
  // words non-zero so both key words matter.
  constexpr std::uint64_t kCount = (1u << 20) + 3;
  struct Case {
    std::uint64_t seed;
    RngPurpose purpose;
    std::uint32_t stream;
  };
  for (const Case c : {Case{0x0123456789abcdefULL, RngPurpose::Patterns, 0},
                       Case{0xfedcba9876543210ULL, RngPurpose::AsyncOrder, 0xffffffffu}}) {
    const std::vector<double> device =
        cuda::philox_uniform_on_device(c.seed, c.purpose, c.stream, kCount);
    ASSERT_EQ(device.size(), kCount);
    const CounterRng rng{c.seed};
    std::uint64_t mismatches = 0;
    for (std::uint64_t i = 0; i < kCount; ++i) {
      const double host = rng.uniform(c.purpose, c.stream, i);
      if (device[i] != host && mismatches++ == 0) {
        ADD_FAILURE() << "first mismatch at index " << i << ": device " << device[i] << ", host "
                      << host;
      }
    }
    EXPECT_EQ(mismatches, 0u) << "seed " << c.seed;
  }
  EXPECT_TRUE(cuda::philox_uniform_on_device(1, RngPurpose::Patterns, 0, 0).empty());
}

TEST(CudaDevice, ReportsDeviceInfo) {
  ATTRACTOR_REQUIRE_CUDA_DEVICE();
  const cuda::DeviceInfo info = cuda::device_info(0);
  EXPECT_EQ(info.index, 0);
  EXPECT_FALSE(info.name.empty());
  EXPECT_GE(info.major, 1);
  EXPECT_GE(info.minor, 0);
  EXPECT_GT(info.multiprocessors, 0);
  EXPECT_GT(info.total_bytes, 0u);
  EXPECT_GT(info.free_bytes, 0u);
  EXPECT_LE(info.free_bytes, info.total_bytes);
  EXPECT_GT(info.memory_bus_width_bits, 0);
  EXPECT_GT(info.peak_bandwidth_bytes_per_s(), 0.0);
  std::cout << "[   INFO   ] " << info.name << ", sm_" << info.major << info.minor << ", "
            << info.multiprocessors << " SMs, " << (info.total_bytes >> 20) << " MiB, peak "
            << info.peak_bandwidth_bytes_per_s() / 1e9 << " GB/s\n";
}

// Rejected before any device call, so this runs on every machine.
TEST(CudaDevice, CopyBandwidthRejectsAnEmptyMeasurement) {
  EXPECT_THROW(cuda::measure_copy_bandwidth(0, 3), std::invalid_argument);
  EXPECT_THROW(cuda::measure_copy_bandwidth(1024, 0), std::invalid_argument);
}

TEST(CudaDevice, MeasuresACopyBandwidth) {
  ATTRACTOR_REQUIRE_CUDA_DEVICE();
  // 256 MiB per buffer, several times any L2, so the copy streams through DRAM. No bound against
  // the theoretical peak: memory clocks reported by the driver differ from the sustained ones.
  const double bandwidth = cuda::measure_copy_bandwidth(std::size_t{256} << 20, 3);
  EXPECT_TRUE(std::isfinite(bandwidth));
  EXPECT_GT(bandwidth, 0.0);
  std::cout << "[   INFO   ] device-to-device copy " << bandwidth / 1e9 << " GB/s (read + write)\n";
}

TEST(CudaDevice, OversizedAllocationFailsWithClearError) {
  ATTRACTOR_REQUIRE_CUDA_DEVICE();
  const cuda::DeviceInfo info = cuda::device_info(0);
  const std::size_t bytes = 2 * info.total_bytes;
  try {
    cuda::check_allocation(bytes);
    FAIL() << "allocating " << bytes << " bytes on a " << info.total_bytes
           << "-byte device did not throw";
  } catch (const cuda::OutOfDeviceMemory& e) {
    EXPECT_EQ(e.bytes_requested(), bytes);
    EXPECT_LE(e.bytes_free(), info.total_bytes);
    EXPECT_NE(std::string(e.what()).find(std::to_string(bytes)), std::string::npos) << e.what();
  }
  // The failure is not sticky: the device still allocates and runs kernels.
  EXPECT_NO_THROW(cuda::check_allocation(std::size_t{1} << 20));
  EXPECT_EQ(cuda::philox_uniform_on_device(7, RngPurpose::Weights, 2, 5).size(), 5u);
}

}  // namespace
