#include "attractor/host/physical/physical_network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <queue>
#include <set>
#include <utility>

#include "attractor/core/error.hpp"
#include "attractor/core/limits.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/io/atomic_file.hpp"
#include "attractor/host/io/input_file.hpp"
#include "io/json_file.hpp"

namespace attractor {

using core::require;

double edge_phi(EdgeResponse phi, double w) {
  switch (phi) {
    case EdgeResponse::Linear: return w;
    case EdgeResponse::Square: return w * w;
    case EdgeResponse::Exp: return std::exp(w);
  }
  return w;
}

double edge_phi_derivative(EdgeResponse phi, double w) {
  switch (phi) {
    case EdgeResponse::Linear: return 1.0;
    case EdgeResponse::Square: return 2.0 * w;
    case EdgeResponse::Exp: return std::exp(w);
  }
  return 1.0;
}

double edge_phi_inverse(EdgeResponse phi, double stiffness) {
  switch (phi) {
    case EdgeResponse::Linear: return stiffness;
    case EdgeResponse::Square: return std::sqrt(stiffness);
    case EdgeResponse::Exp: return std::log(stiffness);
  }
  return stiffness;
}

namespace {

// Union–find over nodes, for connectivity checks and the spanning tree of the builders.
struct DisjointSets {
  std::vector<std::int64_t> parent;
  explicit DisjointSets(std::int64_t n) : parent(static_cast<std::size_t>(n)) {
    std::iota(parent.begin(), parent.end(), std::int64_t{0});
  }
  std::int64_t find(std::int64_t a) {
    while (parent[static_cast<std::size_t>(a)] != a) {
      auto& p = parent[static_cast<std::size_t>(a)];
      p = parent[static_cast<std::size_t>(p)];
      a = p;
    }
    return a;
  }
  bool unite(std::int64_t a, std::int64_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return false;
    parent[static_cast<std::size_t>(std::max(a, b))] = std::min(a, b);
    return true;
  }
};

double position(const PhysicalNetwork& net, std::int64_t node, int c) {
  return net.positions[static_cast<std::size_t>(node * net.space_dim + c)];
}

double distance(const PhysicalNetwork& net, std::int64_t i, std::int64_t j) {
  double d2 = 0;
  for (int c = 0; c < net.space_dim; ++c) {
    const double d = position(net, i, c) - position(net, j, c);
    d2 += d * d;
  }
  return std::sqrt(d2);
}

void validate(const PhysicalNetwork& net, const std::string& what) {
  require(net.nodes >= 2, what, "needs at least 2 nodes, not " + std::to_string(net.nodes));
  require(net.space_dim == 2 || net.space_dim == 3, what,
          "space_dim must be 2 or 3, not " + std::to_string(net.space_dim));
  require(net.positions.empty() ||
              net.positions.size() == static_cast<std::size_t>(net.nodes * net.space_dim),
          what,
          "positions must be nodes x space_dim = " + std::to_string(net.nodes) + " x " +
              std::to_string(net.space_dim) + " numbers");
  require(core::all_finite(net.positions), what, "a position is NaN or Inf");
  require(core::all_finite(net.w), what, "a weight is NaN or Inf");
  if (net.kind == PhysicalKind::Linear) {
    require(net.w.size() == static_cast<std::size_t>(net.nodes * net.nodes), what,
            "a linear network needs nodes x nodes couplings");
    require(net.ground.empty(), what, "a linear network has no ground");
    return;
  }
  require(net.kind == PhysicalKind::Flow || !net.positions.empty(), what,
          "an elastic network needs node positions");
  require(!net.edges.empty(), what, "has no edges");
  require(
      net.w.size() == net.edges.size(), what,
      std::to_string(net.edges.size()) + " edges but " + std::to_string(net.w.size()) + " weights");
  // A connected graph of N nodes has at least N − 1 edges: checked before the sets are
  // allocated, so a node count alone cannot ask for memory.
  require(static_cast<std::int64_t>(net.edges.size()) >= net.nodes - 1, what,
          "the graph is disconnected: " + std::to_string(net.nodes) + " nodes need at least " +
              std::to_string(net.nodes - 1) + " edges, it has " + std::to_string(net.edges.size()));
  std::set<std::pair<std::int64_t, std::int64_t>> seen;
  DisjointSets components(net.nodes);
  for (std::size_t e = 0; e < net.edges.size(); ++e) {
    const auto [i, j] = net.edges[e];
    const std::string edge =
        "edge " + std::to_string(e) + " (" + std::to_string(i) + ", " + std::to_string(j) + ")";
    require(i >= 0 && i < net.nodes && j >= 0 && j < net.nodes, what,
            edge + " names a node outside 0.." + std::to_string(net.nodes - 1));
    require(i != j, what, edge + " is a self-loop");
    require(seen.insert({std::min(i, j), std::max(i, j)}).second, what, edge + " is repeated");
    const double w = net.w[e];
    require(net.phi == EdgeResponse::Exp || w > 0, what,
            edge + " has weight " + std::to_string(w) +
                "; conductances and stiffnesses must be positive");
    if (net.kind == PhysicalKind::Elastic) {
      require(distance(net, i, j) > 0, what, edge + " has zero length");
    }
    components.unite(i, j);
  }
  for (std::int64_t node = 1; node < net.nodes; ++node) {
    require(components.find(node) == components.find(0), what,
            "the graph is disconnected: node " + std::to_string(node) + " has no path to node 0");
  }
  const std::size_t pins = net.kind == PhysicalKind::Elastic ? std::size_t(net.space_dim) : 1u;
  require(!net.ground.empty(), what,
          "the network is ungrounded: H has a null mode (a constant pressure, or a rigid "
          "motion); ground at least " +
              std::to_string(pins) + " node(s)");
  std::set<std::int64_t> grounded;
  for (const std::int64_t g : net.ground) {
    require(g >= 0 && g < net.nodes, what,
            "ground node " + std::to_string(g) + " is outside 0.." + std::to_string(net.nodes - 1));
    require(grounded.insert(g).second, what, "ground node " + std::to_string(g) + " is repeated");
  }
  require(net.kind != PhysicalKind::Elastic || grounded.size() >= pins, what,
          "an elastic network in " + std::to_string(net.space_dim) + "D needs at least " +
              std::to_string(pins) + " pinned nodes to remove its rigid motions");
  require(grounded.size() < static_cast<std::size_t>(net.nodes), what, "every node is grounded");
}

}  // namespace

PhysicalSystem::PhysicalSystem(PhysicalNetwork network, const std::string& what)
    : network_(std::move(network)) {
  validate(network_, what);
  const int k = network_.node_dofs();
  dof_of_.assign(static_cast<std::size_t>(network_.nodes * k), 0);
  for (const std::int64_t g : network_.ground) {
    for (int c = 0; c < k; ++c) dof_of_[static_cast<std::size_t>(g * k + c)] = -1;
  }
  for (auto& d : dof_of_) d = d < 0 ? -1 : free_dofs_++;
  if (network_.kind == PhysicalKind::Linear) return;

  std::vector<Eigen::Triplet<double>> entries;
  for (std::size_t e = 0; e < network_.edges.size(); ++e) {
    const auto [i, j] = network_.edges[e];
    const auto row = static_cast<int>(e);
    if (network_.kind == PhysicalKind::Flow) {
      if (dof(i) >= 0) entries.emplace_back(row, static_cast<int>(dof(i)), 1.0);
      if (dof(j) >= 0) entries.emplace_back(row, static_cast<int>(dof(j)), -1.0);
      continue;
    }
    // Extension of a spring, r̂ᵀ(u_j − u_i), to first order in the displacements.
    const double length = distance(network_, i, j);
    for (int c = 0; c < k; ++c) {
      const double r_hat = (position(network_, j, c) - position(network_, i, c)) / length;
      if (dof(i, c) >= 0) entries.emplace_back(row, static_cast<int>(dof(i, c)), -r_hat);
      if (dof(j, c) >= 0) entries.emplace_back(row, static_cast<int>(dof(j, c)), r_hat);
    }
  }
  B_.resize(static_cast<Eigen::Index>(network_.edges.size()),
            static_cast<Eigen::Index>(free_dofs_));
  B_.setFromTriplets(entries.begin(), entries.end());
}

std::int64_t PhysicalSystem::dof(std::int64_t node, int component) const {
  return dof_of_[static_cast<std::size_t>(node * network_.node_dofs() + component)];
}

PhysicalSystem::SparseMatrix PhysicalSystem::hessian(const std::vector<double>& w) const {
  require(w.size() == network_.w.size(), "weights",
          "expected " + std::to_string(network_.w.size()) + ", got " + std::to_string(w.size()));
  const auto n = static_cast<Eigen::Index>(free_dofs_);
  if (network_.kind == PhysicalKind::Linear) {
    Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> W(
        w.data(), n, n);
    const Eigen::MatrixXd W_bar = 0.5 * (W + W.transpose());
    return W_bar.sparseView(0.0, 0.0);
  }
  Eigen::VectorXd stiffness(B_.rows());
  for (Eigen::Index e = 0; e < B_.rows(); ++e) {
    stiffness[e] = edge_phi(network_.phi, w[static_cast<std::size_t>(e)]);
  }
  SparseMatrix H = B_.transpose() * stiffness.asDiagonal() * B_;
  return H;
}

Eigen::VectorXd PhysicalSystem::extensions(const Eigen::VectorXd& u) const {
  if (network_.kind == PhysicalKind::Linear) return {};
  return B_ * u;
}

double PhysicalSystem::energy(const std::vector<double>& w, const Eigen::VectorXd& u) const {
  return 0.5 * u.dot(hessian(w) * u);
}

Eigen::VectorXd PhysicalSystem::energy_gradient(const std::vector<double>& w,
                                                const Eigen::VectorXd& u) const {
  if (network_.kind == PhysicalKind::Linear) {
    // ∂/∂W_ij of ½ Σ_ab u_a ½(W_ab + W_ba) u_b = ½ u_i u_j.
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> outer =
        0.5 * u * u.transpose();
    return Eigen::Map<const Eigen::VectorXd>(outer.data(), outer.size());
  }
  const Eigen::VectorXd b_u = extensions(u);
  Eigen::VectorXd gradient(b_u.size());
  for (Eigen::Index e = 0; e < b_u.size(); ++e) {
    gradient[e] =
        0.5 * edge_phi_derivative(network_.phi, w[static_cast<std::size_t>(e)]) * b_u[e] * b_u[e];
  }
  return gradient;
}

double PhysicalSystem::weight_floor(double stiffness_floor) const {
  if (network_.kind == PhysicalKind::Linear) return -std::numeric_limits<double>::infinity();
  return edge_phi_inverse(network_.phi, stiffness_floor);
}

// ---------------------------------------------------------------------------------------------
// Builders

namespace {

// Each point's `k` nearest neighbours, from a grid of cells holding about two points each,
// searched ring by ring: once k are known and the k-th is closer than the next ring can be,
// the search stops. Pairs come out with i < j, sorted by length, without repeats.
std::vector<std::pair<double, std::array<std::int64_t, 2>>> nearest_pairs(
    const PhysicalNetwork& net, int k) {
  const int d = net.space_dim;
  const auto n = net.nodes;
  const auto cells_per_axis = std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::floor(std::pow(static_cast<double>(n) / 2.0, 1.0 / d))));
  const double h = 1.0 / static_cast<double>(cells_per_axis);
  auto cell_coord = [&](std::int64_t node, int c) {
    return std::min<std::int64_t>(cells_per_axis - 1,
                                  static_cast<std::int64_t>(position(net, node, c) / h));
  };
  std::int64_t total_cells = 1;
  for (int c = 0; c < d; ++c) total_cells *= cells_per_axis;
  std::vector<std::vector<std::int64_t>> cells(static_cast<std::size_t>(total_cells));
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t index = 0;
    for (int c = d - 1; c >= 0; --c) index = index * cells_per_axis + cell_coord(i, c);
    cells[static_cast<std::size_t>(index)].push_back(i);
  }
  std::set<std::array<std::int64_t, 2>> pairs;
  std::vector<std::pair<double, std::array<std::int64_t, 2>>> out;
  for (std::int64_t i = 0; i < n; ++i) {
    std::priority_queue<std::pair<double, std::int64_t>> best;  // the k nearest, farthest on top
    std::array<std::int64_t, 3> home{0, 0, 0};
    for (int c = 0; c < d; ++c) home[static_cast<std::size_t>(c)] = cell_coord(i, c);
    for (std::int64_t r = 0; r <= cells_per_axis; ++r) {
      const std::int64_t side = 2 * r + 1;
      std::int64_t offsets = 1;
      for (int c = 0; c < d; ++c) offsets *= side;
      for (std::int64_t o = 0; o < offsets; ++o) {
        std::array<std::int64_t, 3> delta{0, 0, 0};
        std::int64_t rest = o, ring = 0, index = 0;
        bool inside = true;
        for (int c = 0; c < d; ++c) {
          delta[static_cast<std::size_t>(c)] = rest % side - r;
          rest /= side;
          ring = std::max(ring, std::abs(delta[static_cast<std::size_t>(c)]));
        }
        if (ring != r) continue;
        for (int c = d - 1; c >= 0; --c) {
          const std::int64_t coord =
              home[static_cast<std::size_t>(c)] + delta[static_cast<std::size_t>(c)];
          inside = inside && coord >= 0 && coord < cells_per_axis;
          index = index * cells_per_axis + coord;
        }
        if (!inside) continue;
        for (const std::int64_t j : cells[static_cast<std::size_t>(index)]) {
          if (j == i) continue;
          const double dist = distance(net, i, j);
          if (static_cast<int>(best.size()) < k) {
            best.push({dist, j});
          } else if (dist < best.top().first) {
            best.pop();
            best.push({dist, j});
          }
        }
      }
      if (static_cast<int>(best.size()) >= k && best.top().first <= static_cast<double>(r) * h)
        break;
    }
    for (; !best.empty(); best.pop()) {
      const std::int64_t j = best.top().second;
      const std::array<std::int64_t, 2> pair{std::min(i, j), std::max(i, j)};
      if (pairs.insert(pair).second) out.push_back({best.top().first, pair});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Grounding::Boundary: every node within half a mean spacing (of n nodes in the unit box) of
// the box's faces. Grounding::Node: the pinned nodes of an elastic network (the space_dim nodes
// nearest the origin) or the grounded node of a flow network (node 0).
std::vector<std::int64_t> make_ground(const PhysicalNetwork& net, Grounding grounding) {
  if (grounding == Grounding::Boundary) {
    std::vector<double> low(static_cast<std::size_t>(net.space_dim), 1e300),
        high(static_cast<std::size_t>(net.space_dim), -1e300);
    for (std::int64_t i = 0; i < net.nodes; ++i) {
      for (int c = 0; c < net.space_dim; ++c) {
        low[static_cast<std::size_t>(c)] =
            std::min(low[static_cast<std::size_t>(c)], position(net, i, c));
        high[static_cast<std::size_t>(c)] =
            std::max(high[static_cast<std::size_t>(c)], position(net, i, c));
      }
    }
    double volume = 1;
    for (int c = 0; c < net.space_dim; ++c)
      volume *= high[static_cast<std::size_t>(c)] - low[static_cast<std::size_t>(c)];
    const double margin =
        0.5 * std::pow(volume / static_cast<double>(net.nodes), 1.0 / net.space_dim);
    std::vector<std::int64_t> ground;
    for (std::int64_t i = 0; i < net.nodes; ++i) {
      bool edge = false;
      for (int c = 0; c < net.space_dim; ++c) {
        edge = edge || position(net, i, c) - low[static_cast<std::size_t>(c)] < margin ||
               high[static_cast<std::size_t>(c)] - position(net, i, c) < margin;
      }
      if (edge) ground.push_back(i);
    }
    return ground;
  }
  if (net.kind != PhysicalKind::Elastic) return {0};
  std::vector<std::int64_t> order(static_cast<std::size_t>(net.nodes));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  auto radius = [&](std::int64_t i) {
    double r2 = 0;
    for (int c = 0; c < net.space_dim; ++c) r2 += position(net, i, c) * position(net, i, c);
    return r2;
  };
  std::partial_sort(order.begin(), order.begin() + net.space_dim, order.end(),
                    [&](std::int64_t a, std::int64_t b) { return radius(a) < radius(b); });
  order.resize(static_cast<std::size_t>(net.space_dim));
  std::sort(order.begin(), order.end());
  return order;
}

}  // namespace

PhysicalNetwork random_geometric_network(PhysicalKind kind, std::int64_t nodes, int space_dim,
                                         double mean_degree, std::uint64_t seed,
                                         Grounding grounding) {
  require(kind != PhysicalKind::Linear, "random graph", "a linear network is fully connected");
  require(nodes >= 3, "--nodes", "a random graph needs at least 3 nodes");
  require(space_dim == 2 || space_dim == 3, "--dim", "must be 2 or 3");
  require(std::isfinite(mean_degree) &&
              mean_degree >= 2.0 * static_cast<double>(nodes - 1) / static_cast<double>(nodes) &&
              mean_degree <= std::min(30.0, static_cast<double>(nodes - 1)),
          "--degree",
          "the mean degree must lie between 2 (n-1)/n (a tree) and min(30, n-1), not " +
              std::to_string(mean_degree));
  PhysicalNetwork net;
  net.kind = kind;
  net.nodes = nodes;
  net.space_dim = space_dim;
  const core::CounterRng rng{seed};
  net.positions.resize(static_cast<std::size_t>(nodes * space_dim));
  for (std::size_t i = 0; i < net.positions.size(); ++i) {
    net.positions[i] = rng.uniform(core::RngPurpose::Graph, 0, i);
  }
  const auto edges_wanted =
      static_cast<std::size_t>(std::llround(mean_degree * static_cast<double>(nodes) / 2.0));
  for (int k = static_cast<int>(std::ceil(mean_degree)) + 2;; k *= 2) {
    const auto candidates = nearest_pairs(net, std::min<int>(k, static_cast<int>(nodes - 1)));
    // Kruskal's spanning tree first (connected by construction), then the shortest of the rest.
    DisjointSets components(nodes);
    std::vector<bool> taken(candidates.size(), false);
    std::size_t tree_edges = 0;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      if (components.unite(candidates[c].second[0], candidates[c].second[1])) {
        taken[c] = true;
        ++tree_edges;
      }
    }
    const bool last_try = k >= nodes - 1;
    if ((tree_edges + 1 < static_cast<std::size_t>(nodes) || candidates.size() < edges_wanted) &&
        !last_try) {
      continue;
    }
    // Dead ends and chains carry no current and bend freely: every node first gets its
    // shortest candidates up to degree min(3, ⌊z⌋), then the shortest of the rest fill in.
    std::vector<std::int64_t> degree(static_cast<std::size_t>(nodes), 0);
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      if (!taken[c]) continue;
      ++degree[static_cast<std::size_t>(candidates[c].second[0])];
      ++degree[static_cast<std::size_t>(candidates[c].second[1])];
    }
    const auto min_degree = static_cast<std::int64_t>(std::min(3.0, std::floor(mean_degree)));
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      auto& di = degree[static_cast<std::size_t>(candidates[c].second[0])];
      auto& dj = degree[static_cast<std::size_t>(candidates[c].second[1])];
      if (taken[c] || (di >= min_degree && dj >= min_degree)) continue;
      taken[c] = true;
      ++di;
      ++dj;
    }
    net.edges.clear();
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      if (taken[c]) net.edges.push_back(candidates[c].second);
    }
    for (std::size_t c = 0; c < candidates.size() && net.edges.size() < edges_wanted; ++c) {
      if (!taken[c]) net.edges.push_back(candidates[c].second);
    }
    break;
  }
  std::sort(net.edges.begin(), net.edges.end());
  net.w.assign(net.edges.size(), 1.0);
  net.ground = make_ground(net, grounding);
  return net;
}

