#include "device_model.hpp"

#include <algorithm>
#include <cstdio>
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
// acc[j] += v · column[j] for the j < states of a tile: with four floats (two doubles) per 16-byte
// load when the tile allows — the state-major copy's rows are padded to whole tiles and start
// 16-byte aligned (state_major) — so a synapse costs kStates / 4 load instructions, not kStates.
template <class Real, int kStates>
__device__ __forceinline__ void add_column(Real (&acc)[kStates], Real v, const Real* column,
                                           int states) {
  if constexpr (std::is_same_v<Real, float> && kStates % 4 == 0) {
#pragma unroll
    for (int j = 0; j < kStates; j += 4) {
      const float4 q = *reinterpret_cast<const float4*>(column + j);
      if (j < states) acc[j] += v * q.x;
      if (j + 1 < states) acc[j + 1] += v * q.y;
      if (j + 2 < states) acc[j + 2] += v * q.z;
      if (j + 3 < states) acc[j + 3] += v * q.w;
    }
  } else if constexpr (std::is_same_v<Real, double> && kStates % 2 == 0) {
#pragma unroll
    for (int j = 0; j < kStates; j += 2) {
      const double2 q = *reinterpret_cast<const double2*>(column + j);
      if (j < states) acc[j] += v * q.x;
      if (j + 1 < states) acc[j + 1] += v * q.y;
    }
  } else {
#pragma unroll
    for (int j = 0; j < kStates; ++j) {
      if (j < states) acc[j] += v * column[j];
    }
  }
}

