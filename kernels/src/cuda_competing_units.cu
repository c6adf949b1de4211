#include "attractor/core/competing_units.hpp"
#include "attractor/core/error.hpp"
#include "attractor/cuda/cuda_competing_units.hpp"
#include "device_buffer.hpp"
#include "launch.hpp"
#include "reduce.cuh"
#include "resources.hpp"

namespace attractor::cuda {

namespace {

using Index = std::int64_t;

// Wp = sign(W) |W|^(p−1), one thread per entry (grid-stride): reads and writes 4 bytes each. The
// branches are attractor::competing_power's, so p = 2 and p = 3 agree with the CPU bit for bit.
__global__ void power_kernel(const float* W, float* Wp, Index size, double p) {
  const float pm1 = static_cast<float>(p - 1);
  for (Index e = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x; e < size;
       e += static_cast<Index>(gridDim.x) * blockDim.x) {
    const float w = W[e];
    Wp[e] = p == 2 ? w : p == 3 ? __fmul_rn(w, fabsf(w)) : copysignf(powf(fabsf(w), pm1), w);
  }
}

// v (batch × D) = the listed samples' rows; one thread per entry (grid-stride).
__global__ void gather_kernel(const float* samples, const std::int32_t* order, float* v,
                              Index batch, Index D) {
  for (Index e = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x; e < batch * D;
       e += static_cast<Index>(gridDim.x) * blockDim.x) {
    v[e] = samples[static_cast<Index>(order[e / D]) * D + e % D];
  }
}

using Candidate = core::RankCandidate<float>;
using RankReduction = BlockReduction<Candidate, kThreads>;
using MaxReduction = BlockReduction<float, kThreads>;

// One block per sample (sample first + blockIdx.x): k rounds of a block-wide arg-max over the
// sample's H unit inputs (I is batch × H, the sample's row contiguous, so the strided reads
// coalesce), each round over the units ranked below the previous round's winner. Writes the first
// and the k-th winner. k ≤ H rounds of H/256 reads a thread; k = 7, H = 2000 is 56 reads. The
// arg-max combines by core::RanksFirst, the CPU's order (larger I, ties to the lower index): any
// reduction tree gives the CPU's ranks bit for bit.
__global__ void __launch_bounds__(kThreads)
    rank_kernel(const float* I, Index H, int k, Index first, std::int32_t* top, std::int32_t* kth) {
  __shared__ RankReduction::TempStorage storage;
  __shared__ Candidate last;  // the previous round's winner
  const Index sample = first + blockIdx.x;
  const float* row = I + sample * H;
  constexpr Candidate none{0.0f, -1};
  if (threadIdx.x == 0) last = none;
  __syncthreads();
  for (int round = 0; round < k; ++round) {
    const Candidate previous = last;
    Candidate best = none;
    for (Index mu = threadIdx.x; mu < H; mu += blockDim.x) {
      const Candidate unit{row[mu], static_cast<std::int32_t>(mu)};
      if (previous.unit < 0 || core::ranks_before(previous, unit)) {
        best = core::RanksFirst{}(best, unit);
      }
    }
    best = RankReduction(storage).Reduce(best, core::RanksFirst{});
    if (threadIdx.x == 0) {
      last = best;
      if (round == 0) top[sample] = best.unit;
      if (round == k - 1) kth[sample] = best.unit;
    }
    __syncthreads();  // `last` is out, and thread 0 is done with `storage`
  }
}

// One block per unit μ = first + blockIdx.x, threads over its D inputs:
// dS_μi = Σ_b g_μb v_bi − c_μ W_μi with c_μ = Σ_b g_μb I_bμ, both sums in sample order (each
// thread scans the 2·batch winners, cached broadcast reads), then the block's max|dS| into
// *max_bits (non-negative floats order as their bit patterns, so an integer atomicMax is exact and
// order-free). Reads W and v once, writes dS.
__global__ void __launch_bounds__(kThreads)
    delta_kernel(const float* W, const float* v, const float* I, const std::int32_t* top,
                 const std::int32_t* kth, Index batch, Index H, Index D, Index first,
                 float minus_delta, float* dS, unsigned* max_bits) {
  __shared__ MaxReduction::TempStorage storage;
  const int mu = static_cast<int>(first + blockIdx.x);
  float c = 0.0f;
  for (Index b = 0; b < batch; ++b) {
    if (top[b] == mu)
      c = __fadd_rn(c, I[b * H + mu]);
    else if (kth[b] == mu)
      c = __fadd_rn(c, __fmul_rn(minus_delta, I[b * H + mu]));
  }
  float local_max = 0.0f;
  for (Index i = threadIdx.x; i < D; i += blockDim.x) {
    float acc = 0.0f;
    for (Index b = 0; b < batch; ++b) {
      if (top[b] == mu)
        acc = __fadd_rn(acc, v[b * D + i]);
      else if (kth[b] == mu)
        acc = __fadd_rn(acc, __fmul_rn(minus_delta, v[b * D + i]));
    }
    const float d = __fsub_rn(acc, __fmul_rn(c, W[mu * D + i]));
    dS[mu * D + i] = d;
    local_max = fmaxf(local_max, fabsf(d));
  }
  const float block_max = MaxReduction(storage).Reduce(local_max, Fmax{});
  if (threadIdx.x == 0) atomicMax(max_bits, __float_as_uint(block_max));
}

// W += (ε / max|dS|) dS, one thread per entry (grid-stride); nothing when max|dS| = 0.
__global__ void apply_kernel(float* W, const float* dS, Index size, float eps,
                             const unsigned* max_bits) {
  const float max_abs = __uint_as_float(*max_bits);
  if (max_abs == 0.0f) return;
  const float scale = __fdiv_rn(eps, max_abs);
  for (Index e = blockIdx.x * static_cast<Index>(blockDim.x) + threadIdx.x; e < size;
       e += static_cast<Index>(gridDim.x) * blockDim.x) {
    W[e] = __fadd_rn(W[e], __fmul_rn(scale, dS[e]));
  }
}

// Element-wise kernels stop growing the grid at 4096 blocks of 256 threads (a million threads,
// several waves on any current GPU); their grid-stride loops cover the rest.
LaunchShape elementwise_launch(Index size) { return grid_stride_launch(size, kThreads, 4096); }

}  // namespace

struct CudaCompetingUnits::Impl {
  Index H, D;
  core::CompetingUnitsRule rule;
  Resources resources;
  DeviceBuffer<float> W, Wp, dS, samples, v, I;
  DeviceBuffer<std::int32_t> order, top, kth;
  DeviceBuffer<unsigned> max_bits{1};
  Index sample_count = 0, batch_capacity = 0;

