#include "attractor/host/engine/cpu_engine.hpp"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>
#include <variant>

#include "attractor/core/discrete.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/integrators.hpp"
#include "attractor/core/observers.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/core/run_dynamics.hpp"

namespace attractor {

using core::ActivationKind;
using core::CsrMatrix;
using core::DenseMatrix;
using core::Dynamics;
using core::Integrator;
using core::Outcome;
using Index = std::int64_t;

namespace {

// Below this many state entries per loop a parallel region costs more than it saves.
constexpr Index kParallelWork = Index{1} << 14;

using ColMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The network in the form the loops below use: weights, effective bias b = h − a, activation.
class Model {
 public:
  Model(const core::Network& network, const Processes* processes)
      : net_(network), n_(network.size()), observed_(network),
        xi_(std::get_if<core::FactoredWeights>(&network.weights)) {
    if (processes != nullptr && processes->size() > 1) partition_rows(*processes);
    if (xi_ != nullptr) {
      // Ξᵀ (N × P) beside Ξ: the second product and the asynchronous field read a neuron's P
      // pattern bits contiguously.
      const Index p = xi_->patterns.count;
      xi_t_.resize(static_cast<std::size_t>(n_ * p));
      for (Index mu = 0; mu < p; ++mu) {
        for (Index i = 0; i < n_; ++i) xi_t_[i * p + mu] = xi_->patterns.values[mu * n_ + i];
      }
    }
  }
  Index n() const { return n_; }
  double b(Index i) const { return observed_.b[i]; }
  const core::Activation& activation() const { return net_.activation; }

  // Y = T X for m states stored as the columns of N × m column-major blocks.
  void multiply(const double* x, double* y, Index m) const {
    if (xi_ != nullptr) {
      multiply_factored(x, y, m);
      return;
    }
    if (const auto* dense = std::get_if<DenseMatrix<double>>(&net_.weights)) {
      Eigen::Map<const RowMatrix> T(dense->values.data(), n_, n_);
      Eigen::Map<ColMatrix>(y, n_, m).noalias() = T * Eigen::Map<const ColMatrix>(x, n_, m);
      return;
    }
    const auto& T = std::get<CsrMatrix<double>>(net_.weights);
    if (m == 1) {
      sparse_rows(T, x, y, 1);
      return;
    }
    // Several states: interleave them (state j of neuron c at xt[c m + j]) so each stored
    // synapse is read once and multiplies m contiguous values, and the m sums are independent.
    std::vector<double> xt(static_cast<std::size_t>(n_ * m)), yt(xt.size(), 0.0);
    for (Index j = 0; j < m; ++j) {
      for (Index c = 0; c < n_; ++c) xt[c * m + j] = x[j * n_ + c];
    }
    sparse_rows(T, xt.data(), yt.data(), m);
    for (Index j = 0; j < m; ++j) {
      for (Index i = 0; i < n_; ++i) y[j * n_ + i] = yt[i * m + j];
    }
  }

  // Out = T X for X (and Out) interleaved N × m row-major, or plain vectors when m = 1: every
  // row here, or this process's rows with the other processes' rows gathered in.
  void sparse_rows(const CsrMatrix<double>& T, const double* x, double* out, Index m) const {
    if (processes_ == nullptr) {
      sparse_row_range(T, x, out, m, 0, n_);
      return;
    }
    const int ranks = processes_->size();
    std::vector<Processes::Exchange> exchanges;
    std::vector<std::int64_t> counts(static_cast<std::size_t>(ranks)), displs(counts.size());
    for (int c = 0; c < kExchangeChunks; ++c) {
      for (int r = 0; r < ranks; ++r) {
        const Share chunk = share_of(row_begin_[r + 1] - row_begin_[r], c, kExchangeChunks);
        counts[r] = chunk.size() * m;
        displs[r] = (row_begin_[r] + chunk.begin) * m;
      }
      const int me = processes_->rank();
      const Index begin = displs[me] / m;
      sparse_row_range(T, x, out, m, begin, begin + counts[me] / m);
      for (auto& earlier : exchanges) earlier.poke();
      exchanges.push_back(processes_->start_allgather(out, counts, displs));
    }
    for (auto& exchange : exchanges) exchange.wait();
  }

