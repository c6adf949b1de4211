#include "attractor/host/control_solver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "attractor/core/error.hpp"
#include "attractor/core/network.hpp"
#include "attractor/core/state_batch.hpp"

namespace attractor::host {

using core::require;
using Index = std::int64_t;

namespace {

// X = (A + ξ) V − u + b.
void residual(const core::ControlledNetwork& net, const double* xi, const double* V,
              const double* u, double* X) {
  for (Index i = 0; i < net.n(); ++i) {
    double acc = net.b[i] - u[i];
    for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
      acc += (net.T.values[e] + xi[e]) * V[net.T.col_idx[e]];
    }
    X[i] = acc;
  }
}

double norm2(const double* v, Index size) {
  double sum = 0.0;
  for (Index e = 0; e < size; ++e) sum += v[e] * v[e];
  return sum;
}

// The forward pass, keeping what the backward pass reads: u_k (steps + 1 states) and X_k.
struct Trajectory {
  core::CostTerms cost;
  std::vector<double> u, X;

  const double* u_final(Index n) const { return u.data() + u.size() - static_cast<std::size_t>(n); }
};

Trajectory forward(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                   const core::ControlPlan& plan, const double* controls, const double* u0) {
  const Index n = net.n(), synapses = net.synapses(), steps = plan.steps;
  const auto& g = net.activation;
  const double mu = problem.mu, dt = problem.dt;
  Trajectory tr;
  tr.u.resize(static_cast<std::size_t>((steps + 1) * n));
  tr.X.resize(static_cast<std::size_t>(steps * n));
  std::vector<double> V(static_cast<std::size_t>(n));
  std::copy(u0, u0 + n, tr.u.begin());
  std::vector<double> control_norm2(static_cast<std::size_t>(problem.intervals));
  for (Index c = 0; c < problem.intervals; ++c) {
    control_norm2[c] = norm2(controls + c * synapses, synapses);
  }
  auto& out = tr.cost;
  for (Index k = 0; k < steps; ++k) {
    const double* uk = tr.u.data() + k * n;
    double* Xk = tr.X.data() + k * n;
    const Index c = plan.interval_of(k);
    for (Index i = 0; i < n; ++i) V[i] = core::activate(g.kind, g.gain, uk[i]);
    residual(net, controls + c * synapses, V.data(), uk, Xk);
    const double w = core::step_weight(problem, k);
    out.state_cost += w * (1.0 - mu) * norm2(Xk, n);
    out.control_cost += w * mu * control_norm2[c];
    double* next = tr.u.data() + (k + 1) * n;
    for (Index i = 0; i < n; ++i) next[i] = uk[i] + dt * Xk[i];
  }
  out.J = out.state_cost + out.control_cost;
  const double* u_final = tr.u_final(n);
  std::vector<double> X_final(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) V[i] = core::activate(g.kind, g.gain, u_final[i]);
  residual(net, controls + (problem.intervals - 1) * synapses, V.data(), u_final, X_final.data());
  out.final_residual = std::sqrt(norm2(X_final.data(), n));
  return tr;
}

// The backward (adjoint) pass of core/control.hpp over a forward trajectory, writing ∂J/∂ξ
// (intervals × synapses) into `gradient`. (A + ξ)ᵀ q is gathered by columns in increasing row
// order, the order the GPU kernel uses too.
void backward(const core::ControlledNetwork& net, const core::ControlProblem& problem,
              const core::ControlPlan& plan, const double* controls, const Trajectory& tr,
              double* gradient) {
  const Index n = net.n(), synapses = net.synapses();
  const auto& g = net.activation;
  const double mu = problem.mu, dt = problem.dt;
  std::fill(gradient, gradient + problem.intervals * synapses, 0.0);
  std::vector<double> lambda(static_cast<std::size_t>(n), 0.0), q(lambda.size()),
      V(lambda.size());
  for (Index k = plan.steps - 1; k >= 0; --k) {
    const double* uk = tr.u.data() + k * n;
    const double* Xk = tr.X.data() + k * n;
    const Index c = plan.interval_of(k);
    const double* xi = controls + c * synapses;
    double* grad = gradient + c * synapses;
    const double w = core::step_weight(problem, k);
    for (Index i = 0; i < n; ++i) {
      q[i] = core::adjoint_source(mu, w, Xk[i], dt, lambda[i]);
      V[i] = core::activate(g.kind, g.gain, uk[i]);
    }
    for (Index i = 0; i < n; ++i) {
      for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
        grad[e] += q[i] * V[net.T.col_idx[e]];
      }
    }
    for (Index j = 0; j < n; ++j) {
      double Mtq = 0.0;
      for (Index p = net.column_ptr[j]; p < net.column_ptr[j + 1]; ++p) {
        const Index e = net.column_entry[p];
        Mtq += (net.T.values[e] + xi[e]) * q[net.column_row[p]];
      }
      lambda[j] += core::activate_slope(g.kind, g.gain, uk[j]) * Mtq - q[j];
    }
  }
  // The μ|ξ|² term is constant over an interval: 2μ W_c ξ once per interval.
  const auto W = core::interval_weights(problem, plan);
  for (Index c = 0; c < problem.intervals; ++c) {
    for (Index e = 0; e < synapses; ++e) {
      gradient[c * synapses + e] += 2.0 * mu * W[c] * controls[c * synapses + e];
    }
  }
}

