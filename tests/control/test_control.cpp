// Controlled plasticity, the solver's core: the adjoint gradient of the discounted cost against
// central finite differences, the truncated horizon's tail bound against a longer horizon, and
// projected-gradient descent on the box bounds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "attractor/core/control.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/control/control_solver.hpp"
#include "control_networks.hpp"

namespace attractor {
namespace {

using core::RngPurpose;
using Index = std::int64_t;

core::ControlledNetwork random_network(Index n, double density, std::uint64_t seed,
                                       core::ActivationKind kind) {
  return test::random_controlled_network(n, density, seed, kind);
}

using test::random_vector;

TEST(Control, UnionPatternKeepsEachRowsActiveEntriesBeforeItsSilentOnes) {
  const auto net = random_network(12, 0.3, 1, core::ActivationKind::Tanh);
  Index silent = 0;
  for (Index i = 0; i < net.n(); ++i) {
    ASSERT_LE(net.T.row_ptr[i], net.split[i]);
    ASSERT_LE(net.split[i], net.T.row_ptr[i + 1]);
    for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
      // Active entries carry A's (non-zero) values; silent ones start at 0.
      EXPECT_EQ(e < net.split[i], net.T.values[e] != 0.0);
      EXPECT_EQ(net.bound(i, e), e < net.split[i] ? 0.5 : 0.05);
    }
    silent += net.T.row_ptr[i + 1] - net.split[i];
  }
  EXPECT_GT(silent, 0);
  EXPECT_GT(net.split.back(), 0);
}

// J is smooth in ξ (the box enters only through the solver's projection), so central differences
// with step h have truncation error ≈ h² |∂³J| / 6 and rounding error ≈ ε J / h. With h = 1e-5,
// J = O(1) and third derivatives O(10²) that is ≈ 1e-8 + 1e-11 per component, far below the
// 1e-4 relative error required of the adjoint (which is exact for the discretized J).
TEST(Control, AdjointGradientMatchesCentralDifferencesIncludingActiveBounds) {
  for (const auto kind : {core::ActivationKind::Tanh, core::ActivationKind::Logistic}) {
    for (const double mu : {0.5, 0.2}) {
      SCOPED_TRACE(std::string(core::to_string(kind)) + " mu " + std::to_string(mu));
      const auto net = random_network(6, 0.35, 3, kind);
      core::ControlProblem problem;
      problem.mu = mu;
      problem.lambda = 2.0;
      problem.dt = 0.05;
      problem.intervals = 4;
      problem.tail_tol = 1e-6;
      const auto u0 = random_vector(6, 1.5, 4);
      const auto plan = core::plan_horizon(net, problem, u0);
      auto xi = random_vector(static_cast<std::size_t>(problem.intervals * net.synapses()), 0.5, 5);
      core::project(net, problem.intervals, xi.data());  // many entries land exactly on ±k or ±K
      Index at_bound = 0;
      for (Index c = 0; c < problem.intervals; ++c) {
        for (Index i = 0; i < net.n(); ++i) {
          for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
            at_bound += std::fabs(xi[c * net.synapses() + e]) == net.bound(i, e);
          }
        }
      }
      EXPECT_GT(at_bound, 0);
      const auto exact = evaluate_control(net, problem, plan, xi, u0);
      double diff2 = 0.0, norm2 = 0.0;
      constexpr double kH = 1e-5;
      for (std::size_t e = 0; e < xi.size(); ++e) {
        auto plus = xi, minus = xi;
        plus[e] += kH;
        minus[e] -= kH;
        const double fd = (evaluate_control(net, problem, plan, plus, u0, false).cost.J -
                           evaluate_control(net, problem, plan, minus, u0, false).cost.J) /
                          (2.0 * kH);
        diff2 += (fd - exact.gradient[e]) * (fd - exact.gradient[e]);
        norm2 += fd * fd;
      }
      EXPECT_GT(norm2, 0.0);
      EXPECT_LT(std::sqrt(diff2 / norm2), 1e-4);
    }
  }
}

