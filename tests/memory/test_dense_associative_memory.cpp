// Dense associative memories (host/memory/dense_associative_memory.hpp): the binary DAM against the
// Hebbian network it generalizes, energy descent of the binary, continuous (Lagrangian) and modern
// (softmax) networks, the Lagrangian's Hessian, one-step softmax retrieval, a capacity beyond 0.138
// N, and bad input. Rounding tolerances come from the arithmetic, integrator tolerances from the
// integrator's own error estimate; every seed is fixed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "attractor/core/philox.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "attractor/host/memory/dense_associative_memory.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "file_fixture.hpp"
#include "test_networks.hpp"

namespace attractor {
namespace {

using core::Outcome;
using Index = std::int64_t;
using Vector = std::vector<double>;
constexpr double kEps = DBL_EPSILON;

const std::vector<Interaction> kInteractions{Interaction::polynomial(2), Interaction::polynomial(3),
                                             Interaction::polynomial(4),
                                             Interaction::exponential()};

Vector row(const core::StateBatch& states, Index b) {
  return {states.state(b), states.state(b) + states.n};
}

// N values uniform in (−scale, scale), stream `stream` of purpose InitialState.
Vector uniform_vector(Index n, double scale, std::uint64_t seed, std::uint32_t stream = 0) {
  const core::CounterRng rng{seed};
  Vector x(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    x[i] = scale * (2.0 * rng.uniform(core::RngPurpose::InitialState, stream, i) - 1.0);
  }
  return x;
}

double max_abs_difference(const Vector& a, const Vector& b) {
  double d = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

double norm(core::ConstSpan<double> x) {
  double sum = 0.0;
  for (const double v : x) sum += v * v;
  return std::sqrt(sum);
}

// V = g(u).
Vector outputs(const Vector& u, const core::Activation& g) {
  Vector V(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) V[i] = core::activate(g.kind, g.gain, u[i]);
  return V;
}

// ---------------------------------------------------------------------------------------------
// The binary DAM.

// F = x²/2 turns the DAM's energy gap into 4 N (T σ)_i with the Hebbian T, and the factored
// Hebbian engine computes (T σ)_i from the same integers exactly, so ties agree too: the two must
// take identical trajectories under the same seeded order. Load 0.19 (past 0.138) from random
// states, so the trajectories flip many bits over several sweeps.
TEST(DenseMemory, DegreeTwoFollowsTheHebbianAsyncTrajectory) {
  const Index n = 64, p = 12, batch = 6;
  const std::uint64_t seed = 7;
  const core::PatternSet patterns = random_patterns(p, n, seed);
  const DenseAssociativeMemory dam(patterns, Interaction::polynomial(2));
  const core::Network hebbian = hebbian_network(patterns, /*factored=*/true);
  const core::StateBatch start = test::random_signs(batch, n, seed);
  CpuEngine engine;
  Index sweeps_seen = 0;
  for (Index sweeps = 1; sweeps <= 12; ++sweeps) {
    core::StateBatch states = start;
    core::RunOptions options;
    options.dynamics = core::Dynamics::DiscreteAsync;
    options.max_steps = sweeps;
    options.seed = seed;
    const core::RunResult expected = engine.run(hebbian, states, options);
    for (Index b = 0; b < batch; ++b) {
      Vector sigma = row(start, b);
      const core::StateResult r = dam.run_async(sigma, sweeps, seed, static_cast<std::uint32_t>(b));
      ASSERT_EQ(sigma, row(states, b)) << "state " << b << " after " << sweeps << " sweeps";
      ASSERT_EQ(r.outcome, expected.states[b].outcome) << "state " << b;
      ASSERT_EQ(r.steps, expected.states[b].steps) << "state " << b;
      sweeps_seen = std::max(sweeps_seen, r.steps);
    }
  }
  EXPECT_GE(sweeps_seen, 3) << "the trajectories should take several sweeps to settle";
}

TEST(DenseMemory, DegreeTwoFollowsTheHebbianSyncTrajectory) {
  const Index n = 64, p = 12, batch = 6;
  const core::PatternSet patterns = random_patterns(p, n, 8);
  const DenseAssociativeMemory dam(patterns, Interaction::polynomial(2));
  core::StateBatch states = test::random_signs(batch, n, 8);
  const core::StateBatch start = states;
  core::RunOptions options;
  options.dynamics = core::Dynamics::DiscreteSync;
  options.max_steps = 50;
  const core::RunResult expected =
      CpuEngine().run(hebbian_network(patterns, true), states, options);
  for (Index b = 0; b < batch; ++b) {
    Vector sigma = row(start, b);
    const core::StateResult r = dam.run_sync(sigma, options.max_steps, options.max_period);
    EXPECT_EQ(sigma, row(states, b)) << "state " << b;
    EXPECT_EQ(r.outcome, expected.states[b].outcome) << "state " << b;
    EXPECT_EQ(r.steps, expected.states[b].steps) << "state " << b;
    EXPECT_EQ(r.period, expected.states[b].period) << "state " << b;
  }
}

// One synchronous step by the definition, in 64-bit integers: σ_i ← sign(E(σ_i = −1) − E(σ_i =
// +1)), E = −Σ_μ m_μⁿ (the 1/n does not change a sign), a zero difference keeping σ_i.
Vector defined_sync_step(const core::PatternSet& xi, const Vector& sigma, int degree) {
  const Index n = xi.n;
  auto pow_int = [degree](std::int64_t x) {
    std::int64_t y = 1;
    for (int k = 0; k < degree; ++k) y *= x;
    return y;
  };
  Vector next = sigma;
  for (Index i = 0; i < n; ++i) {
    std::int64_t gap = 0;
    for (Index mu = 0; mu < xi.count; ++mu) {
      std::int64_t others = 0;  // Σ_{j≠i} ξ^μ_j σ_j
      for (Index j = 0; j < n; ++j) {
        if (j != i) others += xi.pattern(mu)[j] * static_cast<std::int64_t>(sigma[j]);
      }
      gap += pow_int(others + xi.pattern(mu)[i]) - pow_int(others - xi.pattern(mu)[i]);
    }
    if (gap != 0) next[i] = gap > 0 ? 1.0 : -1.0;
  }
  return next;
}

// Synchronous steps (which compute every gap at once from the patterns' bits) against the
// definition, step by step: the gaps are exact integers both ways, so the states must be equal.
// Degrees 3–5 at load 0.5, past their clean recall, so states move for several steps and the
// gaps include zeros (ties) at even N.
TEST(DenseMemory, SynchronousStepsFollowTheDefinitionStateForState) {
  const Index n = 96, p = 48;
  const core::PatternSet patterns = random_patterns(p, n, 21);
  for (const int degree : {3, 4, 5}) {
    const DenseAssociativeMemory dam(patterns, Interaction::polynomial(degree));
    const core::StateBatch start = test::random_signs(4, n, 21);
    for (Index b = 0; b < start.batch; ++b) {
      Vector expected = row(start, b);
      for (Index step = 1; step <= 6; ++step) {
        expected = defined_sync_step(patterns, expected, degree);
        Vector sigma = row(start, b);
        const core::StateResult r = dam.run_sync(sigma, step, 0);
        ASSERT_EQ(sigma, expected) << "degree " << degree << ", state " << b << ", step " << step;
        if (r.outcome == Outcome::FixedPoint) break;
      }
    }
  }
}

// Every flip lowers E = −Σ_μ F(m_μ) by the energy gap itself, which is ≥ 1 (an integer) for the
// polynomials; the test allows only the rounding of two evaluations of the sum of P terms, each
// F(m) = mⁿ/n or eᵐ rounded once or twice: 2 (P + 4) ε Σ_μ |F(m_μ)|. Load 0.75 from random
// states: far past every capacity at this N, so the descent takes many flips.
TEST(DenseMemory, AsyncUpdatesNeverRaiseTheEnergy) {
  const Index n = 40, p = 30;
  const core::PatternSet patterns = random_patterns(p, n, 11);
  for (const Interaction& F : kInteractions) {
    const DenseAssociativeMemory dam(patterns, F);
    const core::StateBatch start = test::random_signs(4, n, 11);
    for (Index b = 0; b < start.batch; ++b) {
      Vector sigma = row(start, b);
      Vector m = dam.overlap_sums(sigma);
      double energy = dam.energy(sigma);
      Index flips = 0;
      bool settled = false;
      for (Index sweep = 0; sweep < 100 && !settled; ++sweep) {
        settled = true;
        for (Index i = 0; i < n; ++i) {
          if (!dam.update(i, sigma, m)) continue;
          settled = false;
          ++flips;
          double magnitude = 0.0;
          for (const double mu : dam.overlap_sums(sigma)) magnitude += std::fabs(F.F(mu));
          const double next = dam.energy(sigma);
          ASSERT_LE(next, energy + 2.0 * (p + 4) * kEps * magnitude)
              << "degree " << F.degree << ", state " << b << ", neuron " << i;
          energy = next;
        }
      }
      EXPECT_TRUE(settled) << "asynchronous descent ends at a fixed point";
      EXPECT_GT(flips, 0);
      // The incremental overlap sums are integers kept exactly.
      EXPECT_EQ(m, dam.overlap_sums(sigma));
    }
  }
}

TEST(DenseMemory, FixedPointsAreStatesNoNeuronWantsToLeave) {
  const Index n = 50, p = 20;
  const core::PatternSet patterns = random_patterns(p, n, 12);
  for (const Interaction& F : kInteractions) {
    const DenseAssociativeMemory dam(patterns, F);
    const auto expect_stable = [&](Vector sigma, const char* how) {
      Vector m = dam.overlap_sums(sigma);
      for (Index i = 0; i < n; ++i) EXPECT_FALSE(dam.update(i, sigma, m)) << how << " " << i;
    };
    const Vector start = row(test::random_signs(1, n, 12), 0);
    Vector async = start, sync = start;
    ASSERT_EQ(dam.run_async(async, 100, 12).outcome, Outcome::FixedPoint);
    expect_stable(async, "async");
    // Synchronous updates may also end in a 2-cycle, which has no such property.
    if (dam.run_sync(sync, 100).outcome == Outcome::FixedPoint) expect_stable(sync, "sync");
  }
}

// ---------------------------------------------------------------------------------------------
// Capacity. Krotov & Hopfield's error-free capacity at N = 100: N/(2 ln N) = 10.9 patterns for the
// Hebbian network, N²/(6 ln N) = 362 for F = x³. At P = 40 (0.4 N, three times AGS's 0.138 N)
// with 10% of the bits flipped, a bit of the cubic DAM sees the signal 6 h² ≈ 6 (0.8 N)² = 3.8e4
// against crosstalk of standard deviation √(P · 36 · 3 N²) = 6.6e3: 5.8σ, an error probability
// of 4e-9 per bit, so every cue is recalled exactly. The Hebbian network at 2.9 α_c has no
// retrieval state. At P = 200 (2 N) the exponential and softmax networks separate the target,
// eʰ with h ≈ 0.8 N = 80, from the best of 199 others, h ≈ 2.6 √N = 26: by e⁵⁴.
TEST(DamCapacity, DenseMemoriesStoreFarMoreThanTheHebbianNetwork) {
  const Index n = 100;
  EXPECT_NEAR(polynomial_capacity(2, n), 100.0 / (2.0 * std::log(100.0)), 1e-12);
  EXPECT_NEAR(polynomial_capacity(3, n), 1e4 / (6.0 * std::log(100.0)), 1e-9);
  DamCapacityParams params;
  params.n = n;
  params.alphas = {0.4, 2.0};
  params.kinds.clear();
  for (const char* name : {"hebbian", "poly3", "exp", "softmax"}) {
    params.kinds.push_back(parse_memory_kind(name, "kind"));
  }
  params.noise = 0.1;
  params.trials = 2;
  params.seed = 5;
  const auto curve = run_dam_capacity(params);
  ASSERT_EQ(curve.size(), 8u);
  auto at = [&](const std::string& kind, double alpha) {
    for (const auto& point : curve) {
      if (point.kind == kind && point.alpha == alpha) return point;
    }
    ADD_FAILURE() << "no point for " << kind << " at " << alpha;
    return DamCapacityPoint{};
  };
  for (const auto& point : curve) {
    std::printf("  %-8s alpha %.1f  P %4lld  retrieved %.3f  exact %.3f  overlap %.4f\n",
                point.kind.c_str(), point.alpha, static_cast<long long>(point.patterns),
                point.retrieval_rate, point.exact_rate, point.mean_overlap);
  }
  ASSERT_GT(at("poly3", 0.4).patterns, 0.138 * n);
  EXPECT_GE(at("poly3", 0.4).exact_rate, 0.99);
  EXPECT_LE(at("hebbian", 0.4).retrieval_rate, 0.1);
  for (const char* kind : {"exp", "softmax"}) {
    EXPECT_GE(at(kind, 2.0).exact_rate, 0.99) << kind;
  }
  EXPECT_LE(at("hebbian", 2.0).retrieval_rate, 0.1);
}

// ---------------------------------------------------------------------------------------------
// The continuous network of Krotov & Hopfield (2021).

// For F = x²/2, F'' = 1: T = Σ_μ ξ^μ ξ^μᵀ at every V, i.e. N times the Hebbian weights
// (hebbian_weights, which divide the integer sums by N once: N fl(k/N) is within εP of k)
// off the diagonal and P on it.
TEST(DenseLagrangian, QuadraticInteractionHasTheHebbianHessian) {
  const Index n = 24, p = 5;
  const core::PatternSet patterns = random_patterns(p, n, 3);
  const LagrangianNetwork net(patterns, Interaction::polynomial(2),
                              {core::ActivationKind::Tanh, 1});
  const core::DenseMatrix<double> hebbian = hebbian_weights(patterns);
  for (const double scale : {0.3, 0.9}) {
    const core::DenseMatrix<double> T = net.hessian(uniform_vector(n, scale, 3));
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < n; ++j) {
        const double expected = i == j ? double(p) : double(n) * hebbian(i, j);
        ASSERT_NEAR(T(i, j), expected, kEps * p) << i << ", " << j;
      }
    }
  }
}

// Column j of T against the central difference (∇Φ(V + ε e_j) − ∇Φ(V − ε e_j)) / 2ε. Error:
// ε²/6 max|∂³_j ∇Φ_i| ≤ ε²/6 Σ_μ max|F''''| within ε of x_μ (zero for n ≤ 3, whose gradient is
// at most quadratic; 6 for n = 4; e^{|x_μ|+ε} for eˣ), plus the rounding of two gradients over
// 2ε: each gradient is Σ_μ ξ^μ_i F'(x_μ) with x_μ a sum of N terms, within
// (N + P + 4) ε Σ_μ (|F'| + |F''| Σ_k |V_k|).
TEST(DenseLagrangian, HessianMatchesFiniteDifferencesOfTheGradient) {
  const Index n = 10, p = 4;
  const core::PatternSet patterns = random_patterns(p, n, 4);
  const double step = 1e-4;
  for (const Interaction& F : kInteractions) {
    const LagrangianNetwork net(patterns, F, {core::ActivationKind::Tanh, 1});
    const Vector V = uniform_vector(n, 0.5, 4);
    const core::DenseMatrix<double> T = net.hessian(V);
    double fourth = 0.0, magnitude = 0.0, norm_v = 0.0;
    for (const double v : V) norm_v += std::fabs(v) + step;
    for (Index mu = 0; mu < p; ++mu) {
      const double far = std::fabs(patterns.overlap(mu, V.data())) * n + step;
      const int k = F.degree;
      fourth += F.kind == Interaction::Kind::Exponential
                    ? std::exp(far)
                    : (k - 1) * (k - 2) * (k - 3) * (k >= 4 ? std::pow(far, k - 4) : 0.0);
      magnitude += std::fabs(F.dF(far)) + std::fabs(F.d2F(far)) * norm_v;
    }
    const double tolerance =
        step * step / 6.0 * fourth + 2.0 * (n + p + 4) * kEps * magnitude / (2.0 * step);
    for (Index j = 0; j < n; ++j) {
      Vector plus = V, minus = V;
      plus[j] += step;
      minus[j] -= step;
      const Vector gp = net.grad_phi(plus), gm = net.grad_phi(minus);
      for (Index i = 0; i < n; ++i) {
        ASSERT_NEAR(T(i, j), (gp[i] - gm[i]) / (2.0 * step), tolerance)
            << "degree " << F.degree << ", " << i << ", " << j;
      }
    }
  }
}

// −Σ_i g'(u_i) v_i² for v = du/dt: the rate at which E falls along the flow.
double energy_rate(const Vector& u, const Vector& v, const core::Activation& g) {
  double rate = 0.0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    rate -= core::activate_slope(g.kind, g.gain, u[i]) * v[i] * v[i];
  }
  return rate;
}