  void sparse_row_range(const CsrMatrix<double>& T, const double* x, double* out, Index m,
                        Index begin, Index end) const {
    if (m == 1) {
#pragma omp parallel for schedule(static) if (end - begin > kParallelWork)
      for (Index i = begin; i < end; ++i) out[i] = sparse_row_dot(T, i, x);
      return;
    }
#pragma omp parallel for schedule(static) if ((end - begin) * m > kParallelWork)
    for (Index i = begin; i < end; ++i) {
      double* o = out + i * m;
      for (Index k = T.row_ptr[i]; k < T.row_ptr[i + 1]; ++k) {
        const double v = T.values[k];
        const double* in = x + static_cast<Index>(T.col_idx[k]) * m;
        for (Index j = 0; j < m; ++j) o[j] += v * in[j];
      }
    }
  }

  // Σ_k T_ik x_k over row i's stored entries, with four partial sums: one sum would be one long
  // chain of dependent additions, bound by the adder's latency rather than by memory.
  static double sparse_row_dot(const CsrMatrix<double>& T, Index i, const double* x) {
    const double* v = T.values.data();
    const std::int32_t* c = T.col_idx.data();
    Index k = T.row_ptr[i];
    const Index end = T.row_ptr[i + 1];
    double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
    for (; k + 3 < end; k += 4) {
      a0 += v[k] * x[c[k]];
      a1 += v[k + 1] * x[c[k + 1]];
      a2 += v[k + 2] * x[c[k + 2]];
      a3 += v[k + 3] * x[c[k + 3]];
    }
    for (; k < end; ++k) a0 += v[k] * x[c[k]];
    return (a0 + a1) + (a2 + a3);
  }

  // Asynchronous updates read one neuron's field at a time from the current state. Factored
  // weights keep the overlap sums m = Ξ s in `scratch` (P values, set by start_fields and kept
  // current by flipped; integers for ±1 states, so exactly), so a field costs O(P):
  // f_i = (Σ_μ ξ^μ_i m_μ − P s_i) / N.
  Index scratch_size() const { return xi_ != nullptr ? xi_->patterns.count : 0; }
  void start_fields(const double* s, double* scratch) const {
    if (xi_ != nullptr) overlap_sums(s, scratch, 1);
  }
  double field(Index i, const double* s, const double* scratch) const {
    if (xi_ != nullptr) return factored_row(i, scratch, s[i]);
    if (const auto* dense = std::get_if<DenseMatrix<double>>(&net_.weights)) {
      return Eigen::Map<const Eigen::VectorXd>(dense->row(i), n_)
          .dot(Eigen::Map<const Eigen::VectorXd>(s, n_));
    }
    return sparse_row_dot(std::get<CsrMatrix<double>>(net_.weights), i, s);
  }
  void flipped(Index i, double now, double* scratch) const {
    if (xi_ == nullptr) return;
    const std::int8_t* bits = xi_t_.data() + i * xi_->patterns.count;
    for (Index mu = 0; mu < xi_->patterns.count; ++mu) scratch[mu] += 2.0 * now * bits[mu];
  }

 private:
  // M = Ξ X (P × m, column-major): overlap sums of each state with each pattern.
  void overlap_sums(const double* x, double* sums, Index m) const {
    const Index p = xi_->patterns.count;
#pragma omp parallel for schedule(static) if (n_ * p * m > kParallelWork)
    for (Index mu = 0; mu < p; ++mu) {
      const std::int8_t* bits = xi_->patterns.pattern(mu);
      for (Index j = 0; j < m; ++j) sums[j * p + mu] = signed_dot(bits, x + j * n_, n_);
    }
  }

  // (T x)_i = (Σ_μ ξ^μ_i M_μ − P x_i) / N: the Hebbian sum with its diagonal P/N removed.
  double factored_row(Index i, const double* sums, double x_i) const {
    const Index p = xi_->patterns.count;
    const double acc = signed_dot(xi_t_.data() + i * p, sums, p);
    return (acc - static_cast<double>(p) * x_i) / static_cast<double>(n_);
  }

