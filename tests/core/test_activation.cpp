// core::activate and its companions (slope, inverse, inverse integral, energy term) checked
// against one another and against closed forms. Every tolerance is a first-order rounding or
// truncation bound derived in the comment next to it, never a value tuned to pass.
//
// Error model used throughout. ε = DBL_EPSILON = 2⁻⁵²; one ulp of y is at most ε|y|; a correctly
// rounded + − × ÷ errs by at most (ε/2)·|result|. glibc's published worst cases for the libm
// calls used here on x86-64 (manual, "Known Maximum Errors in Math Functions") are 1–2 ulp; we
// assume 2 ulp, i.e. relative error ≤ 2ε, for every one of tanh, atanh, exp, log, log1p.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "attractor/core/activation.hpp"
#include "attractor/core/error.hpp"

namespace {

using attractor::core::activate;
using attractor::core::activate_energy_term;
using attractor::core::activate_inverse;
using attractor::core::activate_inverse_integral;
using attractor::core::activate_slope;
using attractor::core::ActivationKind;

constexpr double kEps = DBL_EPSILON;
const double kLn2 = std::log(2.0);

constexpr ActivationKind kSmoothKinds[] = {ActivationKind::Tanh, ActivationKind::Logistic,
                                           ActivationKind::Linear};
constexpr double kGains[] = {0.5, 1.0, 3.0};

// Calls body(kind, gain) for every smooth kind and gain, naming the pair in failure messages.
template <typename Body>
void for_each_kind_and_gain(Body body) {
  for (const ActivationKind kind : kSmoothKinds) {
    for (const double gain : kGains) {
      SCOPED_TRACE(std::string(attractor::core::to_string(kind)) +
                   ", gain = " + std::to_string(gain));
      body(kind, gain);
    }
  }
}

// Forward error of V = g(u): |V̂ − V| ≤ 3ε|V|. tanh: one libm call, 2ε. Logistic 1/(1 + e⁻ˣ):
// exp 2ε gives 1 + e⁻ˣ a relative error ≤ 2ε·e⁻ˣ/(1 + e⁻ˣ) + ε/2 ≤ 2.5ε, the division ε/2 more.
// Linear: one product, ε/2.
constexpr double kForwardRelError = 3 * kEps;

// Bound on |ĝ⁻¹(V) − g⁻¹(V)| from evaluating g⁻¹ at a representable V: tanh atanh(v)/β is
// 2ε + ε/2 relative; logistic log(v/(1 − v))/β: 1 − v is exact for v ≥ ½ (Sterbenz) and ε/2
// otherwise, the quotient ε/2 more, so the log's argument is off by ≤ ε relative, which is ≤ ε
// absolute in the log; the log itself adds 2ε|log| and the division by β ε/2 relative:
// (ε + 2.5ε|βu|)/β. Linear: ε/2 relative. All are ≤ 3ε(|g⁻¹(V)| + 1/β).
double inverse_eval_error(double u, double gain) { return 3 * kEps * (std::fabs(u) + 1 / gain); }

// sup |g'''| over the real line, in units of β³: tanh'''(x) = −2 sech²x (1 − 3 tanh²x) peaks at
// |−2| at x = 0; the logistic's σ''' = σ(1 − σ)(1 − 6σ(1 − σ)) peaks at |¼·(1 − 6/4)| = 1/8 at
// x = 0; the linear map has none.
double third_derivative_bound(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::Tanh: return 2.0;
    case ActivationKind::Logistic: return 0.125;
    default: return 0.0;
  }
}

// The magnitude against which evaluating G(V) = activate_inverse_integral rounds: the sum of
// the absolute values of its closed form's terms, each from at most one 2ε libm call, one ε/2
// product, and ≤ 2 sums (ε/2 each of a partial sum ≤ S) and the division by β (ε/2): 4ε·S in
// all. Two terms are ill-conditioned in their arguments and add their own entry to S:
//  tanh  ½ log1p(−a²): a² carries ε/2 relative error, which log1p turns into ½·(ε/2)·a²/(1 − a²);
//  logistic (1 − v) log(1 − v): for v < ½, 1 − v rounds (ε/2), shifting the log by ε/2, times
//        (1 − v) ≤ 1.
double inverse_integral_error(ActivationKind kind, double gain, double v) {
  double sum_of_terms = 0;
  switch (kind) {
    case ActivationKind::Tanh: {
      const double a = std::fabs(v);
      if (a >= 1) return 4 * kEps * kLn2 / gain;
      sum_of_terms = a * std::atanh(a) + 0.5 * std::fabs(std::log1p(-a * a)) + a * a / (1 - a * a);
      break;
    }
    case ActivationKind::Logistic: {
      const double xlogx_v = v > 0 ? std::fabs(v * std::log(v)) : 0.0;
      const double xlogx_w = v < 1 ? std::fabs((1 - v) * std::log(1 - v)) : 0.0;
      sum_of_terms = xlogx_v + xlogx_w + kLn2 + 1;
      break;
    }
    default: sum_of_terms = 0.5 * v * v; break;
  }
  return 4 * kEps * sum_of_terms / gain;
}

