// Controlled plasticity for Python: the controlled network T(ξ) = A + ξ (the embedded example or A
// and a silent mask from SciPy), its cues, batches of control problems with their outcomes, the
// Pareto sweep over μ and the memory experiment. Everything the command line's `control` and
// `memory-experiment` report, as arrays; the defaults are the library's (ControlSettings).
#include "attractor/core/control.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "attractor/host/control/control_experiments.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "bindings.hpp"

namespace attractor::python {

namespace {

using Index = std::int64_t;

// The network and, for the embedded example, its stored patterns and equilibria.
struct ControlledNetwork {
  ControlNetworkExample example;
  bool is_example = false;
};

// Options left None keep the library's value.
struct Overrides {
  std::optional<double> mu, lambda, dt, tail_tol, gtol, same_overlap;
  std::optional<Index> intervals, max_iterations, max_steps;

  ControlSettings settings() const {
    ControlSettings s;
    set_if(s.problem.mu, mu);
    set_if(s.problem.lambda, lambda);
    set_if(s.problem.dt, dt);
    set_if(s.problem.tail_tol, tail_tol);
    set_if(s.problem.intervals, intervals);
    set_if(s.solve.gtol, gtol);
    set_if(s.solve.max_iterations, max_iterations);
    set_if(s.outcome.same_overlap, same_overlap);
    set_if(s.outcome.max_steps, max_steps);
    s.validate();
    return s;
  }
};

// The CSR arrays of the union pattern (rows, cols, indptr, indices) for SciPy.
py::tuple pattern_of(const core::ControlledNetwork& net) {
  return py::make_tuple(net.n(), net.n(), to_array(net.T.row_ptr, {ssize(net.n() + 1)}),
                        to_array(net.T.col_idx, {ssize(net.synapses())}));
}

py::object patterns_or_none(const ControlledNetwork& c) {
  if (!c.is_example) return py::none();
  const auto& p = c.example.patterns;
  std::vector<double> values(p.values.begin(), p.values.end());
  return to_array(std::move(values), {ssize(p.count), ssize(p.n)});
}

// Bad shapes and values of the cues are input errors before any work.
void require_cues(const std::vector<double>& cues, const core::ControlledNetwork& net,
                  const core::ControlProblem& problem) {
  static_cast<void>(core::plan_horizon(net, problem, cues));
}

// One batch of control problems, everything the command line reports per cue, as arrays.
py::dict control_dict(const ControlledNetwork& c, const ControlSettings& s,
                      const std::vector<double>& cues, ControlBatchReport&& r, bool traces) {
  const auto& net = c.example.net;
  const Index count = static_cast<Index>(r.outcomes.size()), n = net.n();
  std::vector<std::string> outcome;
  std::vector<double> J, state_cost, control_cost, gradient, residual, without, existing, xi_max,
      xi_norm, period_time, continuation, u_limit, xi_inf;
  std::vector<Index> iterations, evaluations, period;
  std::vector<bool> converged;
  for (Index b = 0; b < count; ++b) {
    const auto& solved = r.solution.problems[b];
    const auto& o = r.outcomes[b];
    outcome.emplace_back(to_string(o.outcome));
    J.push_back(solved.cost.J);
    state_cost.push_back(solved.cost.state_cost);
    control_cost.push_back(solved.cost.control_cost);
    iterations.push_back(solved.iterations);
    evaluations.push_back(solved.evaluations);
    converged.push_back(solved.converged);
    gradient.push_back(solved.projected_gradient);
    residual.push_back(o.final_residual);
    without.push_back(o.residual_without_control);
    existing.push_back(o.existing_overlap);
    xi_max.push_back(o.xi_inf_max);
    xi_norm.push_back(o.xi_inf_norm);
    period.push_back(o.period);
    period_time.push_back(o.period_time);
    continuation.push_back(o.continuation_time);
    u_limit.insert(u_limit.end(), o.u_limit.begin(), o.u_limit.end());
    const auto last = final_control(net, s.problem, solved.controls);
    xi_inf.insert(xi_inf.end(), last.begin(), last.end());
  }
  const auto& plan = r.solution.plan;
  py::dict d;
  d["plan"] = py::dict(py::arg("steps") = plan.steps, py::arg("horizon") = plan.horizon,
                       py::arg("tail_bound") = plan.tail_bound);
  d["outcome"] = outcome;
  d["J"] = to_array(J, {count});
  d["state_cost"] = to_array(state_cost, {count});
  d["control_cost"] = to_array(control_cost, {count});
  d["iterations"] = to_array(iterations, {count});
  d["evaluations"] = to_array(evaluations, {count});
  d["converged"] = converged;
  d["projected_gradient"] = to_array(gradient, {count});
  d["final_residual"] = to_array(residual, {count});
  d["residual_without_control"] = to_array(without, {count});
  d["existing_overlap"] = to_array(existing, {count});
  d["xi_inf_max"] = to_array(xi_max, {count});
  d["xi_inf_norm"] = to_array(xi_norm, {count});
  d["period"] = to_array(period, {count});
  d["period_time"] = to_array(period_time, {count});
  d["continuation_time"] = to_array(continuation, {count});
  d["cue_overlap"] = to_array(r.cue_overlap, {count});
  d["stored_overlap"] = to_array(r.stored_overlap, {count});
  d["nearest_pattern"] = to_array(r.nearest_pattern, {count});
  d["u_limit"] = to_array(std::move(u_limit), {count, n});
  d["xi_inf"] = to_array(std::move(xi_inf), {count, net.synapses()});
  d["pattern"] = pattern_of(net);
  if (traces) {
    std::vector<double> time, state, control;
    for (Index b = 0; b < count; ++b) {
      const std::vector<double> u0(cues.begin() + b * n, cues.begin() + (b + 1) * n);
      auto t = trace_control(net, s.problem, plan, r.solution.problems[b].controls, u0);
      state.insert(state.end(), t.residual.begin(), t.residual.end());
      control.insert(control.end(), t.control.begin(), t.control.end());
      time = std::move(t.time);
    }
    const Index points = plan.steps + 1;
    d["time"] = to_array(std::move(time), {points});
    d["residual"] = to_array(std::move(state), {count, points});
    d["control_norm"] = to_array(std::move(control), {count, points});
  }
  d["backend"] = r.solution.backend;
  d["seconds"] = r.solution.seconds;
  return d;
}

py::dict stage_dict(const MemoryStage& s) {
  py::dict d;
  d["stage"] = s.stage;
  d["action"] = s.release ? "release" : "record";
  d["pattern"] = s.pattern;
  d["trace_max_over_bound"] = s.trace_max_over_bound;
  d["saturated"] = s.saturated;
  d["held"] = s.held;
  d["probe_overlap"] = s.probe_overlap;
  if (!s.release) {
    d["outcome"] = to_string(s.outcome);
    d["J"] = s.J;
    d["tail_bound"] = s.tail_bound;
    d["xi_inf_max"] = s.xi_inf_max;
  }
  return d;
}

std::unique_ptr<core::Engine> float64_engine(const std::string& backend) {
  return make_engine(parse_enum<Backend>(backend, "backend"), core::Precision::Float64);
}

// What a batch of control problems runs on: the solver's batch and the engine of the
// continuations, both float64, on one backend.
struct ControlBackend {
  std::unique_ptr<core::ControlBatch> batch;
  std::unique_ptr<core::Engine> engine;

