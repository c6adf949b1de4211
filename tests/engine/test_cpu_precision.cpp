// The CPU engine in float32 against float64, with every tolerance derived from the arithmetic the
// engine documents (attractor::CpuEngine): float32 weights and states, sparse sums and integrator
// stages in float64, dense products in Eigen's float32 GEMM.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "attractor/core/philox.hpp"
#include "attractor/host/engine/cpu_engine.hpp"
#include "engine/cpu_kernels.hpp"
#include "test_networks.hpp"

namespace attractor {
namespace {

using core::Dynamics;
using core::Precision;
constexpr double kUnit32 = 0x1p-24;  // float32's unit roundoff

// A random asymmetric n × n matrix with about `per_row` entries per row, uniform in
// [−scale, scale): values that float32 does not hold exactly.
core::DenseMatrix<double> random_weights(std::int64_t n, std::int64_t per_row, double scale,
                                         std::uint64_t seed) {
  const core::CounterRng rng{seed};
  core::DenseMatrix<double> T(n, n);
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      const auto index = static_cast<std::uint64_t>(i * n + j);
      if (i == j || rng.below(core::RngPurpose::Weights, 0, index, static_cast<std::uint32_t>(n)) >=
                        static_cast<std::uint32_t>(per_row)) {
        continue;
      }
      T(i, j) = scale * (2.0 * rng.uniform(core::RngPurpose::Weights, 1, index) - 1.0);
    }
  }
  return T;
}

core::DenseMatrix<double> rounded_to_float(core::DenseMatrix<double> T) {
  for (double& v : T.values) v = static_cast<float>(v);
  return T;
}

// Σ_j |T_ij| for each row.
std::vector<double> abs_row_sums(const core::DenseMatrix<double>& T) {
  std::vector<double> sums(static_cast<std::size_t>(T.rows), 0.0);
  for (std::int64_t i = 0; i < T.rows; ++i) {
    for (std::int64_t j = 0; j < T.cols; ++j) sums[i] += std::fabs(T(i, j));
  }
  return sums;
}

core::RunResult run(Precision precision, const core::Network& net, core::StateBatch& states,
                    const core::RunOptions& options) {
  return CpuEngine(precision).run(net, states, options);
}

// Runs `states` on net32 in float32 and on net64 in float64, and expects the same run: outcomes,
// steps, periods and final states, bit for bit.
void expect_same_run(const core::Network& net32, const core::Network& net64,
                     const core::RunOptions& options, const core::StateBatch& states) {
  auto s32 = states;
  auto s64 = states;
  const auto a = run(Precision::Float32, net32, s32, options);
  const auto b = run(Precision::Float64, net64, s64, options);
  ASSERT_EQ(a.states.size(), b.states.size());
  for (std::size_t s = 0; s < a.states.size(); ++s) {
    EXPECT_EQ(a.states[s].outcome, b.states[s].outcome) << "state " << s;
    EXPECT_EQ(a.states[s].steps, b.states[s].steps) << "state " << s;
    EXPECT_EQ(a.states[s].period, b.states[s].period) << "state " << s;
  }
  EXPECT_EQ(s32.values, s64.values);
}

// Sparse float32 sums the float32-rounded weights in float64 in the order float64 sums them, and
// ±1 states are exact in float32: every field, hence every discrete trajectory (sign, heat bath,
// synchronous or asynchronous), is the float64 one of the rounded weights, bit for bit.
TEST(CpuPrecision, SparseFloat32IsFloat64OfTheRoundedWeightsStateForState) {
  const std::int64_t n = 500;
  const auto T = random_weights(n, 40, 1.0, 3);
  std::vector<double> h(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) h[i] = 0.01 * static_cast<double>(i % 7) - 0.03;
  const auto net32 = test::sign_network(test::to_csr(T), h, 0.02);
  const auto net64 = test::sign_network(test::to_csr(rounded_to_float(T)), h, 0.02);
  for (const Dynamics d : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync, Dynamics::GlauberSync,
                           Dynamics::GlauberAsync}) {
    SCOPED_TRACE(to_string(d));
    core::RunOptions options;
    options.dynamics = d;
    options.max_steps = 30;
    options.temperature = 0.3;
    options.seed = 11;
    expect_same_run(net32, net64, options, test::random_signs(7, n, 5));
  }
}

