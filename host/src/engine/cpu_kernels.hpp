#pragma once
// The CPU engine's inner loops: sparse and dense products over raw arrays, in float32 and
// float64, each compiled for several x86-64 levels (baseline, x86-64-v3 with AVX2 and FMA,
// x86-64-v4 with AVX-512) and chosen once at load time by the CPU it runs on, so one binary runs
// at the vector width of the machine without -march=native (GCC builds; see cpu_kernels.cpp for
// clang). Every version computes the same sums in the same order: the source fixes the order
// (explicit partial sums, lanes independent) and the file is compiled without floating-point
// contraction, so an FMA machine and an SSE2 machine produce the same bits.
//
// Sums accumulate in float64 whatever the precision of the weights and states: at the memory
// bandwidth limit the conversions are free, and a float32 field is then the float64 field of the
// float32-rounded weights and states, rounded once.
#include <cstdint>

#include "attractor/core/activation.hpp"

namespace attractor::cpu {

// Below this many state entries per loop a parallel region costs more than it saves.
constexpr std::int64_t kParallelWork = std::int64_t{1} << 14;
inline bool parallel(std::int64_t work) { return work > kParallelWork; }
// Rows per block of a pass over the network: one 64-neuron word of a state's fingerprint, and
// the unit a thread takes.
constexpr std::int64_t kBlock = 64;

// out[(i − begin) m + j] = Σ_k values[k] x[cols[k] m + j] over row i's stored entries, for rows
// [begin, end) and lanes j < m: x holds m states interleaved (state j of neuron c at x[c m + j]),
// so each stored synapse is read once and serves m states. With m = 1, four partial sums per row
// (one sum would be a chain of dependent additions, bound by the adder's latency).
void csr_fields(const float* values, const std::int32_t* cols, const std::int64_t* row_ptr,
                std::int64_t begin, std::int64_t end, const float* x, std::int64_t m, double* out);
void csr_fields(const double* values, const std::int32_t* cols, const std::int64_t* row_ptr,
                std::int64_t begin, std::int64_t end, const double* x, std::int64_t m, double* out);
// The same for ±1 states held as int8: a quarter of float32's bytes, so the state a sparse product
// reads at random stays in a nearer cache; the sums, of ±T_ij, are those of the Real states.
void csr_fields(const float* values, const std::int32_t* cols, const std::int64_t* row_ptr,
                std::int64_t begin, std::int64_t end, const std::int8_t* x, std::int64_t m,
                double* out);
void csr_fields(const double* values, const std::int32_t* cols, const std::int64_t* row_ptr,
                std::int64_t begin, std::int64_t end, const std::int8_t* x, std::int64_t m,
                double* out);

// Σ_k values[k] x[cols[k]] over k in [begin, end): one neuron's field from a contiguous state
// (asynchronous sweeps), with the same four partial sums as csr_fields at m = 1.
double csr_dot(const float* values, const std::int32_t* cols, std::int64_t begin, std::int64_t end,
               const float* x);
double csr_dot(const double* values, const std::int32_t* cols, std::int64_t begin, std::int64_t end,
               const double* x);

// Factored Hebbian fields of ±1 states from bits (Model::multiply_packed): integer sums, exact,
// from an eighth of the bytes of int8 patterns.
//
// sums[(μ − mu_begin) m + j] = Σ_i ξ^μ_i s^j_i = n − 2 popcount(ξ^μ XOR s^j) for patterns
// [mu_begin, mu_end): xi holds pattern μ's bits (set for +1) at xi[μ words …], s state j's at
// s[j words …], both zero past n.
void popcount_overlaps(const std::uint64_t* xi, std::int64_t mu_begin, std::int64_t mu_end,
                       std::int64_t words, const std::uint64_t* s, std::int64_t m, std::int64_t n,
                       std::int64_t* sums);
// acc[(i − begin) m + j] += Σ_{g ∈ [g_begin, g_end)} tables[(g 256 + bytes[g n + i]) m + j] for
// neurons [begin, end) of n: byte g of neuron i holds 8 patterns' bits, and each table row the m
// states' sums over those patterns signed by the row's bits, so one lookup does 8 m
// multiply-adds. In 32-bit integers where every sum fits (half the bytes to move), else 64-bit.
void add_byte_lookups(const std::int32_t* tables, const std::uint8_t* bytes, std::int64_t n,
                      std::int64_t g_begin, std::int64_t g_end, std::int64_t m, std::int64_t begin,
                      std::int64_t end, std::int32_t* acc);
void add_byte_lookups(const std::int64_t* tables, const std::uint8_t* bytes, std::int64_t n,
                      std::int64_t g_begin, std::int64_t g_end, std::int64_t m, std::int64_t begin,
                      std::int64_t end, std::int64_t* acc);

// v_k = g(u_k) for float32 runs, n values, vectorized: tanh and the logistic from Eigen's packet
// exp in float64, rounded once to float32. tanh(a) = (1 − e)/(1 + e), e = exp(−2|a|), for
// |a| ≥ 2^-13 (below, a − a³/3 + 2a⁵/15, truncation ≤ 2^-78 relative); an exp error δ grows by
// 1/sinh(2|a|) ≤ 2^12 there, so with |δ| ≤ 4 ε (ε = 2^-53) and three roundings the float64 value
// is within 2^15 ε ≈ 3.7e-12 relative of tanh: the float32 result is tanh's correct rounding
// except within that distance of a rounding boundary, and never more than one ulp from it. The
// logistic 1/(1 + e^{−a}) divides by at least 1: within 6 ε. float64 runs keep libm's g.
void activate(core::ActivationKind kind, double gain, const float* u, float* v, std::int64_t n);

// Σ_i a_i b_i over n entries, in sixteen partial sums (lane j: entries i ≡ j mod 16).
double dense_dot(const float* a, const float* b, std::int64_t n);
double dense_dot(const double* a, const double* b, std::int64_t n);

}  // namespace attractor::cpu
