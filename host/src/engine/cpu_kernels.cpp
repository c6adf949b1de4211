#include "engine/cpu_kernels.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

// One version per x86-64 level, picked by the loader (an ifunc); elsewhere the one the compiler
// targets. Each entry point is a plain overload that inlines the shared template body, compiled
// anew for each level. GCC only: clang 14 takes "arch=x86-64-v4" for a CPU name, and its resolver
// then picks the AVX-512 version on machines without AVX-512 (an illegal instruction in the
// sanitizer build); clang builds get the baseline version, which computes the same bits.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ATTRACTOR_CPU_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ATTRACTOR_CPU_CLONES
#endif
#define ATTRACTOR_INLINE inline __attribute__((always_inline))

namespace attractor::cpu {
namespace {

using Index = std::int64_t;

template <class Load>
ATTRACTOR_INLINE double four_sums(Index begin, Index end, Load load) {
  double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
  Index k = begin;
  for (; k + 3 < end; k += 4) {
    a0 += load(k);
    a1 += load(k + 1);
    a2 += load(k + 2);
    a3 += load(k + 3);
  }
  for (; k < end; ++k) a0 += load(k);
  return (a0 + a1) + (a2 + a3);
}

template <class Real>
ATTRACTOR_INLINE double csr_dot_body(const Real* values, const std::int32_t* cols, Index begin,
                                     Index end, const Real* x) {
  return four_sums(begin, end, [&](Index k) {
    return static_cast<double>(values[k]) * static_cast<double>(x[cols[k]]);
  });
}

// Stored entries ahead of the one being summed whose state is prefetched: the columns are known
// in advance, so the random reads of the state overlap instead of waiting one after another.
constexpr Index kPrefetchAhead = 16;

template <class State>
ATTRACTOR_INLINE void prefetch(const State* x, const std::int32_t* cols, Index k, Index last,
                               Index m) {
  if (k + kPrefetchAhead < last) {
    __builtin_prefetch(x + static_cast<Index>(cols[k + kPrefetchAhead]) * m);
  }
}

// Lanes [j0, j0 + Width) of row i, the Width sums held in registers across the row.
template <int Width, class Real, class State>
ATTRACTOR_INLINE void row_lanes(const Real* values, const std::int32_t* cols, Index begin,
                                Index end, Index last, const State* x, Index m, Index j0,
                                double* out) {
  double acc[Width] = {};
  for (Index k = begin; k < end; ++k) {
    prefetch(x + j0, cols, k, last, m);
    const double v = static_cast<double>(values[k]);
    const State* in = x + static_cast<Index>(cols[k]) * m + j0;
#pragma omp simd
    for (int j = 0; j < Width; ++j) acc[j] += v * static_cast<double>(in[j]);
  }
  for (int j = 0; j < Width; ++j) out[j0 + j] = acc[j];
}

template <class Real, class State>
ATTRACTOR_INLINE void csr_fields_body(const Real* values, const std::int32_t* cols,
                                      const Index* row_ptr, Index begin, Index end, const State* x,
                                      Index m, double* out) {
  const Index last = row_ptr[end];
  if (m == 1) {
    for (Index i = begin; i < end; ++i) {
      out[i - begin] = four_sums(row_ptr[i], row_ptr[i + 1], [&](Index k) {
        prefetch(x, cols, k, last, 1);
        return static_cast<double>(values[k]) * static_cast<double>(x[cols[k]]);
      });
    }
    return;
  }
  // Lanes in groups of 16, then 4, then 1: each group's sums stay in registers.
  for (Index i = begin; i < end; ++i) {
    double* o = out + (i - begin) * m;
    Index j0 = 0;
    for (; j0 + 16 <= m; j0 += 16) {
      row_lanes<16>(values, cols, row_ptr[i], row_ptr[i + 1], last, x, m, j0, o);
    }
    for (; j0 + 4 <= m; j0 += 4) {
      row_lanes<4>(values, cols, row_ptr[i], row_ptr[i + 1], last, x, m, j0, o);
    }
    for (; j0 < m; ++j0) row_lanes<1>(values, cols, row_ptr[i], row_ptr[i + 1], last, x, m, j0, o);
  }
}

// Sixteen partial sums, lane j taking the entries k ≡ j (mod 16), added in a fixed tree: an order
// the source fixes, which every vector width computes alike (a 4-sum chain would leave a
// streaming dot product bound by the adder's latency instead of by memory).
template <class Real>
ATTRACTOR_INLINE double dense_dot_body(const Real* a, const Real* b, Index n) {
  constexpr int kLanes = 16;
  double acc[kLanes] = {};
  Index k = 0;
  for (; k + kLanes <= n; k += kLanes) {
#pragma omp simd
    for (int j = 0; j < kLanes; ++j) {
      acc[j] += static_cast<double>(a[k + j]) * static_cast<double>(b[k + j]);
    }
  }
  for (int j = 0; k < n; ++k, ++j) acc[j] += static_cast<double>(a[k]) * static_cast<double>(b[k]);
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int j = 0; j < width; ++j) acc[j] += acc[j + width];
  }
  return acc[0];
}

}  // namespace