  // Σ_k bits_k x_k with Eigen's vectorized reduction (several partial sums; a plain loop is one
  // chain of dependent additions). For ±1 states every partial sum is an integer, so the result
  // is exact whatever the order.
  static double signed_dot(const std::int8_t* bits, const double* x, Index count) {
    using Bits = Eigen::Matrix<std::int8_t, Eigen::Dynamic, 1>;
    return Eigen::Map<const Bits>(bits, count)
        .cast<double>()
        .dot(Eigen::Map<const Eigen::VectorXd>(x, count));
  }

  // Y = (Ξᵀ (Ξ X) − P X) / N as two GEMMs over blocks of patterns widened to double, so the
  // states are reused from cache across a block instead of streamed once per pattern. For ±1
  // states every sum is an integer below 2^53: exact in any order.
  void multiply_factored(const double* x, double* y, Index m) const {
    using Bits = Eigen::Matrix<std::int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const Index p = xi_->patterns.count;
    const Index block = std::max<Index>(1, std::min<Index>(p, (Index{1} << 23) / n_));  // ≤ 64 MiB
    Eigen::Map<const ColMatrix> X(x, n_, m);
    Eigen::Map<ColMatrix> Y(y, n_, m);
    Y.setZero();
    RowMatrix xi_block;
    for (Index start = 0; start < p; start += block) {
      const Index rows = std::min(block, p - start);
      xi_block = Eigen::Map<const Bits>(xi_->patterns.pattern(start), rows, n_).cast<double>();
      const ColMatrix sums = xi_block * X;  // rows × m overlap sums
      Y.noalias() += xi_block.transpose() * sums;
    }
    Y = (Y - static_cast<double>(p) * X) / static_cast<double>(n_);
  }

  // Rank r computes rows [row_begin_[r], row_begin_[r + 1]): the first row past r/ranks of the
  // non-zeros, so blocks of rows cost about the same however their lengths vary.
  void partition_rows(const Processes& processes) {
    const auto* T = &std::get<CsrMatrix<double>>(net_.weights);
    processes_ = &processes;
    const int ranks = processes.size();
    const Index nnz = T->row_ptr[n_];
    row_begin_.assign(static_cast<std::size_t>(ranks) + 1, n_);
    row_begin_[0] = 0;
    for (int r = 1; r < ranks; ++r) {
      const Index target = nnz / ranks * r + std::min<Index>(r, nnz % ranks);
      row_begin_[r] =
          std::lower_bound(T->row_ptr.begin(), T->row_ptr.end(), target) - T->row_ptr.begin();
      row_begin_[r] = std::clamp(row_begin_[r], row_begin_[r - 1], n_);
    }
  }

  // Exchanged pieces per multiplication: the first piece's transfer overlaps the later pieces'
  // rows; more pieces overlap more but pay more latency.
  static constexpr int kExchangeChunks = 4;

  const core::Network& net_;
  Index n_;
  const Processes* processes_ = nullptr;
  std::vector<Index> row_begin_;
  core::ObservedNetwork observed_;
  const core::FactoredWeights* xi_;  // null unless the weights are factored
  std::vector<std::int8_t> xi_t_;    // Ξᵀ, N × P
};

// ---------------------------------------------------------------------------------------------
// The CPU's operations for core::run_dynamics. States, integrator stages and section points live
// in host vectors, state b of each at b · N; every loop over states is OpenMP-parallel once it
// carries enough work.
class CpuStepper final : public core::Stepper {
 public:
  CpuStepper(const Model& model, const core::RunOptions& options, Index batch)
      : model_(model), options_(options), n_(model.n()), batch_(batch), rng_{options.seed},
        glauber_(core::is_glauber(options.dynamics)) {}

  void load(const core::StateBatch& states) override {
    s_ = states.values;
    const auto batch = static_cast<std::size_t>(batch_);
    const auto size = s_.size();
    steps_.assign(batch, 0);
    switch (options_.dynamics) {
      case Dynamics::DiscreteSync:
      case Dynamics::GlauberSync:
        history_.assign(batch, core::CycleHistory(options_.max_period));
        for (Index b = 0; b < batch_; ++b) history_[b].start(core::hash_signs(state(b), n_));
        break;
      case Dynamics::DiscreteAsync:
      case Dynamics::GlauberAsync:
        scratch_.assign(batch * static_cast<std::size_t>(model_.scratch_size()), 0.0);
        for (Index b = 0; b < batch_; ++b) model_.start_fields(state(b), scratch(b));
        break;
      case Dynamics::Continuous:
        k_.assign(static_cast<std::size_t>(core::stage_count(options_.integrator)),
                  std::vector<double>(size, 0.0));
        stage_.assign(size, 0.0);
        u_prev_.assign(size, 0.0);
        f_prev_.assign(size, 0.0);
        sections_.assign(batch, std::vector<std::vector<double>>(
                                    static_cast<std::size_t>(options_.max_period) + 1));
        w_ = core::section_direction(options_.seed, n_);
        break;
    }
  }