// CSR: Y = T X. One warp per row and up to kStates states (blockIdx.y picks the tile): the lanes
// stride the row's entries, so each pass reads 32 consecutive (value, column) pairs — coalesced,
// 8 bytes per synapse in float32 — and each pair multiplies the kStates entries of its column in
// the state-major copy xt (xt[c ld + j] = state j's entry c): contiguous, one or two sectors per
// synapse instead of kStates scattered ones. Tiles of up to 32 states hold a batch of 32 in one
// tile, so the matrix is streamed once per product. warp_sum adds the lanes. Rows of a
// network are near-uniform in length, so warps balance. More tiles than grid.y holds run as
// slices (csr_product_launches); `first` is the slice's first state.
template <class Real, int kStates>
__global__ void __launch_bounds__(kThreads)
    csr_multiply_kernel(Index n, const Index* __restrict__ row_ptr,
                        const std::int32_t* __restrict__ col, const Real* __restrict__ values,
                        const Real* __restrict__ xt, Index ld, Index m, Index first,
                        Real* __restrict__ y) {
  const Index row = (static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  if (row >= n) return;  // the whole warp leaves together: the shuffles below stay full-warp
  const Index first_state = first + static_cast<Index>(blockIdx.y) * kStates;
  const int states = static_cast<int>(m - first_state < kStates ? m - first_state : kStates);
  Real acc[kStates];
#pragma unroll
  for (int j = 0; j < kStates; ++j) acc[j] = Real(0);
  const Index end = row_ptr[row + 1];
  for (Index k = row_ptr[row] + lane; k < end; k += kWarp) {
    add_column(acc, values[k], xt + static_cast<Index>(col[k]) * ld + first_state, states);
  }
#pragma unroll
  for (int j = 0; j < kStates; ++j) {
    const Real sum = warp_sum(acc[j]);
    if (lane == 0 && j < states) y[(first_state + j) * n + row] = sum;
  }
}

// SELL-C-σ: Y = T X with a thread per stored row (a warp per 32-row slice): at step k the warp
// reads the slice's 32 consecutive values and columns (coalesced, no reduction across lanes),
// each thread multiplying its entry with kStates contiguous state-major values; the row's sum
// goes to its original index. Padding entries are zeros on column 0. Sliced along y as CSR.
template <class Real, int kStates>
__global__ void __launch_bounds__(kThreads)
    sell_multiply_kernel(Index n, const Index* __restrict__ slice_ptr,
                         const std::int32_t* __restrict__ slice_width,
                         const std::int32_t* __restrict__ row_of,
                         const std::int32_t* __restrict__ col, const Real* __restrict__ values,
                         const Real* __restrict__ xt, Index ld, Index m, Index first,
                         Real* __restrict__ y) {
  const Index stored_row = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (stored_row >= n) return;
  const Index slice = stored_row / kWarp;
  const int lane = static_cast<int>(stored_row % kWarp);
  const Index first_state = first + static_cast<Index>(blockIdx.y) * kStates;
  const int states = static_cast<int>(m - first_state < kStates ? m - first_state : kStates);
  Real acc[kStates];
#pragma unroll
  for (int j = 0; j < kStates; ++j) acc[j] = Real(0);
  const Index base = slice_ptr[slice] + lane;
  const Index width = slice_width[slice];
  for (Index k = 0; k < width; ++k) {
    const Index at = base + k * kWarp;
    add_column(acc, values[at], xt + static_cast<Index>(col[at]) * ld + first_state, states);
  }
  const Index row = row_of[stored_row];
#pragma unroll
  for (int j = 0; j < kStates; ++j) {
    if (j < states) y[(first_state + j) * n + row] = acc[j];
  }
}

// out (cols × ld, row-major: row c holds in's column c, ld ≥ rows) = in (rows × cols, row-major)ᵀ
// through kTransposeTile² tiles in
// shared memory, so both the reads and the writes are coalesced; the +1 column keeps the tile's
// columns in different banks. Blocks of 32 × 8 threads loop over tiles (transpose_launch).
template <class Real>
__global__ void __launch_bounds__(kTransposeTile * 8)
    transpose_kernel(const Real* __restrict__ in, Index rows, Index cols, Index ld,
                     Real* __restrict__ out) {
  __shared__ Real tile[kTransposeTile][kTransposeTile + 1];
  const Index tiles_x = (cols + kTransposeTile - 1) / kTransposeTile;
  const Index tiles = tiles_x * ((rows + kTransposeTile - 1) / kTransposeTile);
  const int tx = static_cast<int>(threadIdx.x) % kTransposeTile;
  const int ty = static_cast<int>(threadIdx.x) / kTransposeTile;
  for (Index t = blockIdx.x; t < tiles; t += gridDim.x) {
    const Index row0 = (t / tiles_x) * kTransposeTile, col0 = (t % tiles_x) * kTransposeTile;
    for (int r = ty; r < kTransposeTile; r += 8) {
      if (row0 + r < rows && col0 + tx < cols) tile[r][tx] = in[(row0 + r) * cols + col0 + tx];
    }
    __syncthreads();
    for (int c = ty; c < kTransposeTile; c += 8) {
      if (col0 + c < cols && row0 + tx < rows) out[(col0 + c) * ld + row0 + tx] = tile[tx][c];
    }
    __syncthreads();
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
  double acc[kAcc] = {};  // pattern q, state j at q kFactoredStates + j
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
      for (int j = 0; j < kFactoredStates; ++j) {
        acc[q * kFactoredStates + j] += plus ? xv[j] : -xv[j];
      }
    }
  }
  const double total = block_sums<kThreads>(acc, scratch);
  if (threadIdx.x < kAcc) {
    const int q = static_cast<int>(threadIdx.x) / kFactoredStates;
    const int j = static_cast<int>(threadIdx.x) % kFactoredStates;
    if (first_pattern + q < patterns && first_state + j < m) {
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
  using CountReduction = BlockReduction<long long, kThreads>;
  __shared__ CountReduction::TempStorage storage;
  const Index mu = blockIdx.x;
  const Index j = first + static_cast<Index>(blockIdx.y);
  long long differ = 0;
  for (Index w = threadIdx.x; w < words; w += blockDim.x) {
    differ += __popc(xi[mu * words + w] ^ bits[j * words + w]);
  }
  const long long total = CountReduction(storage).Sum(differ);
  if (threadIdx.x == 0) {
    sums[j * patterns + mu] = static_cast<double>(n) - 2.0 * static_cast<double>(total);
  }
}

// Factored, second product: y_{j,i} = (Σ_μ ξ^μ_i sums[j P + μ] − P x_{j,i}) / N. One thread per
// neuron and kStates states; the block stages chunks of the sums in shared memory and reads each
// pattern's word for its 256 neurons (8 consecutive words per pattern). Float64 accumulation: the
// integer sums of ±1 states stay exact, so the field's sign is exact in either precision.
// Sliced as the CSR product (factored_field_launches): sums, x and y start at the slice's state.
template <class Real>
__global__ void __launch_bounds__(kThreads)
    factored_field_kernel(Index n, Index patterns, Index words,
                          const std::uint32_t* __restrict__ xi, const double* __restrict__ sums,
                          const Real* __restrict__ x, Index m, Real* __restrict__ y) {
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

// ±1 states as the integer form's operand type: int8, or fp16 (bits of ±1.0: 0x3C00, 0xBC00).
template <class Real>
__global__ void to_int8_kernel(const Real* __restrict__ x, Index count,
                               std::int8_t* __restrict__ out) {
  for (Index e = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += static_cast<Index>(gridDim.x) * blockDim.x) {
    out[e] = x[e] > Real(0) ? std::int8_t{1} : std::int8_t{-1};
  }
}
template <class Real>
__global__ void to_half_kernel(const Real* __restrict__ x, Index count,
                               std::uint16_t* __restrict__ out) {
  for (Index e = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += static_cast<Index>(gridDim.x) * blockDim.x) {
    out[e] = x[e] > Real(0) ? std::uint16_t{0x3C00} : std::uint16_t{0xBC00};
  }
}
// y = sum / D: the exact integer field, divided once (the factored product's very double).
template <class Real, class Sum>
__global__ void integer_scale_kernel(const Sum* __restrict__ sums, Index count, double denominator,
                                     Real* __restrict__ y) {
  for (Index e = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; e < count;
       e += static_cast<Index>(gridDim.x) * blockDim.x) {
    y[e] = static_cast<Real>(static_cast<double>(sums[e]) / denominator);
  }
}

// Calls launch(std::integral_constant<int, tile>) with the state tile of the sparse products for
// m states (csr_states_per_tile): the kernels' template argument.
template <class Launch>
void with_state_tile(Index m, Launch launch) {
  switch (csr_states_per_tile(m)) {
    case 1: launch(std::integral_constant<int, 1>{}); return;
    case 8: launch(std::integral_constant<int, 8>{}); return;
    case 16: launch(std::integral_constant<int, 16>{}); return;
    default: launch(std::integral_constant<int, kCsrMaxStatesPerTile>{}); return;
  }
}

// Blocks for the element-wise kernels above: enough to fill an H100 several times over.
constexpr Index kElementwiseBlocks = 1024;

template <class Real>
void gemm(cublasHandle_t handle, int n, int m, const Real* T, const Real* x, Real* y) {
  // T is row-major n × n, i.e. Tᵀ read column-major with leading dimension n: op = transpose.
  const Real one = 1, zero = 0;
  if constexpr (std::is_same_v<Real, float>) {
    if (m == 1) {
      ATTRACTOR_CUBLAS_CHECK(cublasSgemv(handle, CUBLAS_OP_T, n, n, &one, T, n, x, 1, &zero, y, 1));
    } else {
      ATTRACTOR_CUBLAS_CHECK(
          cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, n, &one, T, n, x, n, &zero, y, n));
    }
  } else {
    if (m == 1) {
      ATTRACTOR_CUBLAS_CHECK(cublasDgemv(handle, CUBLAS_OP_T, n, n, &one, T, n, x, 1, &zero, y, 1));
    } else {
      ATTRACTOR_CUBLAS_CHECK(
          cublasDgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, n, m, n, &one, T, n, x, n, &zero, y, n));
    }
  }
}

template <class Real, class Stored>
std::vector<Real> converted(const core::Buffer<Stored>& values) {
  return std::vector<Real>(values.begin(), values.end());
}

}  // namespace

