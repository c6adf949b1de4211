#include "device_model.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "attractor/core/error.hpp"
#include "launch.hpp"
#include "reduce.cuh"

namespace attractor::cuda {

namespace {

using Index = std::int64_t;

// ---------------------------------------------------------------------------------------------
// CSR: Y = T X. One warp per row and up to kStates states (blockIdx.y picks the tile): the lanes
// stride the row's entries, so each pass reads 32 consecutive (value, column) pairs — coalesced,
// 8 bytes per synapse in float32 — and each pair multiplies kStates gathered state entries. A
// shuffle tree sums the lanes. Rows of a network are near-uniform in length, so warps balance.
// More tiles than grid.y holds run as slices (csr_product_launches), x and y advanced to the
// slice's first state: the slice is the same product on fewer columns.
template <class Real, int kStates>
__global__ void __launch_bounds__(kThreads)
    csr_multiply_kernel(Index n, const Index* __restrict__ row_ptr,
                        const std::int32_t* __restrict__ col, const Real* __restrict__ values,
                        const Real* __restrict__ x, Real* __restrict__ y, Index m) {
  const Index row = (static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  if (row >= n) return;  // the whole warp leaves together: the shuffles below stay full-warp
  const Index first_state = static_cast<Index>(blockIdx.y) * kStates;
  const int states = static_cast<int>(m - first_state < kStates ? m - first_state : kStates);
  Real acc[kStates];
#pragma unroll
  for (int j = 0; j < kStates; ++j) acc[j] = Real(0);
  const Index end = row_ptr[row + 1];
  for (Index k = row_ptr[row] + lane; k < end; k += kWarp) {
    const Real v = values[k];
    const Index c = col[k];
#pragma unroll
    for (int j = 0; j < kStates; ++j) {
      if (j < states) acc[j] += v * x[(first_state + j) * n + c];
    }
  }
#pragma unroll
  for (int j = 0; j < kStates; ++j) {
    Real sum = acc[j];
    for (int offset = kWarp / 2; offset > 0; offset /= 2) {
      sum += __shfl_down_sync(kFullMask, sum, offset);
    }
    if (lane == 0 && j < states) y[(first_state + j) * n + row] = sum;
  }
}

// ---------------------------------------------------------------------------------------------
// Factored, first product: sums[j P + μ] = Σ_i ξ^μ_i x_{j,i}. A block owns kPatterns patterns ×
// kStates states; thread t walks neurons i ≡ t (mod 256), reading x coalesced once for all the
// block's patterns and the pattern words as warp-wide broadcasts (32 neurons share a word). The
// pattern bits are read once per state tile: P·N/8 bytes. Accumulated in float64 — exact for ±1.
// Sliced as the CSR product (factored_overlap_launches): x and sums start at the slice's state.
template <class Real>
__global__ void __launch_bounds__(kThreads)
    overlap_sums_kernel(Index n, Index patterns, Index words, const std::uint32_t* __restrict__ xi,
                        const Real* __restrict__ x, Index m, double* __restrict__ sums) {
  constexpr int kAcc = kFactoredPatterns * kFactoredStates;
  __shared__ double scratch[kAcc][kThreads / kWarp];
  const Index first_pattern = static_cast<Index>(blockIdx.x) * kFactoredPatterns;
  const Index first_state = static_cast<Index>(blockIdx.y) * kFactoredStates;
  double acc[kFactoredPatterns][kFactoredStates] = {};
  for (Index i = threadIdx.x; i < n; i += blockDim.x) {
    double xv[kFactoredStates];
#pragma unroll
    for (int j = 0; j < kFactoredStates; ++j) {
      xv[j] = first_state + j < m ? static_cast<double>(x[(first_state + j) * n + i]) : 0.0;
    }
    const Index word = i / 32;
    const unsigned bit = static_cast<unsigned>(i % 32);
#pragma unroll
    for (int q = 0; q < kFactoredPatterns; ++q) {
      if (first_pattern + q >= patterns) break;
      const bool plus = (xi[(first_pattern + q) * words + word] >> bit) & 1u;
#pragma unroll
      for (int j = 0; j < kFactoredStates; ++j) acc[q][j] += plus ? xv[j] : -xv[j];
    }
  }
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
#pragma unroll
  for (int q = 0; q < kFactoredPatterns; ++q) {
#pragma unroll
    for (int j = 0; j < kFactoredStates; ++j) {
      const double v = warp_sum(acc[q][j]);
      if (lane == 0) scratch[q * kFactoredStates + j][warp] = v;
    }
  }
  __syncthreads();
  if (threadIdx.x < kAcc) {
    const int q = static_cast<int>(threadIdx.x) / kFactoredStates;
    const int j = static_cast<int>(threadIdx.x) % kFactoredStates;
    if (first_pattern + q < patterns && first_state + j < m) {
      double total = 0.0;
      for (int w = 0; w < kThreads / kWarp; ++w) total += scratch[threadIdx.x][w];
      sums[(first_state + j) * patterns + first_pattern + q] = total;
    }
  }
}

// Binary states packed to bits: bits[j words + w] holds neurons 32w … 32w + 31 of state j, set
// for +1. Thread per (neuron, state); each warp's ballot is one word.
template <class Real>
__global__ void pack_signs_kernel(const Real* __restrict__ x, Index n, Index words, Index first,
                                  std::uint32_t* __restrict__ bits) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index j = first + static_cast<Index>(blockIdx.y);
  const bool plus = i < n && x[j * n + i] > Real(0);
  const unsigned word = __ballot_sync(kFullMask, plus);
  if (threadIdx.x % kWarp == 0 && i < n) bits[j * words + i / 32] = word;
}

// Overlap sums of binary states by XOR + popcount: Σ_i ξ^μ_i s_i = N − 2 · #{i : ξ^μ_i ≠ s_i}
// (bits past N are 0 in both). Block per (pattern, state): its threads stride the words, 8 bytes
// read per 64 neurons; integer counts, exact.
__global__ void __launch_bounds__(kThreads)
    popcount_sums_kernel(Index n, Index patterns, Index words, const std::uint32_t* __restrict__ xi,
                         const std::uint32_t* __restrict__ bits, Index first,
                         double* __restrict__ sums) {
  __shared__ double scratch[33];
  const Index mu = blockIdx.x;
  const Index j = first + static_cast<Index>(blockIdx.y);
  long long differ = 0;
  for (Index w = threadIdx.x; w < words; w += blockDim.x) {
    differ += __popc(xi[mu * words + w] ^ bits[j * words + w]);
  }
  const double total = block_sum(static_cast<double>(differ), scratch);
  if (threadIdx.x == 0) sums[j * patterns + mu] = static_cast<double>(n) - 2.0 * total;
}

// Factored, second product: y_{j,i} = (Σ_μ ξ^μ_i sums[j P + μ] − P x_{j,i}) / N. One thread per
// neuron and kStates states; the block stages chunks of the sums in shared memory and reads each
// pattern's word for its 256 neurons (8 consecutive words per pattern). Float64 accumulation: the
// integer sums of ±1 states stay exact, so the field's sign is exact in either precision.
// Sliced as the CSR product (factored_field_launches): sums, x and y start at the slice's state.
template <class Real>
__global__ void __launch_bounds__(kThreads)
    factored_field_kernel(Index n, Index patterns, Index words, const std::uint32_t* __restrict__ xi,
                          const double* __restrict__ sums, const Real* __restrict__ x, Index m,
                          Real* __restrict__ y) {
  __shared__ double chunk[kSumsChunk][kFactoredStates];
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index first_state = static_cast<Index>(blockIdx.y) * kFactoredStates;
  double acc[kFactoredStates] = {};
  const Index word = i / 32;
  const unsigned bit = static_cast<unsigned>(i % 32);
  for (Index start = 0; start < patterns; start += kSumsChunk) {
    const Index count = patterns - start < kSumsChunk ? patterns - start : kSumsChunk;
    for (Index t = threadIdx.x; t < kSumsChunk * kFactoredStates; t += blockDim.x) {
      const Index q = t / kFactoredStates;
      const Index j = t % kFactoredStates;
      chunk[q][j] =
          (q < count && first_state + j < m) ? sums[(first_state + j) * patterns + start + q] : 0.0;
    }
    __syncthreads();
    if (i < n) {
      for (Index q = 0; q < count; ++q) {
        const bool plus = (xi[(start + q) * words + word] >> bit) & 1u;
#pragma unroll
        for (int j = 0; j < kFactoredStates; ++j) acc[j] += plus ? chunk[q][j] : -chunk[q][j];
      }
    }
    __syncthreads();
  }
  if (i >= n) return;
  const double p = static_cast<double>(patterns);
#pragma unroll
  for (int j = 0; j < kFactoredStates; ++j) {
    if (first_state + j >= m) break;
    const Index at = (first_state + j) * n + i;
    y[at] = static_cast<Real>((acc[j] - p * static_cast<double>(x[at])) / static_cast<double>(n));
  }
}

template <class Real>
void gemm(cublasHandle_t handle, int n, int m, const Real* T, const Real* x, Real* y) {
  // T is row-major n × n, i.e. Tᵀ read column-major with leading dimension n: op = transpose.
  const Real one = 1, zero = 0;
  if constexpr (std::is_same_v<Real, float>) {
    if (m == 1) {
      ATTRACTOR_CUBLAS_CHECK(cublasSgemv(handle, CUBLAS_OP_T, n, n, &one, T, n, x, 1, &zero, y, 1));
    } else {
      ATTRACTOR_CUBLAS_CHECK(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, n, &one, T, n, x,
                                         n, &zero, y, n));
    }
  } else {
    if (m == 1) {
      ATTRACTOR_CUBLAS_CHECK(cublasDgemv(handle, CUBLAS_OP_T, n, n, &one, T, n, x, 1, &zero, y, 1));
    } else {
      ATTRACTOR_CUBLAS_CHECK(cublasDgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, n, &one, T, n, x,
                                         n, &zero, y, n));
    }
  }
}

