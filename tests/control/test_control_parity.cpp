// The controlled-plasticity batch on the GPU against the CPU reference (CpuControlBatch):
// J, its gradient and u at the horizon for given controls, whole batch solves with their outcomes,
// a batch split over several launches, and a batch too large for the device. Skipped, with the
// reason, where this build or machine has no CUDA device.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <memory>
#include <vector>

#include "attractor/core/error.hpp"
#include "attractor/host/control/control_experiments.hpp"
#include "attractor/host/engine/cpu_control_batch.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "control_networks.hpp"
#if defined(ATTRACTOR_HAVE_CUDA)
#include "attractor/cuda/cuda_control.hpp"
#include "attractor/cuda/device.hpp"
#endif

namespace attractor {
namespace {

using Index = std::int64_t;

// The CUDA batch, or a skip that says why there is none.
std::unique_ptr<core::ControlBatch> cuda_batch(Index max_per_launch = 0) {
#if defined(ATTRACTOR_HAVE_CUDA)
  if (cuda::device_count() == 0) return nullptr;
  return std::make_unique<cuda::CudaControlBatch>(0, max_per_launch);
#else
  static_cast<void>(max_per_launch);
  return nullptr;
#endif
}

#define ATTRACTOR_NEED_CUDA(batch) \
  if (!(batch)) GTEST_SKIP() << "no CUDA device (or this build has no CUDA backend)"

// ρ = β · max(‖|A| + |ξ|‖∞, ‖|A| + |ξ|‖₁) over every interval's controls: with ρ < 1 the Euler map
// u ↦ u + dt X(u) and its adjoint are contractions (Lipschitz 1 − dt (1 − ρ) in ∞ and 1 norms).
double contraction(const core::ControlledNetwork& net, const std::vector<double>& controls,
                   Index intervals) {
  double worst = 0.0;
  for (Index c = 0; c < intervals; ++c) {
    std::vector<double> rows(static_cast<std::size_t>(net.n()), 0.0), cols(rows.size(), 0.0);
    for (Index i = 0; i < net.n(); ++i) {
      for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
        const double w = std::fabs(net.T.values[e]) + std::fabs(controls[c * net.synapses() + e]);
        rows[i] += w;
        cols[net.T.col_idx[e]] += w;
      }
    }
    worst = std::max({worst, *std::max_element(rows.begin(), rows.end()),
                      *std::max_element(cols.begin(), cols.end())});
  }
  return net.activation.gain * worst;
}

// The two backends take each step's sums in different orders, the GPU fuses multiply-adds, and
// tanh may differ by 2 ulp: the step's X differs by δ ≤ (m + 8) ε S, m the longest row, S ≤ 1 +
// max|u| + ρ/β bounding every term's magnitude. The contraction keeps the sum of those differences
// below ‖Δu‖∞ ≤ δ / (1 − ρ). J = Σ w_k |X_k|² then moves by at most 2 √N (1 + ρ) ‖Δu‖∞ Σ w_k |X_k|
// ≤ 2 √N (1 + ρ) ‖Δu‖∞ √(Σ w_k · J_X) (Cauchy–Schwarz, J_X = the state part over 1 − μ), plus
// the rounding of the sum itself, K ε J. The gradient's terms q g(u) inherit the same relative
// error through the adjoint, which contracts at the same rate: 4 (1 + ρ)/(1 − ρ) times the relative
// error of u bounds it, measured against max|∇J|.
TEST(ControlParity, EvaluationAgreesWithTheReferenceToRounding) {
  auto gpu = cuda_batch();
  ATTRACTOR_NEED_CUDA(gpu);
  const auto net = test::random_controlled_network(24, 0.2, 21, core::ActivationKind::Tanh, 0.1);
  core::ControlProblem problem;
  problem.mu = 0.4;
  problem.lambda = 1.5;
  problem.dt = 0.05;
  problem.intervals = 6;
  const Index batch = 3, n = net.n(), dim = problem.intervals * net.synapses();
  const auto u0 = test::random_vector(static_cast<std::size_t>(batch * n), 1.0, 22);
  auto controls = test::random_vector(static_cast<std::size_t>(batch * dim), 0.1, 23);
  for (Index p = 0; p < batch; ++p)
    core::project(net, problem.intervals, controls.data() + p * dim);
  const auto plan = core::plan_horizon(net, problem, u0);

  std::vector<core::CostTerms> costs;
  gpu->start(net, problem, plan, u0, controls, costs);
  Index m_max = 0;
  for (Index i = 0; i < n; ++i) m_max = std::max(m_max, net.T.row_ptr[i + 1] - net.T.row_ptr[i]);
  double W_total = 0.0;
  for (const double W : core::interval_weights(problem, plan)) W_total += W;
  for (Index p = 0; p < batch; ++p) {
    SCOPED_TRACE("problem " + std::to_string(p));
    const std::vector<double> xi(controls.begin() + p * dim, controls.begin() + (p + 1) * dim);
    const std::vector<double> start(u0.begin() + p * n, u0.begin() + (p + 1) * n);
    const double rho = contraction(net, xi, problem.intervals);
    ASSERT_LT(rho, 1.0) << "the error bound needs a contracting network";
    const auto reference = evaluate_control(net, problem, plan, xi, start);
    const auto state = gpu->read(p, true);

    double u_max = 0.0;
    for (const double u : start) u_max = std::max(u_max, std::fabs(u));
    const double delta =
        static_cast<double>(m_max + 8) * DBL_EPSILON * (1.0 + u_max + rho / net.activation.gain);
    const double du = delta / (1.0 - rho);
    const double J_X = reference.cost.state_cost / (1.0 - problem.mu);
    const double dJ = 2.0 * std::sqrt(double(n)) * (1.0 + rho) * du * std::sqrt(W_total * J_X) +
                      static_cast<double>(plan.steps + dim) * DBL_EPSILON * reference.cost.J;
    EXPECT_NEAR(costs[p].J, reference.cost.J, dJ);
    EXPECT_NEAR(costs[p].state_cost, reference.cost.state_cost, dJ);
    EXPECT_NEAR(costs[p].control_cost, reference.cost.control_cost,
                static_cast<double>(plan.steps + dim) * DBL_EPSILON * reference.cost.control_cost);
    for (Index i = 0; i < n; ++i) EXPECT_NEAR(state.u_final[i], reference.u_final[i], du);
    double g_max = 0.0;
    for (const double g : reference.gradient) g_max = std::max(g_max, std::fabs(g));
    const double dg = 4.0 * (1.0 + rho) / (1.0 - rho) * (du / (1.0 + u_max)) * g_max;
    for (Index e = 0; e < dim; ++e) {
      EXPECT_NEAR(state.gradient[e], reference.gradient[e], dg) << "entry " << e;
    }
    EXPECT_EQ(state.controls, xi) << "the iterate is the projected start";
  }
}

// Whole solves on the example network of the outcome tests: the same outcomes, and J within what
// two runs that each stop at a scaled projected step ≤ gtol can differ by. The backends' rounding
// differs at 1e-15, so the solver usually takes the same decisions and J agrees to rounding; where
// an Armijo test sits on its boundary the paths part, but each ends stationary to gtol = 1e-6 in
// units of ξ, where J is flat to first order in the free entries (the bound ones do not move):
// J differs by O(gtol²) times the curvature, far below the 1e-6 relative allowed.
TEST(ControlParity, BatchSolvesGiveTheCpuOutcomesAndCosts) {
  auto gpu = cuda_batch();
  ATTRACTOR_NEED_CUDA(gpu);
  ControlNetworkParams params;  // the defaults: the outcome tests' network
  params.seed = 3;
  CpuEngine cpu_engine;
  const auto ex = control_network_example(params, cpu_engine);
  core::ControlProblem problem;
  problem.mu = 0.3;
  problem.lambda = 2.0;
  problem.intervals = 20;
  SolveOptions solve;
  solve.gtol = 1e-6;
  solve.max_iterations = 3000;
  const auto cues = control_cues(ex, 2, 0.0, 0.03, 2, 31);
  CpuControlBatch cpu;
  const auto reference = run_control_batch(ex, problem, cues, cpu, cpu_engine, solve);
  auto gpu_engine = make_engine(Backend::Cuda, core::Precision::Float64);
  const auto report = run_control_batch(ex, problem, cues, *gpu, *gpu_engine, solve);
  EXPECT_EQ(report.solution.backend, "cuda");
  EXPECT_EQ(report.solution.plan.steps, reference.solution.plan.steps);
  for (std::size_t b = 0; b < cues.size() / static_cast<std::size_t>(ex.net.n()); ++b) {
    SCOPED_TRACE("cue " + std::to_string(b));
    EXPECT_EQ(report.outcomes[b].outcome, reference.outcomes[b].outcome);
    const double J = reference.solution.problems[b].cost.J;
    EXPECT_NEAR(report.solution.problems[b].cost.J, J, 1e-6 * J);
    EXPECT_TRUE(report.solution.problems[b].converged);
  }
}

// Launch slots are independent and the reductions do not depend on the batch: a batch run one
// problem per launch gives the bits of a batch run in one launch.
TEST(ControlParity, ABatchSplitOverLaunchesGivesIdenticalResults) {
  auto whole = cuda_batch();
  ATTRACTOR_NEED_CUDA(whole);
  auto split = cuda_batch(1);
  const auto net = test::random_controlled_network(30, 0.2, 41, core::ActivationKind::Logistic);
  core::ControlProblem problem;
  problem.intervals = 4;
  const auto u0 = test::random_vector(std::size_t{5} * 30, 1.0, 42);
  const auto plan = core::plan_horizon(net, problem, u0);
  std::vector<core::CostTerms> a, b;
  whole->start(net, problem, plan, u0, {}, a);
  split->start(net, problem, plan, u0, {}, b);
  for (Index p = 0; p < 5; ++p) {
    EXPECT_EQ(a[p].J, b[p].J);
    EXPECT_EQ(whole->read(p, true).gradient, split->read(p, true).gradient);
  }
}

TEST(ControlParity, ABatchBeyondTheDeviceFailsWithTheBytesNeeded) {
  auto gpu = cuda_batch();
  ATTRACTOR_NEED_CUDA(gpu);
#if defined(ATTRACTOR_HAVE_CUDA)
  // 2·10⁶ problems × 200 intervals × 56 synapses × 5 vectors × 8 B ≈ 900 GB: more than any device.
  const auto net = test::random_controlled_network(8, 1.0, 51, core::ActivationKind::Tanh, 0.1);
  core::ControlProblem problem;
  problem.intervals = 200;
  const std::vector<double> u0(static_cast<std::size_t>(2'000'000 * net.n()), 0.1);
  const auto plan = core::plan_horizon(net, problem, u0);
  std::vector<core::CostTerms> costs;
  try {
    gpu->start(net, problem, plan, u0, {}, costs);
    FAIL() << "expected OutOfDeviceMemory";
  } catch (const cuda::OutOfDeviceMemory& e) {
    EXPECT_GT(e.bytes_requested(), std::size_t{800} << 30);
    EXPECT_NE(std::string(e.what()).find("requested"), std::string::npos);
  }
#endif
}

}  // namespace
}  // namespace attractor
