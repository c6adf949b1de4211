#include "attractor/host/engine/cpu_control_batch.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "attractor/core/error.hpp"
#include "control/reference_passes.hpp"

namespace attractor {

using core::require;
using Index = std::int64_t;
using control_reference::evaluate_into;
using control_reference::for_each_control;

void CpuControlBatch::start(const core::ControlledNetwork& net, const core::ControlProblem& problem,
                            const core::ControlPlan& plan, const std::vector<double>& u0,
                            const std::vector<double>& initial_controls,
                            std::vector<core::CostTerms>& costs) {
  const Index batch = core::check_batch(net, problem, plan, u0, initial_controls);
  dim_ = problem.intervals * net.synapses();
  net_ = &net;
  problem_ = problem;
  plan_ = plan;
  W_ = core::interval_weights(problem, plan);
  u0_ = u0;
  const auto size = static_cast<std::size_t>(batch * dim_);
  x_ = initial_controls.empty() ? std::vector<double>(size, 0.0) : initial_controls;
  for (Index p = 0; p < batch; ++p) core::project(net, problem.intervals, slice(x_, p));
  g_.assign(size, 0.0);
  d_.assign(size, 0.0);
  t_.assign(size, 0.0);
  gt_.assign(size, 0.0);
  u_final_.assign(u0.size(), 0.0);
  u_final_trial_.assign(u0.size(), 0.0);
  costs.resize(static_cast<std::size_t>(batch));
  const Index n = net.n();
#pragma omp parallel for schedule(dynamic)
  for (Index p = 0; p < batch; ++p) {
    costs[p] = evaluate_into(net, problem_, plan_, slice(x_, p), u0_.data() + p * n, slice(g_, p),
                             u_final_.data() + p * n);
  }
}

void CpuControlBatch::directions(const std::vector<Index>& which, const std::vector<double>& alpha,
                                 std::vector<core::Direction>& out) {
  require(net_ != nullptr, "control batch", "directions() before start()");
  out.assign(which.size(), {});
  const auto count = static_cast<Index>(which.size());
#pragma omp parallel for schedule(dynamic)
  for (Index w = 0; w < count; ++w) {
    const Index p = which[w];
    const double* x = slice(x_, p);
    const double* g = slice(g_, p);
    double* d = slice(d_, p);
    auto& result = out[w];
    for_each_control(*net_, problem_.intervals, [&](Index e, Index c, double bound) {
      const double stationary = core::projected_step(x[e], g[e], 1.0 / W_[c], bound);
      result.stationarity = std::max(result.stationarity, std::fabs(stationary));
      d[e] = core::projected_step(x[e], g[e], alpha[w] / W_[c], bound);
      result.slope += g[e] * d[e];
    });
  }
}

void CpuControlBatch::trials(const std::vector<Index>& which, const std::vector<double>& theta,
                             std::vector<core::CostTerms>& out) {
  require(net_ != nullptr, "control batch", "trials() before start()");
  out.assign(which.size(), {});
  const auto count = static_cast<Index>(which.size());
  const Index n = net_->n();
#pragma omp parallel for schedule(dynamic)
  for (Index w = 0; w < count; ++w) {
    const Index p = which[w];
    const double* x = slice(x_, p);
    const double* d = slice(d_, p);
    double* t = slice(t_, p);
    for_each_control(*net_, problem_.intervals, [&](Index e, Index, double bound) {
      t[e] = core::trial_point(x[e], d[e], theta[w], bound);
    });
    out[w] = evaluate_into(*net_, problem_, plan_, t, u0_.data() + p * n, slice(gt_, p),
                           u_final_trial_.data() + p * n);
  }
}

void CpuControlBatch::accept(const std::vector<Index>& which, std::vector<core::Curvature>& out) {
  require(net_ != nullptr, "control batch", "accept() before start()");
  out.assign(which.size(), {});
  const auto count = static_cast<Index>(which.size());
  const Index n = net_->n(), synapses = net_->synapses();
#pragma omp parallel for schedule(dynamic)
  for (Index w = 0; w < count; ++w) {
    const Index p = which[w];
    double* x = slice(x_, p);
    double* g = slice(g_, p);
    const double* t = slice(t_, p);
    const double* gt = slice(gt_, p);
    auto& result = out[w];
    for (Index c = 0; c < problem_.intervals; ++c) {
      for (Index e = c * synapses; e < (c + 1) * synapses; ++e) {
        const double s = t[e] - x[e];
        result.sDs += W_[c] * s * s;
        result.sy += s * (gt[e] - g[e]);
        x[e] = t[e];
        g[e] = gt[e];
      }
    }
    std::copy(u_final_trial_.begin() + p * n, u_final_trial_.begin() + (p + 1) * n,
              u_final_.begin() + p * n);
  }
}

core::ControlState CpuControlBatch::read(Index p, bool with_gradient) {
  require(net_ != nullptr, "control batch", "read() before start()");
  require(p >= 0 && p < static_cast<Index>(u0_.size()) / net_->n(), "control batch",
          "problem " + std::to_string(p) + " is not in the batch");
  core::ControlState state;
  state.controls.assign(slice(x_, p), slice(x_, p) + dim_);
  if (with_gradient) state.gradient.assign(slice(g_, p), slice(g_, p) + dim_);
  const Index n = net_->n();
  state.u_final.assign(u_final_.begin() + p * n, u_final_.begin() + (p + 1) * n);
  return state;
}

}  // namespace attractor
