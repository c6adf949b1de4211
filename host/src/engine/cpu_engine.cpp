#include "attractor/host/engine/cpu_engine.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <new>
#include <optional>
#include <string>
#include <variant>

#include "attractor/core/discrete.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/integrators.hpp"
#include "attractor/core/observers.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/core/run_dynamics.hpp"
#include "engine/cpu_kernels.hpp"
#include "engine/factored_fields.hpp"

namespace attractor {

using core::Dynamics;
using Index = std::int64_t;

namespace {

using cpu::kBlock;
using cpu::parallel;
// Rows per partial sum of a per-state reduction (norms, the Dormand–Prince error): sums over
// fixed chunks, added in chunk order, give the same bits for any number of threads.
constexpr Index kSumChunk = 4096;

template <class Real>
using RowMatrix = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Storage aligned to a cache line, for the arrays a product gathers rows of: 16 interleaved
// float32 states of a neuron are then one line, not two.
template <class T>
struct CacheAligned {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheAligned() = default;
  template <class U>
  explicit CacheAligned(const CacheAligned<U>& /*other*/) {}
  T* allocate(std::size_t count) {
    return static_cast<T*>(::operator new(count * sizeof(T), kAlign));
  }
  void deallocate(T* p, std::size_t /*count*/) { ::operator delete(p, kAlign); }
  friend bool operator==(const CacheAligned& /*a*/, const CacheAligned& /*b*/) { return true; }
  friend bool operator!=(const CacheAligned& /*a*/, const CacheAligned& /*b*/) { return false; }
};
template <class T>
using LineVector = std::vector<T, CacheAligned<T>>;

// The network in the form the loops below use, its weights in Real: weights, effective bias
// b = h − a, activation. States are interleaved ("state-major"): the m states of a pass are
// m × N values with state j of neuron i at x[i m + j], so a row's stored weights, read once,
// serve every state, and row i's m fields are contiguous.
template <class Real>
class Model {
 public:
  Model(const core::Network& network, bool binary_states, const Processes* processes)
      : net_(network), n_(network.size()), binary_states_(binary_states), observed_(network),
        xi_(std::get_if<core::FactoredWeights>(&network.weights)) {
    core::visit_csr(network.weights, [&](const auto& csr) {
      csr_ = {csr.row_ptr.data(), csr.col_idx.data()};
      values_ = Values(csr.values);
    });
    core::visit_dense(network.weights, [&](const auto& dense) { values_ = Values(dense.values); });
    if (processes != nullptr && processes->size() > 1) partition_rows(*processes);
  }
  Index n() const { return n_; }
  double b(Index i) const { return observed_.b(i); }
  const core::Activation& activation() const { return net_.activation; }

  // Sparse weights on one process compute fields block by block inside the caller's pass over
  // rows (fields), so no N × m field array is written and read back; every other form computes
  // all fields first (prepare).
  void prepare(const Real* x, Index m) {
    if (sparse() && processes_ == nullptr) return;
    fields_.resize(static_cast<std::size_t>(n_ * m));
    if (sparse()) {
      exchange_rows(x, m);
    } else if (xi_ != nullptr) {
      // ±1 states (discrete runs) take Ξ as bits, packed on the first product; rates take the
      // int8 GEMMs, and never pack.
      if (binary_states_ && !packed_) packed_.emplace(xi_->patterns);
      if (!binary_states_ || !packed_->fields(x, m, fields_.data())) {
        cpu::factored_fields(xi_->patterns, x, m, fields_.data());
      }
    } else if (m == 1) {
      // One state: a streaming product, row by row with the dot the asynchronous field uses.
      const Real* T = values_.data();
#pragma omp parallel for schedule(static) if (parallel(n_ * n_))
      for (Index i = 0; i < n_; ++i) fields_[i] = cpu::dense_dot(T + i * n_, x, n_);
    } else {
      Eigen::Map<const RowMatrix<Real>> T(values_.data(), n_, n_);
      Eigen::Map<const RowMatrix<Real>> X(x, n_, m);
      Eigen::Map<RowMatrix<double>>(fields_.data(), n_, m) = (T * X).template cast<double>();
    }
  }
  // The fields (T x)_i of rows [begin, end) for the m states in x, (end − begin) × m: computed
  // into `scratch` (kBlock × m), or read from what prepare computed.
  const double* fields(const Real* x, Index m, Index begin, Index end, double* scratch) const {
    if (!sparse() || processes_ != nullptr) return fields_.data() + begin * m;
    cpu::csr_fields(values_.data(), csr_.col_idx, csr_.row_ptr, begin, end, x, m, scratch);
    return scratch;
  }

