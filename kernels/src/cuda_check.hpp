#pragma once
// Internal to kernels/: the one macro that checks every CUDA runtime call.
#include <cuda_runtime.h>

#include <string>

#include "attractor/cuda/device.hpp"

namespace attractor::cuda::detail {

// Builds "<call> failed at <file>:<line>: <error string> (<error name>)".
inline std::string cuda_error_message(cudaError_t status, const char* call, const char* file,
                                      int line) {
  return std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
         cudaGetErrorString(status) + " (" + cudaGetErrorName(status) + ")";
}

inline void check_cuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  // A failed call also records its error as the thread's "last error"; clear it (a no-op for
  // sticky errors, which poison the context anyway) so that a later launch check does not report
  // this failure a second time as its own.
  static_cast<void>(cudaGetLastError());
  throw CudaError(cuda_error_message(status, call, file, line));
}

}  // namespace attractor::cuda::detail

// Throws attractor::cuda::CudaError naming the call, file, line and CUDA's error string unless
// `call` returns cudaSuccess. After a kernel launch, check `cudaGetLastError()` with it: the file
// and line then name the launch.
#define ATTRACTOR_CUDA_CHECK(call) \
  ::attractor::cuda::detail::check_cuda((call), #call, __FILE__, __LINE__)

#include <cublas_v2.h>

namespace attractor::cuda::detail {

inline void check_cublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw CudaError(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                  cublasGetStatusString(status) + " (" + cublasGetStatusName(status) + ")");
}

}  // namespace attractor::cuda::detail

// The same for cuBLAS calls.
#define ATTRACTOR_CUBLAS_CHECK(call) \
  ::attractor::cuda::detail::check_cublas((call), #call, __FILE__, __LINE__)
