// Physical learning: free and clamped states against dense solves, the contrastive rule against
// finite differences of C, the published coupled-learning reference, allostery's imprint on the
// Hessian, Spectra against the dense eigensolver, and the rejection of bad graphs.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <tuple>
#include <vector>

#include "attractor/host/physical/hessian_modes.hpp"
#include "attractor/host/physical/physical_learning.hpp"
#include "file_fixture.hpp"

namespace attractor {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

// Weights that differ edge to edge, so no symmetry of the lattice or the graph hides an error.
std::vector<double> varied_weights(const PhysicalSystem& system, double base = 0.5) {
  std::vector<double> w = system.network().w;
  for (std::size_t e = 0; e < w.size(); ++e) {
    w[e] = system.network().kind == PhysicalKind::Linear ? w[e] : base + 0.07 * double(e % 11);
  }
  return w;
}

// Trains w in place and returns the cost before the first step and after the last.
std::pair<double, double> train_costs(const PhysicalSystem& system, std::vector<double>& w,
                                      const std::vector<PhysicalTask>& tasks,
                                      const PhysicalTrainParams& params) {
  double first = 0, last = 0;
  train_physical(system, w, tasks, params,
                 [&](std::int64_t step, const std::vector<double>&, double cost) {
                   if (step == 0) first = cost;
                   last = cost;
                   return true;
                 });
  return {first, last};
}

// Every mode of H(w), and how the task's input force (H u^F) and outputs project on them.
std::pair<HessianModes, ModeAlignment> analyze_task(const PhysicalSystem& system,
                                                    const std::vector<double>& w,
                                                    const PhysicalTask& task) {
  const auto H = system.hessian(w);
  HessianSolver solver;
  solver.factorize(H);
  HessianModes modes = lowest_modes(H, system.free_dofs());
  ModeAlignment alignment = mode_alignment(modes, H * free_state(solver, task), task.A);
  return {std::move(modes), std::move(alignment)};
}

double condition_number(const Eigen::MatrixXd& H) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(H);
  return eig.eigenvalues().maxCoeff() / eig.eigenvalues().minCoeff();
}

// The systems every solve test runs on: a flow network, an elastic one (2 DOFs per node) with
// φ = w², and the fully connected linear network.
std::vector<PhysicalSystem> test_systems() {
  std::vector<PhysicalSystem> out;
  out.emplace_back(random_geometric_network(PhysicalKind::Flow, 150, 2, 4.0, 3));
  PhysicalNetwork elastic =
      random_geometric_network(PhysicalKind::Elastic, 150, 2, 8.0, 4, Grounding::Boundary);
  elastic.phi = EdgeResponse::Square;
  out.emplace_back(elastic);
  out.emplace_back(linear_network(30, 5));
  return out;
}

TEST(PhysicalSolve, FreeStatesAgreeWithADenseSolve) {
  for (const PhysicalSystem& system : test_systems()) {
    SCOPED_TRACE(to_string(system.network().kind));
    const auto w = varied_weights(system);
    const auto tasks = allostery_tasks(system, w, 3, 3, 2, 1.0, 1.0, 7);
    HessianSolver solver;
    const auto H = system.hessian(w);
    solver.factorize(H);
    const Eigen::MatrixXd H_dense(H);
    // A backward-stable solve has forward error ≲ κ(H) · n ε; the factor 10 covers the
    // constant of Cholesky's bound (Higham, thm 10.4) for these sizes.
    const double tol = 10.0 * condition_number(H_dense) * double(H.rows()) * kEps;
    for (const auto& task : tasks) {
      const Eigen::VectorXd u = free_state(solver, task);
      const Eigen::VectorXd u_dense = H_dense.ldlt().solve(task.force);
      EXPECT_LE((u - u_dense).norm(), tol * u_dense.norm());
      EXPECT_LE((H * u - task.force).norm(), tol * task.force.norm());
    }
  }
}