  // Sparse weights on one process also take ±1 states as int8 (sign_fields): the same sums, a
  // quarter of float32's bytes to read at random.
  bool fused() const { return sparse() && processes_ == nullptr; }
  const double* sign_fields(const std::int8_t* x, Index m, Index begin, Index end,
                            double* scratch) const {
    cpu::csr_fields(values_.data(), csr_.col_idx, csr_.row_ptr, begin, end, x, m, scratch);
    return scratch;
  }

  // Asynchronous updates read one neuron's field at a time from the current state (contiguous,
  // N values). Factored weights keep the overlap sums m = Ξ s in `sums` (P values, set by
  // start_fields and kept current by flipped; integers for ±1 states, so exact), so a field costs
  // O(P): f_i = (Σ_μ ξ^μ_i m_μ − P s_i) / N.
  Index sums_size() const { return xi_ != nullptr ? xi_->patterns.count : 0; }
  void start_fields(const Real* s, double* sums) {
    if (xi_ == nullptr) return;
    if (xi_t_.empty()) xi_t_ = xi_->patterns.transposed();
    for (Index mu = 0; mu < xi_->patterns.count; ++mu) {
      const std::int8_t* bits = xi_->patterns.pattern(mu);
      double acc = 0.0;
      for (Index i = 0; i < n_; ++i) acc += bits[i] * static_cast<double>(s[i]);
      sums[mu] = acc;
    }
  }
  double field(Index i, const Real* s, const double* sums) const {
    if (xi_ != nullptr) {
      const Index p = xi_->patterns.count;
      const std::int8_t* bits = xi_t_.data() + i * p;
      double acc = 0.0;
      for (Index mu = 0; mu < p; ++mu) acc += bits[mu] * sums[mu];
      return (acc - static_cast<double>(p) * static_cast<double>(s[i])) / static_cast<double>(n_);
    }
    if (sparse()) {
      return cpu::csr_dot(values_.data(), csr_.col_idx, csr_.row_ptr[i], csr_.row_ptr[i + 1], s);
    }
    return cpu::dense_dot(values_.data() + i * n_, s, n_);
  }
  void flipped(Index i, Real now, double* sums) const {
    if (xi_ == nullptr) return;
    const std::int8_t* bits = xi_t_.data() + i * xi_->patterns.count;
    for (Index mu = 0; mu < xi_->patterns.count; ++mu) sums[mu] += 2.0 * now * bits[mu];
  }

 private:
  // The weights in Real: the network's own values when it stores them in Real, otherwise a
  // converted copy (float32 runs of float64 weights round; float64 runs of float32 weights widen
  // exactly).
  class Values {
   public:
    Values() = default;
    template <class Stored>
    explicit Values(const core::Buffer<Stored>& stored) {
      if constexpr (std::is_same_v<Stored, Real>) {
        data_ = stored.data();
      } else {
        copy_.assign(stored.begin(), stored.end());
        data_ = copy_.data();
      }
    }
    // Moving a vector keeps its storage, so data_ stays valid; a copy would not.
    Values(Values&&) noexcept = default;
    Values& operator=(Values&&) noexcept = default;
    Values(const Values&) = delete;
    Values& operator=(const Values&) = delete;
    ~Values() = default;
    const Real* data() const { return data_; }

   private:
    std::vector<Real> copy_;
    const Real* data_ = nullptr;
  };
  struct CsrLayout {
    const std::int64_t* row_ptr = nullptr;  // null unless the weights are sparse
    const std::int32_t* col_idx = nullptr;
  };
  bool sparse() const { return csr_.row_ptr != nullptr; }

