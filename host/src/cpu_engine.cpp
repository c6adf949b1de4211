#include "attractor/host/cpu_engine.hpp"

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

namespace attractor::host {

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
  const core::ObservedNetwork& observed() const { return observed_; }
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
#pragma omp parallel for schedule(static) if(end - begin > kParallelWork)
      for (Index i = begin; i < end; ++i) out[i] = sparse_row_dot(T, i, x);
      return;
    }
#pragma omp parallel for schedule(static) if((end - begin) * m > kParallelWork)
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
      return Eigen::Map<const Eigen::VectorXd>(dense->row(i), n_).dot(
          Eigen::Map<const Eigen::VectorXd>(s, n_));
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
#pragma omp parallel for schedule(static) if(n_ * p * m > kParallelWork)
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
    return Eigen::Map<const Bits>(bits, count).cast<double>().dot(
        Eigen::Map<const Eigen::VectorXd>(x, count));
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
      row_begin_[r] = std::lower_bound(T->row_ptr.begin(), T->row_ptr.end(), target) -
                      T->row_ptr.begin();
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

using core::Recorder;
using core::report_progress;

// ---------------------------------------------------------------------------------------------
// Discrete synchronous dynamics: one GEMM (or SpMM) per step over the states still running.
void run_sync(const Model& model, core::StateBatch& states, const core::RunOptions& options,
              Recorder& recorder, std::vector<core::StateResult>& results) {
  const Index n = model.n();
  const Index batch = states.batch;
  std::vector<core::CycleHistory> history(static_cast<std::size_t>(batch),
                                          core::CycleHistory(options.max_period));
  std::vector<Index> active(static_cast<std::size_t>(batch));
  std::iota(active.begin(), active.end(), Index{0});
  std::vector<double> x, y;

  auto record_all = [&](const std::vector<Index>& which, Index step) {
    if (which.empty()) return;
    const Index m = static_cast<Index>(which.size());
    x.resize(static_cast<std::size_t>(n * m));
    y.resize(x.size());
    for (Index j = 0; j < m; ++j) std::copy_n(states.state(which[j]), n, x.data() + j * n);
    model.multiply(x.data(), y.data(), m);
    for (Index j = 0; j < m; ++j) {
      recorder.record(which[j], static_cast<double>(step), x.data() + j * n, y.data() + j * n,
                      x.data() + j * n);
    }
  };

  for (Index b = 0; b < batch; ++b) history[b].start(core::hash_signs(states.state(b), n));
  if (recorder.due(0)) record_all(active, 0);

  for (Index step = 1; step <= options.max_steps && !active.empty(); ++step) {
    const Index m = static_cast<Index>(active.size());
    x.resize(static_cast<std::size_t>(n * m));
    y.resize(x.size());
    for (Index j = 0; j < m; ++j) std::copy_n(states.state(active[j]), n, x.data() + j * n);
    model.multiply(x.data(), y.data(), m);

#pragma omp parallel for schedule(static) if(n * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const Index b = active[j];
      double* s = states.state(b);
      const double* field = y.data() + j * n;
      bool changed = false;
      for (Index i = 0; i < n; ++i) {
        const double next = core::sign_update(field[i] + model.b(i), s[i]);
        changed |= next != s[i];
        s[i] = next;
      }
      auto& result = results[b];
      result.steps = step;
      if (!changed) {
        result.outcome = Outcome::FixedPoint;
        continue;
      }
      result.period = history[b].push(core::hash_signs(s, n));
      if (result.period > 0) result.outcome = Outcome::LimitCycle;
    }

    std::vector<Index> still_running, recording;
    for (Index b : active) {
      const bool done = results[b].outcome != Outcome::Wandering;
      if (!done) still_running.push_back(b);
      if (recorder.due(step)) recording.push_back(b);
    }
    record_all(recording, step);
    active.swap(still_running);
    report_progress(options, step, options.max_steps);
  }
}