TEST(PhysicalSolve, HeldSourcesAndClampedOutputsAgreeWithTheDenseKktSystem) {
  const PhysicalSystem system(random_geometric_network(PhysicalKind::Flow, 64, 2, 4.0, 2));
  const auto w = varied_weights(system);
  const auto tasks = source_target_tasks(system, 2, 5, 3, 9);
  HessianSolver solver;
  const auto H = system.hessian(w);
  solver.factorize(H);
  const Eigen::MatrixXd H_dense(H);
  const auto n = H.rows();
  for (const auto& task : tasks) {
    const Eigen::VectorXd u_F = free_state(solver, task);
    const Eigen::VectorXd u_C = clamped_state(solver, task, u_F, ClampRule::Couple, 0.3);
    // [H Gᵀ; G 0] [u; −λ] = [F; y] with G the held sources and, clamped, the outputs.
    auto kkt_solve = [&](const Eigen::MatrixXd& G, const Eigen::VectorXd& y) {
      const auto k = G.rows();
      Eigen::MatrixXd K = Eigen::MatrixXd::Zero(n + k, n + k);
      K.topLeftCorner(n, n) = H_dense;
      K.topRightCorner(n, k) = G.transpose();
      K.bottomLeftCorner(k, n) = G;
      Eigen::VectorXd rhs(n + k);
      rhs << task.force, y;
      return Eigen::VectorXd(K.fullPivLu().solve(rhs).head(n));
    };
    Eigen::MatrixXd G_s = Eigen::MatrixXd::Zero(Eigen::Index(task.source_dofs.size()), n);
    for (std::size_t s = 0; s < task.source_dofs.size(); ++s)
      G_s(Eigen::Index(s), task.source_dofs[s]) = 1;
    const Eigen::VectorXd u_F_dense = kkt_solve(G_s, task.source_values);
    Eigen::MatrixXd G(G_s.rows() + task.A.rows(), n);
    G << G_s, Eigen::MatrixXd(task.A);
    const Eigen::VectorXd c = task_error(task, u_F);
    Eigen::VectorXd y(G.rows());
    y << task.source_values, task.A * u_F - 0.3 * c;
    const Eigen::VectorXd u_C_dense = kkt_solve(G, y);
    // The capacitance system adds the κ of G H⁻¹ Gᵀ (≤ κ(H) for unit rows) to the solve's.
    const double tol = 100.0 * condition_number(H_dense) * double(n) * kEps;
    EXPECT_LE((u_F - u_F_dense).norm(), tol * u_F_dense.norm());
    EXPECT_LE((u_C - u_C_dense).norm(), tol * u_C_dense.norm());
    for (std::size_t s = 0; s < task.source_dofs.size(); ++s) {
      EXPECT_NEAR(u_F[task.source_dofs[s]], task.source_values[Eigen::Index(s)], tol);
    }
    // Coupled clamping moves each output a fraction η of the way to its target.
    EXPECT_LE((task.A * u_C - (task.A * u_F - 0.3 * c)).norm(), tol * (1 + c.norm()));
  }
}

TEST(PhysicalSolve, ConjugateGradientsAgreeWithCholesky) {
  const PhysicalSystem system(
      random_geometric_network(PhysicalKind::Flow, 300, 2, 4.0, 6, Grounding::Boundary));
  const auto w = varied_weights(system);
  const auto tasks = allostery_tasks(system, w, 1, 2, 1, 1.0, 1.0, 3);
  HessianSolver cholesky, cg(HessianMethod::ConjugateGradient, 1e-13);
  cholesky.factorize(system.hessian(w));
  cg.factorize(system.hessian(w));
  const Eigen::VectorXd u = free_state(cholesky, tasks[0]);
  const Eigen::VectorXd u_cg = free_state(cg, tasks[0]);
  // CG stops at |r| ≤ 1e-13 |b|, so |δu| ≤ κ · 1e-13 |u| (κ ≲ 1e4 here, checked below).
  const double kappa = condition_number(Eigen::MatrixXd(system.hessian(w)));
  ASSERT_LT(kappa, 1e5);
  EXPECT_LE((u - u_cg).norm(), kappa * 1e-13 * u.norm() * 10);
  EXPECT_GT(cg.cg_iterations(), 0);
}

