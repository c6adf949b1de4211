#pragma once
// Internal to kernels/: a network's weights and bias on the device, and T X for a block of states.
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include <optional>

#include "attractor/core/integer_weights.hpp"
#include "attractor/core/network.hpp"
#include "attractor/cuda/sell_matrix.hpp"
#include "device_buffer.hpp"
#include "resources.hpp"

namespace attractor::cuda {

enum class WeightKind { Dense, Csr, Factored, Integer, Sell };

// Raw device pointers, passed by value to kernels that read the weights themselves.
//   Dense     dense[i n + j] = T_ij (row-major, Real).
//   Csr       row_ptr (n + 1, int64), col (nnz, int32), values (nnz, Real).
//   Factored  xi: P rows of `words` 32-bit words; bit k of word w of row μ is ξ^μ_{32w+k},
//             set for +1 (bits past n are 0). T = (ΞᵀΞ − P I)/N.
//   Integer   products only (no pointer here): dense weights in their exact integer form
//             (core::exact_integer_form), K as int8 or fp16, multiplied on tensor cores.
//   Sell      products only (no pointer here): CSR weights with near-uniform rows in SELL-C-σ.
template <class Real>
struct WeightView {
  WeightKind kind;
  std::int64_t n;
  const Real* dense;
  const std::int64_t* row_ptr;
  const std::int32_t* col;
  const Real* values;
  const std::uint32_t* xi;
  std::int64_t patterns;
  std::int64_t words;
  const Real* b;  // effective bias h − a, n entries
};

template <class Real>
class DeviceModel {
 public:
  // Uploads the weights (converted to Real; factored patterns packed to bits) and bias, for
  // products of up to max_states states at a time. `binary_states`: every state multiplied is
  // ±1 (discrete dynamics), so factored products may pack the states to bits too and take the
  // overlaps as N − 2 popcount(ξ^μ XOR s).
  // The layouts the products of `network` use in place of the network's own, when the caller
  // reads no weights itself (products_only: synchronous and continuous dynamics):
  // - integer: dense weights with an exact integer form and ±1 states (core::exact_integer_form);
  //   int8 needs N a multiple of 4 (cuBLAS's int8 GEMM reads 4-byte words), else fp16;
  // - sell: CSR weights whose rows are near-uniform (prefer_sell).
  struct Plan {
    std::optional<core::IntegerWeights> integer;
    std::optional<SellMatrix> sell;
  };
  static Plan plan(const core::Network& network, bool binary_states, bool products_only);

  DeviceModel(const core::Network& network, std::int64_t max_states, bool binary_states,
              const Plan& plan, const Resources& resources);

  // Device bytes the model of `network` takes in precision Real: the memory plan.
  //   dense  N² · sizeof(Real);  CSR  nnz · (sizeof(Real) + 4) + (N + 1) · 8 (+ N · max_states
  //          · sizeof(Real) for the state-major copy when max_states > 1);
  //   factored  P · ⌈N/32⌉ · 4 (one bit per pattern entry) + 8 P · max_states (overlap sums)
  //             + ⌈N/32⌉ · 4 · max_states (packed states);
  //   integer  N² (int8) or 2 N² (fp16) + max_states · N · (1 or 2 + 4) (converted states and
  //             int32 / fp32 sums);
  //   SELL  stored entries · (sizeof(Real) + 4) + 12 per slice + 4 N (+ the state-major copy);
  //   plus N · sizeof(Real) of bias.
  static std::size_t bytes_needed(const core::Network& network, std::int64_t max_states,
                                  const Plan& plan);

  std::int64_t n() const { return n_; }
  WeightKind kind() const { return kind_; }
  std::int64_t patterns() const { return patterns_; }
  WeightView<Real> view() const;

  // Y = T X for m states stored as the columns of n × m column-major blocks (state j at x + j n).
  void multiply(const Real* x, Real* y, std::int64_t m) const;
  // Factored weights only: sums[j P + μ] = Σ_i ξ^μ_i x_{j,i} (float64; integers for ±1 states).
  void overlap_sums(const Real* x, double* sums, std::int64_t m) const;

 private:
  void integer_multiply(const Real* x, Real* y, std::int64_t m) const;
  const Real* state_major(const Real* x, std::int64_t m) const;

  const Resources& resources_;
  WeightKind kind_;
  std::int64_t n_;
  std::int64_t patterns_ = 0;
  std::int64_t words_ = 0;
  DeviceBuffer<Real> dense_, values_, b_;
  DeviceBuffer<std::int64_t> row_ptr_;
  DeviceBuffer<std::int32_t> col_;
  DeviceBuffer<std::uint32_t> xi_;
  std::int64_t max_states_;
  bool binary_states_;
  mutable DeviceBuffer<double> sums_;           // factored multiply: P × max_states overlap sums
  mutable DeviceBuffer<std::uint32_t> packed_;  // factored, binary states: ⌈N/32⌉ × max_states
  mutable DeviceBuffer<Real> interleaved_;      // CSR, several states: N × max_states, state-major
  DeviceBuffer<std::int64_t> slice_ptr_;        // SELL (with col_ and values_)
  DeviceBuffer<std::int32_t> slice_width_, row_of_;
  std::int64_t slices_ = 0;
  // Integer: K (int8 or fp16 bits), the states converted to K's type, and the exact sums.
  core::IntegerStorage storage_ = core::IntegerStorage::Int8;
  std::int64_t denominator_ = 1;
  DeviceBuffer<std::int8_t> k8_;
  DeviceBuffer<std::uint16_t> k16_;
  mutable DeviceBuffer<std::int8_t> x8_;
  mutable DeviceBuffer<std::uint16_t> x16_;
  mutable DeviceBuffer<std::int32_t> sums32i_;
  mutable DeviceBuffer<float> sums32f_;
};

}  // namespace attractor::cuda
