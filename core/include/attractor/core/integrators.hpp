#pragma once
// The scalar half of continuous dynamics that every backend shares: Runge–Kutta tableaux, the
// Dormand–Prince step-size rule, the Hermite interpolation that locates Poincaré-section points,
// and the bookkeeping that decides when section points close a limit cycle. Backends own the
// vectors; these functions own every decision made from the numbers reduced out of them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <vector>

#include "attractor/core/config.hpp"
#include "attractor/core/engine.hpp"
#include "attractor/core/philox.hpp"

namespace attractor::core {

// Dormand & Prince (1980) 5(4) tableau; the fifth-order solution is propagated (FSAL): the last
// stage is evaluated at the new point itself (c₇ = 1, a₇ = b₅).
inline constexpr double kDopriA[7][6] = {
    {},
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
    {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84}};
// e = b₅ − b₄: the embedded error estimate.
inline constexpr double kDopriE[7] = {71.0 / 57600,      0.0,        -71.0 / 16695, 71.0 / 1920,
                                      -17253.0 / 339200, 22.0 / 525, -1.0 / 40};

inline int stage_count(Integrator integrator) {
  return integrator == Integrator::Euler ? 1 : integrator == Integrator::RK4 ? 4 : 7;
}

// a_sj: stage s evaluates F at u + h Σ_{j<s} a_sj k_j.
inline double stage_coefficient(Integrator integrator, int s, int j) {
  if (integrator == Integrator::Dopri5) return kDopriA[s][j];
  // RK4: k₂ = F(u + h/2 k₁), k₃ = F(u + h/2 k₂), k₄ = F(u + h k₃).
  if (j != s - 1) return 0.0;
  return s == 3 ? 1.0 : 0.5;
}

// Weights of the fixed-step update u ← u + h Σ_j w_j k_j (Euler, RK4).
inline double update_weight(Integrator integrator, int j) {
  if (integrator == Integrator::Euler) return 1.0;
  return (j == 0 || j == 3) ? 1.0 / 6.0 : 2.0 / 6.0;
}

// Dormand–Prince step control from err = RMS_i(h e_i / (atol + rtol max(|u_i|, |u'_i|))):
// accept when err ≤ 1, and scale the next step by 0.9 err^{-1/5}, kept within [0.2, 5] (never
// growing after a rejection).
struct StepDecision {
  bool accepted;
  double factor;
};
inline StepDecision dopri_decision(double err) {
  const double factor = err == 0.0 ? 5.0 : std::clamp(0.9 * std::pow(err, -0.2), 0.2, 5.0);
  if (err > 1.0) return {false, std::min(factor, 1.0)};
  return {true, factor};
}

// Integration attempts a run may make, accepted or not: rejected Dormand–Prince attempts count
// too, so a step size collapsing on a stiff state ends the run instead of spinning. Saturating,
// since max_steps may be "unlimited" (huge).
inline std::int64_t attempt_budget(std::int64_t max_steps) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  return max_steps > (kMax - 100) / 4 ? kMax : 4 * max_steps + 100;
}

// Whether a state at time t has reached t_end. Relative slack: t accumulated as a sum of steps may
// land an ulp short of t_end.
inline bool reached_end(double t, double t_end) { return t >= t_end * (1.0 - 1e-12); }

// The direction w of the Poincaré section y = w·u: ±1/√N from CounterRng(seed), purpose Section.
inline std::vector<double> section_direction(std::uint64_t seed, std::int64_t n) {
  const CounterRng rng{seed};
  const double scale = 1.0 / std::sqrt(static_cast<double>(n));
  std::vector<double> w(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    w[static_cast<std::size_t>(i)] =
        scale * rng.sign(RngPurpose::Section, 0, static_cast<std::uint64_t>(i));
  }
  return w;
}