template <class Real>
std::vector<Real> converted(core::ConstSpan<double> values) {
  return std::vector<Real>(values.begin(), values.end());
}

}  // namespace

template <class Real>
std::size_t DeviceModel<Real>::bytes_needed(const core::Network& network, Index max_states) {
  const auto n = static_cast<std::size_t>(network.size());
  std::size_t bytes = n * sizeof(Real);
  if (std::holds_alternative<core::DenseMatrix<double>>(network.weights)) {
    bytes += n * n * sizeof(Real);
  } else if (const auto* csr = std::get_if<core::CsrMatrix<double>>(&network.weights)) {
    bytes += static_cast<std::size_t>(csr->nnz()) * (sizeof(Real) + 4) + (n + 1) * 8;
  } else {
    const auto p = static_cast<std::size_t>(std::get<core::FactoredWeights>(network.weights)
                                                .patterns.count);
    bytes += (p + static_cast<std::size_t>(max_states)) * ((n + 31) / 32) * 4 +
             8 * p * static_cast<std::size_t>(max_states);
  }
  return bytes;
}

template <class Real>
DeviceModel<Real>::DeviceModel(const core::Network& network, Index max_states,
                               bool binary_states, const Resources& resources)
    : resources_(resources), n_(network.size()), max_states_(max_states),
      binary_states_(binary_states) {
  const cudaStream_t stream = resources.stream();
  std::vector<Real> b(static_cast<std::size_t>(n_));
  for (Index i = 0; i < n_; ++i) b[i] = static_cast<Real>(network.effective_bias(i));
  b_ = DeviceBuffer<Real>(b.size());
  upload(b.data(), b_.data(), b.size(), stream);

  if (const auto* dense = std::get_if<core::DenseMatrix<double>>(&network.weights)) {
    kind_ = WeightKind::Dense;
    core::require(n_ <= std::numeric_limits<int>::max(), "network",
                  "dense weights on the GPU need N < 2^31");
    const auto values = converted<Real>(dense->values);
    dense_ = DeviceBuffer<Real>(values.size());
    upload(values.data(), dense_.data(), values.size(), stream);
  } else if (const auto* csr = std::get_if<core::CsrMatrix<double>>(&network.weights)) {
    kind_ = WeightKind::Csr;
    const auto values = converted<Real>(csr->values);
    values_ = DeviceBuffer<Real>(values.size());
    col_ = DeviceBuffer<std::int32_t>(csr->col_idx.size());
    row_ptr_ = DeviceBuffer<Index>(csr->row_ptr.size());
    upload(values.data(), values_.data(), values.size(), stream);
    upload(csr->col_idx.data(), col_.data(), csr->col_idx.size(), stream);
    upload(csr->row_ptr.data(), row_ptr_.data(), csr->row_ptr.size(), stream);
  } else {
    kind_ = WeightKind::Factored;
    const auto& patterns = std::get<core::FactoredWeights>(network.weights).patterns;
    patterns_ = patterns.count;
    words_ = (n_ + 31) / 32;
    std::vector<std::uint32_t> bits(static_cast<std::size_t>(patterns_ * words_), 0u);
    for (Index mu = 0; mu < patterns_; ++mu) {
      const std::int8_t* row = patterns.pattern(mu);
      for (Index i = 0; i < n_; ++i) {
        if (row[i] > 0) bits[mu * words_ + i / 32] |= 1u << (i % 32);
      }
    }
    xi_ = DeviceBuffer<std::uint32_t>(bits.size());
    upload(bits.data(), xi_.data(), bits.size(), stream);
    sums_ = DeviceBuffer<double>(
        static_cast<std::size_t>(patterns_ * std::max<Index>(max_states, 1)));
    if (binary_states_) {
      packed_ = DeviceBuffer<std::uint32_t>(
          static_cast<std::size_t>(words_ * std::max<Index>(max_states, 1)));
    }
  }
  // Copies from pageable host memory are staged before cudaMemcpyAsync returns, so the
  // temporaries above may die; wait anyway, so that a failed copy is reported here.
  resources.synchronize();
}