// For the nudge the contrastive rule's error is known exactly: with v = η⁻¹(u^C − u^F),
// ∇_w𝓕 − ∇_wC = (η/2) n_T⁻¹ Σ_r φ'(w)(Bv_r)², first order in η. And ∇_wC itself is checked
// against central differences of C.
TEST(ContrastiveRule, NudgeTendsToTheTrueGradientOfTheCost) {
  for (const PhysicalSystem& system : test_systems()) {
    SCOPED_TRACE(to_string(system.network().kind));
    const auto w = varied_weights(system);
    const auto tasks = allostery_tasks(system, w, 2, 2, 2, 1.0, 1.0, 11);
    HessianSolver solver;
    double C = 0;
    const Eigen::VectorXd g_small =
        contrastive_gradient(system, w, tasks, ClampRule::Nudge, 1e-7, solver, &C);
    ASSERT_GT(C, 0);
    // Central differences: truncation h² C'''/6 and rounding ε C / h; h = 1e-5 keeps both
    // near 1e-10 relative to the gradient's scale, far below the 1e-6 asked.
    const double h = 1e-5;
    Eigen::VectorXd fd(g_small.size());
    for (Eigen::Index e = 0; e < fd.size(); ++e) {
      auto w_plus = w, w_minus = w;
      w_plus[std::size_t(e)] += h;
      w_minus[std::size_t(e)] -= h;
      fd[e] = (task_cost(system, w_plus, tasks) - task_cost(system, w_minus, tasks)) / (2 * h);
    }
    const double scale = fd.cwiseAbs().maxCoeff();
    ASSERT_GT(scale, 0);
    // η = 1e-7 contributes η·|φ'(Bv)²| ~ 1e-7 of the scale, rounding ε/η ~ 1e-9.
    EXPECT_LE((g_small - fd).cwiseAbs().maxCoeff(), 1e-6 * scale);

    for (const double eta : {1e-1, 1e-2, 1e-3}) {
      const Eigen::VectorXd g =
          contrastive_gradient(system, w, tasks, ClampRule::Nudge, eta, solver);
      Eigen::VectorXd bias = Eigen::VectorXd::Zero(g.size());
      for (const auto& task : tasks) {
        const Eigen::VectorXd u_F = free_state(solver, task);
        const Eigen::VectorXd v =
            (clamped_state(solver, task, u_F, ClampRule::Nudge, eta) - u_F) / eta;
        // ½ φ'(w)(Bv)² is ∂E/∂w at v, whatever the network's kind.
        bias += system.energy_gradient(w, v) * (eta / double(tasks.size()));
      }
      EXPECT_LE((g - fd - bias).cwiseAbs().maxCoeff(), 1e-6 * scale) << "eta " << eta;
      EXPECT_GT(bias.cwiseAbs().maxCoeff(), 1e-4 * eta * scale) << "the bias is not trivial";
    }
  }
}

TEST(ContrastiveRule, IsLocalToEachEdge) {
  // δw_e depends only on the edge's own extensions in the two states: changing the state away
  // from an edge's nodes leaves ∂E/∂w_e as it was.
  const PhysicalSystem system(random_geometric_network(PhysicalKind::Flow, 40, 2, 4.0, 1));
  const auto w = varied_weights(system);
  Eigen::VectorXd u = Eigen::VectorXd::LinSpaced(system.free_dofs(), -1, 1);
  const Eigen::VectorXd before = system.energy_gradient(w, u);
  const auto [i, j] = system.network().edges[0];
  for (std::int64_t node = 0; node < system.network().nodes; ++node) {
    if (node != i && node != j && system.dof(node) >= 0) u[system.dof(node)] += 3.0;
  }
  const Eigen::VectorXd after = system.energy_gradient(w, u);
  EXPECT_EQ(before[0], after[0]);
  EXPECT_NE((before - after).norm(), 0.0);
}

// Stern, Hexner, Rocklin & Liu (PRX 2021): coupled learning with α = 0.1, η = 1e-3 drives a
// 64-node flow network's error on 5 sources and 3 targets down by 2–3 orders of magnitude. Over
// ten seeded networks and tasks the median must fall by at least two orders in 10⁴ steps.
TEST(CoupledLearning, ReproducesTheFlowNetworkReferencePoint) {
  std::vector<double> ratios;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const PhysicalSystem system(random_geometric_network(PhysicalKind::Flow, 64, 2, 4.0, seed));
    std::vector<double> w = system.network().w;
    const auto tasks = source_target_tasks(system, 1, 5, 3, seed);
    PhysicalTrainParams params;
    params.rule = ClampRule::Couple;
    params.alpha = 0.1;
    params.eta = 1e-3;
    params.steps = 10000;
    const auto [first, last] = train_costs(system, w, tasks, params);
    ASSERT_GT(first, 0);
    ratios.push_back(last / first);
  }
  std::sort(ratios.begin(), ratios.end());
  const double median = std::sqrt(ratios[4] * ratios[5]);
  EXPECT_LE(median, 1e-2);
}

// Stern et al., "Physical effects of learning": a flow network of 512 nodes (grounded at its
// boundary) trained on one allosteric task — a force pair on two inputs, the output asked to
// respond as much as the inputs do — meets it to rounding, and the task leaves its imprint on H:
// the softest mode softens, becomes the one that carries the response, and aligns with the
// input force and the output; the response dimension falls toward one mode.
TEST(Allostery, TrainingLeavesASoftModeAlignedWithTheTask) {
  const PhysicalSystem system(
      random_geometric_network(PhysicalKind::Flow, 512, 2, 4.0, 1, Grounding::Boundary));
  std::vector<double> w = system.network().w;
  const auto tasks = allostery_tasks(system, w, 1, 2, 1, 1.0, 1.0, 1);
  const auto [before, aligned_before] = analyze_task(system, w, tasks[0]);
  PhysicalTrainParams params;
  params.alpha = 0.3;
  params.steps = 8000;
  const auto [first, last] = train_costs(system, w, tasks, params);
  const auto [after, aligned_after] = analyze_task(system, w, tasks[0]);
  EXPECT_LE(last, 1e-3 * first);
  EXPECT_LE(after.values[0], 0.5 * before.values[0]);
  EXPECT_LT(response_spectrum(after.values).d_eff, 0.75 * response_spectrum(before.values).d_eff);
  // A generic mode sees a localized force and output at ~1/√N each; the trained soft mode
  // sees both an order of magnitude more, and carries the largest share of the response
  // A u = Σ (A v_n)(v_nᵀF)/λ_n.
  EXPECT_GT(std::abs(aligned_after.f[0]), 10 * std::abs(aligned_before.f[0]));
  EXPECT_GT(aligned_after.a[0], 10 * aligned_before.a[0]);
  EXPECT_EQ(aligned_after.carrier, 0u);
}