  // This process's rows computed, every other process's rows gathered in, in chunks whose
  // exchange overlaps the next chunk's rows.
  void exchange_rows(const Real* x, Index m) {
    const int ranks = processes_->size();
    const int me = processes_->rank();
    std::vector<Processes::Exchange> exchanges;
    std::vector<std::int64_t> counts(static_cast<std::size_t>(ranks)), displs(counts.size());
    for (int c = 0; c < kExchangeChunks; ++c) {
      for (int r = 0; r < ranks; ++r) {
        const Share chunk = share_of(row_begin_[r + 1] - row_begin_[r], c, kExchangeChunks);
        counts[r] = chunk.size() * m;
        displs[r] = (row_begin_[r] + chunk.begin) * m;
      }
      const Index begin = displs[me] / m;
      const Index end = begin + counts[me] / m;
#pragma omp parallel for schedule(static) if (parallel((end - begin) * m))
      for (Index first = begin; first < end; first += kBlock) {
        cpu::csr_fields(values_.data(), csr_.col_idx, csr_.row_ptr, first,
                        std::min(first + kBlock, end), x, m, fields_.data() + first * m);
      }
      for (auto& earlier : exchanges) earlier.poke();
      exchanges.push_back(processes_->start_allgather(fields_.data(), counts, displs));
    }
    for (auto& exchange : exchanges) exchange.wait();
  }

  // Rank r computes rows [row_begin_[r], row_begin_[r + 1]): the first row past r/ranks of the
  // non-zeros, so blocks of rows cost about the same however their lengths vary.
  void partition_rows(const Processes& processes) {
    processes_ = &processes;
    const int ranks = processes.size();
    const Index nnz = csr_.row_ptr[n_];
    row_begin_.assign(static_cast<std::size_t>(ranks) + 1, n_);
    row_begin_[0] = 0;
    for (int r = 1; r < ranks; ++r) {
      const Index target = nnz / ranks * r + std::min<Index>(r, nnz % ranks);
      row_begin_[r] = std::lower_bound(csr_.row_ptr, csr_.row_ptr + n_ + 1, target) - csr_.row_ptr;
      row_begin_[r] = std::clamp(row_begin_[r], row_begin_[r - 1], n_);
    }
  }

  // Exchanged pieces per multiplication: the first piece's transfer overlaps the later pieces'
  // rows; more pieces overlap more but pay more latency.
  static constexpr int kExchangeChunks = 4;

  const core::Network& net_;
  Index n_;
  bool binary_states_;
  core::ObservedNetwork observed_;
  CsrLayout csr_;
  Values values_;                              // sparse or dense weights
  const core::FactoredWeights* xi_;            // null unless the weights are factored
  std::vector<std::int8_t> xi_t_;              // Ξᵀ, N × P, for asynchronous fields
  std::optional<cpu::PackedPatterns> packed_;  // Ξ as bits, for the fields of ±1 states
  const Processes* processes_ = nullptr;
  std::vector<Index> row_begin_;
  std::vector<double> fields_;  // N × m, from prepare
};

// ---------------------------------------------------------------------------------------------
// The CPU's operations for core::run_dynamics. States, integrator stages and the previous point
// are N × B arrays in Real, interleaved as the Model reads them (state b of neuron i at
// [i B + b]); every pass covers all B states (a state the driver no longer lists is carried
// along unchanged), so the products never gather or transpose. Each state's section points are
// contiguous. Per-state sums accumulate in float64.
template <class Real>
class CpuStepper final : public core::Stepper {
 public:
  CpuStepper(Model<Real>& model, const core::RunOptions& options, Index batch)
      : model_(model), options_(options), n_(model.n()), m_(batch), rng_{options.seed},
        glauber_(core::is_glauber(options.dynamics)) {}