// Weights stored in float32 are the float64 network's weights rounded: a float32 run reads them in
// place and must be the float32 run of the float64 network (which rounds the same values into
// its own copy), and a float64 run widens them exactly, so it must be the float64 run of the
// rounded weights — bit for bit, sparse and dense (B = 1 and B = 5: the dense product's two
// paths), discrete and continuous.
TEST(CpuPrecision, Float32StoredWeightsRunAsTheirRoundedFloat64Values) {
  const std::int64_t n = 300;
  const auto T = random_weights(n, 25, 0.03, 13);
  const core::CounterRng rng{14};
  for (const bool dense : {false, true}) {
    SCOPED_TRACE(dense ? "dense" : "sparse");
    auto stored32 = test::sign_network(
        dense ? core::Weights{core::to_float32(core::DenseMatrix<double>(T), "test")}
              : core::Weights{core::to_float32(test::to_csr(T), "test")});
    auto original = test::sign_network(dense ? core::Weights{T} : core::Weights{test::to_csr(T)});
    const auto R = rounded_to_float(T);
    auto rounded = test::sign_network(dense ? core::Weights{R} : core::Weights{test::to_csr(R)});
    for (const Dynamics d :
         {Dynamics::DiscreteSync, Dynamics::DiscreteAsync, Dynamics::Continuous}) {
      for (const std::int64_t batch : {1, 5}) {
        SCOPED_TRACE(std::string(to_string(d)) + ", B = " + std::to_string(batch));
        const bool continuous = d == Dynamics::Continuous;
        for (auto* net : {&stored32, &original, &rounded}) {
          net->activation = {continuous ? core::ActivationKind::Tanh : core::ActivationKind::Sign,
                             2.0};
        }
        core::RunOptions options;
        options.dynamics = d;
        options.max_steps = continuous ? 40 : 30;
        options.integrator = core::Integrator::RK4;
        options.tol = 0.0;
        options.seed = 15;
        core::StateBatch start = test::random_signs(batch, n, 16);
        if (continuous) {
          for (std::int64_t e = 0; e < batch * n; ++e) {
            start.values[e] = 2.0 * rng.uniform(core::RngPurpose::InitialState, 0, e) - 1.0;
          }
        }
        for (const Precision p : {Precision::Float32, Precision::Float64}) {
          auto a = start;
          auto b = start;
          run(p, stored32, a, options);
          run(p, p == Precision::Float32 ? original : rounded, b, options);
          EXPECT_EQ(a.values, b.values) << to_string(p);
          // Not vacuous: the states moved.
          EXPECT_NE(a.values, start.values) << to_string(p);
        }
      }
    }
  }
}

// Dense float32 sums in float32 (Eigen's GEMM): a field is off from the float64 one by at most
// (u + γ_N) Σ_j |T_ij| (u: the rounding of T; γ_N = N u / (1 − N u): any order of N float32
// additions of terms bounded by |T_ij|). Where every field of the float64 trajectory clears that
// bound, the float32 trajectory is the same.
TEST(CpuPrecision, DenseFloat32FollowsFloat64WhereEveryFieldClearsItsRoundingBound) {
  const std::int64_t n = 64, batch = 4, steps = 12;
  const auto T = random_weights(n, n, 1.0, 8);
  const auto net = test::sign_network(T);
  const auto row_abs = abs_row_sums(T);
  const double nu = static_cast<double>(n) * kUnit32;
  const double factor = kUnit32 + nu / (1.0 - nu);
  core::RunOptions options;
  options.max_steps = steps;
  options.record_every = 1;
  options.record_states = true;
  const auto initial = test::random_signs(batch, n, 2);
  auto s64 = initial;
  const auto r64 = run(Precision::Float64, net, s64, options);
  // The precondition, checked on the float64 trajectory: no field within its bound of zero.
  const auto& rec = r64.recording;
  double closest = std::numeric_limits<double>::infinity();
  for (std::size_t r = 0; r < rec.steps.size(); ++r) {
    for (std::int64_t b = 0; b < batch; ++b) {
      const double* s = rec.states.data() + (r * batch + b) * n;
      for (std::int64_t i = 0; i < n; ++i) {
        double f = 0.0;
        for (std::int64_t j = 0; j < n; ++j) f += T(i, j) * s[j];
        closest = std::min(closest, std::fabs(f) / (factor * row_abs[i]));
      }
    }
  }
  ASSERT_GT(closest, 1.0) << "a field of this trajectory is within rounding of zero";
  expect_same_run(net, net, options, initial);
}