// The step from (t₀, u₀, f₀) to (t₀ + h, u₁, f₁) projected on the section direction w:
// y0 = w·u₀, y1 = w·u₁, dy0 = w·f₀, dy1 = w·f₁. A maximum of y inside the step (dy0 > 0 ≥ dy1)
// is a section point; section_theta locates it on the cubic Hermite interpolant p(θ), θ ∈ [0, 1]
// (fourth-order accurate, like RK4), as the root of p'(θ) = 0 in [0, 1].
struct StepProjection {
  double y0, y1, dy0, dy1, h;
  bool crosses() const { return dy0 > 0.0 && dy1 <= 0.0; }
};
inline double section_theta(const StepProjection& p) {
  const double c1 = p.h * p.dy0;
  const double c2 = 3.0 * (p.y1 - p.y0) - p.h * (2.0 * p.dy0 + p.dy1);
  const double c3 = 2.0 * (p.y0 - p.y1) + p.h * (p.dy0 + p.dy1);
  double theta = p.dy0 / (p.dy0 - p.dy1);  // linear fallback
  if (std::fabs(c3) > 1e-300) {
    const double disc = c2 * c2 - 3.0 * c3 * c1;
    if (disc >= 0.0) {
      const double root = std::sqrt(disc);
      for (const double cand : {(-c2 + root) / (3.0 * c3), (-c2 - root) / (3.0 * c3)}) {
        if (cand >= 0.0 && cand <= 1.0) {
          theta = cand;
          break;
        }
      }
    }
  } else if (std::fabs(c2) > 1e-300) {
    theta = std::clamp(-c1 / (2.0 * c2), 0.0, 1.0);
  }
  return theta;
}

// u(θ) = c_u0 u₀ + c_f0 f₀ + c_u1 u₁ + c_f1 f₁: the cubic Hermite basis with the step h folded
// into the slope weights.
struct HermiteWeights {
  double u0, f0, u1, f1;
};
inline HermiteWeights hermite_weights(double theta, double h) {
  const double t2 = theta * theta, t3 = t2 * theta;
  return {2 * t3 - 3 * t2 + 1, (t3 - 2 * t2 + theta) * h, -2 * t3 + 3 * t2, (t3 - t2) * h};
}

// Section points of one trajectory: their times and the orbit's excursion before each. Backends
// keep the points themselves (the last max_period + 1, in the same order) and report distances.
//
// A section point that returns within cycle_tol × (the largest excursion over the candidate
// period) of the one p sections earlier closes a cycle of period p; the excursion scale makes
// the test independent of the orbit's size.
class SectionHistory {
 public:
  explicit SectionHistory(int max_period = 0) : max_period_(max_period) {}

  // The orbit moved `distance` away from the last section point.
  void moved(double distance) { current_excursion_ = std::max(current_excursion_, distance); }
  std::size_t size() const { return times_.size(); }
  std::size_t capacity() const { return static_cast<std::size_t>(max_period_) + 1; }
  // Slot (0 ≤ slot < capacity) in a backend's ring of points that a new point goes to.
  std::size_t next_slot() const { return added_ % capacity(); }
  // Slot holding the point p sections before the newest one (0 ≤ p < size()).
  std::size_t slot_back(std::size_t p) const { return (added_ - 1 - p) % capacity(); }

  void add(double time) {
    times_.push_back(time);
    excursions_.push_back(current_excursion_);
    current_excursion_ = 0.0;
    ++added_;
    if (times_.size() > capacity()) {
      times_.pop_front();
      excursions_.pop_front();
    }
  }

  // distance(p) = ‖newest − point p sections back‖ for p = 1 .. size() − 1. Returns the period
  // of the cycle the newest point closes (filling `period_time`), or 0.
  template <class Distance>
  std::int64_t closes(double cycle_tol, Distance distance, double& period_time) const {
    const std::size_t last = times_.size() - 1;
    double excursion = 0.0;
    for (std::size_t p = 1; p <= last; ++p) {
      excursion = std::max(excursion, excursions_[last - p + 1]);
      if (excursion > 0.0 && distance(p) <= cycle_tol * excursion) {
        period_time = times_[last] - times_[last - p];
        return static_cast<std::int64_t>(p);
      }
    }
    return 0;
  }

 private:
  int max_period_;
  std::deque<double> times_, excursions_;
  double current_excursion_ = 0.0;
  std::size_t added_ = 0;
};

}  // namespace attractor::core
