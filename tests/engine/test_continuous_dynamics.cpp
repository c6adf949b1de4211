// Continuous dynamics du/dt = T g(u) − u + b: integrator order, analytic fixed points, the
// Lyapunov function, limit cycles.
#include <Eigen/Dense>
#include <cmath>
#include <limits>

#include "attractor/core/philox.hpp"
#include "engine_backends.hpp"

namespace attractor {
namespace {

using core::ActivationKind;
using core::Integrator;
using core::Outcome;
constexpr double kEps = std::numeric_limits<double>::epsilon();

core::Network dense_network(int n, std::initializer_list<double> weights,
                            ActivationKind kind = ActivationKind::Linear, double gain = 1.0) {
  core::DenseMatrix<double> T(n, n);
  std::copy(weights.begin(), weights.end(), T.values.begin());
  core::Network net;
  net.weights = T;
  net.activation = {kind, gain};
  return net;
}

core::RunOptions continuous(Integrator integrator, double dt) {
  core::RunOptions o;
  o.dynamics = core::Dynamics::Continuous;
  o.integrator = integrator;
  o.dt = dt;
  o.max_steps = 1'000'000;
  o.tol = 0.0;  // never stop early unless a test asks for it
  // Dopri5 lets each step err by up to rtol·|u|; a fixed-point test below asks for ‖F‖ ≤ 1e-11,
  // which its local errors must stay under.
  o.rtol = 1e-13;
  o.atol = 1e-15;
  return o;
}

// ---------------------------------------------------------------------------------------------
// A linear symmetric system du/dt = (T − I) u + h has the exact solution
//   u(t) = u* + Q exp(Λ t) Qᵀ (u0 − u*),  T − I = Q Λ Qᵀ,  u* = −(T − I)⁻¹ h.
class IntegratorOrder : public test::OnEachBackend {
 protected:
  static core::Network system() {
    auto net = dense_network(3, {0.0, 0.6, -0.3, 0.6, 0.0, 0.4, -0.3, 0.4, 0.0});
    net.bias = {0.5, -1.0, 0.25};
    return net;
  }
  static Eigen::Vector3d exact(double t, const Eigen::Vector3d& u0) {
    Eigen::Matrix3d A;
    A << -1.0, 0.6, -0.3, 0.6, -1.0, 0.4, -0.3, 0.4, -1.0;
    const Eigen::Vector3d h(0.5, -1.0, 0.25);
    const Eigen::Vector3d u_star = -A.ldlt().solve(h);
    Eigen::SelfAdjointEigenSolver<Eigen::Matrix3d> eig(A);
    const Eigen::Vector3d decay = (eig.eigenvalues() * t).array().exp();
    return u_star +
           eig.eigenvectors() * decay.asDiagonal() * eig.eigenvectors().transpose() * (u0 - u_star);
  }
  double error_at_t1(Integrator integrator, double dt) {
    const auto net = system();
    core::StateBatch states(1, 3);
    const Eigen::Vector3d u0(1.0, 2.0, -1.5);
    std::copy(u0.data(), u0.data() + 3, states.values.begin());
    auto options = continuous(integrator, dt);
    options.t_end = 1.0;
    const auto result = engine().run(net, states, options);
    EXPECT_NEAR(result.states[0].time, 1.0, 1e-12);
    const Eigen::Vector3d u = Eigen::Map<const Eigen::Vector3d>(states.values.data());
    return (u - exact(1.0, u0)).norm();
  }
  // p ≈ log2(e(dt) / e(dt/2)); the next term of the error expansion shifts the estimate by
  // O(dt ‖A‖) with ‖A‖ < 2 here, so with dt ≤ 0.05 it lies within 0.15 of the true order.
  double observed_order(Integrator integrator, double dt) {
    return std::log2(error_at_t1(integrator, dt) / error_at_t1(integrator, dt / 2));
  }
};

TEST_P(IntegratorOrder, EulerConvergesAtFirstOrder) {
  EXPECT_NEAR(observed_order(Integrator::Euler, 0.05), 1.0, 0.15);
  EXPECT_NEAR(observed_order(Integrator::Euler, 0.01), 1.0, 0.05);
}

TEST_P(IntegratorOrder, Rk4ConvergesAtFourthOrder) {
  // Errors ≥ 1e-9 at these steps, far above the 1e-15 rounding floor that would flatten the ratio.
  EXPECT_NEAR(observed_order(Integrator::RK4, 0.1), 4.0, 0.15);
  EXPECT_NEAR(observed_order(Integrator::RK4, 0.05), 4.0, 0.1);
}

TEST_P(IntegratorOrder, Dopri5MeetsItsToleranceAndTightensWithIt) {
  double previous = std::numeric_limits<double>::infinity();
  for (double rtol : {1e-4, 1e-6, 1e-8}) {
    const auto net = system();
    core::StateBatch states(1, 3);
    const Eigen::Vector3d u0(1.0, 2.0, -1.5);
    std::copy(u0.data(), u0.data() + 3, states.values.begin());
    auto options = continuous(Integrator::Dopri5, 0.1);
    options.t_end = 1.0;
    options.rtol = rtol;
    options.atol = rtol * 1e-3;
    engine().run(net, states, options);
    const double error =
        (Eigen::Map<const Eigen::Vector3d>(states.values.data()) - exact(1.0, u0)).norm();
    // Local control per step; over a contracting (all eigenvalues < 0) linear flow the global
    // error stays within a small multiple of rtol · ‖u‖ (‖u‖ < 4 here).
    EXPECT_LT(error, 10 * rtol * 4.0) << "rtol " << rtol;
    EXPECT_LT(error, previous);
    previous = error;
  }
}

TEST_P(IntegratorOrder, Dopri5StepsEachStateOnItsOwn) {
  // State 0 starts at the fixed point, state 1 far away: the first takes no step at all.
  const auto net = system();
  core::StateBatch states(2, 3);
  const Eigen::Vector3d u_star = exact(1e6, Eigen::Vector3d::Zero());
  std::copy(u_star.data(), u_star.data() + 3, states.values.begin());
  states.values[3] = 50.0;
  auto options = continuous(Integrator::Dopri5, 0.01);
  options.tol = 1e-8;
  options.rtol = 1e-11;
  const auto result = engine().run(net, states, options);
  EXPECT_EQ(result.states[0].steps, 0);
  EXPECT_EQ(result.states[0].outcome, Outcome::FixedPoint);
  EXPECT_GT(result.states[1].steps, 10);
  EXPECT_EQ(result.states[1].outcome, Outcome::FixedPoint);

  // Running state 1 alone gives the same trajectory: lock-step batching does not couple states.
  core::StateBatch alone(1, 3);
  alone.values[0] = 50.0;
  const auto single = engine().run(net, alone, options);
  EXPECT_EQ(single.states[0].steps, result.states[1].steps);
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(alone.values[i], states.values[3 + i], 1e-12);
}

ATTRACTOR_ON_EACH_BACKEND(IntegratorOrder);

// ---------------------------------------------------------------------------------------------
class ContinuousFixedPoints : public test::OnEachBackend {};

// Distance to the fixed point once ‖F‖ ≤ tol is at most ‖J⁻¹‖ tol, J the Jacobian there.
TEST_P(ContinuousFixedPoints, LinearPairMatchesTheHandSolution) {
  // (I − T) u = h with T = [[0, ½], [½, 0]], h = (1, 2):  u1 = 8/3, u2 = 10/3.
  // J = T − I has eigenvalues −½ and −3/2, so ‖J⁻¹‖ = 2.
  auto net = dense_network(2, {0.0, 0.5, 0.5, 0.0});
  net.bias = {1.0, 2.0};
  for (auto integrator : {Integrator::Euler, Integrator::RK4, Integrator::Dopri5}) {
    core::StateBatch states(1, 2);
    auto options = continuous(integrator, 0.05);
    options.tol = 1e-10;
    const auto result = engine().run(net, states, options);
    ASSERT_EQ(result.states[0].outcome, Outcome::FixedPoint) << core::to_string(integrator);
    EXPECT_NEAR(states.values[0], 8.0 / 3.0, 2 * options.tol);
    EXPECT_NEAR(states.values[1], 10.0 / 3.0, 2 * options.tol);
    EXPECT_LE(result.states[0].residual, options.tol);
  }
}

TEST_P(ContinuousFixedPoints, ThreeNeuronLinearNetworkWithThresholdMatchesTheHandSolution) {
  // T = [[0, ½, 0], [½, 0, ½], [0, ½, 0]], h = (1, 0, 1), a = ½ → b = (½, −½, ½).
  // (I − T) u = b: by symmetry u1 = u3 = x, x − y/2 = ½ and y − x = −½ → x = ½, y = 0.
  // Eigenvalues of T − I: −1 and −1 ± 1/√2, so ‖J⁻¹‖ = 1 / (1 − 1/√2) < 3.5.
  auto net = dense_network(3, {0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0});
  net.bias = {1.0, 0.0, 1.0};
  net.threshold = 0.5;
  core::StateBatch states(1, 3, 2.0);
  auto options = continuous(Integrator::RK4, 0.05);
  options.tol = 1e-10;
  ASSERT_EQ(engine().run(net, states, options).states[0].outcome, Outcome::FixedPoint);
  EXPECT_NEAR(states.values[0], 0.5, 3.5 * options.tol);
  EXPECT_NEAR(states.values[1], 0.0, 3.5 * options.tol);
  EXPECT_NEAR(states.values[2], 0.5, 3.5 * options.tol);
}

TEST_P(ContinuousFixedPoints, MutuallyExcitingTanhPairSettlesOnTheSymmetricRoot) {
  // T = [[0, 2], [2, 0]], g = tanh: on the diagonal u1 = u2 = x with x = 2 tanh x, whose
  // positive root is found below by bisection to machine precision. The origin is unstable
  // (eigenvalue 2·1 − 1 > 0), so a start in the positive quadrant ends on (x, x).
  // J = −I + T g'(x) has eigenvalues −1 ± 2(1 − tanh² x); the smaller one in modulus is
  // 1 − 2(1 − tanh² x) ≈ 0.83, so ‖J⁻¹‖ < 1.25.
  double lo = 0.5, hi = 3.0;
  for (int k = 0; k < 200; ++k) {
    const double mid = 0.5 * (lo + hi);
    (mid - 2 * std::tanh(mid) < 0 ? lo : hi) = mid;
  }
  const double x = 0.5 * (lo + hi);
  EXPECT_NEAR(x, 1.9150080481545373, 1e-14);  // SciPy brentq, as an independent check
  const auto net = dense_network(2, {0.0, 2.0, 2.0, 0.0}, ActivationKind::Tanh);
  for (auto integrator : {Integrator::Euler, Integrator::RK4, Integrator::Dopri5}) {
    core::StateBatch states(1, 2);
    states.values = {0.3, 0.1};
    auto options = continuous(integrator, 0.05);
    options.tol = 1e-11;
    const auto result = engine().run(net, states, options);
    ASSERT_EQ(result.states[0].outcome, Outcome::FixedPoint) << core::to_string(integrator);
    EXPECT_NEAR(states.values[0], x, 1.25 * options.tol);
    EXPECT_NEAR(states.values[1], x, 1.25 * options.tol);
  }
}

TEST_P(ContinuousFixedPoints, LyapunovEnergyNeverIncreasesForSymmetricWeights) {
  // dE/dt = −Σ g'(u_i) (du_i/dt)² ≤ 0 (Hopfield 1984). Per RK4 step the decrease is
  // ≈ dt Σ g' F² while the integration error in E is O(dt⁵) relative to it, so any increase
  // beyond the rounding of the energy sum (≤ N² ε max|T| per term) would be a defect.
  const int n = 12;
  const core::CounterRng rng{7};
  for (int trial = 0; trial < 5; ++trial) {
    core::DenseMatrix<double> T(n, n);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < i; ++j) {
        T(i, j) = T(j, i) = 2.0 * rng.uniform(core::RngPurpose::Weights, trial, i * n + j) - 1.0;
      }
    }
    core::Network net;
    net.weights = T;
    net.activation = {trial % 2 ? ActivationKind::Logistic : ActivationKind::Tanh, 2.0};
    net.bias.assign(n, 0.1);
    core::StateBatch states(3, n);
    for (std::size_t k = 0; k < states.values.size(); ++k) {
      states.values[k] = 4.0 * rng.uniform(core::RngPurpose::InitialState, trial, k) - 2.0;
    }
    auto options = continuous(Integrator::RK4, 0.01);
    options.max_steps = 2000;
    options.tol = 1e-9;
    options.record_every = 1;
    const auto result = engine().run(net, states, options);
    ASSERT_TRUE(result.energy_defined);
    const auto& e = result.recording.energy;
    const double rounding = n * n * kEps * 4.0;
    for (std::size_t r = 1; r < result.recording.steps.size(); ++r) {
      for (int b = 0; b < 3; ++b) {
        ASSERT_LE(e[r * 3 + b], e[(r - 1) * 3 + b] + rounding) << "trial " << trial;
      }
    }
  }
}

