#include "attractor/host/control/control_solver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <utility>

#include "attractor/core/error.hpp"
#include "attractor/core/network.hpp"
#include "attractor/core/state_batch.hpp"
#include "attractor/host/engine/cpu_control_batch.hpp"
#include "control/reference_passes.hpp"

namespace attractor {

using core::require;
using Index = std::int64_t;
using control_reference::check_one_problem;
using control_reference::forward;
using control_reference::norm2;
using control_reference::residual;
using control_reference::Trajectory;

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
                                  const core::ProgressFn& progress) {
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
        state[accepted[a]].alpha =
            k.sy > 0 ? std::clamp(k.sDs / k.sy, kAlphaMin, kAlphaMax) : kAlphaMax;
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

}  // namespace attractor