PhysicalNetwork lattice_network(PhysicalKind kind, std::int64_t rows, std::int64_t cols,
                                bool triangular, Grounding grounding) {
  require(kind != PhysicalKind::Linear, "lattice", "a linear network is fully connected");
  require(rows >= 2 && cols >= 2, "lattice", "needs at least 2 x 2 nodes");
  PhysicalNetwork net;
  net.kind = kind;
  net.nodes = rows * cols;
  net.space_dim = 2;
  const double row_height = triangular ? std::sqrt(3.0) / 2.0 : 1.0;
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      net.positions.push_back(static_cast<double>(c) +
                              (triangular ? 0.5 * static_cast<double>(r % 2) : 0.0));
      net.positions.push_back(static_cast<double>(r) * row_height);
    }
  }
  auto id = [cols](std::int64_t r, std::int64_t c) { return r * cols + c; };
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      if (c + 1 < cols) net.edges.push_back({id(r, c), id(r, c + 1)});
      if (r + 1 < rows) net.edges.push_back({id(r, c), id(r + 1, c)});
      // Odd rows sit half a spacing to the right: their up-right neighbour is one column on.
      const std::int64_t diagonal = r % 2 ? c + 1 : c - 1;
      if (triangular && r + 1 < rows && diagonal >= 0 && diagonal < cols) {
        net.edges.push_back({id(r, c), id(r + 1, diagonal)});
      }
    }
  }
  net.w.assign(net.edges.size(), 1.0);
  net.ground = make_ground(net, grounding);
  return net;
}