TEST(Control, TruncatedTailIsBelowItsBoundAndTheTolerance) {
  // Doubling the horizon (the extra intervals with ξ = 0, an admissible continuation) adds to J no
  // more than the tail bound promises.
  const auto net = random_network(8, 0.3, 7, core::ActivationKind::Tanh);
  core::ControlProblem problem;
  problem.lambda = 1.0;
  problem.dt = 0.02;
  problem.intervals = 5;
  problem.tail_tol = 1e-4;
  const auto u0 = random_vector(8, 2.0, 8);
  const auto plan = core::plan_horizon(net, problem, u0);
  EXPECT_LE(plan.tail_bound, problem.tail_tol);
  EXPECT_GT(plan.tail_bound, 0.0);
  const auto xi =
      random_vector(static_cast<std::size_t>(problem.intervals * net.synapses()), 0.03, 9);
  const double J = evaluate_control(net, problem, plan, xi, u0, false).cost.J;

  auto longer_problem = problem;
  longer_problem.intervals = 2 * problem.intervals;
  core::ControlPlan longer = plan;
  longer.steps = 2 * plan.steps;
  auto longer_xi = xi;
  longer_xi.resize(2 * xi.size(), 0.0);
  const double J_longer =
      evaluate_control(net, longer_problem, longer, longer_xi, u0, false).cost.J;
  EXPECT_GE(J_longer, J);
  EXPECT_LE(J_longer - J, plan.tail_bound);
}

TEST(Control, ProjectedGradientDescentLowersTheCostAndEndsStationaryInsideTheBox) {
  const auto net = random_network(6, 0.35, 11, core::ActivationKind::Tanh);
  core::ControlProblem problem;
  problem.lambda = 1.0;
  problem.dt = 0.05;
  problem.intervals = 3;
  const auto u0 = random_vector(6, 1.0, 12);
  SolveOptions options;
  options.gtol = 1e-7;
  options.max_iterations = 2000;
  const auto plan = core::plan_horizon(net, problem, u0);
  const std::vector<double> zero(static_cast<std::size_t>(problem.intervals * net.synapses()), 0.0);
  const double J0 = evaluate_control(net, problem, plan, zero, u0, false).cost.J;
  const auto result = solve_control(net, problem, u0, options);
  EXPECT_TRUE(result.converged) << "projected gradient " << result.projected_gradient;
  EXPECT_LT(result.cost.J, J0);
  for (Index c = 0; c < problem.intervals; ++c) {
    for (Index i = 0; i < net.n(); ++i) {
      for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
        EXPECT_LE(std::fabs(result.controls[c * net.synapses() + e]), net.bound(i, e));
      }
    }
  }
}

TEST(Control, RejectsBadProblemsAndNetworks) {
  const auto net = random_network(4, 0.4, 13, core::ActivationKind::Tanh);
  core::ControlProblem problem;
  problem.dt = 2.0;
  EXPECT_THROW(core::plan_horizon(net, problem, std::vector<double>(4, 0.0)), core::InputError);
  problem = {};
  problem.mu = 1.5;
  EXPECT_THROW(problem.validate(), core::InputError);
  problem = {};
  EXPECT_THROW(core::plan_horizon(net, problem, std::vector<double>(3, 0.0)), core::InputError);
  EXPECT_THROW(core::plan_horizon(net, problem, {0.0, NAN, 0.0, 0.0}), core::InputError);
  core::CsrMatrix<double> A;
  A.rows = A.cols = 4;
  A.row_ptr.assign(5, 0);
  EXPECT_THROW(core::ControlledNetwork::build(A, A, {core::ActivationKind::Linear, 1.0}, 1.0, 0.1),
               core::InputError);
  EXPECT_THROW(core::ControlledNetwork::build(A, A, {core::ActivationKind::Tanh, 1.0}, 0.1, 1.0),
               core::InputError);
}

}  // namespace
}  // namespace attractor