// One problem's evaluation into the batch's slices: J's terms, and ∇J and u at the horizon.
core::CostTerms evaluate_into(const core::ControlledNetwork& net,
                              const core::ControlProblem& problem, const core::ControlPlan& plan,
                              const double* controls, const double* u0, double* gradient,
                              double* u_final) {
  const Trajectory tr = forward(net, problem, plan, controls, u0);
  if (gradient != nullptr) backward(net, problem, plan, controls, tr, gradient);
  const double* end = tr.u_final(net.n());
  std::copy(end, end + net.n(), u_final);
  return tr.cost;
}

// Calls visit(e, c, bound) for every entry e of one problem's controls, c its interval.
template <class Visit>
void for_each_control(const core::ControlledNetwork& net, Index intervals, Visit visit) {
  const Index synapses = net.synapses();
  for (Index c = 0; c < intervals; ++c) {
    for (Index i = 0; i < net.n(); ++i) {
      for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
        visit(c * synapses + e, c, net.bound(i, e));
      }
    }
  }
}

// One problem's inputs, before evaluate_control or trace_control touches them.
void check_one_problem(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                       const core::ControlPlan& plan, const std::vector<double>& controls,
                       const std::vector<double>& u0) {
  require(static_cast<Index>(u0.size()) == net.n(), "initial state",
          "has " + std::to_string(u0.size()) + " entries but the network has " +
              std::to_string(net.n()) + " neurons");
  require(!controls.empty(), "controls", "need intervals x synapses values");
  core::check_batch(net, problem, plan, u0, controls);
}

}  // namespace

Evaluation evaluate_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                            const core::ControlPlan& plan, const std::vector<double>& controls,
                            const std::vector<double>& u0, bool with_gradient) {
  check_one_problem(net, problem, plan, controls, u0);
  Evaluation out;
  if (with_gradient) out.gradient.resize(controls.size());
  out.u_final.resize(u0.size());
  out.cost = evaluate_into(net, problem, plan, controls.data(), u0.data(),
                           with_gradient ? out.gradient.data() : nullptr, out.u_final.data());
  return out;
}