  void load(const core::StateBatch& states) override {
    const auto size = static_cast<std::size_t>(n_ * m_);
    s_.resize(size);
    for (Index b = 0; b < m_; ++b) {
      const double* from = states.state(b);
      for (Index i = 0; i < n_; ++i) s_[i * m_ + b] = static_cast<Real>(from[i]);
    }
    steps_.assign(static_cast<std::size_t>(m_), 0);
    switch (options_.dynamics) {
      case Dynamics::DiscreteSync:
      case Dynamics::GlauberSync:
        next_.resize(size);
        if (model_.fused()) {
          signs_.resize(size);
          next_signs_.resize(size);
          for (std::size_t e = 0; e < size; ++e) signs_[e] = s_[e] > Real(0) ? 1 : -1;
        }
        history_.assign(static_cast<std::size_t>(m_), core::CycleHistory(options_.max_period));
        for (Index b = 0; b < m_; ++b) history_[b].start(core::hash_signs(states.state(b), n_));
        break;
      case Dynamics::DiscreteAsync:
      case Dynamics::GlauberAsync: {
        sums_.assign(static_cast<std::size_t>(m_ * model_.sums_size()), 0.0);
        std::vector<Real> mine(static_cast<std::size_t>(n_));
        for (Index b = 0; b < m_; ++b) {
          copy_out(b, mine.data());
          model_.start_fields(mine.data(), sums(b));
        }
        break;
      }
      case Dynamics::Continuous:
        k_.assign(static_cast<std::size_t>(core::stage_count(options_.integrator)),
                  std::vector<Real>(size, Real(0)));
        stage_.assign(size, Real(0));
        u_prev_.assign(size, Real(0));
        f_prev_.assign(size, Real(0));
        x_.resize(size);
        sections_.assign(
            static_cast<std::size_t>(m_),
            std::vector<std::vector<Real>>(static_cast<std::size_t>(options_.max_period) + 1));
        w_ = core::section_direction(options_.seed, n_);
        break;
    }
  }

  // v = g(u) over `size` entries: libm in float64 runs, the vectorized kernel (cpu::activate, with
  // its bound) in float32 runs.
  void activate(const Real* u, Real* v, Index size) const {
    const auto& g = model_.activation();
#pragma omp parallel for schedule(static) if (parallel(size))
    for (Index first = 0; first < size; first += kSumChunk) {
      const Index count = std::min(kSumChunk, size - first);
      if constexpr (std::is_same_v<Real, float>) {
        cpu::activate(g.kind, g.gain, u + first, v + first, count);
      } else {
        for (Index e = first; e < first + count; ++e) v[e] = core::activate(g.kind, g.gain, u[e]);
      }
    }
  }

  void store(core::StateBatch& states) override {
    for (Index b = 0; b < m_; ++b) {
      double* to = states.state(b);
      for (Index i = 0; i < n_; ++i) to[i] = static_cast<double>(s_[i * m_ + b]);
    }
  }

  core::Observation observe(const std::vector<Index>& which, bool with_tx) override {
    const auto m = static_cast<Index>(which.size());
    const bool continuous = options_.dynamics == Dynamics::Continuous;
    core::Observation o;
    o.state.resize(static_cast<std::size_t>(n_ * m));
    // u and x in Real, interleaved, as the product reads them: the states in place when every
    // state is observed in order (a run's first and last observation), else a gathered copy; x is
    // u itself for discrete dynamics. The observation gets their float64 values.
    bool in_place = m == m_;
    for (Index j = 0; j < m && in_place; ++j) in_place = which[j] == j;
    LineVector<Real> gathered, activity;
    const Real* u = s_.data();
    if (!in_place) {
      gathered.resize(o.state.size());
      for (Index i = 0; i < n_; ++i) {
        for (Index j = 0; j < m; ++j) gathered[i * m + j] = s_[i * m_ + which[j]];
      }
      u = gathered.data();
    }
    const Real* x = u;
    if (continuous) {
      activity.resize(o.state.size());
      activate(u, activity.data(), n_ * m);
      x = activity.data();
      o.x.resize(o.state.size());
    }
    for (Index i = 0; i < n_; ++i) {
      for (Index j = 0; j < m; ++j) {
        o.state[j * n_ + i] = static_cast<double>(u[i * m + j]);
        if (continuous) o.x[j * n_ + i] = static_cast<double>(x[i * m + j]);
      }
    }
    if (with_tx) {
      o.tx.resize(o.state.size());
      model_.prepare(x, m);
      for_blocks(m, [&](Index begin, Index end, double* scratch) {
        const double* f = model_.fields(x, m, begin, end, scratch);
        for (Index i = begin; i < end; ++i) {
          for (Index j = 0; j < m; ++j) o.tx[j * n_ + i] = f[(i - begin) * m + j];
        }
      });
    }
    return o;
  }

