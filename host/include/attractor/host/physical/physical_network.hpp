#pragma once
// Physical networks whose equilibrium computes (Stern, Liu & Balasubramanian): node degrees of
// freedom u = x − x⁰ (pressures, or displacements from the rest positions) and learning degrees
// of freedom w (conductances or stiffnesses, one per edge; the couplings W of a linear network).
//
//   flow:     E = ½ Σ_e φ(w_e) (u_i − u_j)²                 H = Δᵀ diag(φ(w)) Δ
//   elastic:  E = ½ Σ_e φ(w_e) (r̂_eᵀ (u_j − u_i))²          H = Rᵀ diag(φ(w)) R (linearized
//             about the unstressed rest state; r̂_e the unit vector from node i to node j)
//   linear:   E = ½ uᵀ W̄ u,  W̄ = ½ (W + Wᵀ)                H = W̄ (fully connected)
//
// Grounded (pinned) nodes lose their degrees of freedom, which removes the null modes (the
// constant pressure; the rigid motions), so H is symmetric positive definite on the rest.
#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <array>
#include <cstdint>
#include <string>
#include <vector>
#include "attractor/core/enum_names.hpp"

namespace attractor {

enum class PhysicalKind { Flow, Elastic, Linear };
constexpr core::NameTable<PhysicalKind, 3> enum_names(PhysicalKind) {
  return {"network kind",
          {{{PhysicalKind::Flow, "flow"},
            {PhysicalKind::Elastic, "elastic"},
            {PhysicalKind::Linear, "linear"}}}};
}
// The edgewise response φ(w): the conductance or stiffness an edge's learning variable sets.
// linear: φ = w (w > 0), square: φ = w² (w > 0), exp: φ = eʷ (w is a log-conductance).
enum class EdgeResponse { Linear, Square, Exp };
constexpr core::NameTable<EdgeResponse, 3> enum_names(EdgeResponse) {
  return {"edge response",
          {{{EdgeResponse::Linear, "linear"},
            {EdgeResponse::Square, "square"},
            {EdgeResponse::Exp, "exp"}}}};
}

double edge_phi(EdgeResponse phi, double w);
double edge_phi_derivative(EdgeResponse phi, double w);
// The w that gives φ(w) = stiffness (stiffness > 0): how a floor on conductance becomes a
// floor on w.
double edge_phi_inverse(EdgeResponse phi, double stiffness);

// What a network is, as a user or a file describes it.
struct PhysicalNetwork {
  PhysicalKind kind = PhysicalKind::Flow;
  EdgeResponse phi = EdgeResponse::Linear;
  std::int64_t nodes = 0;
  int space_dim = 2;              // coordinates per node in `positions`
  std::vector<double> positions;  // nodes × space_dim (elastic: required; flow: for drawings)
  std::vector<std::array<std::int64_t, 2>> edges;  // flow and elastic
  std::vector<double> w;             // one per edge; linear: the N × N couplings W, row-major
  std::vector<std::int64_t> ground;  // grounded (flow) or pinned (elastic) nodes

  // Degrees of freedom per node: 1 (flow, linear) or space_dim (elastic).
  int node_dofs() const { return kind == PhysicalKind::Elastic ? space_dim : 1; }
};

// The compiled form of a validated network: its free degrees of freedom and the compatibility
// matrix B (edges × free DOFs) whose row e gives the edge's extension b_eᵀu — Δ for a flow
// network, R for an elastic one — so that H = Bᵀ diag(φ(w)) B and ∂E/∂w_e = ½ φ'(w_e) (b_eᵀu)².
class PhysicalSystem {
 public:
  using SparseMatrix = Eigen::SparseMatrix<double>;

  // Validates `network` (InputError naming `what` and the problem): indices in range, no
  // self-loops or repeated edges, finite positions and weights, weights that give φ(w) > 0,
  // a connected graph, a non-empty ground (flow and elastic), edges of non-zero length
  // (elastic). Rigidity (no floppy modes) is checked when H is factorized.
  explicit PhysicalSystem(PhysicalNetwork network, const std::string& what = "network");