// An output asked for ten times the inputs' own response cannot be reached by conducting: a
// flow network's pressures are averages of their neighbours'. Learning meets it by making a soft
// mode: the mode that carries the response ends more than two orders of magnitude softer than
// the one that carried it before (measured: 0.185 → 8.9e-4, 207×), and it sees the task's force
// and output. With φ = eʷ a conductance moves by a factor per step and never meets the floor; with
// φ = w the same task drives the output's own edges onto the floor, cutting it loose.
TEST(Allostery, AnAmplifiedResponseNeedsAModeOrdersOfMagnitudeSofter) {
  PhysicalNetwork net =
      random_geometric_network(PhysicalKind::Flow, 512, 2, 4.0, 1, Grounding::Boundary);
  net.phi = EdgeResponse::Exp;
  const PhysicalSystem system(net);
  std::vector<double> w = system.network().w;
  const auto tasks = allostery_tasks(system, w, 1, 2, 1, 10.0, 1.0, 1);
  auto carrier = [&](const std::vector<double>& weights) {
    const auto [modes, alignment] = analyze_task(system, weights, tasks[0]);
    const std::size_t n = alignment.carrier;
    return std::make_tuple(modes.values[Eigen::Index(n)], std::abs(alignment.f[n]), alignment.a[n]);
  };
  const double lambda_before = std::get<0>(carrier(w));
  PhysicalTrainParams params;
  params.rule = ClampRule::Couple;
  params.alpha = 0.3;
  params.steps = 6000;
  const auto [first, last] = train_costs(system, w, tasks, params);
  const auto [lambda_after, f_after, a_after] = carrier(w);
  EXPECT_LE(last, 1e-3 * first);
  EXPECT_LE(lambda_after, 1e-2 * lambda_before);
  // Localized on the path from the inputs to the output, not on the ~1/√N of a bulk mode.
  EXPECT_GT(f_after, 1.0 / std::sqrt(double(system.free_dofs())));
  EXPECT_GT(a_after, 1.0 / std::sqrt(double(system.free_dofs())));
  // And that one mode carries the response on its own, A u ≈ (a f / λ)|F| = B (|F| = 1; the
  // other modes' share was ≤ 5% in 8 networks), so λ falls in proportion to the gain asked for.
  const double target = std::abs(tasks[0].B[0]);
  EXPECT_NEAR(f_after * std::abs(a_after) / lambda_after, target, 0.1 * target);
}

// Past capacity the tasks' targets, of random sign, are uncorrelated with anything the network
// can give, so the cost ½⟨|A u − B|²⟩ = ½⟨|A u|²⟩ + ½⟨|B|²⟩ falls only as the responses shrink:
// the network stiffens toward the silent cost ½⟨|B|²⟩. A 64-node network (~130 edges) learns one
// task by softening; 256 tasks at once it cannot learn, and it stiffens instead.
TEST(Allostery, PastCapacityTheResponseStiffensAndStaysLowDimensional) {
  const PhysicalSystem system(
      random_geometric_network(PhysicalKind::Flow, 64, 2, 4.0, 2, Grounding::Boundary));
  const auto spectrum = [&](const std::vector<double>& w) {
    const auto modes = lowest_modes(system.hessian(w), system.free_dofs());
    return std::make_pair(modes.values[0], response_spectrum(modes.values));
  };
  const auto [lambda_before, before] = spectrum(system.network().w);
  PhysicalTrainParams params;
  params.alpha = 0.3;
  params.steps = 3000;

  std::vector<double> w = system.network().w;
  const auto one = allostery_tasks(system, w, 1, 2, 1, 1.0, 1.0, 2);
  const auto [one_first, one_last] = train_costs(system, w, one, params);
  EXPECT_LE(one_last, 1e-3 * one_first);
  EXPECT_GT(spectrum(w).second.g_bar, before.g_bar);  // learned by softening

  w = system.network().w;
  const auto many = allostery_tasks(system, w, 256, 2, 1, 1.0, 1.0, 2);
  const auto [many_first, many_last] = train_costs(system, w, many, params);
  const auto [lambda_after, after] = spectrum(w);
  // Barely below where it started, and not below going silent by more than a few per cent.
  EXPECT_LT(many_last, many_first);
  EXPECT_GT(many_last, 0.9 * silent_cost(many));
  // Stiffer by several per cent (measured ḡ −11%, λ₀ +13%), far beyond rounding in the spectra.
  EXPECT_LT(after.g_bar, 0.95 * before.g_bar);
  EXPECT_GT(lambda_after, 1.05 * lambda_before);
  // Its responses to isotropic forces still live in a handful of the 49 modes.
  EXPECT_LT(after.participation, 0.1 * double(system.free_dofs()));
}