template <class Real>
typename DeviceModel<Real>::Plan DeviceModel<Real>::plan(const core::Network& network,
                                                         bool binary_states, bool products_only) {
  Plan plan;
  if (!products_only) return plan;
  // Exact integer forms are looked for in float64 dense weights, the form every learning rule
  // writes; weights a user stored in float32 take the floating-point product.
  if (const auto* dense = std::get_if<core::DenseMatrix<double>>(&network.weights)) {
    if (!binary_states) return plan;
    plan.integer = core::exact_integer_form(*dense);
    // int8 GEMM reads 4-byte words: N a multiple of 4, else the same integers as fp16 (exact
    // too: N · 127 < 2^24 for every dense N that fits a device).
    if (plan.integer && plan.integer->storage == core::IntegerStorage::Int8 &&
        plan.integer->n % 4 != 0) {
      plan.integer->storage = core::IntegerStorage::Float16;
    }
  }
  core::visit_csr(network.weights, [&](const auto& csr) {
    SellMatrix sell = to_sell(csr, kSellSigma);
    if (prefer_sell(csr, sell)) plan.sell = std::move(sell);
  });
  return plan;
}

template <class Real>
std::size_t DeviceModel<Real>::bytes_needed(const core::Network& network, Index max_states,
                                            const Plan& plan) {
  const auto n = static_cast<std::size_t>(network.size());
  std::size_t bytes = n * sizeof(Real);
  const auto& integer = plan.integer;
  if (plan.sell) {
    bytes += static_cast<std::size_t>(plan.sell->stored()) * (sizeof(Real) + 4) +
             static_cast<std::size_t>(plan.sell->slices()) * 12 + n * 4;
    if (max_states > 1)
      bytes += n * static_cast<std::size_t>(state_major_stride(max_states)) * sizeof(Real);
  } else if (integer) {
    const std::size_t element = integer->storage == core::IntegerStorage::Int8 ? 1 : 2;
    bytes += n * n * element + static_cast<std::size_t>(max_states) * n * (element + 4);
  } else if (core::is_dense(network.weights)) {
    bytes += n * n * sizeof(Real);
  } else if (core::is_sparse(network.weights)) {
    bytes += static_cast<std::size_t>(network.synapse_count()) * (sizeof(Real) + 4) + (n + 1) * 8;
    if (max_states > 1)
      bytes += n * static_cast<std::size_t>(state_major_stride(max_states)) * sizeof(Real);
  } else {
    const auto p =
        static_cast<std::size_t>(std::get<core::FactoredWeights>(network.weights).patterns.count);
    bytes += (p + static_cast<std::size_t>(max_states)) * ((n + 31) / 32) * 4 +
             8 * p * static_cast<std::size_t>(max_states);
  }
  return bytes;
}

