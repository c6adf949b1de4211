#include "engine/cpu_kernels.hpp"

// One version per x86-64 level, picked by the loader (an ifunc); elsewhere the one the compiler
// targets. Templates cannot carry target_clones under clang, so each entry point is a plain
// overload that inlines the shared template body, compiled anew for each level.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ATTRACTOR_CPU_CLONES \
  __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ATTRACTOR_CPU_CLONES
#endif
#define ATTRACTOR_INLINE inline __attribute__((always_inline))

namespace attractor::cpu {
namespace {

using Index = std::int64_t;

template <class Real, class Load>
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
  return four_sums<Real>(begin, end, [&](Index k) {
    return static_cast<double>(values[k]) * static_cast<double>(x[cols[k]]);
  });
}

template <class Real>
ATTRACTOR_INLINE void csr_fields_body(const Real* values, const std::int32_t* cols,
                                      const Index* row_ptr, Index begin, Index end, const Real* x,
                                      Index m, double* out) {
  if (m == 1) {
    for (Index i = begin; i < end; ++i) {
      out[i - begin] = csr_dot_body(values, cols, row_ptr[i], row_ptr[i + 1], x);
    }
    return;
  }
  for (Index i = begin; i < end; ++i) {
    double* o = out + (i - begin) * m;
    for (Index j = 0; j < m; ++j) o[j] = 0.0;
    for (Index k = row_ptr[i]; k < row_ptr[i + 1]; ++k) {
      const double v = static_cast<double>(values[k]);
      const Real* in = x + static_cast<Index>(cols[k]) * m;
#pragma omp simd
      for (Index j = 0; j < m; ++j) o[j] += v * static_cast<double>(in[j]);
    }
  }
}

template <class Real>
ATTRACTOR_INLINE double dense_dot_body(const Real* a, const Real* b, Index n) {
  return four_sums<Real>(
      Index{0}, n, [&](Index k) { return static_cast<double>(a[k]) * static_cast<double>(b[k]); });
}

}  // namespace

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
