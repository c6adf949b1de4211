#include "attractor/core/engine.hpp"

#include <cmath>

#include "attractor/core/error.hpp"

namespace attractor::core {

void RunOptions::validate() const {
  const std::string what = "run options";
  require(std::isfinite(dt) && dt > 0, what, "dt must be positive and finite");
  require(max_steps >= 0, what, "the step budget must not be negative");
  require(!std::isnan(t_end) && t_end > 0, what, "t_end must be positive");
  require(std::isfinite(tol) && tol >= 0, what, "tol must be finite and not negative");
  require(std::isfinite(rtol) && rtol > 0 && std::isfinite(atol) && atol >= 0, what,
          "rtol must be positive and atol not negative");
  require(max_period >= 1 && max_period <= 4096, what, "max_period must lie in [1, 4096]");
  require(std::isfinite(cycle_tol) && cycle_tol > 0, what, "cycle_tol must be positive");
  require(std::isfinite(temperature) && temperature > 0, what,
          "the temperature must be positive and finite");
  require(match_overlap > 0 && match_overlap <= 1, what, "match_overlap must lie in (0, 1]");
  require(record_every >= 0, what, "record_every must not be negative");
  require(stream_offset <= 0xFFFFFFFFull, what, "stream_offset must be below 2^32");
}

const char* to_string(Dynamics dynamics) {
  switch (dynamics) {
    case Dynamics::DiscreteSync: return "discrete-sync";
    case Dynamics::DiscreteAsync: return "discrete-async";
    case Dynamics::GlauberSync: return "glauber-sync";
    case Dynamics::GlauberAsync: return "glauber";
    case Dynamics::Continuous: return "continuous";
  }
  return "?";
}

const char* to_string(Integrator integrator) {
  switch (integrator) {
    case Integrator::Euler: return "euler";
    case Integrator::RK4: return "rk4";
    case Integrator::Dopri5: return "dopri5";
  }
  return "?";
}

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::FixedPoint: return "fixed_point";
    case Outcome::LimitCycle: return "limit_cycle";
    case Outcome::Wandering: return "wandering";
  }
  return "?";
}

const char* to_string(Precision precision) {
  return precision == Precision::Float32 ? "float32" : "float64";
}

Precision parse_precision(const std::string& name, const std::string& what) {
  if (name == "float32") return Precision::Float32;
  if (name == "float64") return Precision::Float64;
  throw InputError(what + ": unknown precision '" + name + "' (expected float32 or float64)");
}

Dynamics parse_dynamics(const std::string& name, const std::string& what) {
  for (auto d : {Dynamics::DiscreteSync, Dynamics::DiscreteAsync, Dynamics::GlauberSync,
                 Dynamics::GlauberAsync, Dynamics::Continuous}) {
    if (name == to_string(d)) return d;
  }
  throw InputError(what + ": unknown dynamics '" + name +
                   "' (expected discrete-sync, discrete-async, glauber, glauber-sync or "
                   "continuous)");
}

Integrator parse_integrator(const std::string& name, const std::string& what) {
  for (auto i : {Integrator::Euler, Integrator::RK4, Integrator::Dopri5}) {
    if (name == to_string(i)) return i;
  }
  throw InputError(what + ": unknown integrator '" + name + "' (expected euler, rk4 or dopri5)");
}

}  // namespace attractor::core
