#pragma once
// What the benchmark programs share: timing helpers and the random networks and states they time.
// Every draw comes from core::CounterRng addressed by (purpose, stream, index), so the generators
// fill rows in parallel (OpenMP) and still produce the same data for any thread count.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "attractor/core/csr_matrix.hpp"
#include "attractor/core/dense_matrix.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/core/state_batch.hpp"
#include "attractor/host/io/npy.hpp"

namespace attractor::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The upper median (the middle element of an odd count); the samples are taken by value.
inline double median(std::vector<double> samples) {
  const auto middle = samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 2);
  std::nth_element(samples.begin(), middle, samples.end());
  return *middle;
}

// Calls setup() untimed and then timed() timed, once as a warm-up (first-touched pages, lazily
// built layouts) and then `repeats` times; returns the median of seconds / units, where timed()
// returns the units of work it did (steps, products).
template <class Setup, class Timed>
double median_seconds_per_unit(int repeats, Setup&& setup, Timed&& timed) {
  std::vector<double> samples;
  for (int r = 0; r <= repeats; ++r) {
    setup();
    const auto start = Clock::now();
    const double units = timed();
    if (r > 0) samples.push_back(seconds_since(start) / units);
  }
  return median(samples);
}

inline double as_double(std::int64_t count) { return static_cast<double>(count); }

// STREAM-style copy over arrays far larger than the caches, on every thread: the bandwidth a
// memory-bound CPU kernel can hope for. Bytes counted as read + write.
inline double cpu_copy_bandwidth() {
  const std::size_t n = std::size_t{1} << 25;  // 256 MiB per array
  std::vector<double> a(n, 1.0), b(n, 0.0);
  std::vector<double> times;
  for (int r = 0; r < 6; ++r) {
    const auto start = Clock::now();
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < n; ++i) b[i] = a[i];
    times.push_back(seconds_since(start));
  }
  times.erase(times.begin());
  return 2.0 * 8.0 * static_cast<double>(n) / median(times);
}

// Random asymmetric CSR matrix: row i draws k columns uniformly (CounterRng(seed).below(Weights,
// stream i, index j < k)), sorted, with duplicates and the diagonal removed, so a row keeps
// k − O(k²/n) entries; entry (i, c) is ±scale with a random sign (stream i, index 2^40 + c).
// Zero-mean couplings without symmetry: under synchronous updates the state wanders instead of
// settling, so a run takes every step it is given.
template <class T = double>
core::CsrMatrix<T> random_csr(std::int64_t n, std::int64_t k, double scale, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  std::vector<std::int32_t> drawn(static_cast<std::size_t>(n * k));
  std::vector<std::int64_t> kept(static_cast<std::size_t>(n));
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    std::int32_t* row = drawn.data() + i * k;
    for (std::int64_t j = 0; j < k; ++j) {
      row[j] = static_cast<std::int32_t>(
          rng.below(core::RngPurpose::Weights, static_cast<std::uint32_t>(i),
                    static_cast<std::uint64_t>(j), static_cast<std::uint32_t>(n)));
    }
    std::sort(row, row + k);
    std::int32_t* end = std::unique(row, row + k);
    end = std::remove(row, end, static_cast<std::int32_t>(i));
    kept[i] = end - row;
  }
  core::CsrMatrix<T> m;
  m.rows = m.cols = n;
  m.row_ptr.assign(static_cast<std::size_t>(n) + 1, 0);
  for (std::int64_t i = 0; i < n; ++i) m.row_ptr[i + 1] = m.row_ptr[i] + kept[i];
  m.col_idx.resize(static_cast<std::size_t>(m.row_ptr[n]));
  m.values.resize(static_cast<std::size_t>(m.row_ptr[n]));
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t e = 0; e < kept[i]; ++e) {
      const std::int32_t c = drawn[i * k + e];
      m.col_idx[m.row_ptr[i] + e] = c;
      m.values[m.row_ptr[i] + e] = static_cast<T>(
          scale * rng.sign(core::RngPurpose::Weights, static_cast<std::uint32_t>(i),
                           (std::uint64_t{1} << 40) + static_cast<std::uint64_t>(c)));
    }
  }
  return m;
}

// Random asymmetric dense n × n matrix, T_ij = scale · (U − ½) with U uniform in [0, 1)
// (stream `stream`, index i n + j) and T_ii = 0: zero mean, variance scale² / 12.
inline core::DenseMatrix<double> random_dense(std::int64_t n, double scale, std::uint64_t seed,
                                              std::uint32_t stream) {
  const core::CounterRng rng{seed};
  core::DenseMatrix<double> T(n, n);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      T(i, j) = i == j ? 0.0
                       : scale * (rng.uniform(core::RngPurpose::Weights, stream,
                                              static_cast<std::uint64_t>(i * n + j)) -
                                  0.5);
    }
  }
  return T;
}

// `count` random asymmetric n × n matrices stacked row-major (network e at e n²): T_ij = ±scale
// with random signs (stream e, index i n + j), T_ii = 0.
inline std::vector<double> random_sign_stack(std::int64_t count, std::int64_t n, double scale,
                                             std::uint64_t seed) {
  const core::CounterRng rng{seed};
  std::vector<double> values(static_cast<std::size_t>(count * n * n));
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < count; ++e) {
    double* T = values.data() + e * n * n;
    for (std::int64_t i = 0; i < n; ++i) {
      for (std::int64_t j = 0; j < n; ++j) {
        T[i * n + j] =
            i == j ? 0.0
                   : scale * rng.sign(core::RngPurpose::Weights, static_cast<std::uint32_t>(e),
                                      static_cast<std::uint64_t>(i * n + j));
      }
    }
  }
  return values;
}

