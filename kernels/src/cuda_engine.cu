// The CUDA engine (see attractor/cuda/cuda_engine.hpp): the CPU engine's orchestration — which
// states run, outcomes, step control, section bookkeeping, records — with the vectors on the
// device. Every decision is made on the host by the same core functions the CPU engine calls,
// from a few numbers per state reduced on the device each step.
#include "attractor/cuda/cuda_engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "attractor/core/discrete.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/integrators.hpp"
#include "attractor/core/observers.hpp"
#include "attractor/cuda/device.hpp"
#include "device_buffer.hpp"
#include "device_model.hpp"
#include "engine_kernels.cuh"
#include "resources.hpp"

namespace attractor::cuda {

namespace {

using core::Dynamics;
using core::Integrator;
using core::Outcome;

// Host values of some listed states, in float64: x = s or V = g(u), tx = T x (when the energy is
// defined), state = s or u.
struct Observed {
  std::vector<double> x, tx, state;
};

template <class Real>
std::vector<double> widened(const std::vector<Real>& values) {
  return std::vector<double>(values.begin(), values.end());
}

template <class Real>
class Runner {
 public:
  Runner(const core::Network& network, core::StateBatch& states, const core::RunOptions& options,
         core::RunResult& out, const Resources& resources)
      : network_(network), states_(states), options_(options), out_(out),
        resources_(resources), stream_(resources.stream()), observed_(network),
        n_(network.size()), batch_(states.batch),
        continuous_(options.dynamics == Dynamics::Continuous),
        recorder_(observed_, options, states.batch, continuous_, out.energy_defined) {
    check_allocation(plan_bytes());  // the whole plan, before any of it is allocated
    model_.emplace(network, std::max<Index>(batch_, 1), !continuous_, resources);
    list_ = DeviceBuffer<int>(static_cast<std::size_t>(std::max<Index>(batch_, 1)));
  }

  void run() {
    DeviceTimer loop;
    loop.start(stream_);
    switch (options_.dynamics) {
      case Dynamics::DiscreteSync: run_sync(); break;
      case Dynamics::DiscreteAsync: run_async(); break;
      case Dynamics::Continuous: run_continuous(); break;
    }
    loop.stop(stream_);
    out_.loop_seconds = loop.seconds();
  }

 private:
  // ------------------------------------------------------------------------------------------
  // Memory plan: the model plus, per state, the vectors each dynamics keeps (in Real):
  //   sync        3 (compact states, products, compaction target)
  //   async       states, 2 observer buffers, 2 · 4-byte order scratch (+ 8 P overlap sums for
  //               factored weights, counted in the model's plan)
  //   continuous  u, k1, u_prev, f_prev, stage point, stages − 1 more k's, 2 product buffers,
  //               and max_period + 1 section points
  std::size_t plan_bytes() const {
    const auto per_state = static_cast<std::size_t>(n_) * sizeof(Real);
    std::size_t vectors = 0;
    switch (options_.dynamics) {
      case Dynamics::DiscreteSync: vectors = 3; break;
      case Dynamics::DiscreteAsync: vectors = 3; break;  // states and two observer buffers
      case Dynamics::Continuous:
        vectors = 7 + static_cast<std::size_t>(core::stage_count(options_.integrator) - 1) +
                  static_cast<std::size_t>(options_.max_period) + 1;
        break;
    }
    auto batch = static_cast<std::size_t>(std::max<Index>(batch_, 1));
    std::size_t bytes = DeviceModel<Real>::bytes_needed(network_, batch_) + batch * vectors * per_state;
    if (options_.dynamics == Dynamics::DiscreteAsync) {
      bytes += batch * static_cast<std::size_t>(n_) * 8;
    }
    return bytes;
  }

  // Uploads `indices` (state indices or column positions) as the list kernels read.
  const int* set_list(const std::vector<Index>& indices) {
    list_host_.assign(indices.begin(), indices.end());
    upload(list_host_.data(), list_.data(), list_host_.size(), stream_);
    return list_.data();
  }