  // One pass per step over the rows, all states at once: the block's fields, then the update of
  // the states still stepping (the others are carried over), their changed flags and their
  // fingerprint words. A state leaves the chunk at the step that ends it (the driver reads the
  // same flags and reaches the same verdict).
  void sync_steps(const std::vector<Index>& which, Index steps, core::SyncChunk& out) override {
    const auto m = static_cast<Index>(which.size());
    out.taken.assign(static_cast<std::size_t>(m), 0);
    out.changed.assign(static_cast<std::size_t>(steps * m), 0);
    out.fingerprint.assign(out.changed.size(), 0);
    std::vector<std::uint8_t> live(static_cast<std::size_t>(m_), 0);
    for (const Index b : which) live[b] = 1;
    Index stepping = m;
    const int threads = parallel(n_ * m_) ? omp_get_max_threads() : 1;
    std::vector<std::uint64_t> hash(static_cast<std::size_t>(threads * m_));
    std::vector<std::uint8_t> changed(hash.size());
    for (Index k = 0; k < steps && stepping > 0; ++k) {
      std::fill(hash.begin(), hash.end(), 0);
      std::fill(changed.begin(), changed.end(), 0);
      const bool signs = model_.fused();
      const bool glauber = glauber_;
      if (!signs) model_.prepare(s_.data(), m_);
#pragma omp parallel num_threads(threads)
      {
        const Index t = omp_get_thread_num();
        std::vector<double> scratch(static_cast<std::size_t>(kBlock * m_));
        std::vector<std::uint64_t> bits(static_cast<std::size_t>(m_));
        std::uint64_t* my_hash = hash.data() + t * m_;
        std::uint8_t* my_changed = changed.data() + t * m_;
#pragma omp for schedule(static)
        for (Index word = 0; word < (n_ + kBlock - 1) / kBlock; ++word) {
          const Index begin = word * kBlock, end = std::min(begin + kBlock, n_);
          const double* f = signs
                                ? model_.sign_fields(signs_.data(), m_, begin, end, scratch.data())
                                : model_.fields(s_.data(), m_, begin, end, scratch.data());
          std::fill(bits.begin(), bits.end(), 0);
          // Everything the loop reads is in locals first: its byte stores (flags, signs) may
          // alias any object, so members read through `this` would be reloaded after each.
          double bias[kBlock];
          for (Index i = begin; i < end; ++i) bias[i - begin] = model_.b(i);
          const std::uint8_t* alive = live.data();
          const Real* s_all = s_.data();
          Real* next_all = next_.data();
          std::int8_t* next_signs = signs ? next_signs_.data() : nullptr;
          std::uint64_t* block_bits = bits.data();
          for (Index i = begin; i < end; ++i) {
            const Real* s = s_all + i * m_;
            Real* next = next_all + i * m_;
            const double* field = f + (i - begin) * m_;
            for (Index b = 0; b < m_; ++b) {
              if (alive[b] == 0) {
                next[b] = s[b];
              } else {
                next[b] = glauber ? update(field[b] + bias[i - begin], s[b], b, steps_[b] + 1, i)
                                  : static_cast<Real>(core::sign_update(field[b] + bias[i - begin],
                                                                        static_cast<double>(s[b])));
                my_changed[b] |= static_cast<std::uint8_t>(next[b] != s[b]);
                block_bits[b] |= static_cast<std::uint64_t>(next[b] > Real(0)) << (i - begin);
              }
              if (next_signs != nullptr) {
                next_signs[i * m_ + b] = static_cast<std::int8_t>(2 * (next[b] > Real(0)) - 1);
              }
            }
          }
          for (Index b = 0; b < m_; ++b) {
            my_hash[b] += core::word_hash(bits[b], static_cast<std::uint64_t>(word));
          }
        }
      }
      s_.swap(next_);
      if (signs) signs_.swap(next_signs_);
      for (Index j = 0; j < m; ++j) {
        const Index b = which[j];
        if (live[b] == 0) continue;
        std::uint64_t fingerprint = 0;
        std::uint8_t any = 0;
        for (Index t = 0; t < threads; ++t) {
          fingerprint += hash[t * m_ + b];
          any |= changed[t * m_ + b];
        }
        ++steps_[b];
        ++out.taken[j];
        out.changed[k * m + j] = any;
        if (glauber_) continue;
        bool ends = any == 0;
        if (!ends) {
          out.fingerprint[k * m + j] = fingerprint;
          ends = history_[b].push(fingerprint) > 0;
        }
        if (ends) {
          live[b] = 0;
          --stepping;
        }
      }
    }
  }