// Factored Hebbian fields are integer sums: exact in either precision.
TEST(CpuPrecision, FactoredWeightsGiveTheSameRunInBothPrecisions) {
  const std::int64_t n = 400, p = 12;
  const core::CounterRng rng{4};
  core::FactoredWeights w;
  w.patterns.count = p;
  w.patterns.n = n;
  for (std::int64_t e = 0; e < p * n; ++e) {
    w.patterns.values.push_back(rng.sign(core::RngPurpose::Patterns, 0, e) > 0 ? 1 : -1);
  }
  const auto net = test::sign_network(w);
  for (const Dynamics d : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync}) {
    core::RunOptions options;
    options.dynamics = d;
    options.max_steps = 40;
    expect_same_run(net, net, options, test::random_signs(6, n, 9));
  }
}

// float32 runs take tanh and the logistic from cpu::activate, which documents its float64 value
// within 2^15 ε of the exact one (tanh; 6 ε for the logistic): the float32 result must lie within
// half an ulp plus that of libm's value (itself within an ulp of float64), hence never more than
// one float32 ulp from libm's value rounded — over magnitudes from 1e-12 to saturation, both
// signs, two gains, and the edges (0, the series threshold 2^-13, ±∞, NaN). (They may round
// differently where the value sits on a rounding boundary: at gain 2.5, tanh(2.5 u) ≈ 2.5 u is
// often exactly half-way between two floats, and libm's float64 tanh is itself an ulp off there.)
TEST(CpuPrecision, Float32ActivationsAreWithinTheirDerivedBoundOfLibm) {
  constexpr double kEps64 = 0x1p-53;
  const core::CounterRng rng{31};
  std::vector<float> u;
  for (std::uint64_t k = 0; k < 200'000; ++k) {
    const double magnitude =
        std::pow(10.0, -12.0 + 13.5 * rng.uniform(core::RngPurpose::Samples, 0, k));
    u.push_back(static_cast<float>(rng.uniform(core::RngPurpose::Samples, 1, k) < 0.5 ? -magnitude
                                                                                      : magnitude));
  }
  for (const double edge : {0.0, 0x1p-13, 0x1.0000000000001p-13, 0x1.fffffep-14, 1e-45, 20.0}) {
    u.push_back(static_cast<float>(edge));
    u.push_back(static_cast<float>(-edge));
  }
  u.push_back(std::numeric_limits<float>::infinity());
  u.push_back(-std::numeric_limits<float>::infinity());
  for (const auto kind : {core::ActivationKind::Tanh, core::ActivationKind::Logistic}) {
    const double relative = kind == core::ActivationKind::Tanh ? 0x1p15 * kEps64 : 6.0 * kEps64;
    for (const double gain : {1.0, 2.5}) {
      SCOPED_TRACE(std::string(core::to_string(kind)) + ", gain " + std::to_string(gain));
      std::vector<float> v(u.size());
      cpu::activate(kind, gain, u.data(), v.data(), static_cast<std::int64_t>(u.size()));
      for (std::size_t k = 0; k < u.size(); ++k) {
        const double exact = core::activate(kind, gain, static_cast<double>(u[k]));
        const auto rounded = static_cast<float>(exact);
        const double ulp = std::nextafter(std::fabs(rounded), INFINITY) - std::fabs(rounded);
        const double bound = 0.5 * ulp + (relative + 2.0 * kEps64) * std::fabs(exact);
        ASSERT_LE(std::fabs(static_cast<double>(v[k]) - exact), bound) << "u = " << u[k];
        ASSERT_LE(std::fabs(static_cast<double>(v[k]) - static_cast<double>(rounded)), ulp)
            << "u = " << u[k];
      }
      float nan = std::numeric_limits<float>::quiet_NaN(), out = 0.0f;
      cpu::activate(kind, gain, &nan, &out, 1);
      EXPECT_TRUE(std::isnan(out));
    }
  }
}