template <class Real>
WeightView<Real> DeviceModel<Real>::view() const {
  return WeightView<Real>{kind_,        n_,          dense_.data(), row_ptr_.data(),
                          col_.data(),  values_.data(), xi_.data(), patterns_,
                          words_,       b_.data()};
}

template <class Real>
void DeviceModel<Real>::overlap_sums(const Real* x, double* sums, Index m) const {
  if (m == 0 || patterns_ == 0) return;
  core::require(m <= max_states_, "cuda engine", "product over more states than planned");
  const cudaStream_t stream = resources_.stream();
  if (binary_states_) {
    for (const LaunchSlice& slice : per_neuron_launches(n_, m)) {
      launch_kernel(pack_signs_kernel<Real>, slice.shape, stream, x, n_, words_, slice.first_item,
                    packed_.data());
    }
    for (const LaunchSlice& slice : popcount_overlap_launches(patterns_, m)) {
      launch_kernel(popcount_sums_kernel, slice.shape, stream, n_, patterns_, words_, xi_.data(),
                    packed_.data(), slice.first_item, sums);
    }
    return;
  }
  for (const LaunchSlice& slice : factored_overlap_launches(patterns_, m)) {
    launch_kernel(overlap_sums_kernel<Real>, slice.shape, stream, n_, patterns_, words_,
                  xi_.data(), x + slice.first_item * n_, slice.items,
                  sums + slice.first_item * patterns_);
  }
}