// Bound on the rounding of one evaluation of E: Σ_i (u g − L) and Φ are sums of N and P terms,
// and x_μ = ξ^μ·V sums N terms. core::activate_energy_term forms u g − L for tanh as
// (x tanh x − ln cosh x) / β, x = βu, from terms of size |x| + ln 2, so each neuron contributes
// (2 |x| + 1) / β, not its (possibly tiny) value.
double energy_rounding(const LagrangianNetwork& net, const core::PatternSet& patterns,
                       const Interaction& F, const core::Activation& g, const Vector& u) {
  const Vector V = outputs(u, g);
  double magnitude = 0.0, norm_v = 0.0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    magnitude += (2.0 * std::fabs(g.gain * u[i]) + 1.0) / g.gain;
    norm_v += std::fabs(V[i]);
  }
  for (Index mu = 0; mu < patterns.count; ++mu) {
    const double x = patterns.overlap(mu, V.data()) * static_cast<double>(net.n());
    magnitude += std::fabs(F.F(x)) + std::fabs(F.dF(x)) * norm_v;
  }
  return static_cast<double>(net.n() + patterns.count + 16) * kEps * magnitude;
}

// dE/dt = −Σ g'(u_i) (du_i/dt)² checked on E itself: the central difference of E along v = du/dt
// has error c ε² (plus rounding / ε); Richardson's comparison with ε/2 measures c ε² as
// (4/3) |D(ε) − D(ε/2)|, so the tolerance is twice that plus the rounding of four evaluations.
TEST(DenseLagrangian, EnergyFallsAtTheRateOfTheDynamics) {
  const Index n = 12, p = 3;
  const core::PatternSet patterns = random_patterns(p, n, 5);
  const core::Activation g{core::ActivationKind::Tanh, 0.3};
  for (const Interaction& F : {Interaction::polynomial(2), Interaction::polynomial(3)}) {
    const LagrangianNetwork net(patterns, F, g);
    const Vector u = uniform_vector(n, 2.0, 5);
    const Vector v = net.velocity(u);
    auto difference = [&](double eps) {
      Vector plus = u, minus = u;
      for (Index i = 0; i < n; ++i) {
        plus[i] += eps * v[i];
        minus[i] -= eps * v[i];
      }
      return (net.energy(plus) - net.energy(minus)) / (2.0 * eps);
    };
    double v_max = 0.0;
    for (const double vi : v) v_max = std::max(v_max, std::fabs(vi));
    const double eps = 1e-4 / v_max;
    const double d = difference(eps), d_half = difference(eps / 2);
    const double rounding = energy_rounding(net, patterns, F, g, u);
    const double rate = energy_rate(u, v, g);
    EXPECT_LT(rate, 0.0);
    EXPECT_NEAR(d, rate, 2.0 * (4.0 / 3.0) * std::fabs(d - d_half) + 4.0 * rounding / eps)
        << "degree " << F.degree;
  }
}