  explicit ControlBackend(const std::string& name)
      : batch(make_control_batch(parse_enum<Backend>(name, "backend"))),
        engine(float64_engine(name)) {}
};

}  // namespace

void bind_control(py::module_& m) {
  py::class_<ControlledNetwork>(m, "ControlledNetwork")
      .def_property_readonly("n", [](const ControlledNetwork& c) { return c.example.net.n(); })
      .def_property_readonly("synapses",
                             [](const ControlledNetwork& c) { return c.example.net.synapses(); })
      .def_property_readonly("silent",
                             [](const ControlledNetwork& c) {
                               return c.example.net.synapses() - c.example.net.existing();
                             })
      .def_property_readonly("K", [](const ControlledNetwork& c) { return c.example.net.K; })
      .def_property_readonly("k", [](const ControlledNetwork& c) { return c.example.net.k; })
      .def_property_readonly(
          "gain", [](const ControlledNetwork& c) { return c.example.net.activation.gain; })
      .def_property_readonly("amplitude",
                             [](const ControlledNetwork& c) { return c.example.amplitude; })
      .def_property_readonly("patterns", &patterns_or_none)
      .def_property_readonly("equilibria",
                             [](const ControlledNetwork& c) -> py::object {
                               if (!c.is_example) return py::none();
                               return to_array(
                                   c.example.equilibria,
                                   {ssize(c.example.patterns.count), ssize(c.example.net.n())});
                             })
      // A (its existing synapses) and the silent candidates (values 1), each as CSR arrays.
      .def("_parts",
           [](const ControlledNetwork& c) {
             const auto& net = c.example.net;
             std::vector<Index> a_ptr{0}, m_ptr{0};
             std::vector<std::int32_t> a_idx, m_idx;
             std::vector<double> a_val;
             for (Index i = 0; i < net.n(); ++i) {
               for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
                 if (e < net.split[i]) {
                   a_idx.push_back(net.T.col_idx[e]);
                   a_val.push_back(net.T.values[e]);
                 } else {
                   m_idx.push_back(net.T.col_idx[e]);
                 }
               }
               a_ptr.push_back(static_cast<Index>(a_idx.size()));
               m_ptr.push_back(static_cast<Index>(m_idx.size()));
             }
             const auto csr = [&net](std::vector<Index>&& ptr, std::vector<std::int32_t>&& idx,
                                     std::vector<double>&& val) {
               const auto nnz = ssize(static_cast<Index>(idx.size()));
               return py::make_tuple(net.n(), net.n(), to_array(std::move(ptr), {net.n() + 1}),
                                     to_array(std::move(idx), {nnz}),
                                     to_array(std::move(val), {nnz}));
             };
             const auto silent = static_cast<std::size_t>(m_idx.size());
             return py::make_tuple(
                 csr(std::move(a_ptr), std::move(a_idx), std::move(a_val)),
                 csr(std::move(m_ptr), std::move(m_idx), std::vector<double>(silent, 1.0)));
           })
      .def_property_readonly("silent_entries",
                             [](const ControlledNetwork& c) {
                               const auto& net = c.example.net;
                               py::array_t<bool> silent(ssize(net.synapses()));
                               bool* out = silent.mutable_data();
                               for (Index i = 0; i < net.n(); ++i) {
                                 for (Index e = net.T.row_ptr[i]; e < net.T.row_ptr[i + 1]; ++e) {
                                   out[e] = e >= net.split[i];
                                 }
                               }
                               return silent;
                             })
      .def("__repr__", [](const ControlledNetwork& c) {
        return "<attractor.ControlledNetwork n=" + std::to_string(c.example.net.n()) +
               " synapses=" + std::to_string(c.example.net.synapses()) +
               (c.is_example ? " example" : "") + ">";
      });

