// Storage capacity of the Hebbian Hopfield network, measured with run_capacity (each stored
// pattern is its own initial state, asynchronous updates) and compared with the replica theory of
// Amit, Gutfreund & Sompolinsky (AGS; Phys. Rev. Lett. 55, 1530 (1985); Ann. Phys. 173, 30
// (1987)).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "attractor/host/memory/recall.hpp"
#include "engine_backends.hpp"

namespace attractor {
namespace {

constexpr double kPi = 3.14159265358979323846;

// AGS at zero temperature, replica symmetric: the retrieval state has overlap m = erf(y) where,
// with C = 2y e^{−y²} / (√π m) (the susceptibility term) and r = (1 − C)^{−2},
//   y = m / √(2 α r)   ⇔   α(y) = [m (1 − C) / (√2 y)]².
// α(y) rises to its maximum α_c ≈ 0.138 at y_c ≈ 1.51 (m_c ≈ 0.967) and the retrieval branch is
// y > y_c, on which α falls as y grows; past α_c there is no retrieval solution.
double ags_load(double y) {
  const double m = std::erf(y);
  const double C = 2.0 * y * std::exp(-y * y) / (std::sqrt(kPi) * m);
  const double root = m * (1.0 - C) / (std::sqrt(2.0) * y);
  return root * root;
}

struct AgsPoint {
  double y, alpha, m;
};

// The maximum of α(y) by golden-section search on [1, 3] (α is unimodal there).
AgsPoint ags_critical_point() {
  const double g = (std::sqrt(5.0) - 1.0) / 2.0;
  double lo = 1.0, hi = 3.0;
  for (int k = 0; k < 200; ++k) {
    const double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    if (ags_load(a) < ags_load(b)) {
      lo = a;
    } else {
      hi = b;
    }
  }
  const double y = 0.5 * (lo + hi);
  return {y, ags_load(y), std::erf(y)};
}

// m(α) on the retrieval branch (α < α_c), by bisection in y > y_c.
double ags_retrieval_overlap(double alpha) {
  double lo = ags_critical_point().y, hi = 6.0;
  for (int k = 0; k < 200; ++k) {
    const double mid = 0.5 * (lo + hi);
    (ags_load(mid) > alpha ? lo : hi) = mid;
  }
  return std::erf(0.5 * (lo + hi));
}

// Where a piecewise-linear curve through (x_k, f_k) first falls through `level`.
double first_crossing(const std::vector<double>& x, const std::vector<double>& f, double level) {
  for (std::size_t k = 1; k < x.size(); ++k) {
    if (f[k - 1] >= level && f[k] < level) {
      return x[k - 1] + (x[k] - x[k - 1]) * (f[k - 1] - level) / (f[k - 1] - f[k]);
    }
  }
  return std::nan("");
}

void print(const std::vector<CapacityPoint>& curve) {
  std::printf("  alpha     P  mean overlap  stddev  retrieval rate  mean sweeps   AGS m(alpha)\n");
  const double alpha_c = ags_critical_point().alpha;
  for (const auto& p : curve) {
    std::printf(
        "  %.3f  %4lld  %12.4f  %6.4f  %14.4f  %11.2f   %s\n", p.alpha,
        static_cast<long long>(p.patterns), p.mean_overlap, p.overlap_stddev, p.retrieval_rate,
        p.mean_steps,
        p.alpha < alpha_c ? std::to_string(ags_retrieval_overlap(p.alpha)).c_str() : "(none)");
  }
}

class Capacity : public test::OnEachBackend {};

TEST_P(Capacity, LowLoadPatternsAreAllStable) {
  // A stored pattern's bit i sees the signal 1 plus crosstalk Σ_{ν≠μ} ξ^μ_i ξ^ν_i m^ν ≈ N(0, α),
  // so it is unstable with probability Φ(−1/√α) = 3.9e-6 at α = 0.05: 0.004 bits per pattern of
  // N = 1000. Missing the match (m < 0.95) would take 25 wrong bits, i.e. an avalanche, which the
  // deep retrieval minimum this far below α_c does not allow: every pattern is retrieved.
  CapacityParams params;
  params.n = 1000;
  params.alphas = {0.05};
  params.trials = 8;
  params.dynamics = core::Dynamics::DiscreteAsync;
  const auto curve = run_capacity(params, engine());
  print(curve);
  EXPECT_EQ(curve[0].retrieval_rate, 1.0);
  // Mean wrong bits per pattern ≈ 0.004 (0.4 would already be 100 times the estimate).
  EXPECT_GE(curve[0].mean_overlap, 1.0 - 2.0 * 0.4 / 1000.0);
}

TEST_P(Capacity, RetrievalCollapsesNearTheTheoreticalLoad) {
  const AgsPoint critical = ags_critical_point();
  ASSERT_NEAR(critical.alpha, 0.1379, 1e-4);  // the textbook α_c = 0.138, m_c = 0.967
  ASSERT_NEAR(critical.m, 0.9674, 1e-4);

  // N = 1000, asynchronous updates (the setting of the theory). Near α_c the network-to-network
  // spread dominates: over 12 networks (seeds 101–112) the per-network mean overlap at α = 0.16
  // has σ_net = 0.034 and the retrieval rate 0.049, where the curves fall by 14 and 19 per unit
  // α; 12 networks per load put both crossings below to ±0.0007 (one standard error).
  // Past 0.18 every network collapses alike and 2 suffice; they are also the costly loads
  // (~28 sweeps a pattern).
  const std::int64_t n = 1000, kTrials = 12;
  CapacityParams params;
  params.n = n;
  params.dynamics = core::Dynamics::DiscreteAsync;
  params.alphas = {0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18};
  params.trials = kTrials;
  params.seed = 1;
  auto curve = run_capacity(params, engine());
  params.alphas = {0.20, 0.22};
  params.trials = 2;
  params.seed = 2;  // other networks than the first call's
  for (const auto& point : run_capacity(params, engine())) curve.push_back(point);
  print(curve);

  std::vector<double> alpha, overlap, rate;
  for (const auto& p : curve) {
    alpha.push_back(p.alpha);
    overlap.push_back(p.mean_overlap);
    rate.push_back(p.retrieval_rate);
  }

  // 1. Well below α_c the dynamics stop in the retrieval state, whose overlap AGS predict:
  //    m(0.06) = 0.99995, m(0.08) = 0.9996, m(0.10) = 0.9980. Tolerance: 4 standard errors of
  //    the mean over the P·trials patterns plus 2/N (one wrong bit per pattern), the resolution
  //    below which finite-N detail (which bits, O(N^{-1/2}) fluctuations of the crosstalk
  //    variance) is beyond an N → ∞ theory.
  for (const auto& p : curve) {
    if (p.alpha > 0.10) continue;
    const double count = static_cast<double>(p.patterns * kTrials);
    const double tolerance =
        4.0 * p.overlap_stddev / std::sqrt(count) + 2.0 / static_cast<double>(n);
    EXPECT_NEAR(p.mean_overlap, ags_retrieval_overlap(p.alpha), tolerance) << "alpha " << p.alpha;
    EXPECT_GE(p.mean_overlap, 0.95) << "alpha " << p.alpha;
    // Retrieval fails only through an avalanche, which needs the retrieval minimum to vanish.
    EXPECT_GE(p.retrieval_rate, 0.99) << "alpha " << p.alpha;
  }

  // 2. Far past α_c (α ≥ 0.20 ≈ 1.45 α_c) there is no retrieval state: the dynamics run off to a
  //    spin-glass state that keeps only a remanent overlap with the pattern (≈ 0.3–0.4 at
  //    N = 1000), far below the 0.967 the retrieval state would have even at α_c. 0.6 lies
  //    between, ten standard errors or more from both (per pattern σ ≈ 0.1–0.15 over 400
  //    patterns, network spread ≲ 0.03 over 2 networks: ≲ 0.02).
  for (const auto& p : curve) {
    if (p.alpha < 0.20) continue;
    EXPECT_LE(p.mean_overlap, 0.6) << "alpha " << p.alpha;
    EXPECT_LE(p.retrieval_rate, 0.1) << "alpha " << p.alpha;
  }

  // 3. The collapse is located near α_c. At N = ∞ the mean overlap jumps at α_c = 0.138; at
  //    finite N the jump is smoothed and shifted up, since a finite network near the vanishing
  //    retrieval minimum still finds a nearby fixed point before it drifts away. Runs of this
  //    protocol outside this test put the midpoint of the drop at α = 0.178 (N = 500, 16
  //    networks) and 0.158 (N = 2000, 1 network), and the load where half of the patterns are
  //    still retrieved (the median capacity) at 0.169 and 0.155: both approach α_c as
  //    ≈ (0.7–0.9)/√N, extrapolating to 0.136–0.141 at N = ∞, so at N = 1000 they are expected
  //    at α_c + 0.022–0.028 ≈ 0.160–0.166. The window asserted is [α_c, α_c + 1/√N] =
  //    [0.138, 0.170]: above the infinite-N capacity and below a shift of 1/√N, which the other
  //    sizes' c = 0.7–0.9 stays under. Linear interpolation on the 0.02 grid moves the crossings
  //    by ≈ 0.0005 (compared with a 0.01 grid). Measured at N = 1000: 0.1662 and 0.1594 on
  //    seeds 101–112, 0.1676 and 0.1598 here; the midpoint is the tight one, 0.002–0.003
  //    (3–4 standard errors) below the top.
  const double midpoint = 0.5 * (overlap.front() + overlap.back());
  const double alpha_mid = first_crossing(alpha, overlap, midpoint);
  const double alpha_half = first_crossing(alpha, rate, 0.5);
  std::printf("  mean overlap crosses %.3f at alpha = %.4f; retrieval rate crosses 0.5 at %.4f\n",
              midpoint, alpha_mid, alpha_half);
  const double window_top = critical.alpha + 1.0 / std::sqrt(static_cast<double>(n));
  EXPECT_GE(alpha_mid, critical.alpha);
  EXPECT_LE(alpha_mid, window_top);
  EXPECT_GE(alpha_half, critical.alpha);
  EXPECT_LE(alpha_half, window_top);
}

ATTRACTOR_ON_EACH_BACKEND(Capacity);

}  // namespace
}  // namespace attractor
