#pragma once
// Learning in physical networks: free and clamped equilibria on one factorization of H, the
// contrastive (equilibrium-propagation) and coupled-learning rules, and the tasks they learn.
//
// Free state:  u^F = argmin ½ uᵀHu − Fᵀu  subject to the inputs held at their values (G u = y);
// cost:        C = ½ n_T⁻¹ Σ_r |c_r|²,  c_r = A_r u_r^F − B_r;
// nudge:       u^C − u^F = η H⁻¹ F^O with F^O = −A_rᵀ c_r, the output force that lowers C
//              (the sign of ∇C folded into the force);
// couple:      the outputs clamped part-way to their targets, A u^C = A u^F − η c;
// rule:        δw = −α ∇_w 𝓕,  𝓕 = η⁻¹ Σ_r n_T⁻¹ [E(u_r^C, w) − E(u_r^F, w)], local per edge:
//              ∂E/∂w_e = ½ φ'(w_e)(b_eᵀu)². For the nudge ∇_w 𝓕 → ∇_w C as η → 0.
#include <Eigen/Core>
#include <Eigen/IterativeLinearSolvers>
#include <Eigen/SparseCholesky>
#include <Eigen/SparseCore>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "attractor/core/enum_names.hpp"
#include "attractor/host/physical/physical_network.hpp"

namespace attractor {

enum class HessianMethod { Cholesky, ConjugateGradient };
constexpr core::NameTable<HessianMethod, 2> enum_names(HessianMethod) {
  return {"Hessian solver",
          {{{HessianMethod::Cholesky, "cholesky"}, {HessianMethod::ConjugateGradient, "cg"}}}};
}

// Solves H u = b for one H. Sparse Cholesky (Eigen's SimplicialLLT with AMD ordering): the
// symbolic analysis is kept while the pattern stays, so each weight update costs one numeric
// factorization that every free and clamped solve of that step reuses. Conjugate gradients with
// an incomplete-Cholesky preconditioner where a factor would not fit.
class HessianSolver {
 public:
  using SparseMatrix = Eigen::SparseMatrix<double>;
  explicit HessianSolver(HessianMethod method = HessianMethod::Cholesky,
                         double cg_tolerance = 1e-12);
  // core::InputError when H is not positive definite — a floppy mode, an unpinned rigid motion,
  // a part of the graph without ground — detected by a pivot below 1e-13 of the largest.
  void factorize(const SparseMatrix& H);
  Eigen::VectorXd solve(const Eigen::VectorXd& b) const;
  Eigen::MatrixXd solve(const Eigen::MatrixXd& b) const;
  std::int64_t size() const { return size_; }
  // Non-zeros of the Cholesky factor L (0 for CG), and CG iterations summed over solves.
  std::int64_t factor_nonzeros() const;
  std::int64_t cg_iterations() const { return cg_iterations_; }

