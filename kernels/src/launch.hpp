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

// kernel<<<shape>>>(args…) on a thread-block cluster of `cluster` blocks (along x), checked.
template <class... Params>
void launch_cluster_kernel(void (*kernel)(Params...), const LaunchShape& shape,
                           std::int64_t cluster, cudaStream_t stream,
                           typename KernelParameter<Params>::type... args) {
  cudaLaunchConfig_t config{};
  config.gridDim = grid_dim(shape);
  config.blockDim = dim3(shape.block);
  config.dynamicSmemBytes = shape.shared_bytes;
  config.stream = stream;
  cudaLaunchAttribute attribute{};
  attribute.id = cudaLaunchAttributeClusterDimension;
  attribute.val.clusterDim.x = static_cast<unsigned>(cluster);
  attribute.val.clusterDim.y = 1;
  attribute.val.clusterDim.z = 1;
  config.attrs = &attribute;
  config.numAttrs = 1;
  ATTRACTOR_CUDA_CHECK(cudaLaunchKernelEx(&config, kernel, args...));
}

// kernel<<<shape>>>(args…) on `stream`, checked.
template <class... Params>
void launch_kernel(void (*kernel)(Params...), const LaunchShape& shape, cudaStream_t stream,
                   typename KernelParameter<Params>::type... args) {
  kernel<<<grid_dim(shape), shape.block, shape.shared_bytes, stream>>>(args...);
  ATTRACTOR_CUDA_CHECK(cudaGetLastError());
}

}  // namespace attractor::cuda