PhysicalNetwork linear_network(std::int64_t nodes, std::uint64_t seed) {
  require(nodes >= 2 && nodes <= 4096, "--nodes",
          "a fully connected linear network takes 2..4096 nodes (N² couplings)");
  PhysicalNetwork net;
  net.kind = PhysicalKind::Linear;
  net.nodes = nodes;
  const core::CounterRng rng{seed};
  const auto n = static_cast<Eigen::Index>(nodes);
  Eigen::MatrixXd G(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      G(i, j) = rng.normal(core::RngPurpose::Weights, static_cast<std::uint32_t>(i),
                           static_cast<std::uint64_t>(j));
    }
  }
  const Eigen::MatrixXd W =
      Eigen::MatrixXd::Identity(n, n) + G * G.transpose() / (4.0 * static_cast<double>(nodes));
  net.w.resize(static_cast<std::size_t>(nodes * nodes));
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) net.w[static_cast<std::size_t>(i * n + j)] = W(i, j);
  }
  return net;
}

// ---------------------------------------------------------------------------------------------
// Files

namespace {

using nlohmann::json;

template <typename T>
T field(const json& doc, const char* key, const std::string& path) {
  require(doc.contains(key), path, std::string("has no \"") + key + "\"");
  try {
    return doc.at(key).get<T>();
  } catch (const json::exception&) {
    throw core::InputError(path + ": \"" + key + "\" has the wrong type or shape");
  }
}

// An integer in [lo, hi], refused rather than converted when it is a float (2.9, 1e300).
std::int64_t integer(const json& value, std::int64_t lo, std::int64_t hi, const std::string& path,
                     const std::string& name) {
  const bool ok = value.is_number_integer() &&
                  (value.is_number_unsigned()
                       ? value.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi)
                       : value.get<std::int64_t>() >= lo && value.get<std::int64_t>() <= hi);
  require(ok && value.get<std::int64_t>() >= lo, path,
          name + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi));
  return value.get<std::int64_t>();
}