  m.def("_control_example",
        [](std::optional<Index> n, std::optional<Index> patterns,
           std::optional<double> connectivity, std::optional<double> silent,
           std::optional<double> strength, std::optional<double> gain, std::optional<double> K,
           std::optional<double> k, std::uint64_t seed, bool memory, const std::string& backend) {
          auto p = memory ? memory_network_params() : ControlNetworkParams{};
          set_if(p.n, n);
          set_if(p.patterns, patterns);
          set_if(p.connectivity, connectivity);
          set_if(p.silent, silent);
          set_if(p.strength, strength);
          set_if(p.gain, gain);
          set_if(p.K, K);
          set_if(p.k, k);
          p.seed = seed;
          p.validate();
          auto engine = float64_engine(backend);
          ControlledNetwork c;
          {
            py::gil_scoped_release release;
            c.example = control_network_example(p, *engine);
          }
          c.is_example = true;
          return c;
        });

  m.def("_control_from",
        [](Index n, const Array<std::int64_t>& a_ptr, const Array<std::int32_t>& a_idx,
           const Array<double>& a_val, const Array<std::int64_t>& m_ptr,
           const Array<std::int32_t>& m_idx, std::optional<Array<double>> bias,
           std::optional<double> gain, std::optional<double> K, std::optional<double> k) {
          ControlNetworkParams p;  // the example's gain and bounds unless given
          set_if(p.gain, gain);
          set_if(p.K, K);
          set_if(p.k, k);
          const auto csr = [n](const Array<std::int64_t>& ptr, const Array<std::int32_t>& idx,
                               core::Buffer<double> values) {
            core::CsrMatrix<double> M;
            M.rows = M.cols = n;
            M.row_ptr = borrow(ptr);
            M.col_idx = borrow(idx);
            M.values = std::move(values);
            return M;
          };
          const auto A = csr(a_ptr, a_idx, borrow(a_val));
          const auto mask =
              csr(m_ptr, m_idx, std::vector<double>(static_cast<std::size_t>(m_idx.size()), 1.0));
          ControlledNetwork c;
          c.example.net =
              core::ControlledNetwork::build(A, mask, {core::ActivationKind::Tanh, p.gain}, p.K,
                                             p.k, bias ? to_vector(*bias) : std::vector<double>{});
          return c;
        });