template <class Real>
DeviceModel<Real>::DeviceModel(const core::Network& network, Index max_states, bool binary_states,
                               const Plan& plan, const Resources& resources)
    : resources_(resources), n_(network.size()), max_states_(max_states),
      binary_states_(binary_states) {
  const cudaStream_t stream = resources.stream();
  std::vector<Real> b(static_cast<std::size_t>(n_));
  for (Index i = 0; i < n_; ++i) b[i] = static_cast<Real>(network.effective_bias(i));
  b_ = DeviceBuffer<Real>(b.size());
  upload(b.data(), b_.data(), b.size(), stream);

  const auto& integer = plan.integer;
  if (plan.sell) {
    kind_ = WeightKind::Sell;
    const SellMatrix& sell = *plan.sell;
    slices_ = sell.slices();
    const auto values = std::vector<Real>(sell.values.begin(), sell.values.end());
    values_ = DeviceBuffer<Real>(values.size());
    col_ = DeviceBuffer<std::int32_t>(sell.col_idx.size());
    slice_ptr_ = DeviceBuffer<Index>(sell.slice_ptr.size());
    slice_width_ = DeviceBuffer<std::int32_t>(sell.slice_width.size());
    row_of_ = DeviceBuffer<std::int32_t>(sell.row_of.size());
    upload(values.data(), values_.data(), values.size(), stream);
    upload(sell.col_idx.data(), col_.data(), sell.col_idx.size(), stream);
    upload(sell.slice_ptr.data(), slice_ptr_.data(), sell.slice_ptr.size(), stream);
    upload(sell.slice_width.data(), slice_width_.data(), sell.slice_width.size(), stream);
    upload(sell.row_of.data(), row_of_.data(), sell.row_of.size(), stream);
    if (max_states > 1) {
      interleaved_ =
          DeviceBuffer<Real>(static_cast<std::size_t>(n_ * state_major_stride(max_states)));
      ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(interleaved_.data(), 0, interleaved_.bytes(), stream));
    }
  } else if (integer) {
    kind_ = WeightKind::Integer;
    core::require(n_ <= std::numeric_limits<int>::max(), "network",
                  "dense weights on the GPU need N < 2^31");
    storage_ = integer->storage;
    denominator_ = integer->denominator;
    const auto states = static_cast<std::size_t>(std::max<Index>(max_states, 1) * n_);
    if (storage_ == core::IntegerStorage::Int8) {
      const std::vector<std::int8_t> k(integer->values.begin(), integer->values.end());
      k8_ = DeviceBuffer<std::int8_t>(k.size());
      upload(k.data(), k8_.data(), k.size(), stream);
      x8_ = DeviceBuffer<std::int8_t>(states);
      sums32i_ = DeviceBuffer<std::int32_t>(states);
    } else {
      std::vector<std::uint16_t> k(integer->values.size());
      for (std::size_t e = 0; e < k.size(); ++e) k[e] = core::half_bits(integer->values[e]);
      k16_ = DeviceBuffer<std::uint16_t>(k.size());
      upload(k.data(), k16_.data(), k.size(), stream);
      x16_ = DeviceBuffer<std::uint16_t>(states);
      sums32f_ = DeviceBuffer<float>(states);
    }
  } else if (core::is_dense(network.weights)) {
    kind_ = WeightKind::Dense;
    core::require(n_ <= std::numeric_limits<int>::max(), "network",
                  "dense weights on the GPU need N < 2^31");
    core::visit_dense(network.weights, [&](const auto& dense) {
      const auto values = converted<Real>(dense.values);
      dense_ = DeviceBuffer<Real>(values.size());
      upload(values.data(), dense_.data(), values.size(), stream);
    });
  } else if (core::is_sparse(network.weights)) {
    kind_ = WeightKind::Csr;
    core::visit_csr(network.weights, [&](const auto& csr) {
      const auto values = converted<Real>(csr.values);
      values_ = DeviceBuffer<Real>(values.size());
      col_ = DeviceBuffer<std::int32_t>(csr.col_idx.size());
      row_ptr_ = DeviceBuffer<Index>(csr.row_ptr.size());
      upload(values.data(), values_.data(), values.size(), stream);
      upload(csr.col_idx.data(), col_.data(), csr.col_idx.size(), stream);
      upload(csr.row_ptr.data(), row_ptr_.data(), csr.row_ptr.size(), stream);
    });
    if (max_states > 1) {
      interleaved_ =
          DeviceBuffer<Real>(static_cast<std::size_t>(n_ * state_major_stride(max_states)));
      ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(interleaved_.data(), 0, interleaved_.bytes(), stream));
    }
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
    sums_ =
        DeviceBuffer<double>(static_cast<std::size_t>(patterns_ * std::max<Index>(max_states, 1)));
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
  return WeightView<Real>{kind_,          n_,         dense_.data(), row_ptr_.data(), col_.data(),
                          values_.data(), xi_.data(), patterns_,     words_,          b_.data()};
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
    launch_kernel(overlap_sums_kernel<Real>, slice.shape, stream, n_, patterns_, words_, xi_.data(),
                  x + slice.first_item * n_, slice.items, sums + slice.first_item * patterns_);
  }
}