// Along an RK4 trajectory E must not rise by more than the integrator's error in E plus rounding.
// The local error δ of a step is estimated by step doubling (one step of dt against two of dt/2:
// their difference is (15/16) δ for a fifth-order local error), and it moves E by at most
// |∇E| |δ|, ∇E = −g'(u) ⊙ du/dt. The step keeps dt (1 + β ‖T‖_F) ≤ 0.1, inside RK4's stability
// region (2.78), where δ ≈ (dt ‖J‖)⁴/120 ≈ 1e-6 of the step: the allowance is checked to be a
// tiny fraction of the total descent, so the test is not vacuous. Each run starts from pattern 0
// with 3 of its 16 signs flipped, scaled to where g is neither linear nor saturated, plus noise.
// The cubic network must end retrieving it; three random patterns of 16 neurons overlap by up to
// 0.5, and the quadratic (Hebbian) network settles in a mixture of them instead.
TEST(DenseLagrangian, EnergyNeverIncreasesAlongRk4Trajectories) {
  const Index n = 16, p = 3;
  const core::PatternSet patterns = random_patterns(p, n, 6);
  const Index kMaxSteps = 40000;
  Vector cue(patterns.pattern(0), patterns.pattern(0) + n);
  for (Index i = 0; i < 3; ++i) cue[i] = -cue[i];
  struct Case {
    Interaction F;
    double beta, dt, scale;
    bool retrieves;
  };
  for (const Case& c : {Case{Interaction::polynomial(2), 0.2, 0.01, 4.0, false},
                        Case{Interaction::polynomial(3), 0.02, 0.002, 60.0, true}}) {
    const core::Activation g{core::ActivationKind::Tanh, c.beta};
    const LagrangianNetwork net(patterns, c.F, g);
    core::RunOptions one_step;
    one_step.integrator = core::Integrator::RK4;
    one_step.dt = c.dt;
    one_step.max_steps = 1;
    one_step.tol = 0.0;
    core::RunOptions two_half_steps = one_step;
    two_half_steps.dt = c.dt / 2;
    two_half_steps.max_steps = 2;

    Vector u = uniform_vector(n, 0.5 * c.scale, 6);
    for (Index i = 0; i < n; ++i) u[i] += c.scale * cue[i];
    const double e0 = net.energy(u);
    double energy = e0, allowance = 0.0;
    Index steps = 0;
    for (; steps < kMaxSteps; ++steps) {
      const Vector v = net.velocity(u);
      if (norm(v) <= 1e-9) break;
      if (steps % 100 == 0) {
        ASSERT_LE(c.dt * (1.0 + c.beta * norm(net.hessian(outputs(u, g)).values)), 0.1)
            << "step " << steps;
      }
      Vector full = u, halves = u, gradient(u.size()), delta(u.size());
      net.integrate(full, one_step);
      net.integrate(halves, two_half_steps);
      for (std::size_t i = 0; i < u.size(); ++i) {
        gradient[i] = core::activate_slope(g.kind, g.gain, u[i]) * v[i];
        delta[i] = (16.0 / 15.0) * (full[i] - halves[i]);
      }
      const double integration = norm(gradient) * norm(delta);
      const double rounding =
          energy_rounding(net, patterns, c.F, g, u) + energy_rounding(net, patterns, c.F, g, full);
      const double next = net.energy(full);
      ASSERT_LE(next, energy + integration + rounding)
          << "degree " << c.F.degree << ", step " << steps;
      allowance += integration + rounding;
      energy = next;
      u = full;
    }
    EXPECT_LT(steps, kMaxSteps) << "degree " << c.F.degree << " did not settle";
    if (c.retrieves) {
      EXPECT_GE(patterns.overlap(0, outputs(u, g).data()), 0.99) << "degree " << c.F.degree;
    }
    const double descent = e0 - energy;
    EXPECT_GT(descent, 0.0);
    EXPECT_LT(allowance, 1e-3 * descent) << "degree " << c.F.degree;
    std::printf("  degree %d: %lld steps, E %.6g -> %.6g, allowance %.3g\n", c.F.degree,
                static_cast<long long>(steps), e0, energy, allowance);
  }
}