// ---------------------------------------------------------------------------------------------
// Discrete asynchronous dynamics: states are independent, so threads take whole states.
void run_async(const Model& model, core::StateBatch& states, const core::RunOptions& options,
               Recorder& recorder, std::vector<core::StateResult>& results) {
  const Index n = model.n();
  const Index batch = states.batch;
  const core::CounterRng rng{options.seed};
  Index finished = 0;

#pragma omp parallel if(batch > 1 && n >= 32)
  {
    std::vector<std::uint32_t> order(static_cast<std::size_t>(n)), partner(order.size());
    std::vector<double> tx(static_cast<std::size_t>(n));
    std::vector<double> scratch(static_cast<std::size_t>(model.scratch_size()));
    auto record = [&](Index b, Index sweep) {
      const double* s = states.state(b);
      model.multiply(s, tx.data(), 1);
      recorder.record(b, static_cast<double>(sweep), s, tx.data(), s);
    };
#pragma omp for schedule(dynamic, 1)
    for (Index b = 0; b < batch; ++b) {
      double* s = states.state(b);
      auto& result = results[b];
      const auto stream = static_cast<std::uint32_t>(options.stream_offset + b);
      if (recorder.due(0)) record(b, 0);
      model.start_fields(s, scratch.data());
      for (Index sweep = 1; sweep <= options.max_steps; ++sweep) {
        for (Index pos = 1; pos < n; ++pos) {
          partner[pos] = core::async_swap_partner(rng, stream, sweep, n, pos);
        }
        core::apply_swaps(order.data(), partner.data(), n);
        Index flips = 0;
        for (const std::uint32_t i : order) {
          const double next =
              core::sign_update(model.field(i, s, scratch.data()) + model.b(i), s[i]);
          if (next != s[i]) {
            ++flips;
            s[i] = next;
            model.flipped(i, next, scratch.data());
          }
        }
        result.steps = sweep;
        if (recorder.due(sweep)) record(b, sweep);
        if (flips == 0) {
          result.outcome = Outcome::FixedPoint;
          break;
        }
      }
#pragma omp atomic
      ++finished;
      if (omp_get_thread_num() == 0) {
        Index done;
#pragma omp atomic read
        done = finished;
        report_progress(options, done, batch);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Continuous dynamics. All running states advance in lock step, one field evaluation
// F(u) = T g(u) − u + b for all of them per stage (one GEMM), each with its own step size.

struct ContinuousState {
  double t = 0.0;
  double t_prev = 0.0;  // time of the previous accepted point
  double h = 0.0;       // next trial step
  std::vector<double> k1;              // F(u), valid at the current u
  std::vector<double> u_prev, f_prev;  // previous accepted point, for section interpolation
  core::SectionHistory history;
  std::vector<std::vector<double>> sections;  // ring of the last max_period + 1 section points
};

class ContinuousRunner {
 public:
  ContinuousRunner(const Model& model, core::StateBatch& states, const core::RunOptions& options,
                   Recorder& recorder, std::vector<core::StateResult>& results)
      : model_(model), states_(states), options_(options), recorder_(recorder),
        results_(results), n_(model.n()), w_(core::section_direction(options.seed, n_)),
        per_state_(static_cast<std::size_t>(states.batch)) {}

  void run() {
    const Index batch = states_.batch;
    std::vector<Index> active(static_cast<std::size_t>(batch));
    std::iota(active.begin(), active.end(), Index{0});
    for (Index b = 0; b < batch; ++b) {
      auto& st = per_state_[b];
      st.h = options_.dt;
      st.k1.resize(static_cast<std::size_t>(n_));
      st.history = core::SectionHistory(options_.max_period);
      st.sections.resize(st.history.capacity());
    }
    evaluate(active, [&](Index b) { return states_.state(b); },
             [&](Index b) { return per_state_[b].k1.data(); });
    if (recorder_.due(0)) {
      for (Index b : active) record(b);
    }
    active = settle(active);

    const int stages = core::stage_count(options_.integrator);
    std::vector<std::vector<std::vector<double>>> k(
        static_cast<std::size_t>(batch), std::vector<std::vector<double>>(stages));
    std::vector<std::vector<double>> stage_u(static_cast<std::size_t>(batch));
    Index attempts = 0;
    const Index attempt_budget = core::attempt_budget(options_.max_steps);

    while (!active.empty()) {
      for (Index b : active) {
        auto& st = per_state_[b];
        st.h = std::min(st.h, options_.t_end - st.t);
        for (auto& stage : k[b]) stage.resize(static_cast<std::size_t>(n_));
        stage_u[b].resize(static_cast<std::size_t>(n_));
        k[b][0] = st.k1;
      }
      // Stages 2..s: stage_u = u + h Σ_j a_sj k_j, then k_s = F(stage_u).
      for (int s = 1; s < stages; ++s) {
#pragma omp parallel for schedule(static) if(n_ * static_cast<Index>(active.size()) > kParallelWork)
        for (std::size_t a = 0; a < active.size(); ++a) {
          const Index b = active[a];
          const double* u = states_.state(b);
          const double h = per_state_[b].h;
          double* out = stage_u[b].data();
          for (Index i = 0; i < n_; ++i) {
            double incr = 0.0;
            for (int j = 0; j < s; ++j) {
              incr += core::stage_coefficient(options_.integrator, s, j) * k[b][j][i];
            }
            out[i] = u[i] + h * incr;
          }
        }
        evaluate(active, [&](Index b) { return stage_u[b].data(); },
                 [&](Index b) { return k[b][s].data(); });
      }

      // Combine, estimate the error (Dopri5), accept or reject.
      std::vector<char> accepted(active.size(), 1);
#pragma omp parallel for schedule(static) if(n_ * static_cast<Index>(active.size()) > kParallelWork)
      for (std::size_t a = 0; a < active.size(); ++a) {
        const Index b = active[a];
        auto& st = per_state_[b];
        double* u = states_.state(b);
        double* next = stage_u[b].data();
        if (options_.integrator == Integrator::Dopri5) {
          // The last stage was evaluated at the fifth-order solution itself (c₇ = 1, a₇ = b₅).
          double err2 = 0.0;
          for (Index i = 0; i < n_; ++i) {
            double e = 0.0;
            for (int j = 0; j < 7; ++j) e += core::kDopriE[j] * k[b][j][i];
            const double scale =
                options_.atol + options_.rtol * std::max(std::fabs(u[i]), std::fabs(next[i]));
            const double ratio = st.h * e / scale;
            err2 += ratio * ratio;
          }
          const auto decision = core::dopri_decision(std::sqrt(err2 / static_cast<double>(n_)));
          if (!decision.accepted) {
            accepted[a] = 0;
            st.h *= decision.factor;
            continue;
          }
          st.u_prev.assign(u, u + n_);
          st.f_prev = st.k1;
          st.t_prev = st.t;
          std::copy_n(next, n_, u);
          st.k1 = k[b][6];
          st.t += st.h;
          st.h *= decision.factor;
        } else {
          const double h = st.h;
          st.u_prev.assign(u, u + n_);
          st.f_prev = st.k1;
          st.t_prev = st.t;
          for (Index i = 0; i < n_; ++i) {
            double incr = 0.0;
            for (int j = 0; j < stages; ++j) {
              incr += core::update_weight(options_.integrator, j) * k[b][j][i];
            }
            u[i] += h * incr;
          }
          st.t += h;
        }
      }
      ++attempts;

      // Euler and RK4 need F at the new point (the next step's k₁); Dopri5 already has it.
      std::vector<Index> moved;
      for (std::size_t a = 0; a < active.size(); ++a) {
        if (accepted[a]) moved.push_back(active[a]);
      }
      if (options_.integrator != Integrator::Dopri5) {
        evaluate(moved, [&](Index b) { return states_.state(b); },
                 [&](Index b) { return per_state_[b].k1.data(); });
      }
      for (Index b : moved) {
        auto& result = results_[b];
        ++result.steps;
        result.time = per_state_[b].t;
        if (recorder_.due(result.steps)) record(b);
      }
      std::vector<Index> still;
      for (Index b : settle(moved)) {
        const auto& result = results_[b];
        const bool out_of_time = core::reached_end(per_state_[b].t, options_.t_end);
        if (!out_of_time && result.steps < options_.max_steps) still.push_back(b);
      }
      for (std::size_t a = 0; a < active.size(); ++a) {
        if (!accepted[a] && attempts < attempt_budget) still.push_back(active[a]);
      }
      std::sort(still.begin(), still.end());
      active.swap(still);
      core::report_continuous_progress(options_, active, results_);
    }
    for (Index b = 0; b < states_.batch; ++b) {
      results_[b].residual = norm(per_state_[b].k1.data());
    }
  }

 private:

  double norm(const double* v) const {
    double acc = 0.0;
    for (Index i = 0; i < n_; ++i) acc += v[i] * v[i];
    return std::sqrt(acc);
  }

  // out_b = F(in_b) = T g(in_b) − in_b + b for each listed state, with one multiplication.
  template <typename In, typename Out>
  void evaluate(const std::vector<Index>& which, In input, Out output) {
    const Index m = static_cast<Index>(which.size());
    if (m == 0) return;
    const auto& g = model_.activation();
    v_.resize(static_cast<std::size_t>(n_ * m));
    tv_.resize(v_.size());
#pragma omp parallel for schedule(static) if(n_ * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const double* u = input(which[j]);
      for (Index i = 0; i < n_; ++i) v_[j * n_ + i] = core::activate(g.kind, g.gain, u[i]);
    }
    model_.multiply(v_.data(), tv_.data(), m);
#pragma omp parallel for schedule(static) if(n_ * m > kParallelWork)
    for (Index j = 0; j < m; ++j) {
      const double* u = input(which[j]);
      double* f = output(which[j]);
      for (Index i = 0; i < n_; ++i) f[i] = tv_[j * n_ + i] - u[i] + model_.b(i);
    }
  }

  void record(Index b) {
    const auto& g = model_.activation();
    const double* u = states_.state(b);
    std::vector<double> v(static_cast<std::size_t>(n_)), tv(v.size());
    for (Index i = 0; i < n_; ++i) v[i] = core::activate(g.kind, g.gain, u[i]);
    model_.multiply(v.data(), tv.data(), 1);
    recorder_.record(b, per_state_[b].t, v.data(), tv.data(), u);
  }

  // Classifies states whose k₁ is fresh; returns those that keep running.
  std::vector<Index> settle(const std::vector<Index>& which) {
    std::vector<char> keep(which.size(), 1);
#pragma omp parallel for schedule(static) if(n_ * static_cast<Index>(which.size()) > kParallelWork)
    for (std::size_t a = 0; a < which.size(); ++a) {
      const Index b = which[a];
      auto& st = per_state_[b];
      auto& result = results_[b];
      if (norm(st.k1.data()) <= options_.tol) {
        result.outcome = Outcome::FixedPoint;
        keep[a] = 0;
        continue;
      }
      if (result.steps > 0 && detect_cycle(b)) keep[a] = 0;
    }
    std::vector<Index> running;
    for (std::size_t a = 0; a < which.size(); ++a) {
      if (keep[a]) running.push_back(which[a]);
    }
    return running;
  }

  // Looks for a maximum of y = w·u inside the last step; on one, stores the section point and
  // compares it with the earlier ones. True when a cycle closed.
  bool detect_cycle(Index b) {
    auto& st = per_state_[b];
    const double* u = states_.state(b);
    if (st.history.size() > 0) {
      st.history.moved(distance(u, st.sections[st.history.slot_back(0)].data()));
    }
    const core::StepProjection step{dot(w_.data(), st.u_prev.data()), dot(w_.data(), u),
                                    dot(w_.data(), st.f_prev.data()), dot(w_.data(), st.k1.data()),
                                    st.t - st.t_prev};
    if (!step.crosses()) return false;
    const double theta = core::section_theta(step);
    const auto c = core::hermite_weights(theta, step.h);
    auto& point = st.sections[st.history.next_slot()];
    point.resize(static_cast<std::size_t>(n_));
    for (Index i = 0; i < n_; ++i) {
      point[i] = c.u0 * st.u_prev[i] + c.f0 * st.f_prev[i] + c.u1 * u[i] + c.f1 * st.k1[i];
    }
    st.history.add(st.t_prev + theta * step.h);

    const double* newest = point.data();
    auto& result = results_[b];
    result.period = st.history.closes(
        options_.cycle_tol,
        [&](std::size_t p) { return distance(newest, st.sections[st.history.slot_back(p)].data()); },
        result.period_time);
    if (result.period == 0) return false;
    result.outcome = Outcome::LimitCycle;
    return true;
  }

  double distance(const double* a, const double* c) const {
    double acc = 0.0;
    for (Index i = 0; i < n_; ++i) acc += (a[i] - c[i]) * (a[i] - c[i]);
    return std::sqrt(acc);
  }

  double dot(const double* a, const double* c) const {
    double acc = 0.0;
    for (Index i = 0; i < n_; ++i) acc += a[i] * c[i];
    return acc;
  }

  const Model& model_;
  core::StateBatch& states_;
  const core::RunOptions& options_;
  Recorder& recorder_;
  std::vector<core::StateResult>& results_;
  Index n_;
  std::vector<double> w_;
  std::vector<ContinuousState> per_state_;
  std::vector<double> v_, tv_;
};

}  // namespace

void check_row_partition(const core::Network& network, const core::RunOptions& options,
                         int processes) {
  core::require(options.dynamics != Dynamics::DiscreteAsync, "--dynamics",
                "an asynchronous sweep updates one neuron at a time from the whole state, so it "
                "cannot share rows out across processes: use discrete-sync or continuous");
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
  const bool continuous = options.dynamics == Dynamics::Continuous;

  core::RunResult out;
  out.backend = name();
  out.energy_defined = network.is_symmetric();
  out.states.resize(static_cast<std::size_t>(states.batch));
  Recorder recorder(model.observed(), options, states.batch, continuous, out.energy_defined);
  const auto loop_start = std::chrono::steady_clock::now();

  switch (options.dynamics) {
    case Dynamics::DiscreteSync: run_sync(model, states, options, recorder, out.states); break;
    case Dynamics::DiscreteAsync: run_async(model, states, options, recorder, out.states); break;
    case Dynamics::Continuous:
      ContinuousRunner(model, states, options, recorder, out.states).run();
      break;
  }
  const double loop_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - loop_start).count();

  // Final observers: x = s or V = g(u), and T x for the energy.
  const Index n = model.n();
  const Index batch = states.batch;
  const auto& g = network.activation;
  std::vector<double> x(static_cast<std::size_t>(n * batch)), tx(x.size());
  for (Index b = 0; b < batch; ++b) {
    for (Index i = 0; i < n; ++i) {
      const double value = states.state(b)[i];
      x[b * n + i] = continuous ? core::activate(g.kind, g.gain, value) : value;
    }
  }
  if (out.energy_defined && batch > 0) model.multiply(x.data(), tx.data(), batch);
  out.loop_seconds = loop_seconds;
  core::finish_run(model.observed(), options, x.data(), tx.data(), states, recorder, out);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace attractor::host
