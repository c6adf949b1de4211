#pragma once
// The reference forward and adjoint passes of core/control.hpp for one problem, shared by the
// CPU batch (engine/cpu_control_batch.cpp), the reference evaluation and the solver's traces.
#include <cstdint>
#include <vector>

#include "attractor/core/control.hpp"
#include "attractor/core/network.hpp"

namespace attractor::control_reference {

// X = (A + ξ) V − u + b.
void residual(const core::ControlledNetwork& net, const double* xi, const double* V,
              const double* u, double* X);

double norm2(const double* v, std::int64_t size);

// The forward pass, keeping what the backward pass reads: u_k (steps + 1 states) and X_k.
struct Trajectory {
  core::CostTerms cost;
  std::vector<double> u, X;

  const double* u_final(std::int64_t n) const {
    return u.data() + u.size() - static_cast<std::size_t>(n);
  }
};

Trajectory forward(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                   const core::ControlPlan& plan, const double* controls, const double* u0);

// One problem's evaluation into the batch's slices: J's terms, and ∇J (unless `gradient` is null)
// and u at the horizon.
core::CostTerms evaluate_into(const core::ControlledNetwork& net,
                              const core::ControlProblem& problem, const core::ControlPlan& plan,
                              const double* controls, const double* u0, double* gradient,
                              double* u_final);

// Calls visit(e, c, bound) for every entry e of one problem's controls, c its interval.
template <class Visit>
void for_each_control(const core::ControlledNetwork& net, std::int64_t intervals, Visit visit) {
  const std::int64_t synapses = net.synapses();
  for (std::int64_t c = 0; c < intervals; ++c) {
    for (std::int64_t i = 0; i < net.n(); ++i) {
      for (std::int64_t e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
        visit(c * synapses + e, c, net.bound(i, e));
      }
    }
  }
}

// One problem's inputs, before evaluate_control or trace_control touches them.
void check_one_problem(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                       const core::ControlPlan& plan, const std::vector<double>& controls,
                       const std::vector<double>& u0);

}  // namespace attractor::control_reference