  m.def("_control_cues", [](const ControlledNetwork& c, Index stored, double noise, double jitter,
                            Index novel, std::uint64_t seed) {
    auto cues = control_cues(c.example, stored, noise, jitter, novel, seed);
    return to_array(std::move(cues), {stored + novel, c.example.net.n()});
  });

  py::class_<Overrides>(m, "_ControlOverrides")
      .def(py::init<>())
      .def_readwrite("mu", &Overrides::mu)
      .def_readwrite("lambda_", &Overrides::lambda)
      .def_readwrite("dt", &Overrides::dt)
      .def_readwrite("tail_tol", &Overrides::tail_tol)
      .def_readwrite("intervals", &Overrides::intervals)
      .def_readwrite("gtol", &Overrides::gtol)
      .def_readwrite("max_iterations", &Overrides::max_iterations)
      .def_readwrite("same_overlap", &Overrides::same_overlap)
      .def_readwrite("max_steps", &Overrides::max_steps);

  m.def("_control", [](const ControlledNetwork& c, const Array<double>& cues,
                       const Overrides& overrides, bool traces, const std::string& backend) {
    const auto s = overrides.settings();
    const auto u0 = to_states(cues, c.example.net.n()).values;
    require_cues(u0, c.example.net, s.problem);
    const ControlBackend on(backend);
    ControlBatchReport report;
    {
      py::gil_scoped_release release;
      report =
          run_control_batch(c.example, s.problem, u0, *on.batch, *on.engine, s.solve, s.outcome);
    }
    return control_dict(c, s, u0, std::move(report), traces);
  });

  m.def("_control_sweep", [](const ControlledNetwork& c, const Array<double>& cues,
                             const std::vector<double>& mus, const Overrides& overrides,
                             const std::string& backend) {
    const auto s = overrides.settings();
    core::require(!mus.empty(), "mus", "need at least one mu");
    for (const double mu : mus) {
      core::require(std::isfinite(mu) && mu > 0 && mu < 1, "mus", "every mu must lie in (0, 1)");
    }
    const auto u0 = to_states(cues, c.example.net.n()).values;
    require_cues(u0, c.example.net, s.problem);
    const ControlBackend on(backend);
    std::vector<ParetoPoint> points;
    {
      py::gil_scoped_release release;
      points = run_pareto_sweep(c.example, s.problem, mus, u0, *on.batch, *on.engine, s.solve,
                                s.outcome);
    }
    py::list out;
    for (const auto& p : points) {
      std::vector<std::string> outcomes;
      for (const auto o : p.outcomes) outcomes.emplace_back(to_string(o));
      py::dict d;
      d["mu"] = p.mu;
      d["state_cost"] = p.state_cost;
      d["control_cost"] = p.control_cost;
      d["state_integral"] = p.state_integral;
      d["control_integral"] = p.control_integral;
      d["recognized"] = p.recognized;
      d["recorded"] = p.recorded;
      d["limit_cycle"] = p.limit_cycles;
      d["wandering"] = p.wandering;
      d["tail_bound"] = p.tail_bound;
      d["outcomes"] = outcomes;
      out.append(d);
    }
    return out;
  });

  m.def("_memory_experiment", [](const ControlledNetwork& c, const std::vector<Index>& sequence,
                                 bool bounded, std::optional<double> probe_noise,
                                 std::optional<double> overlap, std::uint64_t seed,
                                 const Overrides& overrides, const std::string& backend) {
    core::require(c.is_example, "net",
                  "the memory experiment runs on the example network (its novel patterns need "
                  "it)");
    const auto s = overrides.settings();
    MemoryExperimentParams p;
    p.sequence = sequence;
    p.bounded = bounded;
    set_if(p.probe_noise, probe_noise);
    set_if(p.overlap, overlap);
    p.seed = seed;
    p.validate();
    const ControlBackend on(backend);
    MemoryExperimentReport report;
    {
      py::gil_scoped_release release;
      report =
          run_memory_experiment(c.example, s.problem, p, *on.batch, *on.engine, s.solve, s.outcome);
    }
    py::list stages, events;
    for (const auto& stage : report.stages) stages.append(stage_dict(stage));
    for (const auto& e : report.events) {
      events.append(py::dict(py::arg("kind") = e.kind, py::arg("memory") = e.memory,
                             py::arg("stage") = e.stage));
    }
    py::dict d;
    d["stages"] = stages;
    d["events"] = events;
    d["trace"] = to_array(std::move(report.trace), {c.example.net.synapses()});
    d["pattern"] = pattern_of(c.example.net);
    return d;
  });
}

}  // namespace attractor::python
