#include "attractor/core/run_dynamics.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "attractor/core/discrete.hpp"
#include "attractor/core/integrators.hpp"
#include "attractor/core/observers.hpp"

namespace attractor::core {

namespace {

using Index = std::int64_t;

// A backend that does not do what the seam promises is a bug, not bad input.
void expect(bool condition, const char* what) {
  if (!condition) throw std::logic_error(std::string("stepper broke its contract: ") + what);
}

std::vector<Index> all_states(Index batch) {
  std::vector<Index> all(static_cast<std::size_t>(batch));
  std::iota(all.begin(), all.end(), Index{0});
  return all;
}

class Driver {
 public:
  Driver(const Network& network, StateBatch& states, const RunOptions& options, Stepper& stepper,
         RunResult& out)
      : states_(states), options_(options), stepper_(stepper), out_(out), observed_(network),
        n_(network.size()), batch_(states.batch),
        recorder_(observed_, options, states.batch, options.dynamics == Dynamics::Continuous,
                  out.energy_defined) {}

  void load() { stepper_.load(states_); }

  void run() {
    switch (options_.dynamics) {
      case Dynamics::DiscreteSync:
      case Dynamics::GlauberSync: run_sync(); break;
      case Dynamics::DiscreteAsync:
      case Dynamics::GlauberAsync: run_async(); break;
      case Dynamics::Continuous: run_continuous(); break;
    }
  }

  // The final observers, from the states as the backend holds them.
  void finish() {
    const Observation o =
        batch_ > 0 ? stepper_.observe(all_states(batch_), out_.energy_defined) : Observation{};
    stepper_.store(states_);
    finish_run(observed_, options_, o.activity(), o.tx.data(), states_, recorder_, out_);
  }

 private:
  void record(const std::vector<Index>& which, const std::vector<double>& times) {
    if (which.empty()) return;
    const Observation o = stepper_.observe(which, out_.energy_defined);
    for (std::size_t j = 0; j < which.size(); ++j) {
      const std::size_t at = j * static_cast<std::size_t>(n_);
      recorder_.record(which[j], times[j], o.activity() + at,
                       out_.energy_defined ? o.tx.data() + at : nullptr, o.state.data() + at);
    }
  }
  void record_at_step(const std::vector<Index>& which, Index step) {
    record(which, std::vector<double>(which.size(), static_cast<double>(step)));
  }

  // The last step of the chunk that starts after `done` steps: at most `chunk` steps, ending at
  // the next record step and at the budget.
  Index chunk_end(Index done, Index chunk) const {
    Index end = options_.max_steps - done > chunk ? done + chunk : options_.max_steps;
    if (recorder_.enabled()) {
      end = std::min(end, (done / options_.record_every + 1) * options_.record_every);
    }
    return end;
  }

