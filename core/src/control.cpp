#include "attractor/core/control.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"

namespace attractor::core {

using Index = std::int64_t;

ControlledNetwork ControlledNetwork::build(const CsrMatrix<double>& A,
                                           const CsrMatrix<double>& silent_mask,
                                           Activation activation, double K, double k,
                                           std::vector<double> b) {
  const std::string what = "controlled network";
  require(A.rows == A.cols && A.rows > 0, what, "A must be square and non-empty");
  require(silent_mask.rows == A.rows && silent_mask.cols == A.cols, what,
          "the silent-synapse mask must have A's shape");
  require(all_finite(A.values), what, "A contains NaN or Inf");
  require(std::isfinite(K) && std::isfinite(k) && K >= 0 && k >= 0 && k <= K, what,
          "bounds must satisfy 0 <= k <= K");
  require(activation.kind == ActivationKind::Tanh || activation.kind == ActivationKind::Logistic,
          what, "needs a bounded activation (tanh or logistic): the tail bound uses |g| <= 1");
  require(std::isfinite(activation.gain) && activation.gain > 0, what, "gain must be positive");
  const Index n = A.rows;
  require(b.empty() || static_cast<Index>(b.size()) == n, what, "bias must have N entries");
  require(all_finite(b), what, "bias contains NaN or Inf");

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
  // Counting sort of the entries by column; rows are visited in order, so each column's list is
  // in increasing row order.
  net.column_ptr.assign(static_cast<std::size_t>(n + 1), 0);
  for (const std::int32_t j : net.T.col_idx) ++net.column_ptr[j + 1];
  for (Index j = 0; j < n; ++j) net.column_ptr[j + 1] += net.column_ptr[j];
  net.column_entry.resize(net.T.col_idx.size());
  net.column_row.resize(net.T.col_idx.size());
  std::vector<Index> next(net.column_ptr.begin(), net.column_ptr.end() - 1);
  for (Index i = 0; i < n; ++i) {
    for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
      const Index slot = next[net.T.col_idx[e]]++;
      net.column_entry[slot] = e;
      net.column_row[slot] = i;
    }
  }
  return net;
}

std::int64_t ControlledNetwork::existing() const {
  Index count = 0;
  for (Index i = 0; i < n(); ++i) count += split[i] - T.row_ptr[i];
  return count;
}

CsrMatrix<double> ControlledNetwork::weights_with(const double* xi) const {
  std::vector<Triplet<double>> entries;
  entries.reserve(static_cast<std::size_t>(synapses()));
  for (Index i = 0; i < n(); ++i) {
    for (Index e = T.row_ptr[i]; e < T.row_ptr[i + 1]; ++e) {
      entries.push_back({i, T.col_idx[e], T.values[e] + xi[e]});
    }
  }
  return csr_from_triplets(n(), n(), std::move(entries), "A + xi");
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

Index check_initial_states(const ControlledNetwork& net, const std::vector<double>& u0) {
  const auto n = static_cast<std::size_t>(net.n());
  require(!u0.empty() && u0.size() % n == 0, "initial states",
          "have " + std::to_string(u0.size()) + " values, not a whole number of states of " +
              std::to_string(n) + " neurons");
  require(all_finite(u0), "initial states", "contain NaN or Inf");
  return static_cast<Index>(u0.size() / n);
}

Index check_batch(const ControlledNetwork& net, const ControlProblem& problem,
                  const ControlPlan& plan, const std::vector<double>& u0,
                  const std::vector<double>& controls) {
  problem.validate();
  require(plan.steps == plan.steps_per_interval * problem.intervals && plan.steps > 0,
          "control plan", "does not match the problem (use plan_horizon)");
  const Index batch = check_initial_states(net, u0);
  require(controls.empty() ||
              static_cast<Index>(controls.size()) == batch * problem.intervals * net.synapses(),
          "controls", "need intervals x synapses values per initial state");
  require(all_finite(controls), "controls", "contain NaN or Inf");
  return batch;
}

ControlPlan plan_horizon(const ControlledNetwork& net, const ControlProblem& problem,
                         const std::vector<double>& u0) {
  problem.validate();
  const Index batch = check_initial_states(net, u0);
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
    double U = R;
    for (Index p = 0; p < batch; ++p) U = std::max(U, std::fabs(u0[p * net.n() + i]));
    C += (R + U) * (R + U);
  }
  C = (1.0 - problem.mu) * C + problem.mu * bound2;
  const double decay = problem.lambda * problem.dt;
  const double geometric = problem.dt / -std::expm1(-decay);  // dt / (1 − e^{−λ dt})
  ControlPlan plan;
  double steps = 1.0;
  if (C * geometric > problem.tail_tol)
    steps = std::ceil(std::log(C * geometric / problem.tail_tol) / decay);
  require(steps < 1e9, "control problem",
          "the horizon needs more than 1e9 steps (raise dt or lambda)");
  plan.steps_per_interval = std::max<Index>(
      1, static_cast<Index>(std::ceil(steps / static_cast<double>(problem.intervals))));
  plan.steps = plan.steps_per_interval * problem.intervals;  // every interval the same length
  plan.horizon = static_cast<double>(plan.steps) * problem.dt;
  plan.tail_bound = C * geometric * std::exp(-decay * static_cast<double>(plan.steps));
  // What a solve holds: the solver's five vectors of every problem's controls (controls,
  // gradient, direction, trial, trial gradient) and the results' copy, and one trajectory of u
  // and X per problem solved at a time.
  const std::int64_t controls =
      checked_product({6, batch, problem.intervals, net.synapses(), 8}, kMaxEstimate,
                      "control problem", "the memory for the controls");
  const std::int64_t trajectory = checked_product({2, plan.steps + 1, net.n(), 8}, kMaxEstimate,
                                                  "control problem", "the memory for a trajectory");
  require_memory(controls + trajectory, "control problem (--intervals, the cues, the network)");
  return plan;
}

double step_weight(const ControlProblem& problem, Index step) {
  return problem.dt * std::exp(-problem.lambda * problem.dt * static_cast<double>(step));
}

std::vector<double> interval_weights(const ControlProblem& problem, const ControlPlan& plan) {
  std::vector<double> W(static_cast<std::size_t>(problem.intervals), 0.0);
  for (Index k = 0; k < plan.steps; ++k) W[plan.interval_of(k)] += step_weight(problem, k);
  return W;
}

void project(const ControlledNetwork& net, Index intervals, double* controls) {
  const Index synapses = net.synapses();
  for (Index c = 0; c < intervals; ++c) {
    double* xi = controls + c * synapses;
    for (Index i = 0; i < net.n(); ++i) {
      for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
        xi[e] = clamp_to_bound(xi[e], net.bound(i, e));
      }
    }
  }
}

}  // namespace attractor::core