// ---------------------------------------------------------------------------------------------
// The modern Hopfield network.

// Rounding of one evaluation of E: lse from P similarities, each a sum of N terms of size |ξ_i|
// (β cancels against the 1/β of lse), ½ ξᵀξ over N terms, and the constants ln P / β and N/2:
// (N + P + 8) ε times the sum of those magnitudes.
double modern_energy_rounding(const Vector& xi, Index p, double beta) {
  double magnitude = 0.5 * static_cast<double>(xi.size()) + (std::log(double(p)) + 1.0) / beta;
  for (const double x : xi) magnitude += 0.5 * x * x + std::fabs(x);
  return static_cast<double>(static_cast<Index>(xi.size()) + p + 8) * kEps * magnitude;
}

// CCCP: E(ξ_{t+1}) ≤ E(ξ_t) up to the rounding of the two evaluations. β = 0.1 at N = 32 makes
// the patterns' basins overlap, so the iteration passes through mixtures for several steps
// instead of jumping to a pattern at once.
TEST(ModernHopfield, EnergyNeverIncreasesPerStep) {
  const Index n = 32, p = 8;
  const double beta = 0.1;
  const core::PatternSet patterns = random_patterns(p, n, 9);
  const ModernHopfield net(patterns, beta);
  Index decreasing_steps = 0;
  for (std::uint32_t start = 0; start < 8; ++start) {
    Vector xi = uniform_vector(n, 1.0, 9, start);
    double energy = net.energy(xi);
    for (int step = 0; step < 50; ++step) {
      const Vector next = net.step(xi);
      const double e = net.energy(next);
      ASSERT_LE(
          e, energy + modern_energy_rounding(xi, p, beta) + modern_energy_rounding(next, p, beta))
          << "start " << start << ", step " << step;
      decreasing_steps += e < energy;
      energy = e;
      xi = next;
    }
  }
  EXPECT_GE(decreasing_steps, 8 * 3) << "the descent should take several steps";
}