TEST(HessianModes, ShiftInvertLanczosAgreesWithTheDenseEigensolver) {
  std::vector<PhysicalSystem> systems;
  systems.emplace_back(
      random_geometric_network(PhysicalKind::Flow, 700, 2, 4.0, 8, Grounding::Boundary));
  systems.emplace_back(
      random_geometric_network(PhysicalKind::Elastic, 300, 2, 8.0, 9, Grounding::Boundary));
  for (const PhysicalSystem& system : systems) {
    SCOPED_TRACE(to_string(system.network().kind));
    const auto H = system.hessian(varied_weights(system));
    const auto dense = lowest_modes(H, 12, ModeMethod::Dense);
    const auto sparse = lowest_modes(H, 12, ModeMethod::ShiftInvert, 1e-12);
    ASSERT_EQ(sparse.values.size(), 12);
    EXPECT_EQ(sparse.method, "shift-invert");
    for (Eigen::Index n = 0; n < 12; ++n) {
      // Lanczos converges the Ritz values of H⁻¹ to 1e-12 relative; the dense QR to ~n ε |H|,
      // i.e. n ε κ relative for the lowest: both well inside 1e-8 at κ ≲ 1e4.
      EXPECT_NEAR(sparse.values[n], dense.values[n], 1e-8 * dense.values[n]) << "mode " << n;
      // Eigenvector error ~ residual / gap; the gaps here are ≥ 1e-3 of λ.
      EXPECT_GT(std::abs(sparse.vectors.col(n).dot(dense.vectors.col(n))), 1 - 1e-6)
          << "mode " << n;
    }
  }
}

TEST(HessianModes, AlignmentProjectsTheTaskAndNamesTheCarryingMode) {
  HessianModes modes;
  modes.values = Eigen::Vector2d(1.0, 0.5);
  modes.vectors = Eigen::Matrix2d::Identity();
  const Eigen::VectorXd force = Eigen::Vector2d(1.0, 1.0);
  for (const auto& [second, carrier] : {std::pair{0.2, 0u}, std::pair{0.8, 1u}}) {
    Eigen::SparseMatrix<double, Eigen::RowMajor> A(1, 2);
    A.insert(0, 0) = 1.0;
    A.insert(0, 1) = second;
    const auto alignment = mode_alignment(modes, force, A);
    const double norm = std::sqrt(1 + second * second);
    EXPECT_NEAR(alignment.f[0], std::sqrt(0.5), 1e-15);
    EXPECT_NEAR(alignment.a[1], second / norm, 1e-15);
    EXPECT_NEAR(alignment.product[1], std::sqrt(0.5) * second / norm, 1e-15);
    // Shares |f| a / λ: 0.69 against 0.28 (mode 0 carries), then 0.55 against 0.88 (mode 1).
    EXPECT_EQ(alignment.carrier, carrier) << "second output weight " << second;
  }
}

TEST(HessianModes, ResponseSpectrumFollowsItsDefinition) {
  Eigen::VectorXd lambda(3);
  lambda << 1.0, 2.0, 4.0;
  const auto s = response_spectrum(lambda);
  const double s2 = 1 + 0.25 + 0.0625, s4 = 1 + 0.0625 + 0.00390625;
  EXPECT_NEAR(s.g_bar, std::sqrt(s2), 1e-15);
  EXPECT_NEAR(s.participation, s2 * s2 / s4, 1e-14);
  EXPECT_NEAR(s.d_eff, s2 * s2 / (3 * s4), 1e-14);
  // N equal eigenvalues: every direction responds alike, PR = N.
  EXPECT_NEAR(response_spectrum(Eigen::VectorXd::Constant(7, 0.3)).participation, 7.0, 1e-13);
  // Extreme spectra stay finite.
  Eigen::VectorXd wide(2);
  wide << 1e-90, 1e90;
  EXPECT_NEAR(response_spectrum(wide).participation, 1.0, 1e-15);
}

