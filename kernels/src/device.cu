// Device queries, the allocation check and the copy-bandwidth measurement (see
// attractor/cuda/device.hpp).
#include <cuda_runtime.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "attractor/cuda/device.hpp"
#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "resources.hpp"

namespace attractor::cuda {

namespace {

std::string mib(std::size_t bytes) {
  return std::to_string(bytes / (std::size_t{1} << 20)) + " MiB";
}

int attribute(cudaDeviceAttr what, int device) {
  int value = 0;
  ATTRACTOR_CUDA_CHECK(cudaDeviceGetAttribute(&value, what, device));
  return value;
}

}  // namespace

OutOfDeviceMemory::OutOfDeviceMemory(std::size_t bytes_requested, std::size_t bytes_free,
                                     std::size_t bytes_total)
    : CudaError("out of device memory: requested " + std::to_string(bytes_requested) + " bytes (" +
                mib(bytes_requested) + "), " + std::to_string(bytes_free) + " bytes (" +
                mib(bytes_free) + ") free of " + std::to_string(bytes_total) + " bytes (" +
                mib(bytes_total) + ")"),
      bytes_requested_(bytes_requested), bytes_free_(bytes_free) {}

int device_count() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  // No GPU, or no driver (a machine with the toolkit only): the build still runs, on the CPU.
  if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver) {
    static_cast<void>(cudaGetLastError());
    return 0;
  }
  ATTRACTOR_CUDA_CHECK(status);
  return count;
}

DeviceInfo device_info(int device) {
  const int count = device_count();
  if (device < 0 || device >= count) {
    throw std::out_of_range("attractor::cuda::device_info: device " + std::to_string(device) +
                            " does not exist (" + std::to_string(count) + " CUDA devices)");
  }
  cudaDeviceProp prop{};
  ATTRACTOR_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  DeviceInfo info;
  info.index = device;
  info.name = prop.name;
  info.major = prop.major;
  info.minor = prop.minor;
  info.multiprocessors = prop.multiProcessorCount;
  info.total_bytes = prop.totalGlobalMem;
  // CUDA 13 dropped the clock fields from cudaDeviceProp; the attribute remains.
  info.memory_clock_khz = attribute(cudaDevAttrMemoryClockRate, device);
  info.core_clock_khz = attribute(cudaDevAttrClockRate, device);
  info.memory_bus_width_bits = prop.memoryBusWidth;
  info.l2_cache_bytes = static_cast<std::size_t>(prop.l2CacheSize);
  {
    const DeviceGuard guard(device);  // cudaMemGetInfo reports on the current device
    std::size_t total = 0;
    ATTRACTOR_CUDA_CHECK(cudaMemGetInfo(&info.free_bytes, &total));
  }
  return info;
}

void check_allocation(std::size_t bytes) { const DeviceBuffer<unsigned char> probe(bytes); }

double measure_copy_bandwidth(std::size_t bytes, int repeats) {
  if (bytes == 0 || repeats < 1) {
    throw std::invalid_argument("attractor::cuda::measure_copy_bandwidth: need bytes > 0 and " +
                                std::string("repeats >= 1, got bytes = ") + std::to_string(bytes) +
                                ", repeats = " + std::to_string(repeats));
  }
  DeviceBuffer<unsigned char> source(bytes), target(bytes);
  // Written once so that the copies read memory the driver has really mapped.
  ATTRACTOR_CUDA_CHECK(cudaMemset(source.data(), 1, bytes));
  std::vector<double> seconds;
  for (int r = 0; r <= repeats; ++r) {  // r = 0: the warm-up, not timed
    DeviceTimer timer;                  // events on the default stream, around the copy alone
    timer.start(nullptr);
    ATTRACTOR_CUDA_CHECK(
        cudaMemcpyAsync(target.data(), source.data(), bytes, cudaMemcpyDeviceToDevice, nullptr));
    timer.stop(nullptr);
    if (r > 0) seconds.push_back(timer.seconds());
  }
  const auto middle = seconds.begin() + static_cast<std::ptrdiff_t>(seconds.size() / 2);
  std::nth_element(seconds.begin(), middle, seconds.end());
  return 2.0 * static_cast<double>(bytes) / *middle;
}

}  // namespace attractor::cuda