void CpuControlBatch::start(const core::ControlledNetwork& net,
                            const core::ControlProblem& problem, const core::ControlPlan& plan,
                            const std::vector<double>& u0,
                            const std::vector<double>& initial_controls,
                            std::vector<core::CostTerms>& costs) {
  const Index batch = core::check_batch(net, problem, plan, u0, initial_controls);
  dim_ = problem.intervals * net.synapses();
  net_ = &net;
  problem_ = problem;
  plan_ = plan;
  W_ = core::interval_weights(problem, plan);
  u0_ = u0;
  const auto size = static_cast<std::size_t>(batch * dim_);
  x_ = initial_controls.empty() ? std::vector<double>(size, 0.0) : initial_controls;
  for (Index p = 0; p < batch; ++p) core::project(net, problem.intervals, slice(x_, p));
  g_.assign(size, 0.0);
  d_.assign(size, 0.0);
  t_.assign(size, 0.0);
  gt_.assign(size, 0.0);
  u_final_.assign(u0.size(), 0.0);
  u_final_trial_.assign(u0.size(), 0.0);
  costs.resize(static_cast<std::size_t>(batch));
  const Index n = net.n();
#pragma omp parallel for schedule(dynamic)
  for (Index p = 0; p < batch; ++p) {
    costs[p] = evaluate_into(net, problem_, plan_, slice(x_, p), u0_.data() + p * n, slice(g_, p),
                             u_final_.data() + p * n);
  }
}

void CpuControlBatch::directions(const std::vector<Index>& which, const std::vector<double>& alpha,
                                 std::vector<core::Direction>& out) {
  require(net_ != nullptr, "control batch", "directions() before start()");
  out.assign(which.size(), {});
  const auto count = static_cast<Index>(which.size());
#pragma omp parallel for schedule(dynamic)
  for (Index w = 0; w < count; ++w) {
    const Index p = which[w];
    const double* x = slice(x_, p);
    const double* g = slice(g_, p);
    double* d = slice(d_, p);
    auto& result = out[w];
    for_each_control(*net_, problem_.intervals, [&](Index e, Index c, double bound) {
      const double stationary = core::projected_step(x[e], g[e], 1.0 / W_[c], bound);
      result.stationarity = std::max(result.stationarity, std::fabs(stationary));
      d[e] = core::projected_step(x[e], g[e], alpha[w] / W_[c], bound);
      result.slope += g[e] * d[e];
    });
  }
}

void CpuControlBatch::trials(const std::vector<Index>& which, const std::vector<double>& theta,
                             std::vector<core::CostTerms>& out) {
  require(net_ != nullptr, "control batch", "trials() before start()");
  out.assign(which.size(), {});
  const auto count = static_cast<Index>(which.size());
  const Index n = net_->n();
#pragma omp parallel for schedule(dynamic)
  for (Index w = 0; w < count; ++w) {
    const Index p = which[w];
    const double* x = slice(x_, p);
    const double* d = slice(d_, p);
    double* t = slice(t_, p);
    for_each_control(*net_, problem_.intervals, [&](Index e, Index, double bound) {
      t[e] = core::trial_point(x[e], d[e], theta[w], bound);
    });
    out[w] = evaluate_into(*net_, problem_, plan_, t, u0_.data() + p * n, slice(gt_, p),
                           u_final_trial_.data() + p * n);
  }
}

void CpuControlBatch::accept(const std::vector<Index>& which, std::vector<core::Curvature>& out) {
  require(net_ != nullptr, "control batch", "accept() before start()");
  out.assign(which.size(), {});
  const auto count = static_cast<Index>(which.size());
  const Index n = net_->n(), synapses = net_->synapses();
#pragma omp parallel for schedule(dynamic)
  for (Index w = 0; w < count; ++w) {
    const Index p = which[w];
    double* x = slice(x_, p);
    double* g = slice(g_, p);
    const double* t = slice(t_, p);
    const double* gt = slice(gt_, p);
    auto& result = out[w];
    for (Index c = 0; c < problem_.intervals; ++c) {
      for (Index e = c * synapses; e < (c + 1) * synapses; ++e) {
        const double s = t[e] - x[e];
        result.sDs += W_[c] * s * s;
        result.sy += s * (gt[e] - g[e]);
        x[e] = t[e];
        g[e] = gt[e];
      }
    }
    std::copy(u_final_trial_.begin() + p * n, u_final_trial_.begin() + (p + 1) * n,
              u_final_.begin() + p * n);
  }
}

