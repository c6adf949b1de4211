#pragma once
// Internal to kernels/: RAII owners of the per-run CUDA resources (stream, cuBLAS handle, events),
// passed explicitly to whatever launches work; there are no global handles.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <utility>

#include "cuda_check.hpp"

namespace attractor::cuda {

// Makes `device` current for its lifetime and restores the previous one after.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device) {
    ATTRACTOR_CUDA_CHECK(cudaGetDevice(&previous_));
    if (device != previous_) ATTRACTOR_CUDA_CHECK(cudaSetDevice(device));
  }
  ~DeviceGuard() { static_cast<void>(cudaSetDevice(previous_)); }
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = 0;
};

// A non-blocking stream and a cuBLAS handle bound to it.
class Resources {
 public:
  Resources() {
    ATTRACTOR_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    const cublasStatus_t status = cublasCreate(&blas_);
    if (status != CUBLAS_STATUS_SUCCESS) {
      static_cast<void>(cudaStreamDestroy(stream_));
      ATTRACTOR_CUBLAS_CHECK(status);
    }
    ATTRACTOR_CUBLAS_CHECK(cublasSetStream(blas_, stream_));
    // Plain IEEE arithmetic: no TF32 tensor-core rounding of float32 products.
    ATTRACTOR_CUBLAS_CHECK(cublasSetMathMode(blas_, CUBLAS_PEDANTIC_MATH));
  }
  ~Resources() {
    // Destructors cannot throw; a failure here means the context is already broken, which the
    // next checked call reports.
    if (cublasDestroy(blas_) != CUBLAS_STATUS_SUCCESS) {
      std::fprintf(stderr, "attractor: cublasDestroy failed\n");
    }
    if (cudaStreamDestroy(stream_) != cudaSuccess) {
      std::fprintf(stderr, "attractor: cudaStreamDestroy failed\n");
    }
  }
  Resources(const Resources&) = delete;
  Resources& operator=(const Resources&) = delete;

  cudaStream_t stream() const { return stream_; }
  cublasHandle_t blas() const { return blas_; }
  void synchronize() const { ATTRACTOR_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

 private:
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
};

// Accumulates device time between start() and stop() on a stream, in seconds.
class DeviceTimer {
 public:
  DeviceTimer() {
    ATTRACTOR_CUDA_CHECK(cudaEventCreate(&begin_));
    const cudaError_t status = cudaEventCreate(&end_);
    if (status != cudaSuccess) {
      static_cast<void>(cudaEventDestroy(begin_));
      ATTRACTOR_CUDA_CHECK(status);
    }
  }
  ~DeviceTimer() {
    static_cast<void>(cudaEventDestroy(begin_));
    static_cast<void>(cudaEventDestroy(end_));
  }
  DeviceTimer(const DeviceTimer&) = delete;
  DeviceTimer& operator=(const DeviceTimer&) = delete;

  void start(cudaStream_t stream) { ATTRACTOR_CUDA_CHECK(cudaEventRecord(begin_, stream)); }
  // Waits for the stream to reach the stop event and adds the interval.
  void stop(cudaStream_t stream) {
    ATTRACTOR_CUDA_CHECK(cudaEventRecord(end_, stream));
    ATTRACTOR_CUDA_CHECK(cudaEventSynchronize(end_));
    float ms = 0.0f;
    ATTRACTOR_CUDA_CHECK(cudaEventElapsedTime(&ms, begin_, end_));
    seconds_ += 1e-3 * static_cast<double>(ms);
  }
  double seconds() const { return seconds_; }

 private:
  cudaEvent_t begin_ = nullptr, end_ = nullptr;
  double seconds_ = 0.0;
};

// Copies between host vectors and device buffers on a stream, checked.
template <class T>
void upload(const T* host, T* device, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  ATTRACTOR_CUDA_CHECK(
      cudaMemcpyAsync(device, host, count * sizeof(T), cudaMemcpyHostToDevice, stream));
}
template <class T>
void download(const T* device, T* host, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  ATTRACTOR_CUDA_CHECK(
      cudaMemcpyAsync(host, device, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
}

}  // namespace attractor::cuda