// After one step ξ' − ξ^μ = Σ_{ν≠μ} p_ν (ξ^ν − ξ^μ), so |ξ'_i − ξ^μ_i| ≤ 2 Σ_{ν≠μ} p_ν
// ≤ 2 Σ_{ν≠μ} exp(−β (z_μ − z_ν)), z = Xᵀξ for the cue: Ramsauer et al.'s retrieval-error bound
// in its elementary form. With 10% of 64 bits flipped z_μ ≈ 51 against |z_ν| ≲ 20: the bound is
// below 1e-10 at β = 1. Rounding adds 2 P ε (a sum of P terms of size ≤ 1, then normalized). From
// ξ' the separation only grows, so the next step moves the state by at most twice the total.
TEST(ModernHopfield, RetrievesAWellSeparatedPatternInOneStep) {
  const Index n = 64, p = 10;
  const double beta = 1.0;
  const core::PatternSet patterns = random_patterns(p, n, 10);
  const ModernHopfield net(patterns, beta);
  const core::StateBatch cues = noisy_cues(patterns, p, 0.1, 10);
  for (Index mu = 0; mu < p; ++mu) {
    const Vector cue = row(cues, mu);
    double bound = 0.0;
    const double z_mu = patterns.overlap(mu, cue.data()) * n;
    for (Index nu = 0; nu < p; ++nu) {
      const double z_nu = patterns.overlap(nu, cue.data()) * n;
      if (nu != mu) bound += 2.0 * std::exp(-beta * (z_mu - z_nu));
    }
    ASSERT_LT(bound, 1e-10) << "pattern " << mu << " is not well separated from the others";
    const Vector once = net.step(cue);
    Vector target(patterns.pattern(mu), patterns.pattern(mu) + n);
    const double error = bound + 2.0 * static_cast<double>(p) * kEps;
    EXPECT_LE(max_abs_difference(once, target), error) << "pattern " << mu;
    Vector settled = once;
    const core::StateResult r = net.run(settled, 10, 2.0 * error);
    EXPECT_EQ(r.outcome, Outcome::FixedPoint);
    EXPECT_EQ(r.steps, 1) << "the first step is already at the fixed point";
  }
}