ATTRACTOR_CPU_CLONES void activate(core::ActivationKind kind, double gain, const float* u, float* v,
                                   Index n) {
  using Chunk = Eigen::Array<double, 256, 1>;
  constexpr Index kChunk = 256;
  constexpr double kSeriesBelow = 0x1p-13;
  if (kind != core::ActivationKind::Tanh && kind != core::ActivationKind::Logistic) {
    for (Index k = 0; k < n; ++k) {
      v[k] = static_cast<float>(core::activate(kind, gain, static_cast<double>(u[k])));
    }
    return;
  }
  Chunk a, e;
  for (Index first = 0; first < n; first += kChunk) {
    const Index count = std::min(kChunk, n - first);
    for (Index k = 0; k < count; ++k) a[k] = gain * static_cast<double>(u[first + k]);
    for (Index k = count; k < kChunk; ++k) a[k] = 0.0;
    if (kind == core::ActivationKind::Logistic) {
      e = (-a).exp();
      // NaN is kept (Eigen's exp clamps its argument, which would turn NaN into a number).
      for (Index k = 0; k < count; ++k) {
        v[first + k] = static_cast<float>(std::isnan(a[k]) ? a[k] : 1.0 / (1.0 + e[k]));
      }
      continue;
    }
    e = (-2.0 * a.abs()).exp();
    for (Index k = 0; k < count; ++k) {
      const double x = std::fabs(a[k]);
      const double x2 = x * x;
      const double t = x < kSeriesBelow ? x * (1.0 - x2 * (1.0 / 3.0 - x2 * (2.0 / 15.0)))
                                        : (1.0 - e[k]) / (1.0 + e[k]);
      v[first + k] = static_cast<float>(std::isnan(x) ? x : std::copysign(t, a[k]));
    }
  }
}

ATTRACTOR_CPU_CLONES void popcount_overlaps(const std::uint64_t* xi, Index mu_begin, Index mu_end,
                                            Index words, const std::uint64_t* s, Index m, Index n,
                                            std::int64_t* sums) {
  for (Index mu = mu_begin; mu < mu_end; ++mu) {
    const std::uint64_t* pattern = xi + mu * words;
    for (Index j = 0; j < m; ++j) {
      const std::uint64_t* state = s + j * words;
      std::int64_t differ = 0;
      for (Index w = 0; w < words; ++w) differ += __builtin_popcountll(pattern[w] ^ state[w]);
      sums[(mu - mu_begin) * m + j] = n - 2 * differ;
    }
  }
}

template <class Acc>
ATTRACTOR_INLINE void add_byte_lookups_body(const Acc* tables, const std::uint8_t* bytes, Index n,
                                            Index g_begin, Index g_end, Index m, Index begin,
                                            Index end, Acc* acc) {
  for (Index g = g_begin; g < g_end; ++g) {
    const Acc* table = tables + g * 256 * m;
    const std::uint8_t* group = bytes + g * n;
    for (Index i = begin; i < end; ++i) {
      const Acc* row = table + group[i] * m;
      Acc* out = acc + (i - begin) * m;
#pragma omp simd
      for (Index j = 0; j < m; ++j) out[j] += row[j];
    }
  }
}

ATTRACTOR_CPU_CLONES void add_byte_lookups(const std::int32_t* tables, const std::uint8_t* bytes,
                                           Index n, Index g_begin, Index g_end, Index m,
                                           Index begin, Index end, std::int32_t* acc) {
  add_byte_lookups_body(tables, bytes, n, g_begin, g_end, m, begin, end, acc);
}
ATTRACTOR_CPU_CLONES void add_byte_lookups(const std::int64_t* tables, const std::uint8_t* bytes,
                                           Index n, Index g_begin, Index g_end, Index m,
                                           Index begin, Index end, std::int64_t* acc) {
  add_byte_lookups_body(tables, bytes, n, g_begin, g_end, m, begin, end, acc);
}

ATTRACTOR_CPU_CLONES void csr_fields(const float* values, const std::int32_t* cols,
                                     const Index* row_ptr, Index begin, Index end, const float* x,
                                     Index m, double* out) {
  csr_fields_body(values, cols, row_ptr, begin, end, x, m, out);
}
ATTRACTOR_CPU_CLONES void csr_fields(const double* values, const std::int32_t* cols,
                                     const Index* row_ptr, Index begin, Index end, const double* x,
                                     Index m, double* out) {
  csr_fields_body(values, cols, row_ptr, begin, end, x, m, out);
}
ATTRACTOR_CPU_CLONES void csr_fields(const float* values, const std::int32_t* cols,
                                     const Index* row_ptr, Index begin, Index end,
                                     const std::int8_t* x, Index m, double* out) {
  csr_fields_body(values, cols, row_ptr, begin, end, x, m, out);
}
ATTRACTOR_CPU_CLONES void csr_fields(const double* values, const std::int32_t* cols,
                                     const Index* row_ptr, Index begin, Index end,
                                     const std::int8_t* x, Index m, double* out) {
  csr_fields_body(values, cols, row_ptr, begin, end, x, m, out);
}
ATTRACTOR_CPU_CLONES double csr_dot(const float* values, const std::int32_t* cols, Index begin,
                                    Index end, const float* x) {
  return csr_dot_body(values, cols, begin, end, x);
}
ATTRACTOR_CPU_CLONES double csr_dot(const double* values, const std::int32_t* cols, Index begin,
                                    Index end, const double* x) {
  return csr_dot_body(values, cols, begin, end, x);
}
ATTRACTOR_CPU_CLONES double dense_dot(const float* a, const float* b, Index n) {
  return dense_dot_body(a, b, n);
}
ATTRACTOR_CPU_CLONES double dense_dot(const double* a, const double* b, Index n) {
  return dense_dot_body(a, b, n);
}

}  // namespace attractor::cpu