  // States are independent, so threads take whole states, each copied out to a contiguous
  // vector for its sweeps (an asynchronous field reads one state's neurons at random).
  void async_sweeps(const std::vector<Index>& which, Index until, std::vector<Index>& sweeps,
                    std::vector<std::uint8_t>& settled) override {
    const auto m = static_cast<Index>(which.size());
    sweeps.assign(static_cast<std::size_t>(m), 0);
    settled.assign(static_cast<std::size_t>(m), 0);
#pragma omp parallel if (m > 1 && n_ >= 32)
    {
      std::vector<std::uint32_t> order(static_cast<std::size_t>(n_)), partner(order.size());
      std::vector<Real> s(static_cast<std::size_t>(n_));
#pragma omp for schedule(dynamic, 1)
      for (Index j = 0; j < m; ++j) {
        const Index b = which[j];
        double* my_sums = sums(b);
        copy_out(b, s.data());
        const auto stream = static_cast<std::uint32_t>(options_.stream_offset + b);
        while (steps_[b] < until) {
          const Index sweep = ++steps_[b];
          for (Index pos = 1; pos < n_; ++pos) {
            partner[pos] = core::async_swap_partner(rng_, stream, sweep, n_, pos);
          }
          core::apply_swaps(order.data(), partner.data(), n_);
          Index flips = 0;
          for (const std::uint32_t i : order) {
            const double f = model_.field(i, s.data(), my_sums) + model_.b(i);
            const Real next = update(f, s[i], b, sweep, i);
            if (next != s[i]) {
              ++flips;
              s[i] = next;
              model_.flipped(i, next, my_sums);
            }
          }
          if (flips == 0 && !glauber_) {
            settled[j] = 1;
            break;
          }
        }
        for (Index i = 0; i < n_; ++i) s_[i * m_ + b] = s[i];
        sweeps[j] = steps_[b];
      }
    }
  }

  // k_into = F(point) for the listed states; V = g(point) is computed for all B states, the
  // product's input.
  void evaluate(const std::vector<Index>& which, core::Point point, int k_into) override {
    if (which.empty()) return;
    const Real* in = point == core::Point::State ? s_.data() : stage_.data();
    activate(in, x_.data(), n_ * m_);
    model_.prepare(x_.data(), m_);
    std::vector<Real>& k = k_[k_into];
    for_blocks(m_, [&](Index begin, Index end, double* scratch) {
      const double* f = model_.fields(x_.data(), m_, begin, end, scratch);
      for (Index i = begin; i < end; ++i) {
        for (const Index b : which) {
          const Index at = i * m_ + b;
          k[at] = static_cast<Real>(f[(i - begin) * m_ + b] - static_cast<double>(in[at]) +
                                    model_.b(i));
        }
      }
    });
  }

  void stage(const std::vector<Index>& which, int s, const double* a,
             const std::vector<double>& h) override {
    for_listed(which, [&](Index at, std::size_t j) {
      double incr = 0.0;
      for (int q = 0; q < s; ++q) incr += a[q] * static_cast<double>(k_[q][at]);
      stage_[at] = static_cast<Real>(static_cast<double>(s_[at]) + h[j] * incr);
    });
  }

  std::vector<double> dopri_error(const std::vector<Index>& which, const double* E,
                                  const std::vector<double>& h, double atol, double rtol) override {
    const auto sums = lane_sums<1>(which, [&](Index at, std::size_t j, std::array<double, 1>& acc) {
      double e = 0.0;
      for (int q = 0; q < 7; ++q) e += E[q] * static_cast<double>(k_[q][at]);
      const double scale = atol + rtol * std::max(std::fabs(static_cast<double>(s_[at])),
                                                  std::fabs(static_cast<double>(stage_[at])));
      const double ratio = h[j] * e / scale;
      acc[0] += ratio * ratio;
    });
    std::vector<double> err2;
    err2.reserve(sums.size());
    for (const auto& s : sums) err2.push_back(s[0]);
    return err2;
  }

