#include "attractor/host/control.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "attractor/core/error.hpp"

namespace attractor::host {

using Index = std::int64_t;
using core::require;

ControlledNetwork ControlledNetwork::build(const core::CsrMatrix<double>& A,
                                          const core::CsrMatrix<double>& silent_mask,
                                          core::Activation activation, double K, double k,
                                          std::vector<double> b) {
  const std::string what = "controlled network";
  require(A.rows == A.cols && A.rows > 0, what, "A must be square and non-empty");
  require(silent_mask.rows == A.rows && silent_mask.cols == A.cols, what,
          "the silent-synapse mask must have A's shape");
  require(core::all_finite(A.values), what, "A contains NaN or Inf");
  require(std::isfinite(K) && std::isfinite(k) && K >= 0 && k >= 0 && k <= K, what,
          "bounds must satisfy 0 <= k <= K");
  require(activation.kind == core::ActivationKind::Tanh ||
              activation.kind == core::ActivationKind::Logistic,
          what, "needs a bounded activation (tanh or logistic): the tail bound uses |g| <= 1");
  require(std::isfinite(activation.gain) && activation.gain > 0, what, "gain must be positive");
  const Index n = A.rows;
  require(b.empty() || static_cast<Index>(b.size()) == n, what, "bias must have N entries");
  require(core::all_finite(b), what, "bias contains NaN or Inf");

  ControlledNetwork net;
  net.activation = activation;
  net.K = K;
  net.k = k;
  net.b = b.empty() ? std::vector<double>(static_cast<std::size_t>(n), 0.0) : std::move(b);
  net.T.rows = net.T.cols = n;
  net.T.row_ptr.assign(1, 0);
  for (Index i = 0; i < n; ++i) {
    // Active: A's stored entries. Silent: the mask's entries not already in A.
    std::vector<std::int32_t> active(A.col_idx.begin() + A.row_ptr[i],
                                     A.col_idx.begin() + A.row_ptr[i + 1]);
    for (Index e = A.row_ptr[i]; e < A.row_ptr[i + 1]; ++e) {
      net.T.col_idx.push_back(A.col_idx[e]);
      net.T.values.push_back(A.values[e]);
    }
    net.split.push_back(static_cast<Index>(net.T.col_idx.size()));
    std::sort(active.begin(), active.end());
    for (Index e = silent_mask.row_ptr[i]; e < silent_mask.row_ptr[i + 1]; ++e) {
      const std::int32_t j = silent_mask.col_idx[e];
      require(j >= 0 && j < n, what, "mask column out of range");
      if (std::binary_search(active.begin(), active.end(), j)) continue;
      net.T.col_idx.push_back(j);
      net.T.values.push_back(0.0);
    }
    net.T.row_ptr.push_back(static_cast<Index>(net.T.col_idx.size()));
  }
  return net;
}

void ControlProblem::validate() const {
  const std::string what = "control problem";
  require(std::isfinite(mu) && mu >= 0 && mu <= 1, what, "mu must lie in [0, 1]");
  require(std::isfinite(lambda) && lambda > 0, what, "the discount rate lambda must be positive");
  // dt ≤ 1 keeps each Euler step a convex combination of u and the input, which the tail bound
  // relies on.
  require(std::isfinite(dt) && dt > 0 && dt <= 1, what, "dt must lie in (0, 1]");
  require(intervals >= 1, what, "need at least one control interval");
  require(std::isfinite(tail_tol) && tail_tol > 0, what, "tail_tol must be positive");
}

namespace {

void check_state(const ControlledNetwork& net, const std::vector<double>& u0) {
  require(static_cast<Index>(u0.size()) == net.n(), "initial state",
          "has " + std::to_string(u0.size()) + " entries but the network has " +
              std::to_string(net.n()) + " neurons");
  require(core::all_finite(u0), "initial state", "contains NaN or Inf");
}

}  // namespace

ControlPlan plan_horizon(const ControlledNetwork& net, const ControlProblem& problem,
                         const std::vector<double>& u0) {
  problem.validate();
  check_state(net, u0);
  // |g| ≤ 1, so the input to neuron i is bounded by R_i = Σ_j (|A_ij| + bound_ij) + |b_i|; u_i
  // relaxes towards it and never leaves [−U_i, U_i], U_i = max(|u⁰_i|, R_i); |X_i| ≤ R_i + U_i.
  // The integrand is then ≤ C = (1−μ) Σ_i (R_i + U_i)² + μ Σ_e bound_e², and the dropped tail
  // Σ_{k ≥ K} dt e^{−λ k dt} C = C dt e^{−λ K dt} / (1 − e^{−λ dt}).
  double C = 0.0, bound2 = 0.0;
  for (Index i = 0; i < net.n(); ++i) {
    double R = std::fabs(net.b[i]);
    for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
      const double bound = net.bound(i, e);
      R += std::fabs(net.T.values[e]) + bound;
      bound2 += bound * bound;
    }
    const double U = std::max(std::fabs(u0[i]), R);
    C += (R + U) * (R + U);
  }
  C = (1.0 - problem.mu) * C + problem.mu * bound2;
  const double decay = problem.lambda * problem.dt;
  const double geometric = problem.dt / -std::expm1(-decay);  // dt / (1 − e^{−λ dt})
  ControlPlan plan;
  double steps = 1.0;
  if (C * geometric > problem.tail_tol) steps = std::ceil(std::log(C * geometric / problem.tail_tol) / decay);
  require(steps < 1e9, "control problem", "the horizon needs more than 1e9 steps (raise dt or lambda)");
  plan.steps_per_interval =
      std::max<Index>(1, static_cast<Index>(std::ceil(steps / static_cast<double>(problem.intervals))));
  plan.steps = plan.steps_per_interval * problem.intervals;  // every interval the same length
  plan.horizon = static_cast<double>(plan.steps) * problem.dt;
  plan.tail_bound = C * geometric * std::exp(-decay * static_cast<double>(plan.steps));
  return plan;
}

