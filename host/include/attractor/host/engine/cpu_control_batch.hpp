#pragma once
// The CPU reference backend of core::ControlBatch: the batch's vectors in host memory, problems
// spread over threads, each evaluated by the reference passes (control/control_solver.hpp's
// evaluate_control) in float64.
#include <cstdint>
#include <string>
#include <vector>

#include "attractor/core/control.hpp"
#include "attractor/core/network.hpp"

namespace attractor {

class CpuControlBatch final : public core::ControlBatch {
 public:
  std::string name() const override { return "cpu"; }
  void start(const core::ControlledNetwork& net, const core::ControlProblem& problem,
             const core::ControlPlan& plan, const std::vector<double>& u0,
             const std::vector<double>& initial_controls,
             std::vector<core::CostTerms>& costs) override;
  void directions(const std::vector<std::int64_t>& which, const std::vector<double>& alpha,
                  std::vector<core::Direction>& out) override;
  void trials(const std::vector<std::int64_t>& which, const std::vector<double>& theta,
              std::vector<core::CostTerms>& out) override;
  void accept(const std::vector<std::int64_t>& which, std::vector<core::Curvature>& out) override;
  core::ControlState read(std::int64_t p, bool with_gradient) override;

 private:
  // Problem p's slice of one of the batch's vectors.
  double* slice(std::vector<double>& v, std::int64_t p) const { return v.data() + p * dim_; }

  const core::ControlledNetwork* net_ = nullptr;
  core::ControlProblem problem_;
  core::ControlPlan plan_;
  std::vector<double> W_;  // interval weights, the preconditioner's 1/D
  std::vector<double> u0_;
  std::int64_t dim_ = 0;
  // Per problem: iterate, gradient, direction, trial point and its gradient; u at the horizon
  // under the iterate and under the trial.
  std::vector<double> x_, g_, d_, t_, gt_, u_final_, u_final_trial_;
};

}  // namespace attractor