  void store(core::StateBatch& states) override { states.values = s_; }

  core::Observation observe(const std::vector<Index>& which, bool with_tx) override {
    const auto m = static_cast<Index>(which.size());
    core::Observation o;
    o.state.resize(static_cast<std::size_t>(n_ * m));
    for (Index j = 0; j < m; ++j) std::copy_n(state(which[j]), n_, o.state.data() + j * n_);
    if (options_.dynamics == Dynamics::Continuous) {
      o.x = activated(o.state.data(), m);
    } else {
      o.x = o.state;
    }
    if (with_tx) {
      o.tx.resize(o.x.size());
      model_.multiply(o.x.data(), o.tx.data(), m);
    }
    return o;
  }

  // One product per step over the states still stepping; a state leaves the chunk at the step
  // that ends it (the driver reads the same flags and reaches the same verdict).
  void sync_steps(const std::vector<Index>& which, Index steps, core::SyncChunk& out) override {
    const auto m = static_cast<Index>(which.size());
    out.taken.assign(static_cast<std::size_t>(m), 0);
    out.changed.assign(static_cast<std::size_t>(steps * m), 0);
    out.fingerprint.assign(out.changed.size(), 0);
    std::vector<Index> stepping(static_cast<std::size_t>(m));
    std::iota(stepping.begin(), stepping.end(), Index{0});
    std::vector<char> ends(static_cast<std::size_t>(m), 0);
    for (Index k = 0; k < steps && !stepping.empty(); ++k) {
      const auto count = static_cast<Index>(stepping.size());
      x_.resize(static_cast<std::size_t>(n_ * count));
      y_.resize(x_.size());
      for (Index q = 0; q < count; ++q) {
        std::copy_n(state(which[stepping[q]]), n_, x_.data() + q * n_);
      }
      model_.multiply(x_.data(), y_.data(), count);
#pragma omp parallel for schedule(static) if (n_ * count > kParallelWork)
      for (Index q = 0; q < count; ++q) {
        const Index j = stepping[q];
        const Index b = which[j];
        double* s = state(b);
        const double* field = y_.data() + q * n_;
        const Index t = ++steps_[b];
        const auto stream = static_cast<std::uint32_t>(options_.stream_offset + b);
        bool changed = false;
        for (Index i = 0; i < n_; ++i) {
          const double f = field[i] + model_.b(i);
          const double next =
              glauber_ ? core::heat_bath_update(f, options_.temperature,
                                                core::heat_bath_draw(rng_, stream, t, n_, i))
                       : core::sign_update(f, s[i]);
          changed |= next != s[i];
          s[i] = next;
        }
        ++out.taken[j];
        out.changed[k * m + j] = changed ? 1 : 0;
        if (glauber_) continue;
        if (!changed) {
          ends[j] = 1;
          continue;
        }
        const std::uint64_t fingerprint = core::hash_signs(s, n_);
        out.fingerprint[k * m + j] = fingerprint;
        ends[j] = history_[b].push(fingerprint) > 0 ? 1 : 0;
      }
      std::vector<Index> still;
      for (Index j : stepping) {
        if (ends[j] == 0) still.push_back(j);
      }
      stepping.swap(still);
    }
  }

