// attractor._attractor: the library's networks, engines and learning rules for Python. NumPy
// arrays in and out; the work runs with the GIL released; the library's InputError arrives as
// attractor.InputError (a ValueError) with the CLI's message. The pure-Python package
// (python/attractor/__init__.py) is the public face; names here that start with _ are its.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "attractor/core/ensemble.hpp"
#include "attractor/core/error.hpp"
#include "attractor/host/engine/engine_factory.hpp"
#include "attractor/host/io/npy.hpp"
#include "attractor/host/learning/competing_units.hpp"
#include "attractor/host/learning/local_rules.hpp"
#include "attractor/host/memory/dense_associative_memory.hpp"
#include "attractor/host/memory/hebbian.hpp"
#include "attractor/host/memory/recall.hpp"
#include "attractor/host/memory/storage_rules.hpp"
#include "attractor/host/physical/hessian_modes.hpp"
#include "attractor/host/physical/physical_learning.hpp"
#include "attractor/host/physical/physical_network.hpp"
#include "attractor/version.hpp"
#include "bindings.hpp"

namespace py = pybind11;
using namespace attractor;
using Index = std::int64_t;

namespace {

using namespace attractor::python;  // NOLINT: the bindings' shared helpers

core::Network finish_network(core::Weights weights, std::optional<Array<double>> bias,
                             double threshold, const std::string& activation, double gain) {
  core::Network net;
  net.weights = std::move(weights);
  if (bias) net.bias = to_vector(*bias);
  net.threshold = threshold;
  net.activation = {parse_enum<core::ActivationKind>(activation, "activation"), gain};
  net.validate("weights");
  return net;
}

template <class Value>
core::Network dense_network(const Array<Value>& W, std::optional<Array<double>> bias,
                            double threshold, const std::string& activation, double gain) {
  return finish_network(to_dense(W, "weights"), std::move(bias), threshold, activation, gain);
}

template <class Value>
core::Network csr_network(Index rows, Index cols, const Array<std::int64_t>& indptr,
                          const Array<std::int32_t>& indices, const Array<Value>& data,
                          std::optional<Array<double>> bias, double threshold,
                          const std::string& activation, double gain) {
  core::CsrMatrix<Value> T;
  T.rows = rows;
  T.cols = cols;
  T.row_ptr = borrow(indptr);
  T.col_idx = borrow(indices);
  T.values = borrow(data);
  return finish_network(std::move(T), std::move(bias), threshold, activation, gain);
}

const char* storage_name(const core::Network& net) {
  if (core::is_dense(net.weights)) return "dense";
  if (core::is_sparse(net.weights)) return "csr";
  return "factored";
}

py::dict result_dict(core::RunResult&& r, core::StateBatch&& states,
                     const core::RunOptions& options) {
  const auto batch = static_cast<py::ssize_t>(states.batch), n = static_cast<py::ssize_t>(states.n);
  std::vector<std::string> outcome;
  std::vector<Index> steps, period, matched;
  std::vector<double> time, period_time, energy, residual, best;
  for (const auto& s : r.states) {
    outcome.emplace_back(core::to_string(s.outcome));
    steps.push_back(s.steps);
    period.push_back(s.period);
    matched.push_back(s.matched_pattern);
    time.push_back(s.time);
    period_time.push_back(s.period_time);
    energy.push_back(s.energy);
    residual.push_back(s.residual);
    best.push_back(s.best_overlap);
  }
  py::dict d;
  d["final"] = to_array(std::move(states.values), {batch, n});
  d["outcome"] = outcome;
  d["steps"] = to_array(steps, {batch});
  d["period"] = to_array(period, {batch});
  d["time"] = to_array(time, {batch});
  d["period_time"] = to_array(period_time, {batch});
  d["energy"] = to_array(energy, {batch});
  d["residual"] = to_array(residual, {batch});
  d["energy_defined"] = r.energy_defined;
  if (options.patterns != nullptr) {
    const auto p = static_cast<py::ssize_t>(options.patterns->count);
    d["overlaps"] = to_array(std::move(r.overlaps), {batch, p});
    d["best_overlap"] = to_array(best, {batch});
    d["matched_pattern"] = to_array(matched, {batch});
  }
  auto& rec = r.recording;
  if (!rec.steps.empty() && options.record_every > 0) {
    const auto rows = static_cast<py::ssize_t>(rec.steps.size());
    py::dict record;
    record["steps"] = to_array(std::move(rec.steps), {rows});
    record["time"] = to_array(std::move(rec.time), {rows, batch});
    if (!rec.energy.empty()) record["energy"] = to_array(std::move(rec.energy), {rows, batch});
    if (!rec.overlaps.empty()) {
      record["overlaps"] =
          to_array(std::move(rec.overlaps),
                   {rows, batch, static_cast<py::ssize_t>(options.patterns->count)});
    }
    if (!rec.states.empty()) record["states"] = to_array(std::move(rec.states), {rows, batch, n});
    d["recording"] = record;
  }
  d["backend"] = r.backend;
  d["precision"] = core::to_string(r.precision);
  d["seconds"] = r.seconds;
  d["loop_seconds"] = r.loop_seconds;
  d["neuron_updates"] = r.neuron_updates;
  return d;
}

// One engine run with the GIL released (the engine never calls back into Python), as a dict.
template <typename Engine, typename Networks>
py::dict run_released(std::unique_ptr<Engine> engine, const Networks& networks,
                      core::StateBatch batch, const core::RunOptions& options) {
  core::RunResult result;
  {
    py::gil_scoped_release release;
    result = engine->run(networks, batch, options);
  }
  return result_dict(std::move(result), std::move(batch), options);
}

core::RunOptions run_options(const std::string& dynamics, const std::string& integrator,
                             Index steps, double dt, double t_end, double tol, std::uint64_t seed,
                             Index record_every, bool record_states, int max_period,
                             double temperature = 1.0) {
  core::RunOptions o;
  o.dynamics = parse_enum<core::Dynamics>(dynamics, "dynamics");
  o.integrator = parse_enum<core::Integrator>(integrator, "integrator");
  o.max_steps = steps;
  o.dt = dt;
  o.t_end = t_end;
  o.tol = tol;
  o.seed = seed;
  o.record_every = record_every;
  o.record_states = record_states;
  o.max_period = max_period;
  o.temperature = temperature;
  o.validate();
  return o;
}

py::dict physical_network_dict(const PhysicalNetwork& net) {
  py::dict d;
  d["kind"] = to_string(net.kind);
  d["phi"] = to_string(net.phi);
  d["nodes"] = net.nodes;
  d["space_dim"] = net.space_dim;
  d["positions"] = to_array(net.positions, {static_cast<py::ssize_t>(net.nodes),
                                            static_cast<py::ssize_t>(net.space_dim)});
  std::vector<Index> flat;
  for (const auto& e : net.edges) flat.insert(flat.end(), {e[0], e[1]});
  d["edges"] = to_array(flat, {static_cast<py::ssize_t>(net.edges.size()), 2});
  d["w"] = to_array(net.w, {static_cast<py::ssize_t>(net.w.size())});
  d["ground"] = net.ground;
  return d;
}

// The inverse of physical_network_dict, for a network Python built or changed.
PhysicalNetwork physical_network_from(const py::dict& d) {
  PhysicalNetwork net;
  net.kind = parse_enum<PhysicalKind>(d["kind"].cast<std::string>(), "kind");
  net.phi = parse_enum<EdgeResponse>(d["phi"].cast<std::string>(), "phi");
  const auto positions = d["positions"].cast<Array<double>>();
  core::require(positions.ndim() == 2, "positions", "must be a (nodes, dim) array");
  net.nodes = positions.shape(0);
  net.space_dim = static_cast<int>(positions.shape(1));
  net.positions = to_vector(positions);
  const auto edges = d["edges"].cast<Array<std::int64_t>>();
  core::require(edges.ndim() == 2 && edges.shape(1) == 2, "edges", "must be an (E, 2) array");
  for (py::ssize_t e = 0; e < edges.shape(0); ++e) {
    net.edges.push_back({edges.at(e, 0), edges.at(e, 1)});
  }
  net.w = to_vector(d["w"].cast<Array<double>>());
  net.ground = d["ground"].cast<std::vector<std::int64_t>>();
  return net;
}

}  // namespace