// `count` Hebbian networks of n neurons stacked row-major (network e at e n²), each storing its own
// p patterns — ξ^μ_i = CounterRng(seed).sign(Patterns, stream e, index μ n + i) — as
// T_ij = (1/n) Σ_μ ξ^μ_i ξ^μ_j, T_ii = 0 (so n T is integers in [−p, p]), and one cue per network:
// its pattern 0 with each sign flipped with probability `noise` (CueNoise, stream e, index i).
struct HebbianStack {
  std::vector<double> weights;
  core::StateBatch cues;
};
inline HebbianStack hebbian_stack(std::int64_t count, std::int64_t n, std::int64_t p, double noise,
                                  std::uint64_t seed) {
  const core::CounterRng rng{seed};
  HebbianStack stack{std::vector<double>(static_cast<std::size_t>(count * n * n)),
                     core::StateBatch(count, n)};
  const double scale = 1.0 / static_cast<double>(n);
#pragma omp parallel for schedule(static)
  for (std::int64_t e = 0; e < count; ++e) {
    const auto stream = static_cast<std::uint32_t>(e);
    std::vector<std::int32_t> xi(static_cast<std::size_t>(p * n)), k(static_cast<std::size_t>(n));
    for (std::int64_t q = 0; q < p * n; ++q) {
      xi[q] =
          rng.sign(core::RngPurpose::Patterns, stream, static_cast<std::uint64_t>(q)) > 0 ? 1 : -1;
    }
    double* T = stack.weights.data() + e * n * n;
    for (std::int64_t i = 0; i < n; ++i) {
      std::fill(k.begin(), k.end(), 0);
      for (std::int64_t mu = 0; mu < p; ++mu) {
        const std::int32_t* pattern = xi.data() + mu * n;
        for (std::int64_t j = 0; j < n; ++j) k[j] += pattern[i] * pattern[j];
      }
      k[i] = 0;
      for (std::int64_t j = 0; j < n; ++j) T[i * n + j] = scale * static_cast<double>(k[j]);
    }
    double* cue = stack.cues.state(e);
    for (std::int64_t i = 0; i < n; ++i) {
      const bool flip =
          rng.uniform(core::RngPurpose::CueNoise, stream, static_cast<std::uint64_t>(i)) < noise;
      cue[i] = flip ? -static_cast<double>(xi[i]) : static_cast<double>(xi[i]);
    }
  }
  return stack;
}

// B random ±1 states (InitialState, stream 0, index b n + i).
inline core::StateBatch random_states(std::int64_t batch, std::int64_t n, std::uint64_t seed) {
  const core::CounterRng rng{seed};
  core::StateBatch s(batch, n);
  const auto count = static_cast<std::int64_t>(s.values.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t k = 0; k < count; ++k) {
    s.values[k] = rng.sign(core::RngPurpose::InitialState, 0, static_cast<std::uint64_t>(k));
  }
  return s;
}

// B states with entries uniform in [−amplitude, amplitude) (InitialState, stream 1): starting
// points u(0) for continuous dynamics.
inline core::StateBatch random_uniform_states(std::int64_t batch, std::int64_t n, double amplitude,
                                              std::uint64_t seed) {
  const core::CounterRng rng{seed};
  core::StateBatch s(batch, n);
  const auto count = static_cast<std::int64_t>(s.values.size());
#pragma omp parallel for schedule(static)
  for (std::int64_t k = 0; k < count; ++k) {
    s.values[k] =
        amplitude *
        (2.0 * rng.uniform(core::RngPurpose::InitialState, 1, static_cast<std::uint64_t>(k)) - 1.0);
  }
  return s;
}

// The CSR matrix as row_ptr.npy, col_idx.npy and values.npy in `dir`, for bench/peer_scipy.py to
// time the same step on the same data.
inline void export_csr(const std::string& dir, const core::CsrMatrix<double>& csr) {
  namespace fs = std::filesystem;
  fs::create_directories(dir);
  const auto path = [&](const char* name) { return (fs::path(dir) / name).string(); };
  write_npy(path("row_ptr.npy"), {csr.rows + 1},
            std::vector<double>(csr.row_ptr.begin(), csr.row_ptr.end()), NpyDtype::Float64);
  write_npy(path("col_idx.npy"), {csr.nnz()},
            std::vector<double>(csr.col_idx.begin(), csr.col_idx.end()), NpyDtype::Int32);
  write_npy(path("values.npy"), {csr.nnz()}, csr.values);
}

// The options the CPU benchmarks share: --quick (smaller problems, for a smoke run) and
// --export DIR (the sparse matrix for the peer). Anything else prints `usage` (when `speak`) and
// gives the exit code to return: 0 for --help, 2 otherwise; -1 means go on.
struct BenchArgs {
  bool quick = false;
  std::string export_dir;
};
inline int parse_bench_args(int argc, char** argv, BenchArgs& args, const char* usage,
                            bool speak = true) {
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--export") == 0 && a + 1 < argc) {
      args.export_dir = argv[++a];
    } else if (std::strcmp(argv[a], "--quick") == 0) {
      args.quick = true;
    } else {
      if (speak) std::cerr << usage;
      return std::strcmp(argv[a], "--help") == 0 ? 0 : 2;
    }
  }
  return -1;
}

}  // namespace attractor::bench