// ---------------------------------------------------------------------------------------------
// Bad input.

TEST(DenseMemory, RejectsBadInput) {
  using test::expect_input_error;
  const core::PatternSet good = random_patterns(3, 8, 1);
  core::PatternSet zero = good;
  zero.values[5] = 0;
  core::PatternSet short_values = good;
  short_values.values.pop_back();
  expect_input_error([&] { DenseAssociativeMemory(zero, Interaction::polynomial(3)); }, "patterns",
                     {"+1 and -1"});
  expect_input_error([&] { DenseAssociativeMemory(short_values, Interaction::polynomial(3)); },
                     "patterns", {"shape mismatch", "3 × 8"});
  expect_input_error([&] { DenseAssociativeMemory(good, Interaction::polynomial(1)); }, "F",
                     {"degree", "got 1"});
  expect_input_error(
      [&] {
        DenseAssociativeMemory(core::PatternSet{0, 8, {}}, Interaction{});
      },
      "patterns", {"at least one pattern"});
  const DenseAssociativeMemory dam(good, Interaction::polynomial(3));
  Vector not_signs(8, 1.0);
  not_signs[2] = 0.5;
  expect_input_error([&] { dam.run_async(not_signs, 10, 1); }, "sigma", {"+1 and -1"});
  Vector wrong_size(7, 1.0);
  expect_input_error([&] { dam.run_sync(wrong_size, 10); }, "sigma", {"shape mismatch", "N = 8"});
  Vector nan_state(8, 1.0);
  nan_state[0] = std::nan("");
  expect_input_error([&] { dam.energy(nan_state); }, "sigma", {"+1 and -1"});
  Vector sigma(8, 1.0), m = dam.overlap_sums(sigma);
  expect_input_error([&] { dam.update(8, sigma, m); }, "neuron", {"outside"});
  expect_input_error([&] { dam.run_async(sigma, 0, 1); }, "max_sweeps", {"at least 1"});
}

