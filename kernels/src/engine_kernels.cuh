#pragma once
// Internal to kernels/: the CUDA engine's kernels. Every kernel that works on "listed" states
// takes `which` (device, the state index of each listed item) and `first` (the item of
// blockIdx.y = 0), so launches over more than 65,535 states are split into the slices of
// per_neuron_launches and its siblings (attractor/cuda/launch_geometry.hpp).
#include <cuda_runtime.h>

#include <cstdint>

#include "attractor/core/activation.hpp"
#include "attractor/core/discrete.hpp"
#include "attractor/core/integrators.hpp"
#include "attractor/core/philox.hpp"
#include "cuda_check.hpp"
#include "device_model.hpp"
#include "launch.hpp"
#include "reduce.cuh"

namespace attractor::cuda {

using Index = std::int64_t;

// dst[item n + i] = f(src[which[item] n + i]) with f = g (activate) or the identity: the listed
// states gathered into a compact n × items block for one product. Thread per (neuron, item):
// coalesced reads and writes.
template <class Real>
__global__ void gather_kernel(const Real* __restrict__ src, const int* __restrict__ which,
                              Index first, Index n, bool activate, core::ActivationKind kind,
                              double gain, Real* __restrict__ dst) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index item = first + static_cast<Index>(blockIdx.y);
  if (i >= n) return;
  const Real v = src[static_cast<Index>(which[item]) * n + i];
  dst[item * n + i] = activate ? static_cast<Real>(core::activate(kind, gain, v)) : v;
}

// out[which[item]] = tv[item] − in[which[item]] + b: F(u) = T g(u) − u + b after the product.
template <class Real>
__global__ void field_scatter_kernel(const Real* __restrict__ tv, const Real* __restrict__ in,
                                     const int* __restrict__ which, Index first, Index n,
                                     const Real* __restrict__ b, Real* __restrict__ out) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index item = first + static_cast<Index>(blockIdx.y);
  if (i >= n) return;
  const Index at = static_cast<Index>(which[item]) * n + i;
  out[at] = tv[item * n + i] - in[at] + b[i];
}

// dst[which[item] n + i] = src[item n + i]: a compact block scattered back to the states.
template <class Real>
__global__ void scatter_kernel(const Real* __restrict__ src, const int* __restrict__ which,
                               Index first, Index n, Real* __restrict__ dst) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index item = first + static_cast<Index>(blockIdx.y);
  if (i >= n) return;
  dst[static_cast<Index>(which[item]) * n + i] = src[item * n + i];
}

// How a synchronous step updates a neuron: the sign rule with its tie rule, or the heat bath.
struct SyncRule {
  bool glauber;
  double temperature;
  core::CounterRng rng;
  std::uint64_t stream_offset;
};