// The measured dimension of responses to M Gaussian forces tends to the spectral PR. Its
// relative spread is at most 2√(2/(M·PR)) + √(8/M) ≤ 5.7/√M (the deltas of (tr Ĉ)² and tr Ĉ²
// for Wishart Ĉ), 0.018 at M = 10⁵, and its bias −(1 + PR)/M is smaller still; 5% is ≥ 2.7
// of those spreads.
TEST(HessianModes, RandomForceEnsembleDimensionTendsToTheSpectralFormula) {
  const PhysicalSystem system(
      random_geometric_network(PhysicalKind::Elastic, 60, 2, 8.0, 2, Grounding::Boundary));
  const auto H = system.hessian(varied_weights(system));
  const auto spectral = response_spectrum(lowest_modes(H, system.free_dofs()).values);
  ASSERT_GT(spectral.participation, 2.0);
  HessianSolver solver;
  solver.factorize(H);
  const auto large = ensemble_dimension(solver, 100000, 5);
  EXPECT_NEAR(large.participation, spectral.participation, 0.05 * spectral.participation);
  EXPECT_NEAR(large.d_eff, spectral.d_eff, 0.05 * spectral.d_eff);
  EXPECT_NEAR(large.g_bar, spectral.g_bar, 0.05 * spectral.g_bar);
}

// ---------------------------------------------------------------------------------------------
// Bad graphs and files