  // ------------------------------------------------------------------------------------------
  // Synchronous: the sign rule ends a state at a step that changed nothing (fixed point) or that
  // repeats the state of p ≤ max_period steps back (limit cycle of period p); the heat bath runs
  // every state for the whole budget.
  void run_sync() {
    const bool glauber = is_glauber(options_.dynamics);
    std::vector<CycleHistory> history(static_cast<std::size_t>(batch_),
                                      CycleHistory(options_.max_period));
    for (Index b = 0; b < batch_; ++b) history[b].start(hash_signs(states_.state(b), n_));
    std::vector<Index> active = all_states(batch_);
    if (recorder_.due(0)) record_at_step(active, 0);

    SyncChunk chunk;
    Index done = 0, size = 1;
    while (done < options_.max_steps && !active.empty()) {
      const Index end = chunk_end(done, size);
      size = std::min(2 * size, kSyncChunk);
      const Index steps = end - done;
      stepper_.sync_steps(active, steps, chunk);
      const auto m = static_cast<Index>(active.size());
      std::vector<Index> still, recording;
      for (Index j = 0; j < m; ++j) {
        auto& result = out_.states[active[j]];
        Index k = 0;
        for (; k < steps && result.outcome == Outcome::Wandering; ++k) {
          result.steps = done + k + 1;
          if (glauber) continue;
          if (chunk.changed[k * m + j] == 0) {
            result.outcome = Outcome::FixedPoint;
          } else {
            result.period = history[active[j]].push(chunk.fingerprint[k * m + j]);
            if (result.period > 0) result.outcome = Outcome::LimitCycle;
          }
        }
        expect(chunk.taken[j] == k, "a state took a different number of synchronous steps");
        if (result.outcome == Outcome::Wandering) still.push_back(active[j]);
        if (recorder_.due(end) && result.steps == end) recording.push_back(active[j]);
      }
      record_at_step(recording, end);
      active.swap(still);
      done = end;
      report_progress(options_, done, options_.max_steps);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Asynchronous: under the sign rule a sweep without flips is a fixed point; cycles are not
  // classified (the order changes every sweep). The heat bath sweeps for the whole budget.
  void run_async() {
    std::vector<Index> running = all_states(batch_);
    if (recorder_.due(0)) record_at_step(running, 0);
    std::vector<Index> sweeps;
    std::vector<std::uint8_t> settled;
    Index done = 0;
    while (done < options_.max_steps && !running.empty()) {
      const Index end = chunk_end(done, kAsyncChunk);
      stepper_.async_sweeps(running, end, sweeps, settled);
      std::vector<Index> still, recording;
      for (std::size_t j = 0; j < running.size(); ++j) {
        auto& result = out_.states[running[j]];
        expect(sweeps[j] <= end && (settled[j] != 0 || sweeps[j] == end) &&
                   !(settled[j] != 0 && is_glauber(options_.dynamics)),
               "an asynchronous chunk ended early");
        result.steps = sweeps[j];
        if (settled[j] != 0) {
          result.outcome = Outcome::FixedPoint;
        } else {
          still.push_back(running[j]);
        }
        if (recorder_.due(end) && result.steps == end) recording.push_back(running[j]);
      }
      record_at_step(recording, end);
      running.swap(still);
      done = end;
      report_progress(options_, done, options_.max_steps);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Continuous: all running states advance in lock step, one field evaluation F(u) = T g(u) − u
  // + b for all of them per stage, each with its own step size (Dormand–Prince) and time. Fixed
  // point when ‖F(u)‖₂ ≤ tol; limit cycles from Poincaré-section points (maxima of w·u located on
  // the step's cubic Hermite interpolant) that return within cycle_tol × the orbit's excursion.
  struct PerState {
    PerState(double first_step, int max_period) : h(first_step), sections(max_period) {}
    double t = 0.0, t_prev = 0.0, h;
    SectionHistory sections;
  };

  // Classifies the listed states, whose k1 is fresh; returns those that keep running.
  std::vector<Index> settle(const std::vector<Index>& which) {
    std::vector<Index> running;
    if (which.empty()) return running;
    std::vector<Index> last_slot(which.size());
    for (std::size_t a = 0; a < which.size(); ++a) {
      const auto& hist = per_[which[a]].sections;
      last_slot[a] = hist.size() > 0 ? static_cast<Index>(hist.slot_back(0)) : -1;
    }
    const std::vector<SettleSums> sums = stepper_.settle_sums(which, last_slot);
    std::vector<SectionJob> jobs;
    std::vector<Index> crossing;
    for (std::size_t a = 0; a < which.size(); ++a) {
      const Index b = which[a];
      auto& st = per_[b];
      auto& result = out_.states[b];
      const SettleSums& r = sums[a];
      residual_[b] = std::sqrt(r.k1_norm2);
      if (residual_[b] <= options_.tol) {
        result.outcome = Outcome::FixedPoint;
        continue;
      }
      if (result.steps == 0) {
        running.push_back(b);
        continue;
      }
      if (st.sections.size() > 0) st.sections.moved(std::sqrt(r.section_distance2));
      const StepProjection step{r.w_u_prev, r.w_u, r.w_f_prev, r.w_k1, st.t - st.t_prev};
      if (!step.crosses()) {
        running.push_back(b);
        continue;
      }
      const double theta = section_theta(step);
      const auto c = hermite_weights(theta, step.h);
      jobs.push_back(
          SectionJob{b, static_cast<Index>(st.sections.next_slot()), c.u0, c.f0, c.u1, c.f1});
      st.sections.add(st.t_prev + theta * step.h);
      crossing.push_back(b);
    }
    if (jobs.empty()) return running;
    stepper_.section_points(jobs);
    std::vector<SectionPair> pairs;
    std::vector<std::size_t> first_pair;
    for (Index b : crossing) {
      const auto& hist = per_[b].sections;
      first_pair.push_back(pairs.size());
      for (std::size_t p = 1; p < hist.size(); ++p) {
        pairs.push_back(SectionPair{b, static_cast<Index>(hist.slot_back(0)),
                                    static_cast<Index>(hist.slot_back(p))});
      }
    }
    const std::vector<double> distance2 =
        pairs.empty() ? std::vector<double>{} : stepper_.section_distances(pairs);
    for (std::size_t a = 0; a < crossing.size(); ++a) {
      const Index b = crossing[a];
      auto& result = out_.states[b];
      result.period = per_[b].sections.closes(
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
  }

  void record_continuous(const std::vector<Index>& which) {
    std::vector<double> times;
    for (Index b : which) times.push_back(per_[b].t);
    record(which, times);
  }

  std::vector<double> steps_of(const std::vector<Index>& which) const {
    std::vector<double> h;
    for (Index b : which) h.push_back(per_[b].h);
    return h;
  }

  void run_continuous() {
    const Integrator integrator = options_.integrator;
    const int stages = stage_count(integrator);
    const bool dopri = integrator == Integrator::Dopri5;
    per_.assign(static_cast<std::size_t>(batch_), PerState(options_.dt, options_.max_period));
    residual_.assign(static_cast<std::size_t>(batch_), 0.0);

    std::vector<Index> active = all_states(batch_);
    stepper_.evaluate(active, Point::State, 0);
    if (recorder_.due(0)) record_continuous(active);
    active = settle(active);

    double a[7], w[7], e[7];
    for (int j = 0; j < 7; ++j) e[j] = kDopriE[j];
    for (int j = 0; j < stages && !dopri; ++j) w[j] = update_weight(integrator, j);
    Index attempts = 0;
    const Index budget = attempt_budget(options_.max_steps);
    while (!active.empty()) {
      for (Index b : active) per_[b].h = std::min(per_[b].h, options_.t_end - per_[b].t);
      const std::vector<double> h = steps_of(active);
      for (int s = 1; s < stages; ++s) {
        for (int j = 0; j < s; ++j) a[j] = stage_coefficient(integrator, s, j);
        stepper_.stage(active, s, a, h);
        stepper_.evaluate(active, Point::Stage, s);
      }

      std::vector<char> accepted(active.size(), 1);
      if (dopri) {
        const std::vector<double> err2 =
            stepper_.dopri_error(active, e, h, options_.atol, options_.rtol);
        for (std::size_t j = 0; j < active.size(); ++j) {
          auto& st = per_[active[j]];
          const auto decision = dopri_decision(std::sqrt(err2[j] / static_cast<double>(n_)));
          if (!decision.accepted) {
            accepted[j] = 0;
            st.h *= decision.factor;
            continue;
          }
          st.t_prev = st.t;
          st.t += st.h;
          st.h *= decision.factor;
        }
      } else {
        for (Index b : active) {
          per_[b].t_prev = per_[b].t;
          per_[b].t += per_[b].h;
        }
      }
      ++attempts;

      std::vector<Index> moved;
      std::vector<double> h_moved;
      for (std::size_t j = 0; j < active.size(); ++j) {
        if (accepted[j] == 0) continue;
        moved.push_back(active[j]);
        h_moved.push_back(h[j]);
      }
      if (!moved.empty()) {
        stepper_.accept(moved, w, dopri ? 0 : stages, h_moved);
        // Euler and RK4 need F at the new point (the next step's k1); Dopri5 already has it.
        if (!dopri) stepper_.evaluate(moved, Point::State, 0);
      }
      std::vector<Index> recording;
      for (Index b : moved) {
        auto& result = out_.states[b];
        ++result.steps;
        result.time = per_[b].t;
        if (recorder_.due(result.steps)) recording.push_back(b);
      }
      record_continuous(recording);
      std::vector<Index> still;
      for (Index b : settle(moved)) {
        const bool out_of_time = reached_end(per_[b].t, options_.t_end);
        if (!out_of_time && out_.states[b].steps < options_.max_steps) still.push_back(b);
      }
      for (std::size_t j = 0; j < active.size(); ++j) {
        if (accepted[j] == 0 && attempts < budget) still.push_back(active[j]);
      }
      std::sort(still.begin(), still.end());
      active.swap(still);
      report_continuous_progress(options_, active, out_.states);
    }
    for (Index b = 0; b < batch_; ++b) out_.states[b].residual = residual_[b];
  }

  StateBatch& states_;
  const RunOptions& options_;
  Stepper& stepper_;
  RunResult& out_;
  ObservedNetwork observed_;
  Index n_;
  Index batch_;
  Recorder recorder_;
  std::vector<PerState> per_;
  std::vector<double> residual_;
};

}  // namespace

RunResult run_dynamics(const Network& network, StateBatch& states, const RunOptions& options,
                       Stepper& stepper) {
  using Clock = std::chrono::steady_clock;
  RunResult out;
  out.energy_defined = network.is_symmetric();
  out.states.resize(static_cast<std::size_t>(states.batch));
  Driver driver(network, states, options, stepper, out);
  driver.load();  // uploads and conversions: not the step rate
  const auto loop_start = Clock::now();
  driver.run();
  out.loop_seconds = std::chrono::duration<double>(Clock::now() - loop_start).count();
  driver.finish();
  return out;
}

}  // namespace attractor::core