ATTRACTOR_ON_EACH_BACKEND(ContinuousFixedPoints);

// ---------------------------------------------------------------------------------------------
// Two neurons, self-excitation 2 and antisymmetric coupling ±2, g = tanh:
//   du/dt = −u + [[2, −2], [2, 2]] tanh(u).
// At the origin J = [[1, −2], [2, 1]], eigenvalues 1 ± 2i: an unstable focus and the only fixed
// point (checked with SciPy's fsolve from a 21 × 21 grid of starts); the flow is bounded
// (|u̇ + u| ≤ 4), so by Poincaré–Bendixson it has a limit cycle. SciPy's DOP853 at rtol 1e-12
// gives a period of 6.838 (to the 3 decimals its sampling resolves).
class LimitCycles : public test::OnEachBackend {
 protected:
  core::StateResult cycle(Integrator integrator, double dt, double cycle_tol) {
    const auto net = dense_network(2, {2.0, -2.0, 2.0, 2.0}, ActivationKind::Tanh);
    core::StateBatch states(1, 2);
    states.values = {0.1, 0.0};
    auto options = continuous(integrator, dt);
    options.max_steps = 2'000'000;
    options.tol = 1e-9;
    // The cycle closes once successive sections agree to cycle_tol of the orbit's size (~4);
    // the transient left then shifts the period by ≲ cycle_tol · 4 / |u̇| ≈ 2 cycle_tol. The
    // section points are interpolated to ~h⁴|u⁽⁴⁾|/384 (|u⁽⁴⁾| ≲ 4 · 2.2⁴ ≈ 100), which
    // cycle_tol · 4 must exceed: 1e-6 is safe for h = 0.01 (≈ 3e-9), and the larger adaptive
    // steps (h ≈ 0.1, ≈ 3e-5) need 1e-4.
    options.cycle_tol = cycle_tol;
    options.rtol = 1e-9;
    return engine().run(net, states, options).states[0];
  }
};