void expect_rejected(const PhysicalNetwork& net, const std::string& words) {
  try {
    PhysicalSystem system(net);
    ADD_FAILURE() << "accepted a bad network (" << words << ")";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST(PhysicalNetworks, BadGraphsAreRejectedWithAClearError) {
  const PhysicalNetwork good = random_geometric_network(PhysicalKind::Flow, 20, 2, 4.0, 1);
  PhysicalSystem ok(good);
  auto bad = good;
  bad.edges.erase(std::remove_if(bad.edges.begin(), bad.edges.end(),
                                 [](const auto& e) { return e[0] == 5 || e[1] == 5; }),
                  bad.edges.end());
  bad.w.assign(bad.edges.size(), 1.0);
  expect_rejected(bad, "disconnected");
  bad = good;
  bad.ground.clear();
  expect_rejected(bad, "ungrounded");
  bad = good;
  bad.w[3] = 0.0;
  expect_rejected(bad, "must be positive");
  bad.w[3] = -2.0;
  expect_rejected(bad, "must be positive");
  bad = good;
  bad.w[1] = std::nan("");
  expect_rejected(bad, "NaN");
  bad = good;
  bad.positions[4] = std::numeric_limits<double>::infinity();
  expect_rejected(bad, "NaN or Inf");
  bad = good;
  bad.edges[0] = {2, 2};
  expect_rejected(bad, "self-loop");
  bad = good;
  bad.edges[0] = bad.edges[1];
  expect_rejected(bad, "repeated");
  bad = good;
  bad.edges[0] = {0, 20};
  expect_rejected(bad, "outside");
  bad = good;
  bad.w.pop_back();
  expect_rejected(bad, "weights");
  bad = good;
  bad.ground = {0, 0};
  expect_rejected(bad, "repeated");
  auto elastic = random_geometric_network(PhysicalKind::Elastic, 20, 2, 8.0, 1);
  elastic.ground = {0};
  expect_rejected(elastic, "pinned nodes");
}

TEST(PhysicalNetworks, FloppyElasticNetworksFailAtFactorization) {
  // A square lattice of springs shears freely (mean degree 4 = 2d, below rigidity).
  const PhysicalSystem square(lattice_network(PhysicalKind::Elastic, 6, 6, false));
  HessianSolver solver;
  try {
    solver.factorize(square.hessian(square.network().w));
    ADD_FAILURE() << "factorized a floppy network";
  } catch (const core::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("floppy"), std::string::npos) << e.what();
  }
  // The triangular lattice is rigid once two nodes are pinned.
  const PhysicalSystem triangular(lattice_network(PhysicalKind::Elastic, 6, 6, true));
  EXPECT_NO_THROW(solver.factorize(triangular.hessian(triangular.network().w)));
  // A linear network whose W̄ is not positive definite.
  auto linear = linear_network(4, 1);
  linear.w[0] = -10.0;
  const PhysicalSystem indefinite(linear);
  EXPECT_THROW(solver.factorize(indefinite.hessian(indefinite.network().w)), core::InputError);
}

TEST(PhysicalNetworks, BuildersMakeConnectedGraphsOfTheAskedDegree) {
  for (const double z : {3.0, 4.0, 6.0}) {
    const auto net = random_geometric_network(PhysicalKind::Flow, 2000, 2, z, 3);
    PhysicalSystem system(net);  // validates connectivity
    const double mean = 2.0 * double(net.edges.size()) / double(net.nodes);
    // The minimum degree min(3, ⌊z⌋) can add edges beyond z n / 2 — many at z = 3, where the
    // spanning tree leaves a third of the nodes as leaves — and never removes any.
    EXPECT_GE(mean, z - 2.0 / double(net.nodes));
    if (z >= 4) {
      EXPECT_LE(mean, z + 0.5);
    }
    std::vector<int> degree(std::size_t(net.nodes), 0);
    for (const auto& e : net.edges) ++degree[std::size_t(e[0])], ++degree[std::size_t(e[1])];
    EXPECT_GE(*std::min_element(degree.begin(), degree.end()), int(std::min(3.0, std::floor(z))));
  }
  const auto cube = random_geometric_network(PhysicalKind::Elastic, 400, 3, 12.0, 2);
  EXPECT_EQ(cube.ground.size(), 3u);
  PhysicalSystem rigid(cube);
  HessianSolver solver;
  EXPECT_NO_THROW(solver.factorize(rigid.hessian(cube.w)));
  const auto boundary = lattice_network(PhysicalKind::Flow, 10, 12, false, Grounding::Boundary);
  EXPECT_EQ(boundary.ground.size(), std::size_t(2 * 12 + 2 * 8));
}

class PhysicalFiles : public test::TempDirTest {};

TEST_F(PhysicalFiles, NetworksRoundTripThroughJson) {
  for (const PhysicalNetwork& net :
       {random_geometric_network(PhysicalKind::Elastic, 30, 2, 8.0, 1),
        random_geometric_network(PhysicalKind::Flow, 30, 3, 4.0, 2), linear_network(5, 3)}) {
    const std::string file = path(std::string(to_string(net.kind)) + ".json");
    write_physical_network(file, net);
    const PhysicalNetwork back = read_physical_network(file);
    EXPECT_EQ(back.kind, net.kind);
    EXPECT_EQ(back.nodes, net.nodes);
    EXPECT_EQ(back.edges, net.edges);
    EXPECT_EQ(back.w, net.w);  // 17 significant digits round-trip exactly
    EXPECT_EQ(back.positions, net.positions);
    EXPECT_EQ(back.ground, net.ground);
  }
}

TEST_F(PhysicalFiles, MalformedNetworkFilesAreRejected) {
  const std::string good =
      R"({"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, 2], "ground": [0]})";
  EXPECT_NO_THROW(read_physical_network(write_file("good.json", good)));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good.substr(0, good.size() / 2), "not valid JSON"},
      {"[1, 2]", "JSON object"},
      {R"({"kind": "foam", "nodes": 3})",
       "unknown network kind 'foam' (expected flow, elastic or linear)"},
      {R"({"kind": "flow", "edges": [[0, 1]], "weights": [1], "ground": [0]})", "\"nodes\""},
      {R"({"kind": "flow", "nodes": 3, "edges": [[0, 1, 2]], "weights": [1], "ground": [0]})",
       "pair"},
      {R"({"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": ["a", 2], "ground": [0]})",
       "wrong type"},
      {R"({"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, 2], "ground": []})",
       "ungrounded"},
      {R"({"kind": "flow", "nodes": 4, "edges": [[0, 1], [2, 3]], "weights": [1, 2], "ground": [0]})",
       "disconnected"},
      {R"({"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, -2], "ground": [0]})",
       "positive"},
  };
  for (const auto& [text, words] : cases) {
    const std::string file = write_file("bad.json", text);
    try {
      read_physical_network(file);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const core::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(read_physical_network(path("missing.json")), core::InputError);
}

TEST_F(PhysicalFiles, FeatureTablesAreReadAndCheckedLikeScikitLearnsCsv) {
  const auto table = read_feature_csv(write_file("t.csv", "3,2,a,b\n1.5,2,0\n3,4,1\n-1,0.5,1\n"));
  EXPECT_EQ(table.count, 3);
  EXPECT_EQ(table.features, 2);
  EXPECT_EQ(table.classes, 2);
  EXPECT_EQ(table.x, (std::vector<double>{1.5, 2, 3, 4, -1, 0.5}));
  EXPECT_EQ(table.labels, (std::vector<std::int32_t>{0, 1, 1}));
  for (const auto& [text, words] : std::vector<std::pair<std::string, std::string>>{
           {"3,2,a,b\n1,2,0\n", "truncated"},
           {"3,2,a,b\n1,2,0\n1,x,1\n1,2,1\n", "not a finite number"},
           {"3,2,a,b\n1,2,0\n1,2,5\n1,2,1\n", "label 5"},
           {"3,2,a,b\n1,2\n1,2,1\n1,2,1\n", "expected 3 values"},
           {"three,2,a,b\n", "not an integer"},
           {"", "empty"}}) {
    try {
      read_feature_csv(write_file("bad.csv", text));
      ADD_FAILURE() << "accepted: " << text;
    } catch (const core::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  }
}

// Sizes and indices in a graph are integers checked before use: a node count alone asked for
// 16 GiB, 1e300 was undefined behaviour in the conversion, 2.9 was read as 2.
TEST_F(PhysicalFiles, GraphNumbersMustBeIntegersInRange) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"kind": "flow", "nodes": 2147483648, "edges": [[0, 1]], "weights": [1], "ground": [0]})",
       "\"nodes\""},
      {R"({"kind": "flow", "nodes": 1e300, "edges": [[0, 1]], "weights": [1], "ground": [0]})",
       "\"nodes\""},
      {R"({"kind": "flow", "nodes": 3.5, "edges": [[0, 1]], "weights": [1], "ground": [0]})",
       "\"nodes\""},
      {R"({"kind": "flow", "nodes": 16000000, "edges": [[0, 1]], "weights": [1], "ground": [0]})",
       "at least 15999999 edges"},
      {R"({"kind": "flow", "nodes": 3, "edges": [[0, 1], [2.9, 1]], "weights": [1, 2], "ground": [0]})",
       "edge's node"},
      {R"({"kind": "flow", "nodes": 3, "edges": [[0, 1], [1, 2]], "weights": [1, 2], "ground": [0.5]})",
       "ground node"},
      {R"({"kind": "elastic", "nodes": 3, "space_dim": 2.5, "edges": [[0, 1], [1, 2]], "weights": [1, 2], "ground": [0]})",
       "\"space_dim\""},
  };
  for (const auto& [text, words] : cases) {
    const std::string file = write_file("bad.json", text);
    test::expect_input_error([&] { read_physical_network(file); }, file, {words});
  }
  test::expect_input_error([&] { read_physical_network("/dev/zero"); }, "/dev/zero",
                           {"not a regular file"});
}

