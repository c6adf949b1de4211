#pragma once
// The CUDA backend's device queries and the first kernel, behind a C++-only interface: nothing
// here names a CUDA type, so code that includes it compiles with any C++17 compiler. Compiled in
// only when the build has CUDA (ATTRACTOR_HAVE_CUDA); every function runs on the current device
// unless it takes a device index.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "attractor/core/philox.hpp"

namespace attractor::cuda {

// A CUDA runtime call failed. The message names the call, the source file and line, and the
// runtime's error string: "<call> failed at <file>:<line>: <error string> (<error name>)".
class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A device allocation failed for want of memory. The message says how many bytes were requested
// and how many the device had free at that moment.
class OutOfDeviceMemory : public CudaError {
 public:
  OutOfDeviceMemory(std::size_t bytes_requested, std::size_t bytes_free, std::size_t bytes_total);
  std::size_t bytes_requested() const noexcept { return bytes_requested_; }
  std::size_t bytes_free() const noexcept { return bytes_free_; }

 private:
  std::size_t bytes_requested_;
  std::size_t bytes_free_;
};

// Number of CUDA devices this process can use. 0 when there is no device or no (recent enough)
// driver — that is an expected configuration, not an error; any other runtime failure throws
// CudaError.
int device_count();

struct DeviceInfo {
  int index = 0;
  std::string name;
  int major = 0;  // compute capability major.minor, e.g. 9.0 for Hopper
  int minor = 0;
  int multiprocessors = 0;
  std::size_t total_bytes = 0;  // global memory
  std::size_t free_bytes = 0;   // free when queried
  double memory_clock_khz = 0;  // peak memory clock
  double core_clock_khz = 0;    // peak SM clock
  int memory_bus_width_bits = 0;
  std::size_t l2_cache_bytes = 0;

  // Theoretical peak DRAM bandwidth, 2 (double data rate) · clock · bus width / 8. An upper bound
  // only: benchmarks report achieved bandwidth against a measured copy, not against this.
  double peak_bandwidth_bytes_per_s() const {
    return 2.0 * memory_clock_khz * 1e3 * memory_bus_width_bits / 8.0;
  }
  // Theoretical float32 peak without tensor cores: SMs · FP32 lanes per SM · 2 (an FMA) · clock.
  // Lanes per SM: 64 on compute capability 6.0, 7.x and 8.0; 128 on 8.6, 8.9, 9.x and later.
  double peak_fp32_flops() const {
    const bool narrow = major == 7 || (major == 8 && minor == 0) || (major == 6 && minor == 0);
    return multiprocessors * (narrow ? 64.0 : 128.0) * 2.0 * core_clock_khz * 1e3;
  }
};

// Properties of device `device` (0 ≤ device < device_count(), else std::out_of_range).
// Leaves the calling thread's current device as it found it.
DeviceInfo device_info(int device);

// Allocates `bytes` on the current device and frees them again: throws OutOfDeviceMemory (with
// the byte counts) when the device cannot hold that much now. Lets a caller reject a problem that
// does not fit before any work starts, instead of failing half-way through a run.
void check_allocation(std::size_t bytes);

// Device-to-device copy bandwidth of the current device, in bytes per second counting every byte
// once read and once written (2 · bytes per copy, as STREAM's copy does): the median of `repeats`
// cudaMemcpy calls between two buffers of `bytes`, each timed with CUDA events, after one untimed
// warm-up copy. The ceiling a memory-bound kernel is measured against (benchmarks report their
// achieved bandwidth as a fraction of it). Throws std::invalid_argument when bytes is 0 or
// repeats < 1, OutOfDeviceMemory when the two buffers do not fit.
double measure_copy_bandwidth(std::size_t bytes, int repeats);

// core::CounterRng{seed}.uniform(purpose, stream, i) for i in [0, count), computed by a kernel on
// the current device and copied back. The same inline Philox code runs on host and device, so the
// result equals the host's draws bit for bit; this is the check that the two backends can be
// compared exactly. count = 0 returns an empty vector without touching the device.
std::vector<double> philox_uniform_on_device(std::uint64_t seed, core::RngPurpose purpose,
                                             std::uint32_t stream, std::uint64_t count);

}  // namespace attractor::cuda