// The same for the u-form activate_energy_term, x = βu: tanh [tanh(x)·x − (|x| + log1p(e^{−2|x|})
// − ln 2)]/β and logistic [x/(1 + e⁻ˣ) − (max(x, 0) + log1p(e^{−|x|})) + ln 2]/β have terms of
// magnitude ≤ |x|, ≤ |x|, ≤ ln 2, ≤ ln 2, so S ≤ (2|x| + 2)/β; each term passes through at most
// two 2ε libm calls and a product, and the ≤ 3 sums add ε/2 of S each: 4ε·S covers it (the
// tanh(x)·x term, 2.5ε|x|, is the largest single contribution). Linear βu²/2: 1.5ε relative.
double energy_term_error(ActivationKind kind, double gain, double u) {
  const double x = std::fabs(gain * u);
  if (kind == ActivationKind::Linear) return 4 * kEps * 0.5 * gain * u * u;
  return 4 * kEps * (2 * x + 2) / gain;
}

// u values with |βu| ≤ x_max, spread so that none is a round number (the tests must not lean on
// exactly representable arguments unless they say so).
std::vector<double> spread_u(double gain, double x_max, int count) {
  std::vector<double> u;
  for (int k = 0; k <= count; ++k) {
    u.push_back((-x_max + 2 * x_max * (k + 0.3183098861837907) / (count + 1)) / gain);
  }
  return u;
}

// g⁻¹(g(u)) = u. To first order the forward error δV ≤ 3ε|V| becomes δu = δV/g'(u), i.e. the
// relative error of u is amplified by 1/κ with κ = g'(u)|u|/|g(u)| (the inverse's condition
// number is 1/κ); evaluating g⁻¹ adds inverse_eval_error. For tanh |V|/g' = sinh(2x)/(2β),
// for the logistic 1/(β(1 − V)): both grow like e^{2|x|} or eˣ, so we stay where the neuron is
// not saturated, |βu| ≤ 12, where the neglected second-order term ½|(g⁻¹)''|δV² is a fraction
// δV/(1 − V²) ≤ 3ε/1.5e-10 ≈ 5e-6 of the first-order one (tanh at x = 12, where
// (g⁻¹)'' = 2V/(β(1 − V²)²) and (g⁻¹)' = 1/(β(1 − V²)); the logistic's fraction is δV/(1 − V)).
TEST(Activation, InverseUndoesActivateWithinConditionBound) {
  for_each_kind_and_gain([](ActivationKind kind, double gain) {
    for (const double u : spread_u(gain, 12.0, 240)) {
      const double v = activate(kind, gain, u);
      const double bound = kForwardRelError * std::fabs(v) / activate_slope(kind, gain, u) +
                           inverse_eval_error(u, gain);
      EXPECT_NEAR(activate_inverse(kind, gain, v), u, bound) << "u = " << u;
    }
  });
}