TEST_P(LimitCycles, AsymmetricPairWithSelfExcitationOscillatesWithTheReferencePeriod) {
  const auto reference = cycle(Integrator::RK4, 0.001, 1e-6);
  ASSERT_EQ(reference.outcome, Outcome::LimitCycle);
  EXPECT_EQ(reference.period, 1);  // one maximum of the section coordinate per turn
  EXPECT_NEAR(reference.period_time, 6.838, 0.0015);

  // RK4 at dt = 0.01: the fastest rate here is |1 ± 2i| ≈ 2.2, so the local error is about
  // (2.2 dt)^5 / 120 ≈ 4e-10 per step, ≲ 3e-7 in phase over a 684-step period; the Hermite
  // section interpolation adds O(dt⁴) ≈ 1e-8. 1e-5 keeps a wide margin over both and still
  // fails a wrong period (or a linear interpolation, off by ~1e-4).
  const auto coarse = cycle(Integrator::RK4, 0.01, 1e-6);
  ASSERT_EQ(coarse.outcome, Outcome::LimitCycle);
  EXPECT_NEAR(coarse.period_time, reference.period_time, 1e-5 * reference.period_time);

  const auto adaptive = cycle(Integrator::Dopri5, 0.01, 1e-4);
  ASSERT_EQ(adaptive.outcome, Outcome::LimitCycle);
  // Dopri5 at rtol 1e-9 integrates far more accurately than that; the closing tolerance
  // dominates: ≲ 2 cycle_tol = 2e-4 in time, 3e-5 of the period.
  EXPECT_NEAR(adaptive.period_time, reference.period_time, 1e-4 * reference.period_time);
}