TEST(ModernHopfield, RejectsBadInput) {
  using test::expect_input_error;
  const core::PatternSet good = random_patterns(3, 8, 1);
  for (const double beta : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    expect_input_error([&] { ModernHopfield(good, beta); }, "beta", {"positive"});
  }
  core::PatternSet bad = good;
  bad.values[0] = 2;
  expect_input_error([&] { ModernHopfield(bad, 1.0); }, "patterns", {"+1 and -1"});
  const ModernHopfield net(good, 1.0);
  Vector xi(8, 0.5);
  xi[3] = std::nan("");
  expect_input_error([&] { net.step(xi); }, "xi", {"NaN"});
  expect_input_error([&] { net.energy(Vector(9, 0.0)); }, "xi", {"shape mismatch"});
}

TEST(DenseLagrangian, RejectsBadInput) {
  using test::expect_input_error;
  const core::PatternSet good = random_patterns(3, 8, 1);
  expect_input_error(
      [&] {
        LagrangianNetwork(good, Interaction{}, {core::ActivationKind::Sign, 1.0});
      },
      "g", {"smooth"});
  expect_input_error(
      [&] {
        LagrangianNetwork(good, Interaction{}, {core::ActivationKind::Tanh, 0.0});
      },
      "g", {"positive"});
  const LagrangianNetwork net(good, Interaction{}, {core::ActivationKind::Tanh, 1.0});
  Vector u(8, 0.1);
  core::RunOptions options;
  options.integrator = core::Integrator::Dopri5;
  expect_input_error([&] { net.integrate(u, options); }, "integrator", {"rk4"});
  u[1] = std::numeric_limits<double>::infinity();
  expect_input_error([&] { net.energy(u); }, "u", {"NaN or Inf"});
  expect_input_error([&] { net.hessian(Vector(3, 0.0)); }, "V", {"shape mismatch"});
}