template <class Real>
void DeviceModel<Real>::multiply(const Real* x, Real* y, Index m) const {
  if (m == 0) return;
  core::require(m <= max_states_, "cuda engine", "product over more states than planned");
  const cudaStream_t stream = resources_.stream();
  switch (kind_) {
    case WeightKind::Dense:
      gemm<Real>(resources_.blas(), static_cast<int>(n_), static_cast<int>(m), dense_.data(), x, y);
      return;
    case WeightKind::Integer: integer_multiply(x, y, m); return;
    case WeightKind::Sell: {
      const Real* xt = state_major(x, m);
      with_state_tile(m, [&](auto tile) {
        for (const LaunchSlice& slice : sell_product_launches(slices_, m)) {
          launch_kernel(sell_multiply_kernel<Real, decltype(tile)::value>, slice.shape, stream, n_,
                        slice_ptr_.data(), slice_width_.data(), row_of_.data(), col_.data(),
                        values_.data(), xt, state_major_stride(m), m, slice.first_item, y);
        }
      });
      return;
    }
    case WeightKind::Csr: {
      const Real* xt = state_major(x, m);
      with_state_tile(m, [&](auto tile) {
        for (const LaunchSlice& slice : csr_product_launches(n_, m)) {
          launch_kernel(csr_multiply_kernel<Real, decltype(tile)::value>, slice.shape, stream, n_,
                        row_ptr_.data(), col_.data(), values_.data(), xt, state_major_stride(m), m,
                        slice.first_item, y);
        }
      });
      return;
    }
    case WeightKind::Factored: {
      if (patterns_ == 0) {
        ATTRACTOR_CUDA_CHECK(
            cudaMemsetAsync(y, 0, static_cast<std::size_t>(n_ * m) * sizeof(Real), stream));
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

// The states as the sparse kernels read them: xt[c ld + j] = state j's entry c, each row padded
// to whole state tiles (ld = state_major_stride(m)) so every tile's 16-byte loads stay inside its
// row. The padding was zeroed once and is never written. One state is already in that layout (ld =
// 1).
template <class Real>
const Real* DeviceModel<Real>::state_major(const Real* x, Index m) const {
  if (m == 1) return x;
  launch_kernel(transpose_kernel<Real>, transpose_launch(m, n_), resources_.stream(), x, m, n_,
                state_major_stride(m), interleaved_.data());
  return interleaved_.data();
}

// Y = (K X) / D on tensor cores: K row-major is Kᵀ column-major (op = transpose, as gemm above).
// int8 × int8 → int32 sums, or fp16 × fp16 → fp32 sums: both exact (|sum| ≤ N · max|K|, below
// 2^31 and, by the fp16 rule, 2^24), in whatever order cuBLAS adds.
// The handle's pedantic mode (no TF32 rounding of float32 products) set aside for one call:
// integer operands with explicit int32/fp32 compute types round nothing, so tensor cores may run.
class TensorCoreMath {
 public:
  explicit TensorCoreMath(cublasHandle_t handle) : handle_(handle) {
    ATTRACTOR_CUBLAS_CHECK(cublasSetMathMode(handle_, CUBLAS_DEFAULT_MATH));
  }
  // A destructor cannot throw; a handle that cannot be set back is reported, not hidden.
  ~TensorCoreMath() {
    if (cublasSetMathMode(handle_, CUBLAS_PEDANTIC_MATH) != CUBLAS_STATUS_SUCCESS) {
      std::fprintf(stderr, "attractor: cublasSetMathMode failed restoring pedantic math\n");
    }
  }
  TensorCoreMath(const TensorCoreMath&) = delete;
  TensorCoreMath& operator=(const TensorCoreMath&) = delete;

 private:
  cublasHandle_t handle_;
};

template <class Real>
void DeviceModel<Real>::integer_multiply(const Real* x, Real* y, Index m) const {
  const cudaStream_t stream = resources_.stream();
  const TensorCoreMath math(resources_.blas());
  const Index count = n_ * m;
  const LaunchShape shape = grid_stride_launch(count, kThreads, kElementwiseBlocks);
  const int n = static_cast<int>(n_);
  if (storage_ == core::IntegerStorage::Int8) {
    launch_kernel(to_int8_kernel<Real>, shape, stream, x, count, x8_.data());
    const std::int32_t one = 1, zero = 0;
    ATTRACTOR_CUBLAS_CHECK(cublasGemmEx(resources_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, n,
                                        static_cast<int>(m), n, &one, k8_.data(), CUDA_R_8I, n,
                                        x8_.data(), CUDA_R_8I, n, &zero, sums32i_.data(),
                                        CUDA_R_32I, n, CUBLAS_COMPUTE_32I, CUBLAS_GEMM_DEFAULT));
    launch_kernel(integer_scale_kernel<Real, std::int32_t>, shape, stream, sums32i_.data(), count,
                  static_cast<double>(denominator_), y);
  } else {
    launch_kernel(to_half_kernel<Real>, shape, stream, x, count, x16_.data());
    const float one = 1.0f, zero = 0.0f;
    ATTRACTOR_CUBLAS_CHECK(cublasGemmEx(resources_.blas(), CUBLAS_OP_T, CUBLAS_OP_N, n,
                                        static_cast<int>(m), n, &one, k16_.data(), CUDA_R_16F, n,
                                        x16_.data(), CUDA_R_16F, n, &zero, sums32f_.data(),
                                        CUDA_R_32F, n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    launch_kernel(integer_scale_kernel<Real, float>, shape, stream, sums32f_.data(), count,
                  static_cast<double>(denominator_), y);
  }
}

template class DeviceModel<float>;
template class DeviceModel<double>;

}  // namespace attractor::cuda