core::ControlState CpuControlBatch::read(Index p, bool with_gradient) {
  require(net_ != nullptr, "control batch", "read() before start()");
  require(p >= 0 && p < static_cast<Index>(u0_.size()) / net_->n(), "control batch",
          "problem " + std::to_string(p) + " is not in the batch");
  core::ControlState state;
  state.controls.assign(slice(x_, p), slice(x_, p) + dim_);
  if (with_gradient) state.gradient.assign(slice(g_, p), slice(g_, p) + dim_);
  const Index n = net_->n();
  state.u_final.assign(u_final_.begin() + p * n, u_final_.begin() + (p + 1) * n);
  return state;
}

void SolveOptions::validate() const {
  require(std::isfinite(gtol) && gtol > 0, "solve options", "gtol must be positive");
  require(max_iterations >= 0, "solve options", "max_iterations must not be negative");
  require(memory >= 1, "solve options", "the nonmonotone memory must be at least 1");
}

namespace {

// One problem's scalars in the lockstep iteration; its vectors live in the ControlBatch.
struct SpgState {
  std::vector<double> history;  // the last `memory` accepted values of J
  double alpha = 1.0;           // spectral step
  double theta = 1.0;           // backtracking fraction of the direction
  double slope = 0.0;           // ∇Jᵀd < 0
  bool done = false;
};

constexpr double kArmijo = 1e-4;
constexpr double kAlphaMin = 1e-10, kAlphaMax = 1e10;

}  // namespace

BatchSolution solve_control_batch(const core::ControlledNetwork& net,
                                  const core::ControlProblem& problem,
                                  const std::vector<double>& u0, core::ControlBatch& batch,
                                  const SolveOptions& options,
                                  const std::vector<double>& initial_controls,
                                  const SolveProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  options.validate();
  BatchSolution solution;
  solution.plan = core::plan_horizon(net, problem, u0);
  solution.backend = batch.name();
  const Index count = core::check_initial_states(net, u0);
  std::vector<core::CostTerms> costs;
  batch.start(net, problem, solution.plan, u0, initial_controls, costs);

  std::vector<SpgState> state(static_cast<std::size_t>(count));
  solution.problems.resize(static_cast<std::size_t>(count));
  std::vector<Index> all(static_cast<std::size_t>(count));
  for (Index p = 0; p < count; ++p) {
    all[p] = p;
    solution.problems[p].cost = costs[p];
    solution.problems[p].evaluations = 1;
    state[p].history.push_back(costs[p].J);
  }
  // The first step moves ξ by at most the largest bound.
  std::vector<core::Direction> directions;
  batch.directions(all, std::vector<double>(all.size(), 1.0), directions);
  const double bound_max = std::max(net.K, net.k);
  for (Index p = 0; p < count; ++p) {
    const double first = directions[p].stationarity;
    state[p].alpha = first > 0 ? std::clamp(bound_max / first, kAlphaMin, kAlphaMax) : 1.0;
  }

  Index finished = 0;
  std::vector<core::CostTerms> trial_costs;
  std::vector<core::Curvature> curvatures;
  while (true) {
    // New directions for every problem still iterating; the stationarity measure comes with them.
    std::vector<Index> running;
    std::vector<double> alphas;
    for (Index p = 0; p < count; ++p) {
      if (state[p].done) continue;
      running.push_back(p);
      alphas.push_back(state[p].alpha);
    }
    batch.directions(running, alphas, directions);
    std::vector<Index> pending;
    for (std::size_t r = 0; r < running.size(); ++r) {
      const Index p = running[r];
      auto& s = state[p];
      auto& result = solution.problems[p];
      result.projected_gradient = directions[r].stationarity;
      result.converged = result.projected_gradient <= options.gtol;
      if (result.converged || result.iterations >= options.max_iterations) {
        s.done = true;
        ++finished;
        continue;
      }
      s.slope = directions[r].slope;
      s.theta = 1.0;
      pending.push_back(p);
    }
    if (progress) progress(finished, count);
    if (pending.empty()) break;
    // Backtracking rounds: each evaluates the batch's pending trials together.
    while (!pending.empty()) {
      std::vector<double> thetas;
      for (const Index p : pending) thetas.push_back(state[p].theta);
      batch.trials(pending, thetas, trial_costs);
      std::vector<Index> accepted, retry;
      for (std::size_t t = 0; t < pending.size(); ++t) {
        const Index p = pending[t];
        auto& s = state[p];
        auto& result = solution.problems[p];
        const auto& trial = trial_costs[t];
        ++result.evaluations;
        const double reference = *std::max_element(s.history.begin(), s.history.end());
        if (std::isfinite(trial.J) && trial.J <= reference + kArmijo * s.theta * s.slope) {
          accepted.push_back(p);
          result.cost = trial;
          s.history.push_back(trial.J);
          if (static_cast<int>(s.history.size()) > options.memory) {
            s.history.erase(s.history.begin());
          }
          ++result.iterations;
        } else if (s.theta < 1e-12) {
          // No decrease along a descent direction at this resolution: stationary to working
          // precision (converged reports whether that meets gtol).
          s.done = true;
          ++finished;
        } else {
          // Safeguarded quadratic interpolation of J along the direction.
          const double curvature = trial.J - result.cost.J - s.theta * s.slope;
          const double next =
              curvature > 0 ? -0.5 * s.theta * s.theta * s.slope / curvature : 0.5 * s.theta;
          s.theta = std::clamp(next, 0.1 * s.theta, 0.5 * s.theta);
          retry.push_back(p);
        }
      }
      // The spectral step from s = Δξ and y = Δ∇J in D's metric, sᵀD⁻¹s / sᵀy.
      batch.accept(accepted, curvatures);
      for (std::size_t a = 0; a < accepted.size(); ++a) {
        const auto& k = curvatures[a];
        state[accepted[a]].alpha = k.sy > 0 ? std::clamp(k.sDs / k.sy, kAlphaMin, kAlphaMax)
                                            : kAlphaMax;
      }
      pending.swap(retry);
    }
  }
  for (Index p = 0; p < count; ++p) {
    auto read = batch.read(p, false);
    solution.problems[p].controls = std::move(read.controls);
    solution.problems[p].u_final = std::move(read.u_final);
  }
  solution.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return solution;
}