  void gather(const Real* src, const int* which, Index m, bool activate, Real* dst) {
    const auto& g = network_.activation;
    launch_over_items(m, [&](int first, unsigned count) {
      gather_kernel<Real><<<dim3(neuron_blocks(n_), count), kThreads, 0, stream_>>>(
          src, which, first, n_, activate, g.kind, g.gain, dst);
    });
  }

  std::vector<double> download_widened(const Real* src, Index count) {
    std::vector<Real> host(static_cast<std::size_t>(count));
    download(src, host.data(), host.size(), stream_);
    resources_.synchronize();
    return widened(host);
  }

  // Host copies of the states at `base + index · n` for the listed indices; v and tv are n × m
  // device scratch.
  Observed observe(const Real* base, const std::vector<Index>& indices, Real* v, Real* tv) {
    Observed o;
    const auto m = static_cast<Index>(indices.size());
    if (m == 0) return o;
    const int* which = set_list(indices);
    gather(base, which, m, false, v);
    o.state = download_widened(v, n_ * m);
    if (continuous_) {
      gather(base, which, m, true, v);
      o.x = download_widened(v, n_ * m);
    } else {
      o.x = o.state;
    }
    if (out_.energy_defined) {
      model_->multiply(v, tv, m);
      o.tx = download_widened(tv, n_ * m);
    }
    return o;
  }

  void record(const Observed& o, const std::vector<Index>& state_ids,
              const std::vector<double>& times) {
    for (std::size_t j = 0; j < state_ids.size(); ++j) {
      const std::size_t at = j * static_cast<std::size_t>(n_);
      recorder_.record(state_ids[j], times[j], o.x.data() + at,
                       out_.energy_defined ? o.tx.data() + at : nullptr, o.state.data() + at);
    }
  }

  void upload_states(Real* dst) {
    std::vector<Real> host(states_.values.begin(), states_.values.end());
    upload(host.data(), dst, host.size(), stream_);
    resources_.synchronize();
  }

  // ------------------------------------------------------------------------------------------
  // Synchronous: running states are the compact columns of x (column j holds state active[j]);
  // one product and one fused update per step; finished states leave x by compaction.
  void run_sync() {
    const auto size = static_cast<std::size_t>(n_ * batch_);
    DeviceBuffer<Real> x(size), y(size), spare(size);
    DeviceBuffer<int> changed(static_cast<std::size_t>(batch_));
    DeviceBuffer<unsigned long long> hash(static_cast<std::size_t>(batch_));
    upload_states(x.data());

    std::vector<Index> active(static_cast<std::size_t>(batch_));
    std::iota(active.begin(), active.end(), Index{0});
    std::vector<core::CycleHistory> history(static_cast<std::size_t>(batch_),
                                            core::CycleHistory(options_.max_period));
    for (Index b = 0; b < batch_; ++b) history[b].start(core::hash_signs(states_.state(b), n_));
    std::vector<Index> columns;
    auto record_columns = [&](Index step) {
      columns.resize(active.size());
      std::iota(columns.begin(), columns.end(), Index{0});
      record(observe(x.data(), columns, spare.data(), y.data()), active,
             std::vector<double>(active.size(), static_cast<double>(step)));
    };
    if (recorder_.due(0)) record_columns(0);

    std::vector<int> changed_host;
    std::vector<unsigned long long> hash_host;
    for (Index step = 1; step <= options_.max_steps && !active.empty(); ++step) {
      const auto m = static_cast<Index>(active.size());
      model_->multiply(x.data(), y.data(), m);
      ATTRACTOR_CUDA_CHECK(
          cudaMemsetAsync(changed.data(), 0, static_cast<std::size_t>(m) * sizeof(int), stream_));
      ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(
          hash.data(), 0, static_cast<std::size_t>(m) * sizeof(unsigned long long), stream_));
      const auto word_blocks = static_cast<unsigned>(((n_ + 63) / 64 + 7) / 8);  // 8 warps a block
      launch_over_items(m, [&](int first, unsigned count) {
        sync_update_kernel<Real><<<dim3(word_blocks, count), kThreads, 0, stream_>>>(
            x.data(), y.data(), model_->view().b, n_, first, changed.data(), hash.data());
      });
      changed_host.resize(static_cast<std::size_t>(m));
      hash_host.resize(static_cast<std::size_t>(m));
      download(changed.data(), changed_host.data(), changed_host.size(), stream_);
      download(hash.data(), hash_host.data(), hash_host.size(), stream_);
      resources_.synchronize();

      std::vector<Index> keep;
      for (Index j = 0; j < m; ++j) {
        auto& result = out_.states[active[j]];
        result.steps = step;
        if (changed_host[j] == 0) {
          result.outcome = Outcome::FixedPoint;
        } else {
          result.period = history[active[j]].push(hash_host[j]);
          if (result.period > 0) result.outcome = Outcome::LimitCycle;
        }
        if (result.outcome == Outcome::Wandering) keep.push_back(j);
      }
      if (recorder_.due(step)) record_columns(step);
      if (static_cast<Index>(keep.size()) < m) {
        for (Index j = 0; j < m; ++j) {
          if (out_.states[active[j]].outcome != Outcome::Wandering) save_column(x.data(), j, active[j]);
        }
        gather(x.data(), set_list(keep), static_cast<Index>(keep.size()), false, spare.data());
        std::swap(x, spare);
        std::vector<Index> still;
        for (Index j : keep) still.push_back(active[j]);
        active.swap(still);
      }
      core::report_progress(options_, step, options_.max_steps);
    }
    for (std::size_t j = 0; j < active.size(); ++j) {
      save_column(x.data(), static_cast<Index>(j), active[j]);
    }
  }