TEST(DamCapacity, RejectsBadParameters) {
  using test::expect_input_error;
  expect_input_error([] { parse_memory_kind("poly1", "--kinds"); }, "--kinds", {"degree", "got 1"});
  expect_input_error([] { parse_memory_kind("cubic", "--kinds"); }, "--kinds",
                     {"unknown kind 'cubic'"});
  expect_input_error([] { parse_memory_kind("poly", "--kinds"); }, "--kinds", {"unknown kind"});
  EXPECT_EQ(to_string(parse_memory_kind("poly2", "k")), "hebbian");
  EXPECT_EQ(to_string(parse_memory_kind("poly7", "k")), "poly7");
  const auto rejects = [](auto change, const std::string& option, const std::string& word) {
    DamCapacityParams params;
    change(params);
    expect_input_error([&] { params.validate(); }, option, {word});
  };
  rejects([](auto& p) { p.noise = 0.7; }, "--noise", "[0, 0.5]");
  rejects([](auto& p) { p.noise = std::nan(""); }, "--noise", "[0, 0.5]");
  rejects([](auto& p) { p.alphas = {0.1, -1}; }, "--alphas", "positive");
  rejects([](auto& p) { p.alphas = {}; }, "--alphas", "at least one");
  rejects([](auto& p) { p.alphas = {1e9}; }, "--alphas", "2^28");
  rejects([](auto& p) { p.alphas = {0.001}; }, "--alphas", "no pattern");
  rejects([](auto& p) { p.trials = 0; }, "--trials", "[1, 10000]");
  rejects([](auto& p) { p.beta = 0; }, "--beta", "positive");
  rejects([](auto& p) { p.n = 1; }, "--n", "got 1");
  rejects([](auto& p) { p.cues = 0; }, "--cues", "[1, 1000000]");
  rejects([](auto& p) { p.kinds = {}; }, "--kinds", "at least one");
  rejects([](auto& p) { p.kinds.push_back(p.kinds.front()); }, "--kinds", "twice");
  rejects([](auto& p) { p.dynamics = core::Dynamics::Continuous; }, "--dynamics",
          "discrete-sync or discrete-async");
}

}  // namespace
}  // namespace attractor