void project(const ControlledNetwork& net, Index intervals, std::vector<double>& controls) {
  const Index synapses = net.synapses();
  for (Index c = 0; c < intervals; ++c) {
    double* xi = controls.data() + c * synapses;
    for (Index i = 0; i < net.n(); ++i) {
      for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
        const double bound = net.bound(i, e);
        xi[e] = std::clamp(xi[e], -bound, bound);
      }
    }
  }
}

namespace {

// w_k = dt e^{−λ t_k}: the discounted quadrature weight of step k.
double step_weight(const ControlProblem& problem, Index step) {
  return problem.dt * std::exp(-problem.lambda * problem.dt * static_cast<double>(step));
}

// X = (A + ξ) V − u + b.
void residual(const ControlledNetwork& net, const double* xi, const double* V, const double* u,
              double* X) {
  for (Index i = 0; i < net.n(); ++i) {
    double acc = net.b[i] - u[i];
    for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
      acc += (net.T.values[e] + xi[e]) * V[net.T.col_idx[e]];
    }
    X[i] = acc;
  }
}

}  // namespace

namespace {

// The forward pass, with what the backward pass reads: u_k (steps + 1 states) and X_k.
struct Trajectory {
  CostGradient cost;  // J and its parts, u_final, final_residual; no gradient yet
  std::vector<double> u, X;
};

Trajectory forward(const ControlledNetwork& net, const ControlProblem& problem,
                   const ControlPlan& plan, const std::vector<double>& controls,
                   const std::vector<double>& u0) {
  check_state(net, u0);
  const Index n = net.n(), synapses = net.synapses(), steps = plan.steps;
  require(static_cast<Index>(controls.size()) == problem.intervals * synapses, "controls",
          "need intervals x synapses values");
  require(plan.steps == plan.steps_per_interval * problem.intervals && plan.steps > 0,
          "control plan", "does not match the problem (use plan_horizon)");
  const auto& g = net.activation;
  const double mu = problem.mu, dt = problem.dt;
  Trajectory tr;
  tr.u.resize(static_cast<std::size_t>((steps + 1) * n));
  tr.X.resize(static_cast<std::size_t>(steps * n));
  std::vector<double> V(static_cast<std::size_t>(n));
  std::copy(u0.begin(), u0.end(), tr.u.begin());
  std::vector<double> control_norm2(static_cast<std::size_t>(problem.intervals), 0.0);
  for (Index c = 0; c < problem.intervals; ++c) {
    for (Index e = 0; e < synapses; ++e) {
      const double v = controls[c * synapses + e];
      control_norm2[c] += v * v;
    }
  }
  auto& out = tr.cost;
  for (Index k = 0; k < steps; ++k) {
    const double* uk = tr.u.data() + k * n;
    double* Xk = tr.X.data() + k * n;
    const Index c = k / plan.steps_per_interval;
    for (Index i = 0; i < n; ++i) V[i] = core::activate(g.kind, g.gain, uk[i]);
    residual(net, controls.data() + c * synapses, V.data(), uk, Xk);
    double x2 = 0.0;
    for (Index i = 0; i < n; ++i) x2 += Xk[i] * Xk[i];
    const double w = step_weight(problem, k);
    out.state_cost += w * (1.0 - mu) * x2;
    out.control_cost += w * mu * control_norm2[c];
    double* next = tr.u.data() + (k + 1) * n;
    for (Index i = 0; i < n; ++i) next[i] = uk[i] + dt * Xk[i];
  }
  out.J = out.state_cost + out.control_cost;
  out.u_final.assign(tr.u.begin() + steps * n, tr.u.end());
  std::vector<double> Xf(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) V[i] = core::activate(g.kind, g.gain, out.u_final[i]);
  residual(net, controls.data() + (problem.intervals - 1) * synapses, V.data(),
           out.u_final.data(), Xf.data());
  double x2 = 0.0;
  for (double v : Xf) x2 += v * v;
  out.final_residual = std::sqrt(x2);
  return tr;
}

// The backward (adjoint) pass over a forward trajectory: λ_K = 0;
// q_k = 2(1−μ) w_k X_k + dt λ_{k+1}; λ_k = λ_{k+1} + g'(u_k) ∘ ((A + ξ_k)ᵀ q_k) − q_k;
// ∂J/∂ξ_ij += q_{k,i} V_{k,j} + 2μ w_k ξ_ij.
std::vector<double> backward(const ControlledNetwork& net, const ControlProblem& problem,
                             const ControlPlan& plan, const std::vector<double>& controls,
                             const Trajectory& tr) {
  const Index n = net.n(), synapses = net.synapses();
  const auto& g = net.activation;
  const double mu = problem.mu, dt = problem.dt;
  std::vector<double> gradient(controls.size(), 0.0);
  std::vector<double> lambda(static_cast<std::size_t>(n), 0.0), q(lambda.size()),
      Mtq(lambda.size()), V(lambda.size());
  for (Index k = plan.steps - 1; k >= 0; --k) {
    const double* uk = tr.u.data() + k * n;
    const double* Xk = tr.X.data() + k * n;
    const Index c = k / plan.steps_per_interval;
    const double* xi = controls.data() + c * synapses;
    double* grad = gradient.data() + c * synapses;
    const double w = step_weight(problem, k);
    for (Index i = 0; i < n; ++i) {
      q[i] = 2.0 * (1.0 - mu) * w * Xk[i] + dt * lambda[i];
      V[i] = core::activate(g.kind, g.gain, uk[i]);
    }
    std::fill(Mtq.begin(), Mtq.end(), 0.0);
    for (Index i = 0; i < n; ++i) {
      for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
        const Index j = net.T.col_idx[e];
        Mtq[j] += (net.T.values[e] + xi[e]) * q[i];
        grad[e] += q[i] * V[j] + 2.0 * mu * w * xi[e];
      }
    }
    for (Index j = 0; j < n; ++j) {
      lambda[j] += core::activate_slope(g.kind, g.gain, uk[j]) * Mtq[j] - q[j];
    }
  }
  return gradient;
}

}  // namespace

