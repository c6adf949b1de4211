#include "attractor/host/physical/physical_learning.hpp"

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/io/input_file.hpp"
#include "physical/iris_table.hpp"

namespace attractor {

using core::require;

HessianSolver::HessianSolver(HessianMethod method, double cg_tolerance)
    : method_(method), cg_tolerance_(cg_tolerance) {}

void HessianSolver::factorize(const SparseMatrix& H) {
  require(H.rows() == H.cols() && H.rows() > 0, "H", "must be square and non-empty");
  size_ = H.rows();
  if (method_ == HessianMethod::ConjugateGradient) {
    H_ = H;
    cg_.setTolerance(cg_tolerance_);
    cg_.setMaxIterations(std::max<Eigen::Index>(1000, 10 * H.rows()));
    cg_.compute(H_);
    require(cg_.info() == Eigen::Success, "H",
            "the incomplete Cholesky preconditioner failed: H is not positive definite");
    return;
  }
  if (H.nonZeros() != pattern_nonzeros_) {
    llt_.analyzePattern(H);
    pattern_nonzeros_ = H.nonZeros();
  }
  llt_.factorize(H);
  bool positive = llt_.info() == Eigen::Success;
  if (positive) {
    // A floppy mode is a zero pivot in exact arithmetic; rounding leaves it at ~ε of the
    // largest, far below any physical stiffness ratio a network of positive springs reaches.
    const Eigen::VectorXd pivots = llt_.matrixL().nestedExpression().diagonal().array().square();
    positive = pivots.minCoeff() > 1e-13 * pivots.maxCoeff();
  }
  require(positive, "H",
          "is singular or not positive definite: the network has a floppy mode, an unpinned "
          "rigid motion or an ungrounded part");
}

Eigen::VectorXd HessianSolver::solve(const Eigen::VectorXd& b) const {
  if (method_ == HessianMethod::Cholesky) return llt_.solve(b);
  Eigen::VectorXd u = cg_.solve(b);
  cg_iterations_ += cg_.iterations();
  require(cg_.info() == Eigen::Success, "conjugate gradients",
          "did not converge in " + std::to_string(cg_.maxIterations()) + " iterations");
  return u;
}

Eigen::MatrixXd HessianSolver::solve(const Eigen::MatrixXd& b) const {
  if (method_ == HessianMethod::Cholesky) return llt_.solve(b);
  Eigen::MatrixXd u(b.rows(), b.cols());
  for (Eigen::Index c = 0; c < b.cols(); ++c) u.col(c) = solve(Eigen::VectorXd(b.col(c)));
  return u;
}

std::int64_t HessianSolver::factor_nonzeros() const {
  return method_ == HessianMethod::Cholesky ? llt_.matrixL().nestedExpression().nonZeros() : 0;
}

namespace {

// The capacitance system of a set of held DOFs on one factor of H: Z = H⁻¹Gᵀ and the Cholesky
// factor of S = G Z, made once, so that each solve with those DOFs held costs one solve with H.
class HeldSolve {
 public:
  HeldSolve(const HessianSolver& solver, Eigen::MatrixXd G_t)
      : solver_(solver), G_t_(std::move(G_t)) {
    if (G_t_.cols() == 0) return;
    Z_ = solver_.solve(G_t_);
    capacitance_.compute(G_t_.transpose() * Z_);
    require(capacitance_.info() == Eigen::Success, "clamped degrees of freedom",
            "are not independent (the capacitance matrix G H^-1 G^T is singular)");
  }
  // argmin ½ uᵀHu − gᵀu subject to G u = y.
  Eigen::VectorXd solve(const Eigen::VectorXd& g, const Eigen::VectorXd& y) const {
    Eigen::VectorXd u = solver_.solve(g);
    if (G_t_.cols() == 0) return u;
    const Eigen::VectorXd lambda = capacitance_.solve(y - G_t_.transpose() * u);
    u += Z_ * lambda;
    return u;
  }
  Eigen::Index held() const { return G_t_.cols(); }

