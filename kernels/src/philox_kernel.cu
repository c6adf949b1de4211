// The first kernel: Philox uniforms drawn on the device, to prove host and device agree bit for
// bit (see philox_uniform_on_device in attractor/cuda/device.hpp).
#include <cuda_runtime.h>

#include <cstdint>
#include <vector>

#include "attractor/core/philox.hpp"
#include "attractor/cuda/device.hpp"
#include "cuda_check.hpp"
#include "device_buffer.hpp"
#include "launch.hpp"

namespace attractor::cuda {

namespace {

// Thread mapping: a 1-D grid-stride loop; thread t of the grid owns indices t, t + G, t + 2G, …
// (G = threads in the grid), so consecutive threads write consecutive doubles (coalesced).
// Bytes moved: 8 written per index, nothing read — Philox is ~10 multiply rounds of pure
// arithmetic per draw, so this kernel is compute-bound, not memory-bound.
__global__ void philox_uniform_kernel(core::CounterRng rng, core::RngPurpose purpose,
                                      std::uint32_t stream, std::uint64_t count, double* out) {
  const std::uint64_t grid = static_cast<std::uint64_t>(gridDim.x) * blockDim.x;
  for (std::uint64_t i = static_cast<std::uint64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < count; i += grid) {
    out[i] = rng.uniform(purpose, stream, i);
  }
}

}  // namespace

std::vector<double> philox_uniform_on_device(std::uint64_t seed, core::RngPurpose purpose,
                                             std::uint32_t stream, std::uint64_t count) {
  std::vector<double> host(count);  // throws std::length_error first if count cannot fit
  if (count == 0) return host;
  DeviceBuffer<double> values(count);

  int device = 0, multiprocessors = 0;
  ATTRACTOR_CUDA_CHECK(cudaGetDevice(&device));
  ATTRACTOR_CUDA_CHECK(
      cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device));
  // Enough blocks to fill every SM several times over; the grid-stride loop covers the rest.
  // The vector above holds `count` doubles, so count < 2^63.
  const LaunchShape shape =
      grid_stride_launch(static_cast<std::int64_t>(count), kThreads, multiprocessors * 8);
  launch_kernel(philox_uniform_kernel, shape, nullptr, core::CounterRng{seed}, purpose, stream,
                count, values.data());
  // Same (default) stream as the launch, so the copy waits for the kernel; it also reports any
  // error the kernel raised while running.
  ATTRACTOR_CUDA_CHECK(
      cudaMemcpy(host.data(), values.data(), values.bytes(), cudaMemcpyDeviceToHost));
  return host;
}

}  // namespace attractor::cuda