CostGradient cost_and_gradient(const ControlledNetwork& net, const ControlProblem& problem,
                               const ControlPlan& plan, const std::vector<double>& controls,
                               const std::vector<double>& u0, bool with_gradient) {
  Trajectory tr = forward(net, problem, plan, controls, u0);
  if (with_gradient) tr.cost.gradient = backward(net, problem, plan, controls, tr);
  return std::move(tr.cost);
}

SolveResult solve_control(const ControlledNetwork& net, const ControlProblem& problem,
                          const std::vector<double>& u0, const SolveOptions& options,
                          std::vector<double> initial_controls) {
  require(options.gtol > 0 && options.max_iterations >= 0, "solve options",
          "gtol must be positive and max_iterations not negative");
  SolveResult result;
  result.plan = plan_horizon(net, problem, u0);
  const auto size = static_cast<std::size_t>(problem.intervals * net.synapses());
  if (initial_controls.empty()) initial_controls.assign(size, 0.0);
  require(initial_controls.size() == size, "initial controls", "need intervals x synapses values");
  require(core::all_finite(initial_controls), "initial controls", "contain NaN or Inf");
  std::vector<double> x = std::move(initial_controls);
  project(net, problem.intervals, x);
  CostGradient f = cost_and_gradient(net, problem, result.plan, x, u0);

  // ‖P(x − ∇J) − x‖∞: zero exactly at a stationary point of the box-constrained problem.
  auto projected_gradient = [&](const std::vector<double>& at, const std::vector<double>& grad) {
    std::vector<double> y(at.size());
    for (std::size_t e = 0; e < at.size(); ++e) y[e] = at[e] - grad[e];
    project(net, problem.intervals, y);
    double worst = 0.0;
    for (std::size_t e = 0; e < at.size(); ++e) worst = std::max(worst, std::fabs(y[e] - at[e]));
    return worst;
  };
  double max_grad = 0.0;
  for (double v : f.gradient) max_grad = std::max(max_grad, std::fabs(v));
  double step = max_grad > 0 ? 1.0 / max_grad : 1.0;
  constexpr double kArmijo = 1e-4;
  for (result.iterations = 0; result.iterations < options.max_iterations; ++result.iterations) {
    result.projected_gradient = projected_gradient(x, f.gradient);
    if (result.projected_gradient <= options.gtol) {
      result.converged = true;
      break;
    }
    std::vector<double> trial(x.size());
    Trajectory tried;
    bool decreased = false;
    for (int halving = 0; halving < 60; ++halving, step *= 0.5) {
      for (std::size_t e = 0; e < x.size(); ++e) trial[e] = x[e] - step * f.gradient[e];
      project(net, problem.intervals, trial);
      double slope = 0.0;  // ∇Jᵀ (trial − x) ≤ 0 along the projection arc
      for (std::size_t e = 0; e < x.size(); ++e) slope += f.gradient[e] * (trial[e] - x[e]);
      tried = forward(net, problem, result.plan, trial, u0);
      if (tried.cost.J <= f.J + kArmijo * slope) {
        decreased = true;
        break;
      }
    }
    if (!decreased) break;  // no descent left at rounding level: stationary to working precision
    CostGradient g_trial = std::move(tried.cost);
    g_trial.gradient = backward(net, problem, result.plan, trial, tried);
    // Barzilai–Borwein: the next trial step s·s / s·y from the change in ξ and in ∇J.
    double ss = 0.0, sy = 0.0;
    for (std::size_t e = 0; e < x.size(); ++e) {
      const double s = trial[e] - x[e], y = g_trial.gradient[e] - f.gradient[e];
      ss += s * s;
      sy += s * y;
    }
    step = sy > 0 ? ss / sy : 2.0 * step;
    x.swap(trial);
    f = std::move(g_trial);
  }
  if (!result.converged) result.projected_gradient = projected_gradient(x, f.gradient);
  result.converged = result.projected_gradient <= options.gtol;
  result.controls = std::move(x);
  result.cost = std::move(f);
  return result;
}

}  // namespace attractor::host