 private:
  const HessianSolver& solver_;
  Eigen::MatrixXd G_t_, Z_;
  Eigen::LLT<Eigen::MatrixXd> capacitance_;
};

// The rows that hold the task's sources: unit vectors on their DOFs.
Eigen::MatrixXd source_rows(const PhysicalTask& task, Eigen::Index dofs) {
  Eigen::MatrixXd G_t =
      Eigen::MatrixXd::Zero(dofs, static_cast<Eigen::Index>(task.source_dofs.size()));
  for (std::size_t s = 0; s < task.source_dofs.size(); ++s) {
    G_t(static_cast<Eigen::Index>(task.source_dofs[s]), static_cast<Eigen::Index>(s)) = 1.0;
  }
  return G_t;
}

// The clamped state with the task's sources already held by `sources`.
Eigen::VectorXd clamped_state(const HeldSolve& sources, const HessianSolver& solver,
                              const PhysicalTask& task, const Eigen::VectorXd& u_free,
                              ClampRule rule, double eta) {
  const Eigen::VectorXd c = task_error(task, u_free);
  if (rule == ClampRule::Nudge) {
    const Eigen::VectorXd F_O = -(task.A.transpose() * c);
    // The sources stay held, so the nudge moves the state by η times the constrained inverse.
    return u_free + sources.solve(eta * F_O, Eigen::VectorXd::Zero(sources.held()));
  }
  const auto k = sources.held(), outputs = task.A.rows();
  Eigen::MatrixXd G_t(u_free.size(), k + outputs);
  G_t << source_rows(task, u_free.size()), Eigen::MatrixXd(task.A.transpose());
  Eigen::VectorXd y(k + outputs);
  y << task.source_values, task.A * u_free - eta * c;
  return HeldSolve(solver, std::move(G_t)).solve(task.force, y);
}

}  // namespace

Eigen::VectorXd constrained_solve(const HessianSolver& solver, const Eigen::VectorXd& g,
                                  const Eigen::MatrixXd& G_t, const Eigen::VectorXd& y) {
  return HeldSolve(solver, G_t).solve(g, y);
}

Eigen::VectorXd free_state(const HessianSolver& solver, const PhysicalTask& task) {
  return constrained_solve(solver, task.force, source_rows(task, task.force.size()),
                           task.source_values);
}

Eigen::VectorXd task_error(const PhysicalTask& task, const Eigen::VectorXd& u) {
  return task.A * u - task.B;
}

Eigen::VectorXd clamped_state(const HessianSolver& solver, const PhysicalTask& task,
                              const Eigen::VectorXd& u_free, ClampRule rule, double eta) {
  const HeldSolve sources(solver, source_rows(task, u_free.size()));
  return clamped_state(sources, solver, task, u_free, rule, eta);
}

Eigen::VectorXd contrastive_gradient(const PhysicalSystem& system, const std::vector<double>& w,
                                     const std::vector<PhysicalTask>& tasks, ClampRule rule,
                                     double eta, HessianSolver& solver, double* cost) {
  require(!tasks.empty(), "tasks", "none given");
  require(std::isfinite(eta) && eta > 0, "--eta", "must be positive and finite");
  solver.factorize(system.hessian(w));
  Eigen::VectorXd gradient = Eigen::VectorXd::Zero(system.learning_dofs());
  double C = 0;
  const double per_task = 1.0 / static_cast<double>(tasks.size());
  for (const PhysicalTask& task : tasks) {
    // One capacitance system for the held sources serves the free and the clamped solve.
    const HeldSolve sources(solver, source_rows(task, task.force.size()));
    const Eigen::VectorXd u_F = sources.solve(task.force, task.source_values);
    C += 0.5 * per_task * task_error(task, u_F).squaredNorm();
    const Eigen::VectorXd u_C = clamped_state(sources, solver, task, u_F, rule, eta);
    gradient +=
        (per_task / eta) * (system.energy_gradient(w, u_C) - system.energy_gradient(w, u_F));
  }
  if (cost != nullptr) *cost = C;
  return gradient;
}

double task_cost(const PhysicalSystem& system, const std::vector<double>& w,
                 const std::vector<PhysicalTask>& tasks) {
  HessianSolver solver;
  solver.factorize(system.hessian(w));
  double C = 0;
  for (const PhysicalTask& task : tasks) {
    C += 0.5 * task_error(task, free_state(solver, task)).squaredNorm();
  }
  return C / static_cast<double>(tasks.size());
}

double silent_cost(const std::vector<PhysicalTask>& tasks) {
  double C = 0;
  for (const PhysicalTask& task : tasks) C += 0.5 * task.B.squaredNorm();
  return C / static_cast<double>(tasks.size());
}

void check_train_params(const PhysicalTrainParams& params) {
  require(std::isfinite(params.alpha) && params.alpha > 0, "--alpha",
          "must be positive and finite");
  require(std::isfinite(params.eta) && params.eta > 0, "--eta", "must be positive and finite");
  require(std::isfinite(params.stiffness_floor) && params.stiffness_floor > 0, "--floor",
          "must be positive and finite");
  require(params.steps >= 0, "--steps", "must be non-negative");
}

void train_physical(const PhysicalSystem& system, std::vector<double>& w,
                    const std::vector<PhysicalTask>& tasks, const PhysicalTrainParams& params,
                    const PhysicalObserver& observe) {
  check_train_params(params);
  const double floor = system.weight_floor(params.stiffness_floor);
  HessianSolver solver(params.method);
  for (std::int64_t step = 0;; ++step) {
    double cost = 0;
    Eigen::VectorXd gradient;
    try {
      gradient = contrastive_gradient(system, w, tasks, params.rule, params.eta, solver, &cost);
    } catch (const core::InputError& e) {
      if (step == 0) throw;
      // The input was sound; training made H singular (a linear network's W̄ indefinite, or
      // stiffnesses spread past what a double factor resolves): a failure of the run.
      throw std::runtime_error("step " + std::to_string(step) + ": " + e.what() +
                               "; the steps were too large: lower --alpha (or raise --floor)");
    }
    if (!observe(step, w, cost) || step == params.steps) return;
    for (std::size_t e = 0; e < w.size(); ++e) {
      w[e] = std::max(floor, w[e] - params.alpha * gradient[static_cast<Eigen::Index>(e)]);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks

namespace {

// Nodes a task may use: at least `min_hops` edges from every held node. For allostery and the
// source/target tasks that is kGroundHops: a node held in place by its neighbours cannot
// respond, and one a hop or two from the ground answers mostly to it, so plain gradient steps
// on the edges between barely move its response. Classification's inputs and outputs only need
// to be free (1 hop): they are many, and a small network has few nodes deep inside.
constexpr std::int64_t kGroundHops = 3;
std::vector<bool> task_eligible(const PhysicalSystem& system, std::int64_t min_hops) {
  const PhysicalNetwork& net = system.network();
  std::vector<std::vector<std::int64_t>> neighbours(static_cast<std::size_t>(net.nodes));
  for (const auto& [i, j] : net.edges) {
    neighbours[static_cast<std::size_t>(i)].push_back(j);
    neighbours[static_cast<std::size_t>(j)].push_back(i);
  }
  // Breadth-first hops from the ground.
  std::vector<std::int64_t> hops(static_cast<std::size_t>(net.nodes), -1), frontier;
  for (const std::int64_t g : net.ground) {
    hops[static_cast<std::size_t>(g)] = 0;
    frontier.push_back(g);
  }
  for (std::size_t next = 0; next < frontier.size(); ++next) {
    const std::int64_t i = frontier[next];
    for (const std::int64_t j : neighbours[static_cast<std::size_t>(i)]) {
      if (hops[static_cast<std::size_t>(j)] >= 0) continue;
      hops[static_cast<std::size_t>(j)] = hops[static_cast<std::size_t>(i)] + 1;
      frontier.push_back(j);
    }
  }
  std::vector<bool> eligible(static_cast<std::size_t>(net.nodes));
  for (std::int64_t i = 0; i < net.nodes; ++i) {
    // A linear network has no ground: every node is eligible.
    eligible[static_cast<std::size_t>(i)] =
        net.ground.empty() || hops[static_cast<std::size_t>(i)] >= min_hops;
  }
  return eligible;
}

// Draws `count` distinct nodes that are `eligible` and not in `taken`, in a seeded order.
std::vector<std::int64_t> draw_nodes(const PhysicalSystem& system,
                                     const std::vector<bool>& eligible, std::int64_t count,
                                     std::vector<std::int64_t>& taken, const core::CounterRng& rng,
                                     std::uint32_t stream, std::uint64_t& counter) {
  const PhysicalNetwork& net = system.network();
  auto usable = [&](std::int64_t i) {
    return eligible[static_cast<std::size_t>(i)] &&
           std::find(taken.begin(), taken.end(), i) == taken.end();
  };
  std::vector<std::int64_t> nodes;
  std::int64_t available = 0;
  for (std::int64_t i = 0; i < net.nodes; ++i) available += usable(i);
  require(count <= available, "tasks",
          "need " + std::to_string(count) +
              " more nodes far enough from the ground, the "
              "network has " +
              std::to_string(available));
  while (static_cast<std::int64_t>(nodes.size()) < count) {
    const auto node = static_cast<std::int64_t>(rng.below(
        core::RngPurpose::Tasks, stream, counter++, static_cast<std::uint32_t>(net.nodes)));
    if (!usable(node)) continue;
    taken.push_back(node);
    nodes.push_back(node);
  }
  return nodes;
}

// A random unit vector in `dims` dimensions (±1 in one).
Eigen::VectorXd random_direction(int dims, const core::CounterRng& rng, std::uint32_t stream,
                                 std::uint64_t& counter) {
  Eigen::VectorXd d(dims);
  do {
    for (int c = 0; c < dims; ++c) d[c] = rng.normal(core::RngPurpose::Tasks, stream, counter++);
  } while (d.norm() == 0.0);
  return d.normalized();
}

// One output row per node: d̂ᵀu_o along a random direction (a node's pressure in a flow network).
Eigen::SparseMatrix<double, Eigen::RowMajor> output_rows(const PhysicalSystem& system,
                                                         const std::vector<std::int64_t>& nodes,
                                                         const core::CounterRng& rng,
                                                         std::uint32_t stream,
                                                         std::uint64_t& counter) {
  const int k = system.network().node_dofs();
  std::vector<Eigen::Triplet<double>> entries;
  for (std::size_t o = 0; o < nodes.size(); ++o) {
    const Eigen::VectorXd d =
        k == 1 ? Eigen::VectorXd::Ones(1) : random_direction(k, rng, stream, counter);
    for (int c = 0; c < k; ++c) {
      entries.emplace_back(static_cast<int>(o), static_cast<int>(system.dof(nodes[o], c)), d[c]);
    }
  }
  Eigen::SparseMatrix<double, Eigen::RowMajor> A(static_cast<Eigen::Index>(nodes.size()),
                                                 static_cast<Eigen::Index>(system.free_dofs()));
  A.setFromTriplets(entries.begin(), entries.end());
  return A;
}

void require_count(std::int64_t value, std::int64_t low, const std::string& what) {
  require(value >= low, what, "must be at least " + std::to_string(low));
}

}  // namespace

std::vector<PhysicalTask> allostery_tasks(const PhysicalSystem& system,
                                          const std::vector<double>& w, std::int64_t tasks,
                                          std::int64_t inputs, std::int64_t outputs, double gain,
                                          double force, std::uint64_t seed) {
  require_count(tasks, 1, "--tasks");
  require_count(inputs, 1, "--inputs");
  require_count(outputs, 1, "--outputs");
  require(std::isfinite(gain) && gain > 0, "--gain", "must be positive and finite");
  require(std::isfinite(force) && force > 0, "--force", "must be positive and finite");
  const core::CounterRng rng{seed};
  const int k = system.network().node_dofs();
  HessianSolver solver;
  solver.factorize(system.hessian(w));
  const std::vector<bool> eligible = task_eligible(system, kGroundHops);
  std::vector<PhysicalTask> out;
  for (std::int64_t r = 0; r < tasks; ++r) {
    const auto stream = static_cast<std::uint32_t>(r);
    std::uint64_t counter = 0;
    PhysicalTask task;
    std::vector<std::int64_t> taken;
    task.input_nodes = draw_nodes(system, eligible, inputs, taken, rng, stream, counter);
    task.output_nodes = draw_nodes(system, eligible, outputs, taken, rng, stream, counter);
    Eigen::VectorXd direction =
        random_direction(static_cast<int>(inputs) * k, rng, stream, counter);
    if (inputs >= 2) {
      // No net force: a net current or push would drain into the ground through every path and
      // drive the network's most global mode rather than a response between its nodes.
      for (int c = 0; c < k; ++c) {
        double net_force = 0;
        for (std::int64_t i = 0; i < inputs; ++i) net_force += direction[i * k + c];
        for (std::int64_t i = 0; i < inputs; ++i) {
          direction[i * k + c] -= net_force / static_cast<double>(inputs);
        }
      }
      direction.normalize();
    }
    task.force = Eigen::VectorXd::Zero(system.free_dofs());
    for (std::int64_t i = 0; i < inputs; ++i) {
      for (int c = 0; c < k; ++c) {
        task.force[system.dof(task.input_nodes[static_cast<std::size_t>(i)], c)] =
            force * direction[i * k + c];
      }
    }
    task.A = output_rows(system, task.output_nodes, rng, stream, counter);
    const double input_response = task.force.normalized().dot(free_state(solver, task));
    task.B = Eigen::VectorXd::Constant(outputs, gain * input_response);
    out.push_back(std::move(task));
  }
  return out;
}

std::vector<PhysicalTask> source_target_tasks(const PhysicalSystem& system, std::int64_t tasks,
                                              std::int64_t sources, std::int64_t targets,
                                              std::uint64_t seed) {
  const PhysicalNetwork& net = system.network();
  require(net.kind == PhysicalKind::Flow && net.ground.size() == 1, "source/target tasks",
          "hold node pressures, so they need a flow network with one grounded node");
  require_count(tasks, 1, "--tasks");
  require_count(sources, 1, "--inputs");
  require_count(targets, 1, "--outputs");
  const core::CounterRng rng{seed};
  const std::vector<bool> eligible = task_eligible(system, kGroundHops);
  std::vector<PhysicalTask> out;
  for (std::int64_t r = 0; r < tasks; ++r) {
    const auto stream = static_cast<std::uint32_t>(r);
    std::uint64_t counter = 0;
    PhysicalTask task;
    // Pressures matter only up to a constant, so the first source is the ground itself and the
    // others are held relative to it: the network is, physically, driven by its sources alone.
    std::vector<std::int64_t> taken{net.ground[0]};
    task.input_nodes = taken;
    const auto held = draw_nodes(system, eligible, sources - 1, taken, rng, stream, counter);
    task.input_nodes.insert(task.input_nodes.end(), held.begin(), held.end());
    task.output_nodes = draw_nodes(system, eligible, targets, taken, rng, stream, counter);
    task.force = Eigen::VectorXd::Zero(system.free_dofs());
    const double p_ground = 2.0 * rng.uniform(core::RngPurpose::Tasks, stream, counter++) - 1.0;
    double low = 0, high = 0;
    task.source_values.resize(sources - 1);
    for (std::int64_t s = 0; s + 1 < sources; ++s) {
      task.source_dofs.push_back(system.dof(held[static_cast<std::size_t>(s)]));
      const double p =
          2.0 * rng.uniform(core::RngPurpose::Tasks, stream, counter++) - 1.0 - p_ground;
      task.source_values[s] = p;
      low = std::min(low, p);
      high = std::max(high, p);
    }
    task.A = output_rows(system, task.output_nodes, rng, stream, counter);
    task.B.resize(targets);
    for (std::int64_t t = 0; t < targets; ++t) {
      const double u = rng.uniform(core::RngPurpose::Tasks, stream, counter++);
      task.B[t] = low + (0.25 + 0.5 * u) * (high - low);
    }
    out.push_back(std::move(task));
  }
  return out;
}

FeatureTable read_feature_csv(const std::string& path) {
  InputFile file(path, "a CSV file");
  return parse_feature_csv(file.stream(), path);
}

FeatureTable iris_table() {
  std::istringstream text{std::string(kIrisCsv)};
  return parse_feature_csv(text, "the built-in iris table");
}

FeatureTable parse_feature_csv(std::istream& in, const std::string& path) {
  FeatureTable table;
  std::string line;
  require(read_line(in, line, 1, path), path, "is empty");
  std::vector<std::string> header;
  {
    std::stringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) header.push_back(cell);
  }
  auto parse_int = [&](const std::string& text, std::int64_t line_no) {
    std::size_t used = 0;
    std::int64_t value = 0;
    try {
      value = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    require(used == text.size() && !text.empty(), path,
            "line " + std::to_string(line_no) + ": '" + core::printable_excerpt(text) +
                "' is not an integer");
    return value;
  };
  require(header.size() >= 3, path, "line 1: expected 'count,features,class names...'");
  table.count = parse_int(header[0], 1);
  table.features = parse_int(header[1], 1);
  require(table.count >= 2 && table.features >= 1, path, "line 1: bad count or feature number");
  // Each feature becomes an input node of a network.
  require(table.features <= core::kMaxNeurons, path,
          "line 1: more than the limit of " + std::to_string(core::kMaxNeurons) + " features");
  table.class_names.assign(header.begin() + 2, header.end());
  table.classes = static_cast<std::int64_t>(table.class_names.size());
  for (std::int64_t s = 0; s < table.count; ++s) {
    const std::int64_t line_no = s + 2;
    require(read_line(in, line, line_no, path), path,
            "truncated: " + std::to_string(s) + " of " + std::to_string(table.count) + " rows");
    std::stringstream cells(line);
    std::vector<std::string> row;
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(cell);
    require(static_cast<std::int64_t>(row.size()) == table.features + 1, path,
            "line " + std::to_string(line_no) + ": expected " + std::to_string(table.features + 1) +
                " values");
    for (std::int64_t f = 0; f < table.features; ++f) {
      std::size_t used = 0;
      double value = 0;
      try {
        value = std::stod(row[static_cast<std::size_t>(f)], &used);
      } catch (const std::exception&) {
        used = 0;
      }
      require(used == row[static_cast<std::size_t>(f)].size() && used > 0 && std::isfinite(value),
              path,
              "line " + std::to_string(line_no) + ": '" +
                  core::printable_excerpt(row[static_cast<std::size_t>(f)]) +
                  "' is not a finite number");
      table.x.push_back(value);
    }
    const std::int64_t label = parse_int(row.back(), line_no);
    require(label >= 0 && label < table.classes, path,
            "line " + std::to_string(line_no) + ": label " + std::to_string(label) +
                " is not in 0.." + std::to_string(table.classes - 1));
    table.labels.push_back(static_cast<std::int32_t>(label));
  }
  return table;
}

ClassificationTasks classification_tasks(const PhysicalSystem& system, const FeatureTable& table,
                                         double test_fraction, double force, double target,
                                         std::uint64_t seed) {
  require(test_fraction > 0 && test_fraction < 1, "--test-fraction", "must lie in (0, 1)");
  require(std::isfinite(force) && force > 0, "--force", "must be positive and finite");
  require(std::isfinite(target) && target > 0, "--target", "must be positive and finite");
  const core::CounterRng rng{seed};
  const int k = system.network().node_dofs();
  std::uint64_t counter = 0;
  std::vector<std::int64_t> taken;
  // Each input (every feature and the bias) pushes on a pair of nodes, +x on one and −x on the
  // other: a single node's response to its own force is positive everywhere (the Green's
  // function of a grounded Laplacian), a pair's can take either sign at an output.
  const std::vector<bool> eligible = task_eligible(system, 1);
  const auto inputs =
      draw_nodes(system, eligible, 2 * (table.features + 1), taken, rng, 0, counter);
  const auto outputs = draw_nodes(system, eligible, table.classes, taken, rng, 0, counter);
  const auto A = output_rows(system, outputs, rng, 0, counter);
  std::vector<Eigen::VectorXd> input_directions;
  for (std::size_t i = 0; i < inputs.size(); i += 2) {
    input_directions.push_back(k == 1 ? Eigen::VectorXd::Ones(1)
                                      : random_direction(k, rng, 0, counter));
  }

  // A seeded split, the same for every run with this seed.
  std::vector<std::int64_t> order(static_cast<std::size_t>(table.count));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  for (std::int64_t i = table.count - 1; i > 0; --i) {
    const auto j = rng.below(core::RngPurpose::Tasks, 1, static_cast<std::uint64_t>(i),
                             static_cast<std::uint32_t>(i + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[j]);
  }
  const auto tests = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::llround(test_fraction * static_cast<double>(table.count))));
  require(tests < table.count, "--test-fraction", "leaves no training samples");
  const std::int64_t trains = table.count - tests;

  std::vector<double> mean(static_cast<std::size_t>(table.features), 0.0),
      deviation(static_cast<std::size_t>(table.features), 0.0);
  for (std::int64_t s = 0; s < trains; ++s) {
    for (std::int64_t f = 0; f < table.features; ++f) {
      mean[static_cast<std::size_t>(f)] +=
          table
              .x[static_cast<std::size_t>(order[static_cast<std::size_t>(s)] * table.features + f)];
    }
  }
  for (double& m : mean) m /= static_cast<double>(trains);
  for (std::int64_t s = 0; s < trains; ++s) {
    for (std::int64_t f = 0; f < table.features; ++f) {
      const double d = table.x[static_cast<std::size_t>(
                           order[static_cast<std::size_t>(s)] * table.features + f)] -
                       mean[static_cast<std::size_t>(f)];
      deviation[static_cast<std::size_t>(f)] += d * d;
    }
  }
  for (double& d : deviation) d = std::sqrt(d / static_cast<double>(trains));

  ClassificationTasks out;
  for (std::int64_t s = 0; s < table.count; ++s) {
    const std::int64_t sample = order[static_cast<std::size_t>(s)];
    PhysicalTask task;
    task.input_nodes = inputs;
    task.output_nodes = outputs;
    task.force = Eigen::VectorXd::Zero(system.free_dofs());
    for (std::size_t i = 0; i < input_directions.size(); ++i) {
      double value = 1.0;  // the bias pair
      if (static_cast<std::int64_t>(i) < table.features) {
        const double sd = deviation[i];
        value =
            sd > 0 ? (table.x[static_cast<std::size_t>(sample * table.features) + i] - mean[i]) / sd
                   : 0.0;
      }
      for (int c = 0; c < k; ++c) {
        task.force[system.dof(inputs[2 * i], c)] = force * value * input_directions[i][c];
        task.force[system.dof(inputs[2 * i + 1], c)] = -force * value * input_directions[i][c];
      }
    }
    task.A = A;
    const std::int32_t label = table.labels[static_cast<std::size_t>(sample)];
    task.B = Eigen::VectorXd::Constant(table.classes, -target);
    task.B[label] = target;
    if (s < trains) {
      out.train.push_back(std::move(task));
      out.train_labels.push_back(label);
    } else {
      out.test.push_back(std::move(task));
      out.test_labels.push_back(label);
    }
  }
  return out;
}

namespace {

// The fraction of rows (one per sample) whose largest output is the labelled class.
double argmax_accuracy(const Eigen::MatrixXd& outputs, const std::vector<std::int32_t>& labels) {
  std::int64_t correct = 0;
  for (Eigen::Index t = 0; t < outputs.rows(); ++t) {
    Eigen::Index best = 0;
    outputs.row(t).maxCoeff(&best);
    correct += best == labels[static_cast<std::size_t>(t)];
  }
  return static_cast<double>(correct) / static_cast<double>(outputs.rows());
}

}  // namespace

double classification_accuracy(const PhysicalSystem& system, const std::vector<double>& w,
                               const std::vector<PhysicalTask>& tasks,
                               const std::vector<std::int32_t>& labels) {
  require(tasks.size() == labels.size() && !tasks.empty(), "classification",
          "needs one label per task");
  HessianSolver solver;
  solver.factorize(system.hessian(w));
  Eigen::MatrixXd outputs(static_cast<Eigen::Index>(tasks.size()), tasks.front().A.rows());
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    outputs.row(static_cast<Eigen::Index>(t)) =
        (tasks[t].A * free_state(solver, tasks[t])).transpose();
  }
  return argmax_accuracy(outputs, labels);
}

LinearResponseBound linear_response_bound(const PhysicalSystem& system,
                                          const ClassificationTasks& data) {
  require(!data.train.empty() && !data.test.empty(), "classification", "needs both splits");
  std::vector<Eigen::Index> dofs;
  for (const std::int64_t node : data.train.front().input_nodes) {
    for (int c = 0; c < system.network().node_dofs(); ++c) dofs.push_back(system.dof(node, c));
  }
  auto design = [&](const std::vector<PhysicalTask>& tasks) {
    Eigen::MatrixXd X(static_cast<Eigen::Index>(tasks.size()),
                      static_cast<Eigen::Index>(dofs.size()));
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      for (std::size_t d = 0; d < dofs.size(); ++d) {
        X(static_cast<Eigen::Index>(t), static_cast<Eigen::Index>(d)) = tasks[t].force[dofs[d]];
      }
    }
    return X;
  };
  const Eigen::MatrixXd X = design(data.train), X_test = design(data.test);
  Eigen::MatrixXd Y(X.rows(), data.train.front().B.size());
  for (std::size_t t = 0; t < data.train.size(); ++t)
    Y.row(static_cast<Eigen::Index>(t)) = data.train[t].B.transpose();
  // The paired inputs make the columns dependent; the complete orthogonal decomposition gives
  // the minimum-norm least-squares map all the same.
  const Eigen::MatrixXd M = X.completeOrthogonalDecomposition().solve(Y);
  LinearResponseBound out;
  out.train_cost = 0.5 * (X * M - Y).squaredNorm() / static_cast<double>(X.rows());
  out.train_accuracy = argmax_accuracy(X * M, data.train_labels);
  out.test_accuracy = argmax_accuracy(X_test * M, data.test_labels);
  return out;
}

}  // namespace attractor
