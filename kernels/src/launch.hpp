#pragma once
// Internal to kernels/: launching kernels with the shapes of attractor/cuda/launch_geometry.hpp,
// which computes (and tests) every grid, block and shared-memory size on the host.
#include <cuda_runtime.h>

#include <cstdint>

#include "attractor/cuda/launch_geometry.hpp"
#include "cuda_check.hpp"

namespace attractor::cuda {

inline dim3 grid_dim(const LaunchShape& shape) {
  return dim3(shape.grid[0], shape.grid[1], shape.grid[2]);
}

// The kernel's own parameter types, not deduced from the arguments: each argument converts to
// its parameter at the call site, as it would in a <<<…>>> launch.
template <class T>
struct KernelParameter {
  using type = T;
};

// kernel<<<shape>>>(args…) on `stream`, checked.
template <class... Params>
void launch_kernel(void (*kernel)(Params...), const LaunchShape& shape, cudaStream_t stream,
                   typename KernelParameter<Params>::type... args) {
  kernel<<<grid_dim(shape), shape.block, shape.shared_bytes, stream>>>(args...);
  ATTRACTOR_CUDA_CHECK(cudaGetLastError());
}

}  // namespace attractor::cuda
