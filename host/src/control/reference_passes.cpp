#include "control/reference_passes.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "attractor/core/error.hpp"
#include "attractor/core/state_batch.hpp"
#include "attractor/host/control/control_solver.hpp"

namespace attractor {
namespace control_reference {

using core::require;
using Index = std::int64_t;

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
  std::vector<double> lambda(static_cast<std::size_t>(n), 0.0), q(lambda.size()), V(lambda.size());
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

void check_one_problem(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                       const core::ControlPlan& plan, const std::vector<double>& controls,
                       const std::vector<double>& u0) {
  require(static_cast<Index>(u0.size()) == net.n(), "initial state",
          "has " + std::to_string(u0.size()) + " entries but the network has " +
              std::to_string(net.n()) + " neurons");
  require(!controls.empty(), "controls", "need intervals x synapses values");
  core::check_batch(net, problem, plan, u0, controls);
}

}  // namespace control_reference

Evaluation evaluate_control(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                            const core::ControlPlan& plan, const std::vector<double>& controls,
                            const std::vector<double>& u0, bool with_gradient) {
  control_reference::check_one_problem(net, problem, plan, controls, u0);
  Evaluation out;
  if (with_gradient) out.gradient.resize(controls.size());
  out.u_final.resize(u0.size());
  out.cost = control_reference::evaluate_into(net, problem, plan, controls.data(), u0.data(),
                                              with_gradient ? out.gradient.data() : nullptr,
                                              out.u_final.data());
  return out;
}

}  // namespace attractor