// Central difference D = (g(u + h) − g(u − h))/(2h) = g'(u) + g'''(ξ)h²/6, so truncation
// ≤ sup|g'''|·β³h²/6; each g value errs by ≤ 3ε|g| (kForwardRelError), so rounding
// ≤ 2·3ε·G/(2h) = 3εG/h with G = max|g(u ± h)|. u is a multiple of 2⁻⁴ with |u| < 2⁵ and
// h = 2⁻¹⁷, so u ± h and the division by 2h are exact; the subtraction g₊ − g₋ rounds by
// ≤ ε/2 of the difference (when the two have opposite signs): ≤ ε|D| with slack.
// h ≈ 7.6e-6 is near the optimum (9ε/(2β³))^{1/3} ≈ 1e-5 for β = 1, giving a total near 1e-10,
// far below any formula error. activate_slope itself rounds: tanh β(1 − t²) with t off by 2ε
// gives ≤ 5ε absolute in 1 − t²; the logistic βs(1 − s) with s off by 3ε gives ≤ 7ε; ≤ 8εβ for
// both, plus ε/2·β for the linear constant.
TEST(Activation, SlopeMatchesCentralDifference) {
  constexpr double h = 0x1p-17;
  for_each_kind_and_gain([](ActivationKind kind, double gain) {
    const int k_max = static_cast<int>(8.0 / gain * 16);
    for (int k = -k_max; k <= k_max; ++k) {
      const double u = k * 0x1p-4;
      const double g_plus = activate(kind, gain, u + h), g_minus = activate(kind, gain, u - h);
      const double central = (g_plus - g_minus) / (2 * h);
      const double g_max = std::max(std::fabs(g_plus), std::fabs(g_minus));
      const double truncation = third_derivative_bound(kind) * gain * gain * gain * h * h / 6;
      const double rounding =
          kForwardRelError * g_max / h + kEps * std::fabs(central) + 8 * kEps * gain;
      EXPECT_NEAR(activate_slope(kind, gain, u), central, truncation + rounding) << "u = " << u;
    }
  });
}

// sup of |(g⁻¹)''| over [v − h, v + h], the truncation constant of a central difference of G.
// tanh: atanh''(a) = 2a/(1 − a²)², increasing in |a|. Logistic: logit''(v) = 1/(1 − v)² − 1/v²,
// of magnitude ≤ max(1/v², 1/(1 − v)²), each largest at the interval end nearest 0 or 1.
// Linear: g⁻¹ = v/β has none. All carry the factor 1/β.
double inverse_second_derivative_bound(ActivationKind kind, double gain, double v, double h) {
  switch (kind) {
    case ActivationKind::Tanh: {
      const double a = std::fabs(v) + h;
      return 2 * a / ((1 - a * a) * (1 - a * a)) / gain;
    }
    case ActivationKind::Logistic: {
      const double lo = v - h, hi = 1 - (v + h);
      return std::max(1 / (lo * lo), 1 / (hi * hi)) / gain;
    }
    default: return 0.0;
  }
}

// dG/dV = g⁻¹(V), by the central difference of G: truncation ≤ sup|G'''|h²/6 = sup|(g⁻¹)''|h²/6;
// the two G values each err by ≤ inverse_integral_error, so rounding ≤ (e₊ + e₋)/(2h), plus
// ≤ ε|D| for the subtraction; the reference g⁻¹(V) errs by ≤ inverse_eval_error. V is a multiple
// of 2⁻⁸ and h = 2⁻¹⁷, so V ± h and the division by 2h are exact. The ranges keep the truncation
// constant moderate: |V| ≤ 31/32 for tanh
// ((g⁻¹)'' ≤ 512/β), 1/32 ≤ V ≤ 31/32 for the logistic (≤ 1025/β).
TEST(Activation, InverseIntegralDerivativeIsInverse) {
  constexpr double h = 0x1p-17;
  for_each_kind_and_gain([](ActivationKind kind, double gain) {
    double v_lo = -31.0 / 32, v_hi = 31.0 / 32;
    if (kind == ActivationKind::Logistic) v_lo = 1.0 / 32;
    if (kind == ActivationKind::Linear) v_lo = -4, v_hi = 4;
    for (double v = v_lo; v <= v_hi; v += 0x1p-8) {
      const double central = (activate_inverse_integral(kind, gain, v + h) -
                              activate_inverse_integral(kind, gain, v - h)) /
                             (2 * h);
      const double inverse = activate_inverse(kind, gain, v);
      const double truncation = inverse_second_derivative_bound(kind, gain, v, h) * h * h / 6;
      const double rounding =
          (inverse_integral_error(kind, gain, v + h) + inverse_integral_error(kind, gain, v - h)) /
              (2 * h) +
          kEps * std::fabs(central) + inverse_eval_error(inverse, gain);
      EXPECT_NEAR(central, inverse, truncation + rounding) << "V = " << v;
    }
  });
}