template <class Real>
void DeviceModel<Real>::multiply(const Real* x, Real* y, Index m) const {
  if (m == 0) return;
  core::require(m <= max_states_, "cuda engine", "product over more states than planned");
  const cudaStream_t stream = resources_.stream();
  switch (kind_) {
    case WeightKind::Dense:
      gemm<Real>(resources_.blas(), static_cast<int>(n_), static_cast<int>(m), dense_.data(), x,
                 y);
      return;
    case WeightKind::Csr: {
      const auto kernel = csr_states_per_tile(m) == 1
                              ? csr_multiply_kernel<Real, 1>
                              : csr_multiply_kernel<Real, kCsrStatesPerTile>;
      for (const LaunchSlice& slice : csr_product_launches(n_, m)) {
        const Index offset = slice.first_item * n_;
        launch_kernel(kernel, slice.shape, stream, n_, row_ptr_.data(), col_.data(),
                      values_.data(), x + offset, y + offset, slice.items);
      }
      return;
    }
    case WeightKind::Factored: {
      if (patterns_ == 0) {
        ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(y, 0, static_cast<std::size_t>(n_ * m) * sizeof(Real),
                                             stream));
        return;
      }
      overlap_sums(x, sums_.data(), m);
      for (const LaunchSlice& slice : factored_field_launches(n_, m)) {
        const Index offset = slice.first_item * n_;
        launch_kernel(factored_field_kernel<Real>, slice.shape, stream, n_, patterns_, words_,
                      xi_.data(), sums_.data() + slice.first_item * patterns_, x + offset,
                      slice.items, y + offset);
      }
      return;
    }
  }
}

template class DeviceModel<float>;
template class DeviceModel<double>;

}  // namespace attractor::cuda
