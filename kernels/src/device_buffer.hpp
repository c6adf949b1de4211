#pragma once
// Internal to kernels/: the one owner of device and pinned host memory. Nothing else calls
// cudaMalloc/cudaFree or cudaMallocHost/cudaFreeHost.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "cuda_check.hpp"

namespace attractor::cuda {

// Where a buffer lives: global memory of the current device, or page-locked host memory (which
// the copy engines read and write directly, so copies to and from it are truly asynchronous).
struct DeviceMemory {
  static cudaError_t allocate(void** ptr, std::size_t bytes) { return cudaMalloc(ptr, bytes); }
  static cudaError_t release(void* ptr) { return cudaFree(ptr); }
  static constexpr bool on_device = true;
  static constexpr const char* kFree = "cudaFree";
};
struct PinnedMemory {
  static cudaError_t allocate(void** ptr, std::size_t bytes) { return cudaMallocHost(ptr, bytes); }
  static cudaError_t release(void* ptr) { return cudaFreeHost(ptr); }
  static constexpr bool on_device = false;
  static constexpr const char* kFree = "cudaFreeHost";
};

// `count` elements of T in `Memory`, uninitialized; move-only, freed on destruction. Device
// allocation failure for want of memory throws OutOfDeviceMemory with the bytes requested and
// free; any other failure throws CudaError.
template <class T, class Memory = DeviceMemory>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    if (count == 0) return;
    if (count > std::numeric_limits<std::size_t>::max() / sizeof(T)) {
      throw std::length_error("DeviceBuffer: " + std::to_string(count) + " elements of " +
                              std::to_string(sizeof(T)) + " bytes overflow size_t");
    }
    const std::size_t bytes = count * sizeof(T);
    void* ptr = nullptr;
    const cudaError_t status = Memory::allocate(&ptr, bytes);
    if (status == cudaErrorMemoryAllocation && Memory::on_device) {
      static_cast<void>(cudaGetLastError());  // not sticky: clear it, the exception reports it
      std::size_t bytes_free = 0, bytes_total = 0;
      ATTRACTOR_CUDA_CHECK(cudaMemGetInfo(&bytes_free, &bytes_total));
      throw OutOfDeviceMemory(bytes, bytes_free, bytes_total);
    }
    ATTRACTOR_CUDA_CHECK(status);
    data_ = static_cast<T*>(ptr);
  }
  ~DeviceBuffer() { release(); }

  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return count_; }
  std::size_t bytes() const noexcept { return count_ * sizeof(T); }

 private:
  void release() noexcept {
    if (data_ == nullptr) return;
    const cudaError_t status = Memory::release(data_);
    data_ = nullptr;
    // A destructor cannot throw. cudaFree fails only when the context is already broken (an
    // earlier sticky error, which the next checked call reports) or, for a buffer destroyed at
    // process exit, when the runtime has already unloaded; say so rather than stay silent.
    if (status != cudaSuccess && status != cudaErrorCudartUnloading) {
      std::fprintf(stderr, "attractor: %s failed in ~DeviceBuffer: %s\n", Memory::kFree,
                   cudaGetErrorString(status));
    }
  }

  T* data_ = nullptr;
  std::size_t count_ = 0;
};

// Page-locked host staging for the small per-chunk downloads.
template <class T>
using PinnedBuffer = DeviceBuffer<T, PinnedMemory>;

}  // namespace attractor::cuda