SolveResult solve_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                          const std::vector<double>& u0, const SolveOptions& options) {
  require(static_cast<Index>(u0.size()) == net.n(), "initial state",
          "has " + std::to_string(u0.size()) + " entries but the network has " +
              std::to_string(net.n()) + " neurons");
  CpuControlBatch batch;
  auto solution = solve_control_batch(net, problem, u0, batch, options);
  return std::move(solution.problems.front());
}

const char* to_string(ControlOutcome outcome) {
  switch (outcome) {
    case ControlOutcome::Recognized: return "recognized";
    case ControlOutcome::Recorded: return "recorded";
    case ControlOutcome::LimitCycle: return "limit_cycle";
    case ControlOutcome::Wandering: return "wandering";
  }
  return "?";
}

void OutcomeOptions::validate() const {
  require(std::isfinite(same_overlap) && same_overlap > 0 && same_overlap <= 1, "outcome options",
          "same_overlap must lie in (0, 1]");
  require(std::isfinite(tol) && tol > 0, "outcome options", "tol must be positive");
  require(max_steps >= 1, "outcome options", "max_steps must be at least 1");
}

std::vector<double> final_control(const core::ControlledNetwork& net,
                                  const core::ControlProblem& problem,
                                  const std::vector<double>& controls) {
  const Index synapses = net.synapses();
  require(static_cast<Index>(controls.size()) == problem.intervals * synapses, "controls",
          "need intervals x synapses values");
  return {controls.end() - synapses, controls.end()};
}

double sign_overlap(const double* a, const double* b, Index n) {
  double m = 0.0;
  for (Index i = 0; i < n; ++i) m += (a[i] > 0) == (b[i] > 0) ? 1.0 : -1.0;
  return m / static_cast<double>(n);
}

core::Network network_with(const core::ControlledNetwork& net, const double* xi) {
  core::Network out;
  out.weights = net.weights_with(xi);
  out.bias = net.b;
  out.activation = net.activation;
  return out;
}