// G(v0) = 0 where g⁻¹(v0) = 0. tanh: 0·atanh(0) + ½ log1p(−0) is exactly 0, linear 0²/(2β) too.
// Logistic at ½: ½ log ½ + ½ log ½ + log 2, where log ½ and log 2 each carry ≤ 2ε relative
// error, so the sum is within inverse_integral_error (4ε(ln2/2 + ln2/2 + ln2 + 1)/β) of 0.
TEST(Activation, InverseIntegralVanishesWhereInverseIsZero) {
  for (const double gain : kGains) {
    EXPECT_EQ(activate_inverse_integral(ActivationKind::Tanh, gain, 0.0), 0.0);
    EXPECT_EQ(activate_inverse_integral(ActivationKind::Linear, gain, 0.0), 0.0);
    EXPECT_NEAR(activate_inverse_integral(ActivationKind::Logistic, gain, 0.5), 0.0,
                inverse_integral_error(ActivationKind::Logistic, gain, 0.5));
    EXPECT_EQ(activate_inverse(ActivationKind::Tanh, gain, 0.0), 0.0);
    EXPECT_EQ(activate_inverse(ActivationKind::Logistic, gain, 0.5), 0.0);
  }
}

// activate_energy_term(u) = G(g(u)) where the neuron is not saturated (|βu| ≤ 8). Error budget:
// the u-form's energy_term_error; on the V side the forward error δV ≤ 3ε|V| moves G by
// G'(V)δV = g⁻¹(V)δV = u·δV to first order, and evaluating G adds inverse_integral_error(V̂).
TEST(Activation, EnergyTermEqualsInverseIntegralOfActivation) {
  for_each_kind_and_gain([](ActivationKind kind, double gain) {
    for (const double u : spread_u(gain, 8.0, 160)) {
      const double v = activate(kind, gain, u);
      const double bound = energy_term_error(kind, gain, u) +
                           std::fabs(u) * kForwardRelError * std::fabs(v) +
                           inverse_integral_error(kind, gain, v);
      EXPECT_NEAR(activate_energy_term(kind, gain, u), activate_inverse_integral(kind, gain, v),
                  bound)
          << "u = " << u;
    }
  });
}

// The saturated limit with its corrections, x = |βu|. Both forms reduce exactly to
//   βG = ln 2 − c·x·q/(1 + q) − ln(1 + q),
// tanh: q = e^{−2x}, c = 2 (x tanh x − ln cosh x, with tanh x = 1 − 2q/(1 + q) and
// ln cosh x = x − ln 2 + ln(1 + q)); logistic: q = e^{−x}, c = 1 (xσ(x) − x − ln(1 + q) + ln 2
// with σ = 1/(1 + q); G is even in x). Expanding 1/(1 + q) = 1 − q + q²/(1 + q) and
// ln(1 + q) = q − q²/2 + r with 0 ≤ r ≤ q³/3:
//   βG = ln 2 − (c·x + 1)q + (c·x + ½)q² − R,   0 ≤ R ≤ (c·x + ⅓)q³.
// Evaluating this reference errs by ≤ ε/2·ln 2 (the constant), 3ε(cx + 1)q and 3ε(cx + ½)q²
// (exp 2ε and two products), ε/2·ln 2 for the two sums and ε/2 relative for the division by β.
struct SaturatedLimit {
  double value;  // [ln 2 − (c x + 1) q + (c x + ½) q²]/β
  double error;  // bound on |value − G|: R plus the reference's own rounding, over β
};

SaturatedLimit saturated_limit(ActivationKind kind, double gain, double u) {
  const double x = std::fabs(gain * u);
  const double c = kind == ActivationKind::Tanh ? 2.0 : 1.0;
  const double q = std::exp(-c * x);
  const double first = (c * x + 1) * q, second = (c * x + 0.5) * q * q;
  const double remainder = (c * x + 1.0 / 3) * q * q * q;
  const double rounding = 1.5 * kEps * kLn2 + 3 * kEps * (first + second);
  return {(kLn2 - first + second) / gain, (remainder + rounding) / gain};
}

// For |βu| from 10 up to 700 the u-form stays finite and within energy_term_error of the limit
// (plus the limit's own SaturatedLimit::error, ≤ (20.3e^{−60} + 1.5ε ln 2)/β for tanh and
// ≤ (10.3e^{−30} ≈ 1e-12)/β for the logistic at x = 10, below 1e-15 from x = 12.5 on).
TEST(Activation, EnergyTermStaysAccurateWhenSaturated) {
  constexpr double kX[] = {10.0, 12.5, 15.0, 17.5, 20.0, 30.0, 50.0, 100.0, 300.0, 700.0};
  for (const ActivationKind kind : {ActivationKind::Tanh, ActivationKind::Logistic}) {
    for (const double gain : kGains) {
      SCOPED_TRACE(std::string(attractor::core::to_string(kind)) +
                   ", gain = " + std::to_string(gain));
      for (const double x : kX) {
        for (const double u : {x / gain, -x / gain}) {
          const double energy = activate_energy_term(kind, gain, u);
          ASSERT_TRUE(std::isfinite(energy)) << "u = " << u;
          const SaturatedLimit limit = saturated_limit(kind, gain, u);
          EXPECT_NEAR(energy, limit.value, energy_term_error(kind, gain, u) + limit.error)
              << "u = " << u;
        }
      }
    }
  }
}