// One synchronous step of the compact columns that are not frozen: s ← sign(y + b) (or the heat
// bath, with the draw of step steps[which[column]] + 1), fused with the step's observers. One
// warp owns one 64-neuron word of one column (two coalesced 128-byte reads of y and of s):
// ballots give the word's sign bits, hashed as core::hash_signs hashes them, and whether anything
// flipped; the block sums its warps' word hashes (mod 2^64, so order-free) in shared memory and
// adds them to the column's fingerprint with one atomic, so a step costs ⌈N / 512⌉ atomics per
// column rather than one per word. That sum stays by hand: a word exists in its warp's lane 0
// only, so a cub::BlockReduce over the 256 threads would add 248 zeros to reach the same 8 terms.
// changed and fingerprint are this step's row of the chunk's flags (zeroed before the chunk).
template <class Real>
__global__ void __launch_bounds__(kThreads)
    sync_update_kernel(Real* __restrict__ x, const Real* __restrict__ y, const Real* __restrict__ b,
                       Index n, Index first, const int* __restrict__ which,
                       const Index* __restrict__ steps, const std::uint8_t* __restrict__ frozen,
                       SyncRule rule, std::uint8_t* __restrict__ changed,
                       unsigned long long* __restrict__ fingerprint) {
  __shared__ unsigned long long block_hash[kThreads / kWarp];
  __shared__ int block_changed;
  const Index column = first + static_cast<Index>(blockIdx.y);
  if (frozen[column] != 0) return;  // the whole block leaves together
  const Index word = (static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  const int lane = static_cast<int>(threadIdx.x) % kWarp;
  const int warp = static_cast<int>(threadIdx.x) / kWarp;
  if (threadIdx.x == 0) block_changed = 0;
  __syncthreads();
  const Index state = which[column];
  const Index t = steps[state] + 1;
  const auto stream =
      static_cast<std::uint32_t>(rule.stream_offset + static_cast<std::uint64_t>(state));
  Real* s = x + column * n;
  const Real* field = y + column * n;
  unsigned halves[2];
  bool any_change = false;
#pragma unroll
  for (int half = 0; half < 2; ++half) {
    const Index i = word * 64 + half * kWarp + lane;
    bool plus = false, flipped = false;
    if (i < n) {
      const Real old = s[i];
      const Real next =
          rule.glauber ? static_cast<Real>(core::heat_bath_update(
                             static_cast<double>(field[i]) + static_cast<double>(b[i]),
                             rule.temperature, core::heat_bath_draw(rule.rng, stream, t, n, i)))
                       : core::sign_update(field[i] + b[i], old);
      flipped = next != old;
      s[i] = next;
      plus = next > Real(0);
    }
    halves[half] = __ballot_sync(kFullMask, plus);
    any_change |= __ballot_sync(kFullMask, flipped) != 0u;
  }
  if (lane == 0) {
    const std::uint64_t bits =
        static_cast<std::uint64_t>(halves[0]) | (static_cast<std::uint64_t>(halves[1]) << 32);
    block_hash[warp] = word < (n + 63) / 64 ? static_cast<unsigned long long>(core::word_hash(
                                                  bits, static_cast<std::uint64_t>(word)))
                                            : 0ull;
    if (any_change) block_changed = 1;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    unsigned long long sum = 0;
    for (int w = 0; w < kThreads / kWarp; ++w) sum += block_hash[w];
    atomicAdd(fingerprint + column, sum);
    if (block_changed != 0) changed[column] = 1;
  }
}

// After each synchronous step, one thread per column: counts the step and applies the rule that
// ends a trajectory under the sign rule (nothing changed, or core::push_fingerprint closes a
// cycle on the state's ring), freezing the column for the rest of the chunk. The host replays the
// same flags through core::CycleHistory and reaches the same verdict.
__global__ void sync_classify_kernel(int m, const int* __restrict__ which, bool glauber,
                                     int max_period, const std::uint8_t* __restrict__ changed,
                                     const unsigned long long* __restrict__ fingerprint,
                                     std::uint8_t* __restrict__ frozen, Index* __restrict__ taken,
                                     Index* __restrict__ steps, std::uint64_t* __restrict__ rings,
                                     int* __restrict__ ring_size, int* __restrict__ ring_next) {
  const int column = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (column >= m || frozen[column] != 0) return;
  const Index state = which[column];
  ++taken[column];
  ++steps[state];
  if (glauber) return;
  if (changed[column] == 0) {
    frozen[column] = 1;
    return;
  }
  if (core::push_fingerprint(rings + state * (max_period + 1), ring_size[state], ring_next[state],
                             max_period, fingerprint[column]) > 0) {
    frozen[column] = 1;
  }
}

// A linear combination of up to seven per-state vectors, Σ_j c_j v_j[b], with the vectors
// addressed by state (v_j + b n).
template <class Real>
struct Combination {
  const Real* v[7];
  double c[7];
  int terms;
};

// dst[b] = base[b] + h_item · Σ_j c_j k_j[b] for each listed state b (a Runge–Kutta stage point).
// Thread per (neuron, item); the combination is summed in float64. The terms loop is unrolled
// over all seven slots so the combination stays in registers: indexing the by-value struct with a
// runtime bound would put it in a local-memory stack frame.
template <class Real>
__global__ void stage_kernel(Real* __restrict__ dst, const Real* __restrict__ base,
                             Combination<Real> k, const double* __restrict__ h,
                             const int* __restrict__ which, Index first, Index n) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index item = first + static_cast<Index>(blockIdx.y);
  if (i >= n) return;
  const Index b = which[item];
  const Index at = b * n + i;
  double incr = 0.0;
#pragma unroll
  for (int j = 0; j < 7; ++j) {
    if (j < k.terms) incr += k.c[j] * static_cast<double>(k.v[j][at]);
  }
  dst[at] = static_cast<Real>(static_cast<double>(base[at]) + h[item] * incr);
}