 private:
  HessianMethod method_;
  double cg_tolerance_;
  std::int64_t size_ = 0;
  Eigen::Index pattern_nonzeros_ = -1;
  Eigen::SimplicialLLT<SparseMatrix, Eigen::Lower, Eigen::AMDOrdering<int>> llt_;
  Eigen::ConjugateGradient<SparseMatrix, Eigen::Lower | Eigen::Upper,
                           Eigen::IncompleteCholesky<double>>
      cg_;
  SparseMatrix H_;
  mutable std::int64_t cg_iterations_ = 0;
};

// One task: a force F on the free DOFs and/or inputs held at values (Dirichlet sources, as in
// Stern et al.'s pressure sources), and outputs c = A u − B that should vanish.
struct PhysicalTask {
  Eigen::VectorXd force;                           // F, size free DOFs (zeros without force inputs)
  std::vector<std::int64_t> source_dofs;           // free DOFs held fixed
  Eigen::VectorXd source_values;                   // their values
  Eigen::SparseMatrix<double, Eigen::RowMajor> A;  // outputs × free DOFs
  Eigen::VectorXd B;                               // targets
  std::vector<std::int64_t> input_nodes, output_nodes;  // for reports and drawings
};

// argmin ½ uᵀHu − gᵀu subject to G u = y, G's rows given as the columns of G_t (dense, DOFs ×
// k): u = H⁻¹(g + G_t λ) with the k × k capacitance system (G H⁻¹ Gᵀ) λ = y − G H⁻¹ g, so k
// extra solves on the same factor clamp k degrees of freedom.
Eigen::VectorXd constrained_solve(const HessianSolver& solver, const Eigen::VectorXd& g,
                                  const Eigen::MatrixXd& G_t, const Eigen::VectorXd& y);

Eigen::VectorXd free_state(const HessianSolver& solver, const PhysicalTask& task);
// c = A u − B.
Eigen::VectorXd task_error(const PhysicalTask& task, const Eigen::VectorXd& u);

enum class ClampRule { Nudge, Couple };
constexpr core::NameTable<ClampRule, 2> enum_names(ClampRule) {
  return {"clamping rule", {{{ClampRule::Nudge, "nudge"}, {ClampRule::Couple, "couple"}}}};
}

Eigen::VectorXd clamped_state(const HessianSolver& solver, const PhysicalTask& task,
                              const Eigen::VectorXd& u_free, ClampRule rule, double eta);

// C = ½ n_T⁻¹ Σ_r |c_r|² with H(w) factorized here.
double task_cost(const PhysicalSystem& system, const std::vector<double>& w,
                 const std::vector<PhysicalTask>& tasks);

// C of a network whose outputs do not respond, ½ n_T⁻¹ Σ_r |B_r|²: what a network that cannot
// fit its tasks approaches by stiffening, since with targets uncorrelated with its responses
// every response it gives adds to the cost.
double silent_cost(const std::vector<PhysicalTask>& tasks);

// ∇_w 𝓕 at w, from one factorization of H(w); `cost` (when given) receives C(w).
Eigen::VectorXd contrastive_gradient(const PhysicalSystem& system, const std::vector<double>& w,
                                     const std::vector<PhysicalTask>& tasks, ClampRule rule,
                                     double eta, HessianSolver& solver, double* cost = nullptr);

// Tasks. Nodes, forces and targets come from CounterRng(seed) (RngPurpose::Tasks); task nodes
// lie at least 3 edges from every grounded node (classification: any free node), and inputs and
// outputs are disjoint within a task.
//
// Allostery (Rocks et al.; Stern et al.): `inputs` nodes get a force of norm `force` in a
// random direction over their DOFs; `outputs` nodes each get a random unit direction d̂ and the
// target d̂ᵀu_o = gain × (F̂ᵀu^F at the inputs of the untrained network) — a response at the
// outputs `gain` times the input's own, which a network that merely conducts cannot give.
std::vector<PhysicalTask> allostery_tasks(const PhysicalSystem& system,
                                          const std::vector<double>& w, std::int64_t tasks,
                                          std::int64_t inputs, std::int64_t outputs, double gain,
                                          double force, std::uint64_t seed);
// The coupled-learning benchmark of Stern et al. (PRX 2021): `sources` nodes held at pressures
// uniform in [−1, 1], `targets` nodes whose desired pressures lie uniform in the middle half of
// the range the sources span, so that a network can reach them. The network's one grounded node
// is the first source (pressures count from it), so no node but the sources is held.
std::vector<PhysicalTask> source_target_tasks(const PhysicalSystem& system, std::int64_t tasks,
                                              std::int64_t sources, std::int64_t targets,
                                              std::uint64_t seed);

// A labelled table of real-valued features (e.g. the iris flowers).
struct FeatureTable {
  std::int64_t count = 0, features = 0, classes = 0;
  std::vector<double> x;  // count × features
  std::vector<std::int32_t> labels;
  std::vector<std::string> class_names;
};
// scikit-learn's bundled CSV layout: a header "count,features,name0,name1,…" then one row per
// sample, the features and an integer label. InputError for a malformed or truncated file.
FeatureTable read_feature_csv(const std::string& path);
// The same from text already in memory; messages name it `path` (a file, or a description).
FeatureTable parse_feature_csv(std::istream& in, const std::string& path);
// Fisher's iris flowers (150 flowers, 4 features, 3 species; data/iris.csv), built into the
// program.
FeatureTable iris_table();

// Classification as tasks: features standardized (the training split's mean and deviation) and
// scaled by `force` are the forces on `features` input pairs plus one bias pair of force
// `force` (+x on one node of a pair, −x on the other); one output node per class, target +target
// for the sample's class and −target for the others; the prediction is the output with the largest
// response. The node choice is the same for every sample (CounterRng(seed)).
struct ClassificationTasks {
  std::vector<PhysicalTask> train, test;
  std::vector<std::int32_t> train_labels, test_labels;
};
ClassificationTasks classification_tasks(const PhysicalSystem& system, const FeatureTable& table,
                                         double test_fraction, double force, double target,
                                         std::uint64_t seed);
// Fraction of tasks whose largest output is the labelled one, at w.
double classification_accuracy(const PhysicalSystem& system, const std::vector<double>& w,
                               const std::vector<PhysicalTask>& tasks,
                               const std::vector<std::int32_t>& labels);

// What the best linear response could do: the network's outputs are linear in the forces,
// u = H⁻¹F, so no network beats the least-squares map from the training forces (at the input
// DOFs) to the targets. Its cost is a floor under C; its accuracies are the linear ceiling.
struct LinearResponseBound {
  double train_cost = 0, train_accuracy = 0, test_accuracy = 0;
};
LinearResponseBound linear_response_bound(const PhysicalSystem& system,
                                          const ClassificationTasks& data);

// The training loop: δw = −α ∇_w 𝓕 each step on all tasks, then w ← max(w, floor) with the
// floor φ⁻¹(stiffness_floor). `observe(step, w, cost)` runs before step 0 and after every step
// (the cost is C at the w it receives); returning false stops the loop.
struct PhysicalTrainParams {
  ClampRule rule = ClampRule::Nudge;
  double alpha = 0.1, eta = 1e-3;
  double stiffness_floor = 1e-4;
  std::int64_t steps = 1000;
  HessianMethod method = HessianMethod::Cholesky;
};
// InputError for a non-positive or non-finite rate, strength or floor, or negative steps.
void check_train_params(const PhysicalTrainParams& params);
using PhysicalObserver =
    std::function<bool(std::int64_t step, const std::vector<double>& w, double cost)>;
void train_physical(const PhysicalSystem& system, std::vector<double>& w,
                    const std::vector<PhysicalTask>& tasks, const PhysicalTrainParams& params,
                    const PhysicalObserver& observe);

}  // namespace attractor