TEST_F(PhysicalFiles, FeatureTableSizesAreChecked) {
  const std::string file = write_file("huge.csv", "150,9223372036854775807,a,b\n1,2,0\n");
  test::expect_input_error([&] { read_feature_csv(file); }, file, {"line 1", "limit"});
  const std::string escape = write_file("escape.csv", "3,2,a,b\n1,\x1b[2J,0\n");
  test::expect_input_error([&] { read_feature_csv(escape); }, escape, {"'?[2J'"});
}

// The built-in table is data/iris.csv: 150 flowers, 4 features, 50 of each of 3 species.
TEST_F(PhysicalFiles, TheBuiltInIrisTableIsTheShippedCsv) {
  const FeatureTable iris = iris_table();
  const FeatureTable file = read_feature_csv(std::string(ATTRACTOR_SOURCE_DIR) + "/data/iris.csv");
  EXPECT_EQ(iris.count, 150);
  EXPECT_EQ(iris.features, 4);
  EXPECT_EQ(iris.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
  EXPECT_EQ(iris.x, file.x);
  EXPECT_EQ(iris.labels, file.labels);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(std::count(iris.labels.begin(), iris.labels.end(), c), 50);
}

// Fisher's iris flowers, the table built into the program. A flow network's outputs are
// linear in its forces, so the least-squares map from forces to targets bounds what any network
// can reach: its cost is a floor under C and its accuracy a ceiling. Trained by the nudge rule,
// the network must close most of the gap from its initial cost to that floor, never cross it,
// and classify the 30 held-out flowers far above chance (1/3).
TEST(Classification, AFlowNetworkLearnsTheIrisFlowersUpToTheLinearBound) {
  const PhysicalSystem system(
      random_geometric_network(PhysicalKind::Flow, 64, 2, 4.0, 1, Grounding::Boundary));
  const auto data = classification_tasks(system, iris_table(), 0.2, 1.0, 1.0, 1);
  const auto bound = linear_response_bound(system, data);
  std::vector<double> w = system.network().w;
  PhysicalTrainParams params;
  params.alpha = 1.0;
  params.steps = 2000;
  const auto [first, last] = train_costs(system, w, data.train, params);
  EXPECT_GE(last, bound.train_cost * (1 - 1e-9));
  EXPECT_GE((first - last) / (first - bound.train_cost), 0.5);
  EXPECT_GE(classification_accuracy(system, w, data.test, data.test_labels), 0.7);
}

}  // namespace
}  // namespace attractor