  const PhysicalNetwork& network() const { return network_; }
  std::int64_t free_dofs() const { return free_dofs_; }
  std::int64_t learning_dofs() const { return static_cast<std::int64_t>(network_.w.size()); }
  // The free DOF of (node, component), or −1 for a grounded node.
  std::int64_t dof(std::int64_t node, int component = 0) const;

  // H(w) on the free DOFs (symmetric; both triangles stored).
  SparseMatrix hessian(const std::vector<double>& w) const;
  // E(u, w) = ½ uᵀ H(w) u.
  double energy(const std::vector<double>& w, const Eigen::VectorXd& u) const;
  // ∂E/∂w at the state u: ½ φ'(w_e) (b_eᵀu)² per edge; ½ u_i u_j per coupling W_ij.
  Eigen::VectorXd energy_gradient(const std::vector<double>& w, const Eigen::VectorXd& u) const;
  // b_eᵀu per edge: pressure drops or spring extensions (empty for a linear network).
  Eigen::VectorXd extensions(const Eigen::VectorXd& u) const;
  // The smallest w the learning rule may leave: φ(w) ≥ stiffness_floor on every edge. A
  // linear network's couplings have no floor (−∞).
  double weight_floor(double stiffness_floor) const;

 private:
  PhysicalNetwork network_;
  std::vector<std::int64_t> dof_of_;  // nodes × node_dofs → free DOF or −1
  std::int64_t free_dofs_ = 0;
  SparseMatrix B_;  // edges × free DOFs
};

// Where a built network is held: one node (node 0 of a flow network; the space_dim nodes nearest
// the origin of an elastic one, which pins its rigid motions), or its boundary (every node within
// half a mean spacing of the bounding box's faces), which keeps the softest modes inside.
enum class Grounding { Node, Boundary };
constexpr core::NameTable<Grounding, 2> enum_names(Grounding) {
  return {"grounding", {{{Grounding::Node, "node"}, {Grounding::Boundary, "boundary"}}}};
}

// Builders. Positions come from CounterRng(seed) (RngPurpose::Graph).
//
// Random geometric graph: `nodes` points uniform in the unit square (space_dim 2) or cube (3);
// the candidate edges are each node's nearest neighbours; a minimum spanning tree over them makes
// the graph connected, every node then gets its shortest candidates up to degree min(3, ⌊z⌋)
// (no dead ends), and the shortest remaining candidates are added until the mean degree is
// `mean_degree` z (≥ 2 (n−1)/n; it ends a little above z when the minimum degree needs more).
// Unit weights.
PhysicalNetwork random_geometric_network(PhysicalKind kind, std::int64_t nodes, int space_dim,
                                         double mean_degree, std::uint64_t seed,
                                         Grounding grounding = Grounding::Node);
// A rows × cols lattice of unit spacing in the plane: square (mean degree → 4) or triangular
// (→ 6), unit weights.
PhysicalNetwork lattice_network(PhysicalKind kind, std::int64_t rows, std::int64_t cols,
                                bool triangular, Grounding grounding = Grounding::Node);
// A fully connected linear network: W = I + G Gᵀ / (4 nodes), G a nodes × nodes standard normal
// matrix, so W̄ = W is positive definite with eigenvalues in [1, ≈ 2].
PhysicalNetwork linear_network(std::int64_t nodes, std::uint64_t seed);

// JSON files: {"kind", "phi", "nodes", "space_dim", "positions": [[x, y], …], "edges": [[i, j],
// …], "weights": […], "ground": […]}; a linear network has "couplings": [[…], …] instead of
// edges and weights. Reading checks the structure and then validates as PhysicalSystem does.
PhysicalNetwork read_physical_network(const std::string& path);
void write_physical_network(const std::string& path, const PhysicalNetwork& network);

}  // namespace attractor