  // States are independent, so threads take whole states.
  void async_sweeps(const std::vector<Index>& which, Index until, std::vector<Index>& sweeps,
                    std::vector<std::uint8_t>& settled) override {
    const auto m = static_cast<Index>(which.size());
    sweeps.assign(static_cast<std::size_t>(m), 0);
    settled.assign(static_cast<std::size_t>(m), 0);
#pragma omp parallel if (m > 1 && n_ >= 32)
    {
      std::vector<std::uint32_t> order(static_cast<std::size_t>(n_)), partner(order.size());
#pragma omp for schedule(dynamic, 1)
      for (Index j = 0; j < m; ++j) {
        const Index b = which[j];
        double* s = state(b);
        double* sums = scratch(b);
        const auto stream = static_cast<std::uint32_t>(options_.stream_offset + b);
        while (steps_[b] < until) {
          const Index sweep = ++steps_[b];
          for (Index pos = 1; pos < n_; ++pos) {
            partner[pos] = core::async_swap_partner(rng_, stream, sweep, n_, pos);
          }
          core::apply_swaps(order.data(), partner.data(), n_);
          Index flips = 0;
          for (const std::uint32_t i : order) {
            const double f = model_.field(i, s, sums) + model_.b(i);
            const double next =
                glauber_ ? core::heat_bath_update(f, options_.temperature,
                                                  core::heat_bath_draw(rng_, stream, sweep, n_, i))
                         : core::sign_update(f, s[i]);
            if (next != s[i]) {
              ++flips;
              s[i] = next;
              model_.flipped(i, next, sums);
            }
          }
          if (flips == 0 && !glauber_) {
            settled[j] = 1;
            break;
          }
        }
        sweeps[j] = steps_[b];
      }
    }
  }

  void evaluate(const std::vector<Index>& which, core::Point point, int k_into) override {
    const auto m = static_cast<Index>(which.size());
    if (m == 0) return;
    const std::vector<double>& in = point == core::Point::State ? s_ : stage_;
    const auto& g = model_.activation();
    x_.resize(static_cast<std::size_t>(n_ * m));
    y_.resize(x_.size());
#pragma omp parallel for schedule(static) if (n_ * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const double* u = in.data() + which[j] * n_;
      for (Index i = 0; i < n_; ++i) x_[j * n_ + i] = core::activate(g.kind, g.gain, u[i]);
    }
    model_.multiply(x_.data(), y_.data(), m);
    std::vector<double>& k = k_[k_into];
#pragma omp parallel for schedule(static) if (n_ * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const double* u = in.data() + which[j] * n_;
      double* f = k.data() + which[j] * n_;
      for (Index i = 0; i < n_; ++i) f[i] = y_[j * n_ + i] - u[i] + model_.b(i);
    }
  }

