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
  core::CostGradient cost;  // J and its parts, u_final, final_residual; no gradient yet
  std::vector<double> u, X;
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
  out.u_final.assign(tr.u.begin() + steps * n, tr.u.end());
  std::vector<double> X_final(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) V[i] = core::activate(g.kind, g.gain, out.u_final[i]);
  residual(net, controls + (problem.intervals - 1) * synapses, V.data(), out.u_final.data(),
           X_final.data());
  out.final_residual = std::sqrt(norm2(X_final.data(), n));
  return tr;
}

// The backward (adjoint) pass of core::ControlEvaluator over a forward trajectory. (A + ξ)ᵀ q is
// gathered by columns in increasing row order, the order the GPU kernel uses too.
std::vector<double> backward(const core::ControlledNetwork& net,
                             const core::ControlProblem& problem, const core::ControlPlan& plan,
                             const double* controls, const Trajectory& tr) {
  const Index n = net.n(), synapses = net.synapses();
  const auto& g = net.activation;
  const double mu = problem.mu, dt = problem.dt;
  std::vector<double> gradient(static_cast<std::size_t>(problem.intervals * synapses), 0.0);
  std::vector<double> lambda(static_cast<std::size_t>(n), 0.0), q(lambda.size()),
      V(lambda.size());
  for (Index k = plan.steps - 1; k >= 0; --k) {
    const double* uk = tr.u.data() + k * n;
    const double* Xk = tr.X.data() + k * n;
    const Index c = plan.interval_of(k);
    const double* xi = controls + c * synapses;
    double* grad = gradient.data() + c * synapses;
    const double w = core::step_weight(problem, k);
    for (Index i = 0; i < n; ++i) {
      q[i] = 2.0 * (1.0 - mu) * w * Xk[i] + dt * lambda[i];
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
  return gradient;
}

}  // namespace

void CpuControlEvaluator::bind(const core::ControlledNetwork& net,
                               const core::ControlProblem& problem,
                               const core::ControlPlan& plan) {
  problem.validate();
  require(plan.steps == plan.steps_per_interval * problem.intervals && plan.steps > 0,
          "control plan", "does not match the problem (use plan_horizon)");
  net_ = &net;
  problem_ = problem;
  plan_ = plan;
}

void CpuControlEvaluator::evaluate(const std::vector<double>& controls,
                                   const std::vector<double>& u0, bool with_gradient,
                                   std::vector<core::CostGradient>& out) {
  require(net_ != nullptr, "control evaluator", "evaluate() before bind()");
  const auto& net = *net_;
  const Index batch = core::check_initial_states(net, u0);
  const Index dim = problem_.intervals * net.synapses();
  require(static_cast<Index>(controls.size()) == batch * dim, "controls",
          "need intervals x synapses values per initial state");
  out.resize(static_cast<std::size_t>(batch));
#pragma omp parallel for schedule(dynamic)
  for (Index p = 0; p < batch; ++p) {
    const double* xi = controls.data() + p * dim;
    Trajectory tr = forward(net, problem_, plan_, xi, u0.data() + p * net.n());
    if (with_gradient) tr.cost.gradient = backward(net, problem_, plan_, xi, tr);
    out[p] = std::move(tr.cost);
  }
}

core::CostGradient cost_and_gradient(const core::ControlledNetwork& net,
                                     const core::ControlProblem& problem,
                                     const core::ControlPlan& plan,
                                     const std::vector<double>& controls,
                                     const std::vector<double>& u0, bool with_gradient) {
  require(static_cast<Index>(u0.size()) == net.n(), "initial state",
          "has " + std::to_string(u0.size()) + " entries but the network has " +
              std::to_string(net.n()) + " neurons");
  CpuControlEvaluator evaluator;
  evaluator.bind(net, problem, plan);
  std::vector<core::CostGradient> out;
  evaluator.evaluate(controls, u0, with_gradient, out);
  return std::move(out.front());
}

void SolveOptions::validate() const {
  require(std::isfinite(gtol) && gtol > 0, "solve options", "gtol must be positive");
  require(max_iterations >= 0, "solve options", "max_iterations must not be negative");
  require(memory >= 1, "solve options", "the nonmonotone memory must be at least 1");
}

namespace {

// One problem's state in the lockstep iteration.
struct SpgState {
  std::vector<double> x, direction;
  std::vector<double> history;  // the last `memory` accepted values of J
  double alpha = 1.0;           // spectral step
  double theta = 1.0;           // backtracking fraction of `direction`
  double slope = 0.0;           // ∇Jᵀ direction < 0
  bool done = false;
};

constexpr double kArmijo = 1e-4;
constexpr double kAlphaMin = 1e-10, kAlphaMax = 1e10;

// ‖P(x − α D g) − x‖∞ with D = 1/W_c per interval; writes P(x − α D g) − x into `step` when
// given.
double projected_step(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                      const std::vector<double>& W, const std::vector<double>& x,
                      const std::vector<double>& g, double alpha, std::vector<double>* step) {
  const Index synapses = net.synapses();
  std::vector<double> y(x.size());
  for (Index c = 0; c < problem.intervals; ++c) {
    for (Index e = c * synapses; e < (c + 1) * synapses; ++e) y[e] = x[e] - alpha * g[e] / W[c];
  }
  core::project(net, problem.intervals, y.data());
  double worst = 0.0;
  for (std::size_t e = 0; e < x.size(); ++e) {
    y[e] -= x[e];
    worst = std::max(worst, std::fabs(y[e]));
  }
  if (step != nullptr) *step = std::move(y);
  return worst;
}

}  // namespace

BatchSolution solve_control_batch(const core::ControlledNetwork& net,
                                  const core::ControlProblem& problem,
                                  const std::vector<double>& u0, core::ControlEvaluator& evaluator,
                                  const SolveOptions& options,
                                  const std::vector<double>& initial_controls,
                                  const SolveProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  options.validate();
  BatchSolution solution;
  solution.plan = core::plan_horizon(net, problem, u0);
  solution.backend = evaluator.name();
  const Index batch = core::check_initial_states(net, u0), n = net.n();
  const Index dim = problem.intervals * net.synapses();
  require(initial_controls.empty() || static_cast<Index>(initial_controls.size()) == batch * dim,
          "initial controls", "need intervals x synapses values per initial state");
  require(core::all_finite(initial_controls), "initial controls", "contain NaN or Inf");
  const auto W = core::interval_weights(problem, solution.plan);
  evaluator.bind(net, problem, solution.plan);

  std::vector<SpgState> state(static_cast<std::size_t>(batch));
  solution.problems.resize(static_cast<std::size_t>(batch));
  std::vector<double> controls(static_cast<std::size_t>(batch * dim), 0.0);
  if (!initial_controls.empty()) controls = initial_controls;
  for (Index p = 0; p < batch; ++p) {
    state[p].x.assign(controls.begin() + p * dim, controls.begin() + (p + 1) * dim);
    core::project(net, problem.intervals, state[p].x.data());
  }
  // Evaluates the listed problems at their trial points x + θ d (or x when `at_x`).
  std::vector<core::CostGradient> evaluated;
  const auto evaluate = [&](const std::vector<Index>& which, bool at_x) {
    std::vector<double> trial_controls, trial_u0;
    trial_controls.reserve(which.size() * static_cast<std::size_t>(dim));
    for (const Index p : which) {
      const auto& s = state[p];
      for (Index e = 0; e < dim; ++e) {
        trial_controls.push_back(at_x ? s.x[e] : s.x[e] + s.theta * s.direction[e]);
      }
      trial_u0.insert(trial_u0.end(), u0.begin() + p * n, u0.begin() + (p + 1) * n);
      ++solution.problems[p].evaluations;
    }
    evaluator.evaluate(trial_controls, trial_u0, true, evaluated);
    return trial_controls;
  };

  std::vector<Index> all(static_cast<std::size_t>(batch));
  for (Index p = 0; p < batch; ++p) all[p] = p;
  evaluate(all, true);
  double bound_max = std::max(net.K, net.k);
  for (Index p = 0; p < batch; ++p) {
    auto& s = state[p];
    auto& r = solution.problems[p];
    r.cost = std::move(evaluated[p]);
    s.history.push_back(r.cost.J);
    // The first step moves ξ by at most the largest bound.
    const double first = projected_step(net, problem, W, s.x, r.cost.gradient, 1.0, nullptr);
    s.alpha = first > 0 ? std::clamp(bound_max / first, kAlphaMin, kAlphaMax) : 1.0;
  }

  Index finished = 0;
  while (true) {
    // New directions for every problem that is still iterating.
    std::vector<Index> pending;
    for (Index p = 0; p < batch; ++p) {
      auto& s = state[p];
      auto& r = solution.problems[p];
      if (s.done) continue;
      r.projected_gradient = projected_step(net, problem, W, s.x, r.cost.gradient, 1.0, nullptr);
      r.converged = r.projected_gradient <= options.gtol;
      if (r.converged || r.iterations >= options.max_iterations) {
        s.done = true;
        ++finished;
        continue;
      }
      projected_step(net, problem, W, s.x, r.cost.gradient, s.alpha, &s.direction);
      s.slope = 0.0;
      for (Index e = 0; e < dim; ++e) s.slope += r.cost.gradient[e] * s.direction[e];
      s.theta = 1.0;
      pending.push_back(p);
    }
    if (progress) progress(finished, batch);
    if (pending.empty()) break;
    // Backtracking rounds: each evaluates the batch's pending trials together.
    while (!pending.empty()) {
      const auto trials = evaluate(pending, false);
      std::vector<Index> retry;
      for (std::size_t t = 0; t < pending.size(); ++t) {
        const Index p = pending[t];
        auto& s = state[p];
        auto& r = solution.problems[p];
        auto& trial = evaluated[t];
        const double reference = *std::max_element(s.history.begin(), s.history.end());
        if (std::isfinite(trial.J) && trial.J <= reference + kArmijo * s.theta * s.slope) {
          // Accepted: the spectral step from s = Δξ and y = Δ∇J in D's metric, sᵀD⁻¹s / sᵀy.
          double sDs = 0.0, sy = 0.0;
          for (Index c = 0; c < problem.intervals; ++c) {
            for (Index e = c * net.synapses(); e < (c + 1) * net.synapses(); ++e) {
              const double step = s.theta * s.direction[e];
              sDs += W[c] * step * step;
              sy += step * (trial.gradient[e] - r.cost.gradient[e]);
            }
          }
          s.alpha = sy > 0 ? std::clamp(sDs / sy, kAlphaMin, kAlphaMax) : kAlphaMax;
          s.x.assign(trials.begin() + static_cast<std::ptrdiff_t>(t) * dim,
                     trials.begin() + static_cast<std::ptrdiff_t>(t + 1) * dim);
          r.cost = std::move(trial);
          s.history.push_back(r.cost.J);
          if (static_cast<int>(s.history.size()) > options.memory) s.history.erase(s.history.begin());
          ++r.iterations;
        } else if (s.theta < 1e-12) {
          // No decrease along a descent direction at this resolution: stationary to working
          // precision (converged reports whether that meets gtol).
          s.done = true;
          ++finished;
        } else {
          // Safeguarded quadratic interpolation of J along the direction.
          const double curvature = trial.J - r.cost.J - s.theta * s.slope;
          double next = curvature > 0 ? -0.5 * s.theta * s.theta * s.slope / curvature
                                      : 0.5 * s.theta;
          s.theta = std::clamp(next, 0.1 * s.theta, 0.5 * s.theta);
          retry.push_back(p);
        }
      }
      pending.swap(retry);
    }
  }
  for (Index p = 0; p < batch; ++p) solution.problems[p].controls = std::move(state[p].x);
  solution.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return solution;
}

SolveResult solve_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                          const std::vector<double>& u0, const SolveOptions& options) {
  require(static_cast<Index>(u0.size()) == net.n(), "initial state",
          "has " + std::to_string(u0.size()) + " entries but the network has " +
              std::to_string(net.n()) + " neurons");
  CpuControlEvaluator evaluator;
  auto solution = solve_control_batch(net, problem, u0, evaluator, options);
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
  require(std::isfinite(xi_tol) && xi_tol >= 0, "outcome options", "xi_tol must be >= 0");
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

std::vector<OutcomeReport> classify_outcomes(const core::ControlledNetwork& net,
                                             const core::ControlProblem& problem,
                                             const BatchSolution& solution, core::Engine& engine,
                                             const OutcomeOptions& options) {
  options.validate();
  const Index n = net.n();
  core::RunOptions run;
  run.dynamics = core::Dynamics::Continuous;
  run.integrator = core::Integrator::Dopri5;
  run.tol = options.tol;
  run.max_steps = options.max_steps;
  std::vector<OutcomeReport> reports;
  for (const auto& solved : solution.problems) {
    OutcomeReport report;
    const auto xi = final_control(net, problem, solved.controls);
    for (const double v : xi) report.xi_inf_max = std::max(report.xi_inf_max, std::fabs(v));
    report.xi_inf_norm = std::sqrt(norm2(xi.data(), static_cast<Index>(xi.size())));
    report.final_residual = solved.cost.final_residual;

    core::Network continued;
    continued.weights = net.weights_with(xi.data());
    continued.bias = net.b;
    continued.activation = net.activation;
    core::StateBatch states(1, n);
    std::copy(solved.cost.u_final.begin(), solved.cost.u_final.end(), states.values.begin());
    const auto result = engine.run(continued, states, run);
    const auto& end = result.states.front();
    report.u_limit.assign(states.values.begin(), states.values.end());
    report.continuation_time = end.time;
    report.period = end.period;
    report.period_time = end.period_time;

    std::vector<double> V(static_cast<std::size_t>(n)), X(V.size());
    const std::vector<double> no_control(static_cast<std::size_t>(net.synapses()), 0.0);
    for (Index i = 0; i < n; ++i) {
      V[i] = core::activate(net.activation.kind, net.activation.gain, report.u_limit[i]);
    }
    residual(net, no_control.data(), V.data(), report.u_limit.data(), X.data());
    report.residual_without_control = std::sqrt(norm2(X.data(), n));

    switch (end.outcome) {
      case core::Outcome::FixedPoint:
        report.outcome = report.xi_inf_max <= options.xi_tol ? ControlOutcome::Recognized
                                                             : ControlOutcome::Recorded;
        break;
      case core::Outcome::LimitCycle: report.outcome = ControlOutcome::LimitCycle; break;
      case core::Outcome::Wandering: report.outcome = ControlOutcome::Wandering; break;
    }
    reports.push_back(std::move(report));
  }
  return reports;
}

}  // namespace attractor::host