PYBIND11_MODULE(_attractor, m) {
  m.doc() = "attractor: Hopfield-family networks, their dynamics and learning rules";
  m.attr("__version__") = ATTRACTOR_VERSION;
  py::register_exception<core::InputError>(m, "InputError", PyExc_ValueError);
  bind_control(m);
  bind_supervised(m);

  py::class_<core::Network>(m, "Network")
      .def_property_readonly("n", &core::Network::size)
      .def_property_readonly("synapses", &core::Network::synapse_count)
      .def_property_readonly("symmetric", &core::Network::is_symmetric)
      .def_property_readonly("storage", &storage_name)
      .def_property_readonly("threshold", [](const core::Network& n) { return n.threshold; })
      .def("__repr__", [](const core::Network& n) {
        return "<attractor.Network n=" + std::to_string(n.size()) + " " + storage_name(n) +
               " synapses=" + std::to_string(n.synapse_count()) + ">";
      });

  // Every enum's names, from the tables the C++ library parses with: what Python accepts.
  m.def("_choices", [] {
    py::dict names;
    names["activation"] = enum_choices<core::ActivationKind>();
    names["backend"] = enum_choices<Backend>();
    names["clamp_rule"] = enum_choices<ClampRule>();
    names["dynamics"] = enum_choices<core::Dynamics>();
    names["edge_response"] = enum_choices<EdgeResponse>();
    names["grounding"] = enum_choices<Grounding>();
    names["hessian_method"] = enum_choices<HessianMethod>();
    names["integrator"] = enum_choices<core::Integrator>();
    names["local_rule"] = enum_choices<LocalRule>();
    names["mode_method"] = enum_choices<ModeMethod>();
    names["physical_kind"] = enum_choices<PhysicalKind>();
    names["precision"] = enum_choices<core::Precision>();
    names["storage"] = enum_choices<Storage>();
    names["storage_rule"] = enum_choices<StorageRule>();
    return names;
  });
  // Weights in float64 or float32, kept as given (a float32 network holds half the bytes per
  // weight, two thirds per synapse); float64 first, so values of any other type convert to it.
  m.def("_dense_network", &dense_network<double>);
  m.def("_dense_network", &dense_network<float>);
  m.def("_csr_network", &csr_network<double>);
  m.def("_csr_network", &csr_network<float>);
  m.def("_memory_network",
        [](const Array<double>& patterns, const std::string& rule, const std::string& storage) {
          const auto xi = to_patterns(patterns, "patterns");
          const auto r = parse_enum<StorageRule>(rule, "rule");
          const bool factored = resolve_storage(parse_enum<Storage>(storage, "storage"), xi.n, r) ==
                                Storage::Factored;
          py::gil_scoped_release release;
          return memory_network(r, xi, factored);
        });
  // Views of the network's own arrays (for a network built from NumPy or SciPy without a copy,
  // the caller's arrays themselves).
  m.def("_weights", [](const py::object& self) -> py::object {
    const auto& net = self.cast<const core::Network&>();
    py::object matrix;
    core::visit_dense(net.weights, [&](const auto& d) {
      matrix = view_of(d.values, {d.rows, d.cols}, self);
    });
    core::visit_csr(net.weights, [&](const auto& c) {
      matrix = py::make_tuple(
          c.rows, c.cols, view_of(c.row_ptr, {static_cast<py::ssize_t>(c.row_ptr.size())}, self),
          view_of(c.col_idx, {static_cast<py::ssize_t>(c.col_idx.size())}, self),
          view_of(c.values, {static_cast<py::ssize_t>(c.values.size())}, self));
    });
    if (matrix) return matrix;
    const auto& p = std::get<core::FactoredWeights>(net.weights).patterns;
    return to_array(p.values, {static_cast<py::ssize_t>(p.count), static_cast<py::ssize_t>(p.n)});
  });

  m.def("_run", [](const core::Network& net, const Array<double>& states,
                   const std::string& dynamics, const std::string& integrator, Index steps,
                   double dt, double t_end, double tol, std::uint64_t seed, Index record_every,
                   bool record_states, int max_period, std::optional<Array<double>> patterns,
                   const std::string& backend, const std::string& precision, double temperature) {
    auto batch = to_states(states, net.size());
    auto options = run_options(dynamics, integrator, steps, dt, t_end, tol, seed, record_every,
                               record_states, max_period, temperature);
    core::PatternSet xi;
    if (patterns) {
      xi = to_patterns(*patterns, "patterns");
      core::require(xi.n == net.size(), "patterns", "have the wrong number of neurons");
      options.patterns = &xi;
    }
    return run_released(make_engine(parse_enum<Backend>(backend, "backend"),
                                    parse_enum<core::Precision>(precision, "precision")),
                        net, std::move(batch), options);
  });

  m.def("_run_ensemble", [](const Array<double>& weights, const Array<double>& states,
                            const std::string& dynamics, Index steps, std::uint64_t seed,
                            double threshold, const std::string& backend,
                            const std::string& precision) {
    const auto info = weights.request();
    core::require(info.ndim == 3 && info.shape[1] == info.shape[2], "weights",
                  "must be an (E, N, N) stack of square matrices");
    core::Ensemble ensemble;
    ensemble.count = info.shape[0];
    ensemble.n = info.shape[1];
    ensemble.threshold = threshold;
    ensemble.weights = core::Ensemble::DenseStack{to_vector(weights)};
    ensemble.validate("weights");
    auto batch = to_states(states, ensemble.n);
    core::require(batch.batch == ensemble.count, "states", "need one state per network");
    auto options = run_options(dynamics, "rk4", steps, 0.05,
                               std::numeric_limits<double>::infinity(), 1e-6, seed, 0, false, 32);
    return run_released(make_ensemble_engine(parse_enum<Backend>(backend, "backend"),
                                             parse_enum<core::Precision>(precision, "precision")),
                        ensemble, std::move(batch), options);
  });

  m.def("_recall",
        [](Index n, Index patterns, Index cues, double noise, const std::string& dynamics,
           Index steps, double match, std::uint64_t seed, const std::string& storage,
           const std::string& backend, const std::string& precision) {
          RecallParams p;
          p.n = n;
          p.patterns = patterns;
          p.cues = cues;
          p.noise = noise;
          p.dynamics = parse_enum<core::Dynamics>(dynamics, "dynamics");
          p.max_steps = steps;
          p.match_overlap = match;
          p.seed = seed;
          p.storage = parse_enum<Storage>(storage, "storage");
          p.validate();
          auto engine = make_engine(parse_enum<Backend>(backend, "backend"),
                                    parse_enum<core::Precision>(precision, "precision"));
          RecallReport r;
          {
            py::gil_scoped_release release;
            r = run_recall(p, *engine);
          }
          py::dict d;
          d["recall_rate"] = r.recall_rate;
          d["mean_overlap"] = r.mean_overlap;
          d["mean_steps"] = r.mean_steps;
          d["target_overlap"] = to_array(r.target_overlap, {static_cast<py::ssize_t>(cues)});
          d["steps"] = to_array(r.steps, {static_cast<py::ssize_t>(cues)});
          d["storage"] = to_string(r.storage);
          d["backend"] = r.backend;
          d["seconds"] = r.seconds;
          return d;
        });

  // Dense associative memories (Krotov & Hopfield's F = xⁿ or eˣ) and the modern softmax
  // network, run from cues; and the capacity experiment that compares them.
  m.def("_dense_recall",
        [](const Array<double>& patterns, const Array<double>& cues, const std::string& kind,
           const std::string& dynamics, double beta, Index steps, std::uint64_t seed) {
          const auto xi = to_patterns(patterns, "patterns");
          const auto memory = parse_memory_kind(kind, "kind");
          auto states = to_states(cues, xi.n);
          const auto parsed_dynamics = parse_enum<core::Dynamics>(dynamics, "dynamics");
          std::vector<core::StateResult> results;
          {
            py::gil_scoped_release release;
            results = run_memory(memory, xi, states, parsed_dynamics, beta, steps, seed);
          }
          const auto B = static_cast<py::ssize_t>(states.batch);
          std::vector<std::string> outcome;
          std::vector<Index> taken, period;
          std::vector<double> overlaps;
          for (Index b = 0; b < states.batch; ++b) {
            outcome.emplace_back(core::to_string(results[b].outcome));
            taken.push_back(results[b].steps);
            period.push_back(results[b].period);
            for (Index mu = 0; mu < xi.count; ++mu)
              overlaps.push_back(xi.overlap(mu, states.state(b)));
          }
          py::dict d;
          d["final"] = to_array(std::move(states.values), {B, static_cast<py::ssize_t>(xi.n)});
          d["outcome"] = outcome;
          d["steps"] = to_array(taken, {B});
          d["period"] = to_array(period, {B});
          d["overlaps"] = to_array(std::move(overlaps), {B, static_cast<py::ssize_t>(xi.count)});
          return d;
        });

  m.def("_dense_capacity",
        [](Index n, const std::vector<double>& alphas, const std::vector<std::string>& kinds,
           double noise, Index trials, Index cues, const std::string& dynamics, double beta,
           Index steps, double match, std::uint64_t seed) {
          DamCapacityParams p;
          p.n = n;
          p.alphas = alphas;
          p.kinds.clear();
          for (const auto& k : kinds) p.kinds.push_back(parse_memory_kind(k, "kinds"));
          p.noise = noise;
          p.trials = trials;
          p.cues = cues;
          p.dynamics = parse_enum<core::Dynamics>(dynamics, "dynamics");
          p.beta = beta;
          p.max_steps = steps;
          p.match_overlap = match;
          p.seed = seed;
          p.validate();
          std::vector<DamCapacityPoint> curve;
          {
            py::gil_scoped_release release;
            curve = run_dam_capacity(p);
          }
          py::list out;
          for (const auto& c : curve) {
            py::dict d;
            d["kind"] = c.kind;
            d["alpha"] = c.alpha;
            d["patterns"] = c.patterns;
            d["cues"] = c.cues;
            d["retrieval_rate"] = c.retrieval_rate;
            d["exact_rate"] = c.exact_rate;
            d["mean_overlap"] = c.mean_overlap;
            d["mean_steps"] = c.mean_steps;
            out.append(d);
          }
          return out;
        });

  m.def("_capacity",
        [](Index n, const std::vector<double>& alphas, Index trials, const std::string& dynamics,
           Index steps, const std::string& rule, std::uint64_t seed, const std::string& backend) {
          CapacityParams p;
          p.n = n;
          p.alphas = alphas;
          p.trials = trials;
          p.dynamics = parse_enum<core::Dynamics>(dynamics, "dynamics");
          p.max_steps = steps;
          p.rule = parse_enum<StorageRule>(rule, "rule");
          p.seed = seed;
          p.validate();
          auto engine = make_engine(parse_enum<Backend>(backend, "backend"));
          std::vector<CapacityPoint> curve;
          {
            py::gil_scoped_release release;
            curve = run_capacity(p, *engine);
          }
          py::list out;
          for (const auto& c : curve) {
            py::dict d;
            d["alpha"] = c.alpha;
            d["patterns"] = c.patterns;
            d["retrieval_rate"] = c.retrieval_rate;
            d["mean_overlap"] = c.mean_overlap;
            d["overlap_stddev"] = c.overlap_stddev;
            d["mean_steps"] = c.mean_steps;
            out.append(d);
          }
          return out;
        });

  m.def("_train_local_rule", [](const std::string& rule, const Array<double>& samples, double rate,
                                double anneal_epochs, Index epochs, double tau, Index components,
                                std::uint64_t seed) {
    const auto kind = parse_enum<LocalRule>(rule, "rule");
    const core::DenseMatrix<double> x = to_dense(samples, "samples");
    LocalRuleParams params;
    params.rate = rate;
    params.anneal_epochs = anneal_epochs;
    params.epochs = epochs;
    params.tau = tau;
    params.components = components;
    params.seed = seed;
    params.validate();
    LocalRuleResult r;
    {
      py::gil_scoped_release release;
      r = train_local_rule(kind, x, params);
    }
    const auto& w = r.weights;
    const auto& norms = r.norm_history;
    py::dict d;
    d["weights"] =
        to_array(w.values, {static_cast<py::ssize_t>(w.rows), static_cast<py::ssize_t>(w.cols)});
    d["norm_history"] = to_array(
        norms.values, {static_cast<py::ssize_t>(norms.rows), static_cast<py::ssize_t>(norms.cols)});
    d["theta_history"] = r.theta_history;
    d["epochs_run"] = r.epochs_run;
    d["ltp_events"] = r.ltp_events;
    d["ltd_events"] = r.ltd_events;
    d["diverged"] = r.diverged;
    return d;
  });

  m.def("_train_competing_units",
        [](const Array<float>& samples, Index hidden, double p, Index rank, double delta,
           double eps0, Index batch, Index epochs, std::uint64_t seed, const std::string& backend) {
          const auto info = samples.request();
          require_2d(info, "samples");
          CompetingUnitsParams params;
          params.hidden = hidden;
          params.rule = {p, rank, delta};
          params.eps0 = eps0;
          params.batch = batch;
          params.epochs = epochs;
          params.seed = seed;
          params.validate();
          const Index count = info.shape[0], inputs = info.shape[1];
          require_unit_interval(samples, "samples");
          const float* x = samples.data();
          auto step = make_competing_units_step(parse_enum<Backend>(backend, "backend"), hidden,
                                                inputs, params.rule);
          {
            py::gil_scoped_release release;
            step->set_weights(initial_competing_weights(hidden, inputs, seed));
            step->load_inputs(x, count);
            for (Index e = 0; e < epochs; ++e) train_competing_epoch(*step, params, count, e);
          }
          return to_array(step->weights(),
                          {static_cast<py::ssize_t>(hidden), static_cast<py::ssize_t>(inputs)});
        });

  // Physical learning: a built network, trained on allostery, with the cost at every step and
  // the lowest Hessian eigenvalues every `analyze_every` steps.
  m.def("_physical_network", [](const std::string& kind, Index nodes, int dim, double degree,
                                std::uint64_t seed, const std::string& ground,
                                const std::string& phi) {
    auto net = random_geometric_network(parse_enum<PhysicalKind>(kind, "kind"), nodes, dim, degree,
                                        seed, parse_enum<Grounding>(ground, "ground"));
    net.phi = parse_enum<EdgeResponse>(phi, "phi");
    return physical_network_dict(net);
  });
  m.def("_physical_modes", [](const py::dict& network, Index count, const std::string& method,
                              double tolerance, Index forces, std::uint64_t seed) {
    core::require(count >= 1, "count", "must be at least 1");
    core::require(tolerance > 0 && tolerance < 1, "tolerance", "must lie in (0, 1)");
    core::require(forces >= 0, "forces", "must be >= 0");
    const auto kind = parse_enum<ModeMethod>(method, "method");
    const PhysicalSystem system(physical_network_from(network));
    py::dict d;
    {
      HessianModes modes;
      std::optional<EnsembleDimension> ensemble;
      {
        py::gil_scoped_release release;
        const auto H = system.hessian(system.network().w);
        HessianSolver solver;
        solver.factorize(H);
        modes = lowest_modes(H, count, kind, tolerance, &solver);
        if (forces > 0) ensemble = ensemble_dimension(solver, forces, seed);
      }
      const auto found = static_cast<py::ssize_t>(modes.values.size());
      d["eigenvalues"] =
          to_array(std::vector<double>(modes.values.data(), modes.values.data() + found), {found});
      // Eigen's column-major vectors, one per column, as a (DOFs, modes) array.
      const auto dofs = static_cast<py::ssize_t>(modes.vectors.rows());
      py::array_t<double, py::array::f_style> vectors({dofs, found});
      std::copy(modes.vectors.data(), modes.vectors.data() + modes.vectors.size(),
                vectors.mutable_data());
      d["vectors"] = vectors;
      d["method"] = modes.method;
      d["free_dofs"] = system.free_dofs();
      if (modes.complete) {
        const auto spectrum = response_spectrum(modes.values);
        d["g_bar"] = spectrum.g_bar;
        d["participation_ratio"] = spectrum.participation;
        d["d_eff"] = spectrum.d_eff;
      }
      if (ensemble) {
        d["ensemble"] =
            py::dict(py::arg("forces") = ensemble->forces,
                     py::arg("participation_ratio") = ensemble->participation,
                     py::arg("d_eff") = ensemble->d_eff, py::arg("g_bar") = ensemble->g_bar);
      }
    }
    return d;
  });
  m.def("_physical_allostery", [](const std::string& kind, Index nodes, int dim, double degree,
                                  std::uint64_t seed, const std::string& phi, Index tasks,
                                  Index inputs, Index outputs, double gain, double force,
                                  const std::string& rule, double alpha, double eta, double floor,
                                  Index steps, Index analyze_every, Index modes) {
    auto net = random_geometric_network(parse_enum<PhysicalKind>(kind, "kind"), nodes, dim, degree,
                                        seed, Grounding::Boundary);
    net.phi = parse_enum<EdgeResponse>(phi, "phi");
    const PhysicalSystem system(net);
    std::vector<double> w = system.network().w;
    PhysicalTrainParams params;
    params.rule = parse_enum<ClampRule>(rule, "rule");
    params.alpha = alpha;
    params.eta = eta;
    params.stiffness_floor = floor;
    params.steps = steps;
    check_train_params(params);
    core::require(analyze_every >= 1, "analyze_every", "must be at least 1");
    core::require(modes >= 1 && modes < system.free_dofs(), "modes", "must lie in [1, free DOFs)");
    std::vector<double> costs;
    std::vector<Index> analyzed, carrier;
    // Per analysis: the `modes` lowest eigenvalues and task 0's projections on them; with every
    // mode known, the response spectrum and the carrying mode.
    std::vector<double> eigenvalues, f, a, alignment, g_bar, participation, d_eff,
        carrier_eigenvalue;
    const auto nan = std::numeric_limits<double>::quiet_NaN();
    {
      py::gil_scoped_release release;
      const auto task_list = allostery_tasks(system, w, tasks, inputs, outputs, gain, force, seed);
      train_physical(
          system, w, task_list, params,
          [&](Index step, const std::vector<double>& now, double cost) {
            costs.push_back(cost);
            if (step % analyze_every != 0 && step != steps) return true;
            const auto r = analyze_modes(system, now, task_list[0], modes, 0, seed);
            const auto kept = static_cast<std::ptrdiff_t>(r.kept);
            analyzed.push_back(step);
            eigenvalues.insert(eigenvalues.end(), r.modes.values.data(),
                               r.modes.values.data() + kept);
            f.insert(f.end(), r.alignment.f.begin(), r.alignment.f.begin() + kept);
            a.insert(a.end(), r.alignment.a.begin(), r.alignment.a.begin() + kept);
            alignment.insert(alignment.end(), r.alignment.product.begin(),
                             r.alignment.product.begin() + kept);
            g_bar.push_back(r.spectrum ? r.spectrum->g_bar : nan);
            participation.push_back(r.spectrum ? r.spectrum->participation : nan);
            d_eff.push_back(r.spectrum ? r.spectrum->d_eff : nan);
            carrier.push_back(r.spectrum ? static_cast<Index>(r.alignment.carrier) : -1);
            carrier_eigenvalue.push_back(
                r.spectrum ? r.modes.values[static_cast<Eigen::Index>(r.alignment.carrier)] : nan);
            return true;
          });
    }
    const auto rows = static_cast<py::ssize_t>(analyzed.size());
    const auto kept = static_cast<py::ssize_t>(modes);
    py::dict d;
    d["cost"] = to_array(costs, {static_cast<py::ssize_t>(costs.size())});
    d["analyzed_steps"] = to_array(analyzed, {rows});
    d["eigenvalues"] = to_array(eigenvalues, {rows, kept});
    d["f"] = to_array(f, {rows, kept});
    d["a"] = to_array(a, {rows, kept});
    d["alignment"] = to_array(alignment, {rows, kept});
    d["g_bar"] = to_array(g_bar, {rows});
    d["participation_ratio"] = to_array(participation, {rows});
    d["d_eff"] = to_array(d_eff, {rows});
    d["carrier_mode"] = to_array(carrier, {rows});
    d["carrier_eigenvalue"] = to_array(carrier_eigenvalue, {rows});
    PhysicalNetwork after = system.network();
    after.w = w;
    d["before"] = physical_network_dict(system.network());
    d["after"] = physical_network_dict(after);
    return d;
  });
}