  void stage(const std::vector<Index>& which, int s, const double* a,
             const std::vector<double>& h) override {
    const auto m = static_cast<Index>(which.size());
#pragma omp parallel for schedule(static) if (n_ * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const Index at = which[j] * n_;
      for (Index i = 0; i < n_; ++i) {
        double incr = 0.0;
        for (int q = 0; q < s; ++q) incr += a[q] * k_[q][at + i];
        stage_[at + i] = s_[at + i] + h[j] * incr;
      }
    }
  }

  std::vector<double> dopri_error(const std::vector<Index>& which, const double* E,
                                  const std::vector<double>& h, double atol, double rtol) override {
    const auto m = static_cast<Index>(which.size());
    std::vector<double> err2(static_cast<std::size_t>(m), 0.0);
#pragma omp parallel for schedule(static) if (n_ * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const Index at = which[j] * n_;
      double acc = 0.0;
      for (Index i = 0; i < n_; ++i) {
        double e = 0.0;
        for (int q = 0; q < 7; ++q) e += E[q] * k_[q][at + i];
        const double scale =
            atol + rtol * std::max(std::fabs(s_[at + i]), std::fabs(stage_[at + i]));
        const double ratio = h[j] * e / scale;
        acc += ratio * ratio;
      }
      err2[j] = acc;
    }
    return err2;
  }

  void accept(const std::vector<Index>& which, const double* w, int terms,
              const std::vector<double>& h) override {
    const auto m = static_cast<Index>(which.size());
#pragma omp parallel for schedule(static) if (n_ * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const Index at = which[j] * n_;
      std::copy_n(s_.data() + at, n_, u_prev_.data() + at);
      std::copy_n(k_[0].data() + at, n_, f_prev_.data() + at);
      if (terms == 0) {
        std::copy_n(stage_.data() + at, n_, s_.data() + at);
        std::copy_n(k_[6].data() + at, n_, k_[0].data() + at);
        continue;
      }
      for (Index i = 0; i < n_; ++i) {
        double incr = 0.0;
        for (int q = 0; q < terms; ++q) incr += w[q] * k_[q][at + i];
        s_[at + i] += h[j] * incr;
      }
    }
  }

  std::vector<core::SettleSums> settle_sums(const std::vector<Index>& which,
                                            const std::vector<Index>& last_slot) override {
    const auto m = static_cast<Index>(which.size());
    std::vector<core::SettleSums> sums(static_cast<std::size_t>(m));
#pragma omp parallel for schedule(static) if (n_ * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const Index b = which[j];
      const double* u = state(b);
      const double* k1 = k_[0].data() + b * n_;
      const double* u_prev = u_prev_.data() + b * n_;
      const double* f_prev = f_prev_.data() + b * n_;
      auto& r = sums[j];
      r.k1_norm2 = dot(k1, k1);
      r.w_k1 = dot(w_.data(), k1);
      r.w_f_prev = dot(w_.data(), f_prev);
      r.w_u = dot(w_.data(), u);
      r.w_u_prev = dot(w_.data(), u_prev);
      r.section_distance2 =
          last_slot[j] < 0 ? 0.0 : distance2(u, sections_[b][last_slot[j]].data());
    }
    return sums;
  }

  void section_points(const std::vector<core::SectionJob>& jobs) override {
    for (const auto& job : jobs) {
      const Index at = job.state * n_;
      auto& point = sections_[job.state][job.slot];
      point.resize(static_cast<std::size_t>(n_));
      for (Index i = 0; i < n_; ++i) {
        point[i] = job.u0 * u_prev_[at + i] + job.f0 * f_prev_[at + i] + job.u1 * s_[at + i] +
                   job.f1 * k_[0][at + i];
      }
    }
  }

  std::vector<double> section_distances(const std::vector<core::SectionPair>& pairs) override {
    std::vector<double> out;
    for (const auto& p : pairs) {
      const auto& ring = sections_[p.state];
      out.push_back(distance2(ring[p.slot_a].data(), ring[p.slot_b].data()));
    }
    return out;
  }

 private:
  double* state(Index b) { return s_.data() + b * n_; }
  double* scratch(Index b) { return scratch_.data() + b * model_.scratch_size(); }

  std::vector<double> activated(const double* u, Index m) const {
    const auto& g = model_.activation();
    std::vector<double> v(static_cast<std::size_t>(n_ * m));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = core::activate(g.kind, g.gain, u[i]);
    return v;
  }

  double dot(const double* a, const double* c) const {
    double acc = 0.0;
    for (Index i = 0; i < n_; ++i) acc += a[i] * c[i];
    return acc;
  }
  double distance2(const double* a, const double* c) const {
    double acc = 0.0;
    for (Index i = 0; i < n_; ++i) acc += (a[i] - c[i]) * (a[i] - c[i]);
    return acc;
  }

  const Model& model_;
  const core::RunOptions& options_;
  Index n_;
  Index batch_;
  core::CounterRng rng_;
  bool glauber_;
  std::vector<double> s_;
  std::vector<Index> steps_;  // steps or sweeps each state has taken
  std::vector<core::CycleHistory> history_;
  std::vector<double> scratch_;  // asynchronous: each state's Model scratch
  std::vector<std::vector<double>> k_;
  std::vector<double> stage_, u_prev_, f_prev_, w_;
  std::vector<std::vector<std::vector<double>>> sections_;  // state, ring slot, N
  std::vector<double> x_, y_;                               // product input and output
};

}  // namespace

void check_row_partition(const core::Network& network, const core::RunOptions& options,
                         int processes) {
  core::require(!core::is_asynchronous(options.dynamics), "--dynamics",
                "an asynchronous sweep updates one neuron at a time from the whole state, so it "
                "cannot share rows out across processes: use discrete-sync, glauber-sync or "
                "continuous");
  core::require(std::holds_alternative<CsrMatrix<double>>(network.weights), "processes",
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
  const Model model(network, partitioned ? processes_ : nullptr);
  CpuStepper stepper(model, options, states.batch);
  core::RunResult out = core::run_dynamics(network, states, options, stepper);
  out.backend = name();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace attractor