  // Copies column j of a compact block into host state b.
  void save_column(const Real* block, Index j, Index b) {
    const auto values = download_widened(block + j * n_, n_);
    std::copy(values.begin(), values.end(), states_.state(b));
  }

  // ------------------------------------------------------------------------------------------
  // Asynchronous: one block per state sweeps until it settles or reaches the chunk's last sweep;
  // chunks end at every record step (and every 64 sweeps, for progress).
  void run_async() {
    const auto size = static_cast<std::size_t>(n_ * batch_);
    DeviceBuffer<Real> s(size);
    DeviceBuffer<std::uint32_t> order(size), draws(size);
    DeviceBuffer<Index> steps(static_cast<std::size_t>(batch_));
    DeviceBuffer<int> settled(static_cast<std::size_t>(batch_));
    const auto view = model_->view();
    DeviceBuffer<double> sums(view.kind == WeightKind::Factored
                                  ? static_cast<std::size_t>(batch_ * view.patterns)
                                  : 0);
    upload_states(s.data());
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(steps.data(), 0, steps.bytes(), stream_));
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(settled.data(), 0, settled.bytes(), stream_));
    if (view.kind == WeightKind::Factored) model_->overlap_sums(s.data(), sums.data(), batch_);

    std::vector<Index> all(static_cast<std::size_t>(batch_));
    std::iota(all.begin(), all.end(), Index{0});
    DeviceBuffer<Real> v(size), tv(size);
    if (recorder_.due(0)) {
      record(observe(s.data(), all, v.data(), tv.data()), all, std::vector<double>(all.size(), 0.0));
    }
    std::vector<Index> steps_host(static_cast<std::size_t>(batch_));
    std::vector<int> settled_host(static_cast<std::size_t>(batch_));
    const Index chunk = recorder_.enabled() ? options_.record_every : 64;
    Index done = 0;
    while (done < options_.max_steps && batch_ > 0) {
      const Index end = std::min(options_.max_steps, (done / chunk + 1) * chunk);
      async_sweeps_kernel<Real><<<static_cast<unsigned>(batch_), kThreads, 0, stream_>>>(
          view, s.data(), core::CounterRng{options_.seed}, options_.stream_offset, end,
          steps.data(), settled.data(), order.data(), draws.data(), sums.data());
      ATTRACTOR_CUDA_CHECK(cudaGetLastError());
      download(steps.data(), steps_host.data(), steps_host.size(), stream_);
      download(settled.data(), settled_host.data(), settled_host.size(), stream_);
      resources_.synchronize();
      done = end;
      std::vector<Index> due;
      bool running = false;
      for (Index b = 0; b < batch_; ++b) {
        out_.states[b].steps = steps_host[b];
        if (settled_host[b] != 0) out_.states[b].outcome = Outcome::FixedPoint;
        running |= settled_host[b] == 0;
        if (recorder_.due(end) && steps_host[b] == end) due.push_back(b);
      }
      if (!due.empty()) {
        record(observe(s.data(), due, v.data(), tv.data()), due,
               std::vector<double>(due.size(), static_cast<double>(end)));
      }
      core::report_progress(options_, done, options_.max_steps);
      if (!running) break;
    }
    const auto final_states = download_widened(s.data(), n_ * batch_);
    std::copy(final_states.begin(), final_states.end(), states_.values.begin());
  }

  // ------------------------------------------------------------------------------------------
  // Continuous: the CPU's ContinuousRunner, state for state, with the vectors on the device.
  struct PerState {
    double t = 0.0, t_prev = 0.0, h = 0.0;
    core::SectionHistory sections;
  };

  // F(in) for the listed states: out[b] = T g(in[b]) − in[b] + b, one product for all of them.
  void evaluate(const std::vector<Index>& which, const Real* in, Real* out) {
    const auto m = static_cast<Index>(which.size());
    if (m == 0) return;
    const int* list = set_list(which);
    gather(in, list, m, true, v_.data());
    model_->multiply(v_.data(), tv_.data(), m);
    launch_over_items(m, [&](int first, unsigned count) {
      field_scatter_kernel<Real><<<dim3(neuron_blocks(n_), count), kThreads, 0, stream_>>>(
          tv_.data(), in, list, first, n_, model_->view().b, out);
    });
  }

  void run_continuous() {
    const auto size = static_cast<std::size_t>(n_ * batch_);
    const int stages = core::stage_count(options_.integrator);
    const Integrator integrator = options_.integrator;
    DeviceBuffer<Real> u(size), k1(size), u_prev(size), f_prev(size), stage_u(size);
    std::vector<DeviceBuffer<Real>> k_extra;  // k_2 .. k_s (k_1 is k1)
    for (int s = 1; s < stages; ++s) k_extra.emplace_back(size);
    v_ = DeviceBuffer<Real>(size);
    tv_ = DeviceBuffer<Real>(size);
    const std::size_t slots = static_cast<std::size_t>(options_.max_period) + 1;
    DeviceBuffer<Real> sections(slots * size);
    for (auto* buffer : {&k1, &u_prev, &f_prev, &stage_u}) {
      ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(buffer->data(), 0, buffer->bytes(), stream_));
    }
    ATTRACTOR_CUDA_CHECK(cudaMemsetAsync(sections.data(), 0, sections.bytes(), stream_));
    upload_states(u.data());
    auto k_ptr = [&](int j) -> Real* { return j == 0 ? k1.data() : k_extra[j - 1].data(); };

    const std::vector<double> w = core::section_direction(options_.seed, n_);
    DeviceBuffer<double> w_d(w.size());
    upload(w.data(), w_d.data(), w.size(), stream_);

    const int blocks = reduce_blocks_per_item(n_);
    DeviceBuffer<double> partials(static_cast<std::size_t>(std::max<Index>(batch_, 1)) *
                                  static_cast<std::size_t>(blocks) * 6);
    DeviceBuffer<double> sums(static_cast<std::size_t>(std::max<Index>(batch_, 1)) * 6);
    DeviceBuffer<double> h_d(static_cast<std::size_t>(std::max<Index>(batch_, 1)));
    DeviceBuffer<int> last_slot_d(static_cast<std::size_t>(std::max<Index>(batch_, 1)));
    DeviceBuffer<HermiteJob> jobs_d(static_cast<std::size_t>(std::max<Index>(batch_, 1)));
    // Distances from a new section point to the max_period earlier ones, for every state.
    DeviceBuffer<SectionPair> pairs_d(static_cast<std::size_t>(std::max<Index>(batch_, 1)) * slots);
    DeviceBuffer<double> pair_partials(static_cast<std::size_t>(std::max<Index>(batch_, 1)) *
                                       slots * static_cast<std::size_t>(blocks));
    DeviceBuffer<double> pair_sums(static_cast<std::size_t>(std::max<Index>(batch_, 1)) * slots);

    std::vector<PerState> per(static_cast<std::size_t>(batch_));
    std::vector<double> h_host(static_cast<std::size_t>(batch_));
    for (auto& st : per) {
      st.h = options_.dt;
      st.sections = core::SectionHistory(options_.max_period);
    }
    auto upload_h = [&]() {
      for (Index b = 0; b < batch_; ++b) h_host[b] = per[b].h;
      upload(h_host.data(), h_d.data(), h_host.size(), stream_);
    };

    // Classifies the listed states, whose k1 is fresh; returns those that keep running.
    auto settle = [&](const std::vector<Index>& which) {
      std::vector<Index> running;
      const auto m = static_cast<Index>(which.size());
      if (m == 0) return running;
      std::vector<int> last_slot(which.size());
      for (std::size_t a = 0; a < which.size(); ++a) {
        const auto& hist = per[which[a]].sections;
        last_slot[a] = hist.size() > 0 ? static_cast<int>(hist.slot_back(0)) : -1;
      }
      upload(last_slot.data(), last_slot_d.data(), last_slot.size(), stream_);
      const SettleTerm<Real> term{k1.data(),     u.data(), u_prev.data(), f_prev.data(),
                                  sections.data(), w_d.data(), set_list(which), last_slot_d.data(),
                                  n_,            batch_};
      reduce_per_item<6>(term, static_cast<int>(m), n_, partials.data(), sums.data(), stream_);
      std::vector<double> s6(static_cast<std::size_t>(m) * 6);
      download(sums.data(), s6.data(), s6.size(), stream_);
      resources_.synchronize();

      std::vector<HermiteJob> jobs;
      std::vector<Index> crossing;
      for (Index a = 0; a < m; ++a) {
        const Index b = which[a];
        auto& st = per[b];
        auto& result = out_.states[b];
        const double* r = s6.data() + a * 6;
        residual_[b] = std::sqrt(r[0]);
        if (residual_[b] <= options_.tol) {
          result.outcome = Outcome::FixedPoint;
          continue;
        }
        if (result.steps == 0) {
          running.push_back(b);
          continue;
        }
        if (st.sections.size() > 0) st.sections.moved(std::sqrt(r[5]));
        const core::StepProjection step{r[4], r[3], r[2], r[1], st.t - st.t_prev};
        if (!step.crosses()) {
          running.push_back(b);
          continue;
        }
        const double theta = core::section_theta(step);
        const auto c = core::hermite_weights(theta, step.h);
        jobs.push_back(HermiteJob{static_cast<int>(b), static_cast<int>(st.sections.next_slot()),
                                  {c.u0, c.f0, c.u1, c.f1}});
        st.sections.add(st.t_prev + theta * step.h);
        crossing.push_back(b);
      }
      if (jobs.empty()) return running;
      upload(jobs.data(), jobs_d.data(), jobs.size(), stream_);
      launch_over_items(static_cast<Index>(jobs.size()), [&](int first, unsigned count) {
        hermite_kernel<Real><<<dim3(neuron_blocks(n_), count), kThreads, 0, stream_>>>(
            sections.data(), jobs_d.data(), first, n_, batch_, u_prev.data(), f_prev.data(),
            u.data(), k1.data());
      });
      std::vector<SectionPair> pairs;
      std::vector<std::size_t> first_pair;
      for (Index b : crossing) {
        const auto& hist = per[b].sections;
        first_pair.push_back(pairs.size());
        for (std::size_t p = 1; p < hist.size(); ++p) {
          pairs.push_back(SectionPair{static_cast<int>(b), static_cast<int>(hist.slot_back(0)),
                                      static_cast<int>(hist.slot_back(p))});
        }
      }
      std::vector<double> distance2(pairs.size());
      if (!pairs.empty()) {
        upload(pairs.data(), pairs_d.data(), pairs.size(), stream_);
        const SectionDistanceTerm<Real> term2{sections.data(), pairs_d.data(), n_, batch_};
        reduce_per_item<1>(term2, static_cast<int>(pairs.size()), n_, pair_partials.data(),
                           pair_sums.data(), stream_);
        download(pair_sums.data(), distance2.data(), distance2.size(), stream_);
      }
      resources_.synchronize();
      for (std::size_t a = 0; a < crossing.size(); ++a) {
        const Index b = crossing[a];
        auto& result = out_.states[b];
        result.period = per[b].sections.closes(
            options_.cycle_tol,
            [&](std::size_t p) { return std::sqrt(distance2[first_pair[a] + p - 1]); },
            result.period_time);
        if (result.period > 0) {
          result.outcome = Outcome::LimitCycle;
        } else {
          running.push_back(b);
        }
      }
      std::sort(running.begin(), running.end());
      return running;
    };

    auto record_states = [&](const std::vector<Index>& which) {
      std::vector<double> times;
      for (Index b : which) times.push_back(per[b].t);
      record(observe(u.data(), which, stage_u.data(), tv_.data()), which, times);
    };

    residual_.assign(static_cast<std::size_t>(batch_), 0.0);
    std::vector<Index> active(static_cast<std::size_t>(batch_));
    std::iota(active.begin(), active.end(), Index{0});
    evaluate(active, u.data(), k1.data());
    if (recorder_.due(0)) record_states(active);
    active = settle(active);

    Index attempts = 0;
    const Index attempt_budget = core::attempt_budget(options_.max_steps);
    while (!active.empty()) {
      for (Index b : active) per[b].h = std::min(per[b].h, options_.t_end - per[b].t);
      upload_h();
      for (int s = 1; s < stages; ++s) {
        core::require(s < 7, "cuda engine", "too many stages");
        Combination<Real> combo{};
        combo.terms = s;
        for (int j = 0; j < s; ++j) {
          combo.v[j] = k_ptr(j);
          combo.c[j] = core::stage_coefficient(integrator, s, j);
        }
        const int* list = set_list(active);
        launch_over_items(static_cast<Index>(active.size()), [&](int first, unsigned count) {
          stage_kernel<Real><<<dim3(neuron_blocks(n_), count), kThreads, 0, stream_>>>(
              stage_u.data(), u.data(), combo, h_d.data(), list, first, n_);
        });
        evaluate(active, stage_u.data(), k_ptr(s));
      }

      std::vector<char> accepted(active.size(), 1);
      if (integrator == Integrator::Dopri5) {
        Combination<Real> error{};
        error.terms = 7;
        for (int j = 0; j < 7; ++j) {
          error.v[j] = k_ptr(j);
          error.c[j] = core::kDopriE[j];
        }
        const DopriErrorTerm<Real> term{error,        u.data(), stage_u.data(), h_d.data(),
                                        set_list(active), n_,    options_.atol, options_.rtol};
        reduce_per_item<1>(term, static_cast<int>(active.size()), n_, partials.data(),
                           sums.data(), stream_);
        std::vector<double> err2(active.size());
        download(sums.data(), err2.data(), err2.size(), stream_);
        resources_.synchronize();
        for (std::size_t a = 0; a < active.size(); ++a) {
          auto& st = per[active[a]];
          const auto decision =
              core::dopri_decision(std::sqrt(err2[a] / static_cast<double>(n_)));
          if (!decision.accepted) {
            accepted[a] = 0;
            st.h *= decision.factor;
            continue;
          }
          st.t_prev = st.t;
          st.t += st.h;
          st.h *= decision.factor;
        }
      } else {
        for (Index b : active) {
          per[b].t_prev = per[b].t;
          per[b].t += per[b].h;
        }
      }
      ++attempts;

      std::vector<Index> moved;
      for (std::size_t a = 0; a < active.size(); ++a) {
        if (accepted[a]) moved.push_back(active[a]);
      }
      if (!moved.empty()) {
        // The accept kernel reads the step each state took: h_d still holds it (uploaded above).
        Combination<Real> update{};
        const bool dopri = integrator == Integrator::Dopri5;
        update.terms = dopri ? 0 : stages;
        for (int j = 0; j < update.terms; ++j) {
          update.v[j] = k_ptr(j);
          update.c[j] = core::update_weight(integrator, j);
        }
        const int* list = set_list(moved);
        launch_over_items(static_cast<Index>(moved.size()), [&](int first, unsigned count) {
          accept_kernel<Real><<<dim3(neuron_blocks(n_), count), kThreads, 0, stream_>>>(
              u.data(), k1.data(), u_prev.data(), f_prev.data(), dopri ? stage_u.data() : nullptr,
              dopri ? k_ptr(6) : nullptr, update, h_d.data(), list, first, n_);
        });
        if (!dopri) evaluate(moved, u.data(), k1.data());
      }
      std::vector<Index> recording;
      for (Index b : moved) {
        auto& result = out_.states[b];
        ++result.steps;
        result.time = per[b].t;
        if (recorder_.due(result.steps)) recording.push_back(b);
      }
      if (!recording.empty()) record_states(recording);
      std::vector<Index> still;
      for (Index b : settle(moved)) {
        const bool out_of_time = core::reached_end(per[b].t, options_.t_end);
        if (!out_of_time && out_.states[b].steps < options_.max_steps) still.push_back(b);
      }
      for (std::size_t a = 0; a < active.size(); ++a) {
        if (!accepted[a] && attempts < attempt_budget) still.push_back(active[a]);
      }
      std::sort(still.begin(), still.end());
      active.swap(still);
      core::report_continuous_progress(options_, active, out_.states);
    }
    for (Index b = 0; b < batch_; ++b) out_.states[b].residual = residual_[b];
    const auto final_states = download_widened(u.data(), n_ * batch_);
    std::copy(final_states.begin(), final_states.end(), states_.values.begin());
    v_ = DeviceBuffer<Real>();
    tv_ = DeviceBuffer<Real>();
  }

 public:
  // The final observers, from the final host states (uploaded again: cheap next to the run).
  void finish() {
    std::vector<Index> all(static_cast<std::size_t>(batch_));
    std::iota(all.begin(), all.end(), Index{0});
    const auto size = static_cast<std::size_t>(n_ * batch_);
    DeviceBuffer<Real> base(size), v(size), tv(out_.energy_defined ? size : 0);
    upload_states(base.data());
    Observed o = batch_ > 0 ? observe(base.data(), all, v.data(), tv.data()) : Observed{};
    core::finish_run(observed_, options_, o.x.data(), o.tx.data(), states_, recorder_, out_);
  }

 private:
  const core::Network& network_;
  core::StateBatch& states_;
  const core::RunOptions& options_;
  core::RunResult& out_;
  const Resources& resources_;
  cudaStream_t stream_;
  core::ObservedNetwork observed_;
  Index n_;
  Index batch_;
  bool continuous_;
  core::Recorder recorder_;
  std::optional<DeviceModel<Real>> model_;
  DeviceBuffer<int> list_;
  std::vector<int> list_host_;
  DeviceBuffer<Real> v_, tv_;  // continuous: the product's input and output, n × batch
  std::vector<double> residual_;
};

template <class Real>
void run_with(const core::Network& network, core::StateBatch& states,
              const core::RunOptions& options, core::RunResult& out) {
  Resources resources;
  Runner<Real> runner(network, states, options, out, resources);
  runner.run();
  runner.finish();
}

}  // namespace

CudaEngine::CudaEngine(core::Precision precision, int device)
    : precision_(precision), device_(device) {
  core::require(device >= 0 && device < device_count(), "--backend cuda",
                "no CUDA device with index " + std::to_string(device));
}

core::RunResult CudaEngine::run(const core::Network& network, core::StateBatch& states,
                                const core::RunOptions& options) {
  core::check_run_inputs(network, states, options);
  const auto start = std::chrono::steady_clock::now();
  DeviceGuard guard(device_);
  core::RunResult out;
  out.backend = name();
  out.energy_defined = network.is_symmetric();
  out.states.resize(static_cast<std::size_t>(states.batch));
  if (precision_ == core::Precision::Float32) {
    run_with<float>(network, states, options, out);
  } else {
    run_with<double>(network, states, options, out);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace attractor::cuda