  void accept(const std::vector<Index>& which, const double* w, int terms,
              const std::vector<double>& h) override {
    for_listed(which, [&](Index at, std::size_t j) {
      u_prev_[at] = s_[at];
      f_prev_[at] = k_[0][at];
      if (terms == 0) {
        s_[at] = stage_[at];
        k_[0][at] = k_[6][at];
        return;
      }
      double incr = 0.0;
      for (int q = 0; q < terms; ++q) incr += w[q] * static_cast<double>(k_[q][at]);
      s_[at] = static_cast<Real>(static_cast<double>(s_[at]) + h[j] * incr);
    });
  }

  std::vector<core::SettleSums> settle_sums(const std::vector<Index>& which,
                                            const std::vector<Index>& last_slot) override {
    const auto sums = lane_sums<6>(which, [&](Index at, std::size_t j, std::array<double, 6>& acc) {
      const Index i = at / m_;
      const double u = static_cast<double>(s_[at]);
      const double k1 = static_cast<double>(k_[0][at]);
      const double w = w_[i];
      acc[0] += k1 * k1;
      acc[1] += w * k1;
      acc[2] += w * static_cast<double>(f_prev_[at]);
      acc[3] += w * u;
      acc[4] += w * static_cast<double>(u_prev_[at]);
      if (last_slot[j] >= 0) {
        const double d = u - static_cast<double>(sections_[which[j]][last_slot[j]][i]);
        acc[5] += d * d;
      }
    });
    std::vector<core::SettleSums> out;
    out.reserve(sums.size());
    for (const auto& s : sums) out.push_back({s[0], s[1], s[2], s[3], s[4], s[5]});
    return out;
  }

  void section_points(const std::vector<core::SectionJob>& jobs) override {
    for (const auto& job : jobs) {
      auto& point = sections_[job.state][job.slot];
      point.resize(static_cast<std::size_t>(n_));
      for (Index i = 0; i < n_; ++i) {
        const Index at = i * m_ + job.state;
        point[i] = static_cast<Real>(
            job.u0 * static_cast<double>(u_prev_[at]) + job.f0 * static_cast<double>(f_prev_[at]) +
            job.u1 * static_cast<double>(s_[at]) + job.f1 * static_cast<double>(k_[0][at]));
      }
    }
  }

  std::vector<double> section_distances(const std::vector<core::SectionPair>& pairs) override {
    std::vector<double> out;
    for (const auto& p : pairs) {
      const auto& a = sections_[p.state][p.slot_a];
      const auto& c = sections_[p.state][p.slot_b];
      double acc = 0.0;
      for (Index i = 0; i < n_; ++i) {
        const double d = static_cast<double>(a[i]) - static_cast<double>(c[i]);
        acc += d * d;
      }
      out.push_back(acc);
    }
    return out;
  }

 private:
  double* sums(Index b) { return sums_.data() + b * model_.sums_size(); }
  void copy_out(Index b, Real* to) const {
    for (Index i = 0; i < n_; ++i) to[i] = s_[i * m_ + b];
  }

  // The discrete rule for neuron i of state b at step (or sweep) t, from its field f.
  Real update(double f, Real old, Index b, Index t, Index i) const {
    // The sign of the float64 field: rounding it to Real first could turn a tiny field into a
    // tie that keeps the old state.
    if (!glauber_) return static_cast<Real>(core::sign_update(f, static_cast<double>(old)));
    const auto stream = static_cast<std::uint32_t>(options_.stream_offset + b);
    return static_cast<Real>(core::heat_bath_update(f, options_.temperature,
                                                    core::heat_bath_draw(rng_, stream, t, n_, i)));
  }

  // body(begin, end, scratch) for each block of kBlock rows, blocks shared among threads, with a
  // kBlock × m field scratch per thread.
  template <class Body>
  void for_blocks(Index m, Body body) const {
#pragma omp parallel if (parallel(n_ * m))
    {
      std::vector<double> scratch(static_cast<std::size_t>(kBlock * m));
#pragma omp for schedule(static)
      for (Index begin = 0; begin < n_; begin += kBlock) {
        body(begin, std::min(begin + kBlock, n_), scratch.data());
      }
    }
  }