// A list of integers in [lo, hi], each checked as integer().
std::vector<std::int64_t> integers(const json& list, std::int64_t lo, std::int64_t hi,
                                   const std::string& path, const std::string& name) {
  require(list.is_array(), path, name + " must be a list of integers");
  std::vector<std::int64_t> out;
  out.reserve(list.size());
  for (const auto& value : list) out.push_back(integer(value, lo, hi, path, name));
  return out;
}

}  // namespace

PhysicalNetwork read_physical_network(const std::string& path) {
  const json doc = read_json_file(path, "a graph JSON file");
  require(doc.is_object(), path, "must hold a JSON object");
  PhysicalNetwork net;
  try {
    net.kind = parse_enum<PhysicalKind>(field<std::string>(doc, "kind", path), "kind");
    if (doc.contains("phi"))
      net.phi = parse_enum<EdgeResponse>(field<std::string>(doc, "phi", path), "phi");
  } catch (const core::InputError& e) {
    const std::string message = e.what();
    if (message.rfind(path, 0) == 0) throw;
    throw core::InputError(path + ": " + message);
  }
  require(doc.contains("nodes"), path, "has no \"nodes\"");
  net.nodes = integer(doc["nodes"], 2, core::kMaxNeurons, path, "\"nodes\"");
  if (doc.contains("space_dim")) {
    net.space_dim = static_cast<int>(integer(doc["space_dim"], 2, 3, path, "\"space_dim\""));
  }
  if (doc.contains("positions")) {
    for (const auto& p : field<std::vector<std::vector<double>>>(doc, "positions", path)) {
      require(static_cast<int>(p.size()) == net.space_dim, path,
              "every position needs space_dim = " + std::to_string(net.space_dim) + " numbers");
      net.positions.insert(net.positions.end(), p.begin(), p.end());
    }
  }
  if (net.kind == PhysicalKind::Linear) {
    for (const auto& row : field<std::vector<std::vector<double>>>(doc, "couplings", path)) {
      require(static_cast<std::int64_t>(row.size()) == net.nodes, path,
              "\"couplings\" must be nodes x nodes");
      net.w.insert(net.w.end(), row.begin(), row.end());
    }
  } else {
    require(doc.contains("edges") && doc["edges"].is_array(), path,
            "\"edges\" must be a list of pairs [i, j]");
    // Ranges are checked with the graph (validate), which names the edge.
    constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t hi = std::numeric_limits<std::int64_t>::max();
    for (const auto& e : doc["edges"]) {
      const std::vector<std::int64_t> pair = integers(e, lo, hi, path, "every edge's node");
      require(pair.size() == 2, path, "every edge is a pair [i, j]");
      net.edges.push_back({pair[0], pair[1]});
    }
    net.w = field<std::vector<double>>(doc, "weights", path);
    require(doc.contains("ground"), path, "has no \"ground\"");
    net.ground = integers(doc["ground"], lo, hi, path, "every ground node");
  }
  PhysicalSystem check(net, path);
  return net;
}

void write_physical_network(const std::string& path, const PhysicalNetwork& net) {
  json doc;
  doc["kind"] = to_string(net.kind);
  doc["phi"] = to_string(net.phi);
  doc["nodes"] = net.nodes;
  if (!net.positions.empty()) {
    doc["space_dim"] = net.space_dim;
    json positions = json::array();
    for (std::int64_t i = 0; i < net.nodes; ++i) {
      const auto first = net.positions.begin() + i * net.space_dim;
      positions.push_back(std::vector<double>(first, first + net.space_dim));
    }
    doc["positions"] = positions;
  }
  if (net.kind == PhysicalKind::Linear) {
    json rows = json::array();
    for (std::int64_t i = 0; i < net.nodes; ++i) {
      const auto first = net.w.begin() + i * net.nodes;
      rows.push_back(std::vector<double>(first, first + net.nodes));
    }
    doc["couplings"] = rows;
  } else {
    json edges = json::array();
    for (const auto& e : net.edges) edges.push_back({e[0], e[1]});
    doc["edges"] = edges;
    doc["weights"] = net.w;
    doc["ground"] = net.ground;
  }
  write_file_atomically(path, [&](std::ostream& out) { out << doc.dump() << '\n'; });
}

}  // namespace attractor