// Continuous Euler, u ← u + h (T g(u) − u + b), with ‖T‖∞ β < 1: the float64 map is a
// contraction of rate L = 1 − h + h ‖T‖∞ β in the max norm, so the float32 run's rounding
// errors, at most δ per step, stay within u |u₀| + δ / (1 − L) of the float64 run. Per step
// float32 rounds T (≤ u ‖T‖∞ G in the field, G = max |g|), takes g(u) within one ulp (≤ 2 u ‖T‖∞
// G, cpu::activate), rounds the stage k (≤ u K, K ≥ |k|) and the new state (≤ u U, U ≥ |u|):
// δ = u (U + h (3 ‖T‖∞ G + K)). Dense products add float32 accumulation, γ_N ‖T‖∞ G in the field.
TEST(CpuPrecision, ContinuousEulerStaysWithinTheDerivedBoundOfFloat64) {
  const std::int64_t n = 400, batch = 3;
  const double beta = 1.5, h = 0.1, bias = 0.3;
  const auto T = random_weights(n, 30, 0.02, 6);
  const auto row_abs = abs_row_sums(T);
  const double norm = *std::max_element(row_abs.begin(), row_abs.end());
  ASSERT_LT(norm * beta, 1.0);
  const double U = 2.0 * (norm + bias);  // |u| ≤ max(|u₀|, ‖T‖∞ G + |b|) with |u₀| ≤ 1
  const double K = norm + U + bias;
  const double L = 1.0 - h + h * norm * beta;
  const double nu = static_cast<double>(n) * kUnit32;
  for (const bool dense : {false, true}) {
    SCOPED_TRACE(dense ? "dense" : "sparse");
    core::Network net;
    if (dense) {
      net.weights = T;
    } else {
      net.weights = test::to_csr(T);
    }
    net.bias.assign(static_cast<std::size_t>(n), bias);
    net.activation = {core::ActivationKind::Tanh, beta};
    const double field_error = (3.0 + (dense ? nu / (1.0 - nu) / kUnit32 : 0.0)) * norm;
    const double delta = kUnit32 * (U + h * (field_error + K));
    const double bound = kUnit32 * 1.0 + delta / (1.0 - L);
    core::RunOptions options;
    options.dynamics = Dynamics::Continuous;
    options.integrator = core::Integrator::Euler;
    options.dt = h;
    options.max_steps = 200;
    options.tol = 0.0;
    const core::CounterRng rng{12};
    core::StateBatch s64(batch, n);
    for (std::int64_t e = 0; e < batch * n; ++e) {
      s64.values[e] = 2.0 * rng.uniform(core::RngPurpose::InitialState, 0, e) - 1.0;
    }
    auto s32 = s64;
    run(Precision::Float64, net, s64, options);
    run(Precision::Float32, net, s32, options);
    double worst = 0.0;
    for (std::size_t e = 0; e < s64.values.size(); ++e) {
      ASSERT_LE(std::fabs(s64.values[e]), U);
      worst = std::max(worst, std::fabs(s32.values[e] - s64.values[e]));
    }
    EXPECT_LE(worst, bound);
    // Not vacuous: float32 does differ from float64 here.
    EXPECT_GT(worst, 0.0);
  }
}

}  // namespace
}  // namespace attractor