core::RunOptions continuation_options(const OutcomeOptions& options) {
  core::RunOptions run;
  run.dynamics = core::Dynamics::Continuous;
  run.integrator = core::Integrator::Dopri5;
  run.tol = options.tol;
  // Dormand–Prince's local error sets a floor of about rtol·|u| on ‖du/dt‖ near a fixed point;
  // these keep it far below any sensible tol.
  run.rtol = 1e-10;
  run.atol = 1e-12;
  run.max_steps = options.max_steps;
  return run;
}

std::vector<OutcomeReport> classify_outcomes(const core::ControlledNetwork& net,
                                             const core::ControlProblem& problem,
                                             const BatchSolution& solution, core::Engine& engine,
                                             const OutcomeOptions& options) {
  options.validate();
  const Index n = net.n();
  const core::RunOptions run = continuation_options(options);
  const std::vector<double> no_control(static_cast<std::size_t>(net.synapses()), 0.0);
  const core::Network uncontrolled = network_with(net, no_control.data());
  std::vector<OutcomeReport> reports;
  for (const auto& solved : solution.problems) {
    OutcomeReport report;
    const auto xi = final_control(net, problem, solved.controls);
    for (const double v : xi) report.xi_inf_max = std::max(report.xi_inf_max, std::fabs(v));
    report.xi_inf_norm = std::sqrt(norm2(xi.data(), static_cast<Index>(xi.size())));
    report.final_residual = solved.cost.final_residual;

    const core::Network continued = network_with(net, xi.data());
    core::StateBatch states(1, n);
    std::copy(solved.u_final.begin(), solved.u_final.end(), states.values.begin());
    const auto end = engine.run(continued, states, run).states.front();
    report.u_limit.assign(states.values.begin(), states.values.end());
    report.continuation_time = end.time;
    report.period = end.period;
    report.period_time = end.period_time;

    std::vector<double> V(static_cast<std::size_t>(n)), X(V.size());
    for (Index i = 0; i < n; ++i) {
      V[i] = core::activate(net.activation.kind, net.activation.gain, report.u_limit[i]);
    }
    residual(net, no_control.data(), V.data(), report.u_limit.data(), X.data());
    report.residual_without_control = std::sqrt(norm2(X.data(), n));

    switch (end.outcome) {
      case core::Outcome::FixedPoint: {
        // Would A alone hold this equilibrium? Let it run from u** and compare where it stops:
        // equilibria of saturating neurons are told apart by their signs, not by a shift of
        // their amplitudes.
        const auto without = engine.run(uncontrolled, states, run).states.front();
        report.existing_overlap = sign_overlap(states.values.data(), report.u_limit.data(), n);
        const bool existing = without.outcome == core::Outcome::FixedPoint &&
                              report.existing_overlap >= options.same_overlap;
        report.outcome = existing ? ControlOutcome::Recognized : ControlOutcome::Recorded;
        break;
      }
      case core::Outcome::LimitCycle: report.outcome = ControlOutcome::LimitCycle; break;
      case core::Outcome::Wandering: report.outcome = ControlOutcome::Wandering; break;
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

ControlTrace trace_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                           const core::ControlPlan& plan, const std::vector<double>& controls,
                           const std::vector<double>& u0) {
  check_one_problem(net, problem, plan, controls, u0);
  const Trajectory tr = forward(net, problem, plan, controls.data(), u0.data());
  const Index n = net.n(), synapses = net.synapses();
  ControlTrace trace;
  for (Index k = 0; k <= plan.steps; ++k) {
    // The last point is the horizon, under the last interval's control.
    const Index c = std::min(plan.interval_of(k), problem.intervals - 1);
    trace.time.push_back(static_cast<double>(k) * problem.dt);
    trace.residual.push_back(k < plan.steps ? std::sqrt(norm2(tr.X.data() + k * n, n))
                                            : tr.cost.final_residual);
    trace.control.push_back(std::sqrt(norm2(controls.data() + c * synapses, synapses)));
  }
  return trace;
}

}  // namespace attractor::host