// Why the engine uses the u-form: for tanh the V-form G(V̂) evaluates ½ log1p(−V̂²), and V̂²
// rounds by up to ε/2, an error that 1/(1 − V²) ≈ e^{2x}/4 amplifies; near V̂ = 1 the rounding is
// structured (V̂ = 1 − k·2⁻⁵³ squares to 1 − 2k·2⁻⁵³ + k²2⁻¹⁰⁶), so the V-form misses by about
// ½e^{−2x}/β: ≈ 1e-9/β at x = 10, where the u-form is within ~1e-15. Both forms are checked
// against the limit with their own derived bound; the V-form's error is recorded (as
// vform_max_error / uform_max_error) rather than asserted large, since an improved V-form must
// not fail this test.
TEST(Activation, EnergyTermIsTheAccurateFormNearTanhSaturation) {
  double vform_max_error = 0, uform_max_error = 0;
  for (const double gain : kGains) {
    for (double x = 8.0; x <= 19.0; x += 0.125) {
      const double u = x / gain;
      const SaturatedLimit limit = saturated_limit(ActivationKind::Tanh, gain, u);
      const double v = activate(ActivationKind::Tanh, gain, u);
      const double vform = activate_inverse_integral(ActivationKind::Tanh, gain, v);
      const double uform = activate_energy_term(ActivationKind::Tanh, gain, u);
      EXPECT_NEAR(uform, limit.value,
                  energy_term_error(ActivationKind::Tanh, gain, u) + limit.error)
          << "gain = " << gain << ", u = " << u;
      EXPECT_NEAR(vform, limit.value,
                  std::fabs(u) * kForwardRelError * std::fabs(v) +
                      inverse_integral_error(ActivationKind::Tanh, gain, v) + limit.error)
          << "gain = " << gain << ", u = " << u;
      vform_max_error = std::max(vform_max_error, std::fabs(vform - limit.value) * gain);
      uform_max_error = std::max(uform_max_error, std::fabs(uform - limit.value) * gain);
    }
  }
  char line[96];
  std::snprintf(line, sizeof line, "%.3g", vform_max_error);
  RecordProperty("vform_max_error_times_gain", line);
  std::snprintf(line, sizeof line, "%.3g", uform_max_error);
  RecordProperty("uform_max_error_times_gain", line);
}

TEST(Activation, SignGivesPlusMinusOneAndZeroAtZero) {
  for (const double gain : kGains) {
    for (const double u : {DBL_TRUE_MIN, 1e-300, 0.25, 1.0, 1e300, HUGE_VAL}) {
      EXPECT_EQ(activate(ActivationKind::Sign, gain, u), 1.0) << "u = " << u;
      EXPECT_EQ(activate(ActivationKind::Sign, gain, -u), -1.0) << "u = " << -u;
    }
    EXPECT_EQ(activate(ActivationKind::Sign, gain, 0.0), 0.0);
    EXPECT_EQ(activate(ActivationKind::Sign, gain, -0.0), 0.0);
  }
}

TEST(Activation, ParseAndToStringRoundTrip) {
  for (const ActivationKind kind : {ActivationKind::Sign, ActivationKind::Tanh,
                                    ActivationKind::Logistic, ActivationKind::Linear}) {
    const std::string name = attractor::core::to_string(kind);
    EXPECT_EQ(attractor::parse_enum<attractor::core::ActivationKind>(name, "--activation"), kind)
        << name;
  }
  EXPECT_STREQ(attractor::core::to_string(ActivationKind::Logistic), "logistic");
}

TEST(Activation, ParseRejectsUnknownNameNamingTheOption) {
  for (const char* bad : {"relu", "", "tanh "}) {
    try {
      attractor::parse_enum<attractor::core::ActivationKind>(bad, "--activation");
      ADD_FAILURE() << "no InputError for '" << bad << "'";
    } catch (const attractor::core::InputError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("--activation"), std::string::npos) << message;
      EXPECT_NE(message.find("'" + std::string(bad) + "'"), std::string::npos) << message;
    }
  }
}

}  // namespace