// Accepts a step (of h[item]) for each listed state: u_prev ← u, f_prev ← k1, then either u ← next,
// k1 ← k_last (Dormand–Prince: the stage point is the new solution and its F the next k1) or, when
// next is null, u ← u + h Σ_j w_j k_j (Euler, RK4; k1 is re-evaluated afterwards).
template <class Real>
__global__ void accept_kernel(Real* __restrict__ u, Real* __restrict__ k1,
                              Real* __restrict__ u_prev, Real* __restrict__ f_prev,
                              const Real* __restrict__ next, const Real* __restrict__ k_last,
                              Combination<Real> update, const double* __restrict__ h,
                              const int* __restrict__ which, Index first, Index n) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index item = first + static_cast<Index>(blockIdx.y);
  if (i >= n) return;
  const Index b = which[item];
  const Index at = b * n + i;
  const Real u0 = u[at];
  const Real f0 = k1[at];
  u_prev[at] = u0;
  f_prev[at] = f0;
  if (next != nullptr) {
    u[at] = next[at];
    k1[at] = k_last[at];
    return;
  }
  double incr = 0.0;
#pragma unroll
  for (int j = 0; j < 7; ++j) {
    if (j < update.terms) incr += update.c[j] * static_cast<double>(update.v[j][at]);
  }
  u[at] = static_cast<Real>(static_cast<double>(u0) + h[item] * incr);
}

// A section point to interpolate: sections[slot][state] = Σ weights · (u_prev, f_prev, u, k1).
struct HermiteJob {
  int state;
  int slot;
  double weight[4];
};

// Thread per (neuron, job). `sections` holds `slots` × batch points of n entries.
template <class Real>
__global__ void hermite_kernel(Real* __restrict__ sections, const HermiteJob* __restrict__ jobs,
                               Index first, Index n, Index batch, const Real* __restrict__ u_prev,
                               const Real* __restrict__ f_prev, const Real* __restrict__ u,
                               const Real* __restrict__ k1) {
  const Index i = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const HermiteJob job = jobs[first + blockIdx.y];
  if (i >= n) return;
  const Index at = static_cast<Index>(job.state) * n + i;
  const double value = job.weight[0] * static_cast<double>(u_prev[at]) +
                       job.weight[1] * static_cast<double>(f_prev[at]) +
                       job.weight[2] * static_cast<double>(u[at]) +
                       job.weight[3] * static_cast<double>(k1[at]);
  sections[(static_cast<Index>(job.slot) * batch + job.state) * n + i] = static_cast<Real>(value);
}

// --- Reduction terms (reduce.cuh): what one element i of one item adds. ---

// After a step: ‖k1‖², w·k1, w·f_prev, w·u, w·u_prev (the section projections) and ‖u − last
// section point‖² (0 when the state has none yet, last_slot < 0).
template <class Real>
struct SettleTerm {
  const Real *k1, *u, *u_prev, *f_prev, *sections;
  const double* w;
  const int* which;
  const int* last_slot;
  Index n, batch;
  __device__ void add(int item, Index i, double* acc) const {
    const Index b = which[item];
    const Index at = b * n + i;
    const double k = k1[at], uu = u[at];
    acc[0] += k * k;
    acc[1] += w[i] * k;
    acc[2] += w[i] * static_cast<double>(f_prev[at]);
    acc[3] += w[i] * uu;
    acc[4] += w[i] * static_cast<double>(u_prev[at]);
    const int slot = last_slot[item];
    if (slot >= 0) {
      const double d = uu - static_cast<double>(sections[(slot * batch + b) * n + i]);
      acc[5] += d * d;
    }
  }
};

// Σ_i (h e_i / (atol + rtol max(|u_i|, |u'_i|)))², e = Σ_j E_j k_j: the Dormand–Prince error.
template <class Real>
struct DopriErrorTerm {
  Combination<Real> error;  // k_1..k_7 with the weights E_j
  const Real *u, *next;
  const double* h;
  const int* which;
  Index n;
  double atol, rtol;
  __device__ void add(int item, Index i, double* acc) const {
    const Index b = which[item];
    const Index at = b * n + i;
    double e = 0.0;
#pragma unroll
    for (int j = 0; j < 7; ++j) {
      if (j < error.terms) e += error.c[j] * static_cast<double>(error.v[j][at]);
    }
    const double scale =
        atol + rtol * fmax(fabs(static_cast<double>(u[at])), fabs(static_cast<double>(next[at])));
    const double ratio = h[item] * e / scale;
    acc[0] += ratio * ratio;
  }
};

// ‖sections[a][state] − sections[c][state]‖² for each (state, a, c).
struct DevicePair {
  int state, a, c;
};
template <class Real>
struct SectionDistanceTerm {
  const Real* sections;
  const DevicePair* pairs;
  Index n, batch;
  __device__ void add(int item, Index i, double* acc) const {
    const DevicePair p = pairs[item];
    const double d = static_cast<double>(sections[(p.a * batch + p.state) * n + i]) -
                     static_cast<double>(sections[(p.c * batch + p.state) * n + i]);
    acc[0] += d * d;
  }
};