  Impl(Index hidden, Index inputs, core::CompetingUnitsRule r)
      : H(hidden), D(inputs), rule(r), W(static_cast<std::size_t>(hidden * inputs)), Wp(W.size()),
        dS(W.size()) {
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(W.data(), 0, W.bytes(), resources.stream()));
  }

  void reserve_batch(Index batch) {
    if (batch <= batch_capacity) return;
    v = DeviceBuffer<float>(static_cast<std::size_t>(batch * D));
    I = DeviceBuffer<float>(static_cast<std::size_t>(batch * H));
    top = DeviceBuffer<std::int32_t>(static_cast<std::size_t>(batch));
    kth = DeviceBuffer<std::int32_t>(static_cast<std::size_t>(batch));
    batch_capacity = batch;
  }

  void update(const std::int32_t* device_order, Index batch, float eps) {
    const cudaStream_t stream = resources.stream();
    const Index size = H * D;
    launch_kernel(power_kernel, elementwise_launch(size), stream, W.data(), Wp.data(), size,
                  rule.p);
    launch_kernel(gather_kernel, elementwise_launch(batch * D), stream, samples.data(),
                  device_order, v.data(), batch, D);
    // Column-major view: I (H × batch) = Wpᵀᵀ v, i.e. Wp (row-major H × D) times v's columns.
    const float one = 1.0f, zero = 0.0f;
    ATTRACTOR_CUBLAS_CHECK(cublasSgemm(
        resources.blas(), CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(H), static_cast<int>(batch),
        static_cast<int>(D), &one, Wp.data(), static_cast<int>(D), v.data(), static_cast<int>(D),
        &zero, I.data(), static_cast<int>(H)));
    for (const LaunchSlice& slice : block_per_item_launches(batch, kThreads)) {
      launch_kernel(rank_kernel, slice.shape, stream, I.data(), H, static_cast<int>(rule.rank),
                    slice.first_item, top.data(), kth.data());
    }
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(max_bits.data(), 0, sizeof(unsigned), stream));
    for (const LaunchSlice& slice : block_per_item_launches(H, kThreads)) {
      launch_kernel(delta_kernel, slice.shape, stream, W.data(), v.data(), I.data(), top.data(),
                    kth.data(), batch, H, D, slice.first_item, static_cast<float>(-rule.delta),
                    dS.data(), max_bits.data());
    }
    launch_kernel(apply_kernel, elementwise_launch(size), stream, W.data(), dS.data(), size, eps,
                  max_bits.data());
  }
};