TEST_P(LimitCycles, DampedSpiralIsAFixedPointNotACycle) {
  // Same rotation, self-excitation 0.5 < 1: the origin is a stable focus. Sections keep
  // appearing while the spiral decays; the cycle test must not mistake them for a cycle.
  const auto net = dense_network(2, {0.5, -2.0, 2.0, 0.5}, ActivationKind::Tanh);
  core::StateBatch states(1, 2);
  states.values = {1.0, 0.0};
  auto options = continuous(Integrator::RK4, 0.01);
  options.tol = 1e-9;
  const auto result = engine().run(net, states, options).states[0];
  EXPECT_EQ(result.outcome, Outcome::FixedPoint);
  EXPECT_NEAR(states.values[0], 0.0, 1e-8);
}

TEST_P(LimitCycles, OscillationWithinTooSmallABudgetIsWandering) {
  const auto net = dense_network(2, {2.0, -2.0, 2.0, 2.0}, ActivationKind::Tanh);
  core::StateBatch states(1, 2);
  states.values = {0.1, 0.0};
  auto options = continuous(Integrator::RK4, 0.01);
  options.max_steps = 300;  // less than half a period
  const auto result = engine().run(net, states, options).states[0];
  EXPECT_EQ(result.outcome, Outcome::Wandering);
  EXPECT_EQ(result.steps, 300);
}

ATTRACTOR_ON_EACH_BACKEND(LimitCycles);

}  // namespace
}  // namespace attractor
