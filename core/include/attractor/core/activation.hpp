#pragma once
#include <cmath>
#include <string>

#include "attractor/core/config.hpp"
#include "attractor/core/enum_names.hpp"

namespace attractor::core {

// The neuron's transfer function V = g(u) with gain β, its inverse and the integral of the
// inverse that enters Hopfield's (1984) Lyapunov function
//   E = −½ Σ_ij T_ij V_i V_j − Σ_i b_i V_i + Σ_i G(V_i),   G(V) = ∫_{v0}^{V} g⁻¹(v) dv,
// where v0 is the point with g⁻¹(v0) = 0 (0 for tanh and linear, ½ for the logistic).
// Sign is the discrete neuron: g⁻¹ and G are not defined for it (its energy has no G term).
enum class ActivationKind { Sign, Tanh, Logistic, Linear };
constexpr NameTable<ActivationKind, 4> enum_names(ActivationKind) {
  return {"activation",
          {{{ActivationKind::Sign, "sign"},
            {ActivationKind::Tanh, "tanh"},
            {ActivationKind::Logistic, "logistic"},
            {ActivationKind::Linear, "linear"}}}};
}

struct Activation {
  ActivationKind kind = ActivationKind::Tanh;
  double gain = 1.0;  // β
};

ATTRACTOR_HD double activate(ActivationKind kind, double gain, double u) {
  switch (kind) {
    case ActivationKind::Sign: return u > 0 ? 1.0 : (u < 0 ? -1.0 : 0.0);
    case ActivationKind::Tanh: return tanh(gain * u);
    case ActivationKind::Logistic: return 1.0 / (1.0 + exp(-gain * u));
    case ActivationKind::Linear: return gain * u;
  }
  return 0.0;
}

// g'(u): the slope that sets how fast the continuous energy falls, dE/dt = −Σ g'(u_i) (du_i/dt)².
ATTRACTOR_HD double activate_slope(ActivationKind kind, double gain, double u) {
  switch (kind) {
    case ActivationKind::Sign: return 0.0;
    case ActivationKind::Tanh: {
      const double t = tanh(gain * u);
      return gain * (1.0 - t * t);
    }
    case ActivationKind::Logistic: {
      const double s = 1.0 / (1.0 + exp(-gain * u));
      return gain * s * (1.0 - s);
    }
    case ActivationKind::Linear: return gain;
  }
  return 0.0;
}

// g⁻¹(V); V must lie in the open range of g.
ATTRACTOR_HD double activate_inverse(ActivationKind kind, double gain, double v) {
  switch (kind) {
    case ActivationKind::Sign: return 0.0;
    case ActivationKind::Tanh: return atanh(v) / gain;
    case ActivationKind::Logistic: return log(v / (1.0 - v)) / gain;
    case ActivationKind::Linear: return v / gain;
  }
  return 0.0;
}

// G(V) = ∫_{v0}^{V} g⁻¹. Closed forms: tanh  [V atanh V + ½ ln(1 − V²)] / β;
// logistic  [V ln V + (1 − V) ln(1 − V) + ln 2] / β;  linear  V² / (2β).
// At the ends of the range (|V| = 1 for tanh, V ∈ {0, 1} for the logistic) the limits are finite
// and are returned, so a saturated neuron has a finite energy.
ATTRACTOR_HD double activate_inverse_integral(ActivationKind kind, double gain, double v) {
  switch (kind) {
    case ActivationKind::Sign: return 0.0;
    case ActivationKind::Tanh: {
      const double a = fabs(v);
      if (a >= 1.0) return log(2.0) / gain;
      return (a * atanh(a) + 0.5 * log1p(-a * a)) / gain;
    }
    case ActivationKind::Logistic: {
      const double xlogx_v = v > 0.0 ? v * log(v) : 0.0;
      const double xlogx_w = v < 1.0 ? (1.0 - v) * log(1.0 - v) : 0.0;
      return (xlogx_v + xlogx_w + log(2.0)) / gain;
    }
    case ActivationKind::Linear: return v * v / (2.0 * gain);
  }
  return 0.0;
}

// G(g(u)), the same quantity as activate_inverse_integral(g(u)) but computed from u, which stays
// accurate where the neuron saturates (there 1 − V² or 1 − V underflows and the V form loses
// every digit). With x = βu:  tanh  [V x − ln cosh x] / β;  logistic  [V x − ln(1 + eˣ) + ln 2] /
// β; linear  β u² / 2.
ATTRACTOR_HD double activate_energy_term(ActivationKind kind, double gain, double u) {
  const double x = gain * u;
  const double ax = fabs(x);
  switch (kind) {
    case ActivationKind::Sign: return 0.0;
    case ActivationKind::Tanh: {
      const double log_cosh = ax + log1p(exp(-2.0 * ax)) - log(2.0);
      return (tanh(x) * x - log_cosh) / gain;
    }
    case ActivationKind::Logistic: {
      const double softplus = fmax(x, 0.0) + log1p(exp(-ax));
      return (x / (1.0 + exp(-x)) - softplus + log(2.0)) / gain;
    }
    case ActivationKind::Linear: return 0.5 * gain * u * u;
  }
  return 0.0;
}

// "sign", "tanh", "logistic", "linear" ⇄ ActivationKind; parse throws InputError naming `what`.

}  // namespace attractor::core