  // body(at, j) for each neuron of each listed state (at = i B + which[j]).
  template <class Body>
  void for_listed(const std::vector<Index>& which, Body body) const {
#pragma omp parallel for schedule(static) if (parallel(n_ * static_cast <Index>(which.size())))
    for (Index i = 0; i < n_; ++i) {
      for (std::size_t j = 0; j < which.size(); ++j) body(i * m_ + which[j], j);
    }
  }

  // K float64 sums per listed state of term(at, j, acc) over its neurons, as partial sums over
  // fixed chunks of kSumChunk rows added in chunk order: the same bits for any thread count.
  template <int K, class Term>
  std::vector<std::array<double, K>> lane_sums(const std::vector<Index>& which, Term term) const {
    const std::size_t m = which.size();
    const Index chunks = (n_ + kSumChunk - 1) / kSumChunk;
    std::vector<std::array<double, K>> partial(static_cast<std::size_t>(chunks) * m);
#pragma omp parallel for schedule(static) if (parallel(n_ * static_cast <Index>(m)))
    for (Index c = 0; c < chunks; ++c) {
      std::array<double, K>* acc = partial.data() + c * m;
      for (std::size_t j = 0; j < m; ++j) acc[j].fill(0.0);
      for (Index i = c * kSumChunk; i < std::min(n_, (c + 1) * kSumChunk); ++i) {
        for (std::size_t j = 0; j < m; ++j) term(i * m_ + which[j], j, acc[j]);
      }
    }
    std::vector<std::array<double, K>> total(m);
    for (std::size_t j = 0; j < m; ++j) total[j].fill(0.0);
    for (Index c = 0; c < chunks; ++c) {
      for (std::size_t j = 0; j < m; ++j) {
        for (int q = 0; q < K; ++q) total[j][q] += partial[c * m + j][q];
      }
    }
    return total;
  }

  Model<Real>& model_;
  const core::RunOptions& options_;
  Index n_;
  Index m_;  // states in the batch: the interleave of every array
  core::CounterRng rng_;
  bool glauber_;
  LineVector<Real> s_, next_;
  LineVector<std::int8_t> signs_, next_signs_;  // synchronous, sparse: s_ and next_ as ±1 int8
  std::vector<Index> steps_;                    // steps or sweeps each state has taken
  std::vector<core::CycleHistory> history_;
  std::vector<double> sums_;  // asynchronous: each state's Model sums
  std::vector<std::vector<Real>> k_;
  std::vector<Real> stage_, u_prev_, f_prev_;
  LineVector<Real> x_;
  std::vector<double> w_;
  std::vector<std::vector<std::vector<Real>>> sections_;  // state, ring slot, N
};

template <class Real>
core::RunResult run_in(const core::Network& network, core::StateBatch& states,
                       const core::RunOptions& options, const Processes* processes) {
  Model<Real> model(network, options.dynamics != Dynamics::Continuous, processes);
  CpuStepper<Real> stepper(model, options, states.batch);
  return core::run_dynamics(network, states, options, stepper);
}

}  // namespace

void check_row_partition(const core::Network& network, const core::RunOptions& options,
                         int processes) {
  core::require(!core::is_asynchronous(options.dynamics), "--dynamics",
                "an asynchronous sweep updates one neuron at a time from the whole state, so it "
                "cannot share rows out across processes: use discrete-sync, glauber-sync or "
                "continuous");
  core::require(core::is_sparse(network.weights), "processes",
                "with " + std::to_string(processes) +
                    " processes the rows of a sparse (.mtx) network are shared out; dense and "
                    "factored weights are not partitioned (run them on one process)");
}

core::RunResult CpuEngine::run(const core::Network& network, core::StateBatch& states,
                               const core::RunOptions& options) {
  core::check_run_inputs(network, states, options);
  const auto start = std::chrono::steady_clock::now();
  const bool partitioned = processes_ != nullptr && processes_->size() > 1;
  if (partitioned) check_row_partition(network, options, processes_->size());
  const Processes* processes = partitioned ? processes_ : nullptr;
  core::RunResult out = precision_ == core::Precision::Float32
                            ? run_in<float>(network, states, options, processes)
                            : run_in<double>(network, states, options, processes);
  out.backend = name();
  out.precision = precision_;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace attractor