// Asynchronous sweeps, exactly the CPU's (sign rule or heat bath): block = one listed state (a
// block whose state has settled returns at once). Per sweep the block draws the Fisher–Yates swaps
// in parallel (draw for position p keyed by (AsyncOrder, stream_offset + b, sweep·N + p), bound
// p + 1), thread 0 applies them in order (the shuffle is sequential by definition), then the
// neurons are updated one at a time in that order; the block parallelizes each field (a dense row,
// a CSR row, or P overlap terms for factored weights) and reduces it with a fixed tree. Bytes per
// sweep: the row reads, N² · sizeof(Real) for dense weights; O(N P) bits for factored; 8 nnz for
// CSR.
template <class Real>
__global__ void __launch_bounds__(kThreads)
    async_sweeps_kernel(WeightView<Real> w, Real* __restrict__ states,
                        const int* __restrict__ which, SyncRule rule, Index sweep_end,
                        Index* __restrict__ steps, int* __restrict__ settled,
                        std::uint32_t* __restrict__ order_all,
                        std::uint32_t* __restrict__ draws_all, double* __restrict__ sums_all) {
  using FieldReduction = BlockReduction<double, kThreads>;
  __shared__ FieldReduction::TempStorage storage;
  __shared__ int flips;
  __shared__ int flipped;
  const Index b = which[blockIdx.x];
  const core::CounterRng rng = rule.rng;
  if (settled[b] != 0) return;
  const Index n = w.n;
  Real* s = states + b * n;
  std::uint32_t* order = order_all + b * n;
  std::uint32_t* draws = draws_all + b * n;
  double* m = w.kind == WeightKind::Factored ? sums_all + b * w.patterns : nullptr;
  const auto stream =
      static_cast<std::uint32_t>(rule.stream_offset + static_cast<std::uint64_t>(b));
  const Index tid = threadIdx.x;
  for (Index sweep = steps[b] + 1; sweep <= sweep_end; ++sweep) {
    for (Index pos = tid + 1; pos < n; pos += blockDim.x) {
      draws[pos] = core::async_swap_partner(rng, stream, sweep, n, pos);
    }
    __syncthreads();
    if (tid == 0) {
      core::apply_swaps(order, draws, n);
      flips = 0;
    }
    __syncthreads();
    for (Index pos = 0; pos < n; ++pos) {
      const Index i = order[pos];
      double part = 0.0;
      if (w.kind == WeightKind::Dense) {
        const Real* row = w.dense + i * n;
        for (Index j = tid; j < n; j += blockDim.x) part += static_cast<double>(row[j] * s[j]);
      } else if (w.kind == WeightKind::Csr) {
        for (Index k = w.row_ptr[i] + tid; k < w.row_ptr[i + 1]; k += blockDim.x) {
          part += static_cast<double>(w.values[k] * s[w.col[k]]);
        }
      } else {
        const unsigned bit = static_cast<unsigned>(i % 32);
        for (Index mu = tid; mu < w.patterns; mu += blockDim.x) {
          const bool plus = (w.xi[mu * w.words + i / 32] >> bit) & 1u;
          part += plus ? m[mu] : -m[mu];
        }
      }
      // In thread 0, which alone updates s_i; the barrier after it lets the next field reuse
      // `storage`.
      const double total = FieldReduction(storage).Sum(part);
      if (tid == 0) {
        const Real old = s[i];
        const double f =
            w.kind == WeightKind::Factored
                ? (total - static_cast<double>(w.patterns) * static_cast<double>(old)) /
                      static_cast<double>(n)
                : total;
        const Real next = rule.glauber ? static_cast<Real>(core::heat_bath_update(
                                             f + static_cast<double>(w.b[i]), rule.temperature,
                                             core::heat_bath_draw(rng, stream, sweep, n, i)))
                                       : core::sign_update(static_cast<Real>(f) + w.b[i], old);
        flipped = next != old;
        if (flipped) {
          s[i] = next;
          ++flips;
        }
      }
      __syncthreads();
      if (m != nullptr && flipped) {
        const double now = static_cast<double>(s[i]);
        const unsigned bit = static_cast<unsigned>(i % 32);
        for (Index mu = tid; mu < w.patterns; mu += blockDim.x) {
          const bool plus = (w.xi[mu * w.words + i / 32] >> bit) & 1u;
          m[mu] += plus ? 2.0 * now : -2.0 * now;
        }
        __syncthreads();
      }
    }
    if (tid == 0) steps[b] = sweep;
    if (flips == 0 && !rule.glauber) {
      if (tid == 0) settled[b] = 1;
      return;
    }
  }
}

}  // namespace attractor::cuda