CudaCompetingUnits::CudaCompetingUnits(std::int64_t hidden, std::int64_t inputs,
                                       core::CompetingUnitsRule rule, int device)
    : device_(device) {
  core::require(hidden > 0 && inputs > 0, "competing units", "need H > 0 units and D > 0 inputs");
  core::require(hidden < (std::int64_t{1} << 31) && inputs < (std::int64_t{1} << 31),
                "competing units", "H and D must fit cuBLAS's 32-bit sizes");
  rule.validate(hidden);
  const DeviceGuard guard(device_);
  impl_ = std::make_unique<Impl>(hidden, inputs, rule);
}

CudaCompetingUnits::~CudaCompetingUnits() = default;

void CudaCompetingUnits::set_weights(const std::vector<float>& W) {
  core::require(static_cast<std::int64_t>(W.size()) == impl_->H * impl_->D, "weights",
                "expected H × D = " + std::to_string(impl_->H * impl_->D) + " entries, got " +
                    std::to_string(W.size()));
  core::require(core::all_finite(W), "weights", "contain NaN or Inf");
  const DeviceGuard guard(device_);
  ATTRACTOR_CUDA_CHECK(cudaMemcpyAsync(impl_->W.data(), W.data(), impl_->W.bytes(),
                                       cudaMemcpyHostToDevice, impl_->resources.stream()));
  impl_->resources.synchronize();
}

std::vector<float> CudaCompetingUnits::weights() const {
  const DeviceGuard guard(device_);
  std::vector<float> W(impl_->W.size());
  ATTRACTOR_CUDA_CHECK(cudaMemcpyAsync(W.data(), impl_->W.data(), impl_->W.bytes(),
                                       cudaMemcpyDeviceToHost, impl_->resources.stream()));
  impl_->resources.synchronize();
  return W;
}

void CudaCompetingUnits::load_inputs(const float* samples, std::int64_t count) {
  core::require(count > 0, "inputs", "need at least one sample");
  const DeviceGuard guard(device_);
  impl_->samples = DeviceBuffer<float>(static_cast<std::size_t>(count * impl_->D));
  ATTRACTOR_CUDA_CHECK(cudaMemcpyAsync(impl_->samples.data(), samples, impl_->samples.bytes(),
                                       cudaMemcpyHostToDevice, impl_->resources.stream()));
  impl_->resources.synchronize();
  impl_->sample_count = count;
}

void CudaCompetingUnits::train(const std::int32_t* order, std::int64_t count, std::int64_t batch,
                               float eps) {
  core::require(impl_->sample_count > 0, "competing units", "load_inputs must come before train");
  core::require(batch > 0 && batch <= 65535, "batch", "must lie in [1, 65535] on the GPU");
  for (std::int64_t b = 0; b < count; ++b) {
    core::require(order[b] >= 0 && order[b] < impl_->sample_count, "order",
                  "sample index " + std::to_string(order[b]) + " out of range");
  }
  const DeviceGuard guard(device_);
  impl_->order = DeviceBuffer<std::int32_t>(static_cast<std::size_t>(count));
  ATTRACTOR_CUDA_CHECK(cudaMemcpyAsync(impl_->order.data(), order,
                                       static_cast<std::size_t>(count) * sizeof(std::int32_t),
                                       cudaMemcpyHostToDevice, impl_->resources.stream()));
  impl_->reserve_batch(std::min(batch, count));
  for (std::int64_t start = 0; start < count; start += batch) {
    impl_->update(impl_->order.data() + start, std::min(batch, count - start), eps);
  }
  impl_->resources.synchronize();
}

}  // namespace attractor::cuda
