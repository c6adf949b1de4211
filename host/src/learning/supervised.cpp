#include "attractor/host/learning/supervised.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "attractor/core/error.hpp"
#include "attractor/core/philox.hpp"
#include "attractor/host/learning/competing_units.hpp"

namespace attractor {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using Map = Eigen::Map<RowMatrix>;
using ConstMap = Eigen::Map<const RowMatrix>;

// Copies the listed rows of `x` (rows × cols) into `out` (listed × cols).
void gather_rows(const std::vector<float>& x, std::int64_t cols, const std::int32_t* rows,
                 std::int64_t count, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(count * cols));
  for (std::int64_t r = 0; r < count; ++r) {
    std::copy_n(x.data() + static_cast<std::int64_t>(rows[r]) * cols, cols, out.data() + r * cols);
  }
}

std::int64_t argmax_row(const float* row, std::int64_t size) {
  return std::max_element(row, row + size) - row;
}

void require_epochs(std::int64_t epochs, std::int64_t batch, double lr0, double lr_end) {
  core::require(epochs > 0 && epochs <= 1'000'000, "epochs", "must lie in [1, 10^6]");
  core::require(batch > 0 && batch <= 65536, "batch", "must lie in [1, 65536]");
  core::require(std::isfinite(lr0) && lr0 > 0 && lr0 < 1, "learning rate", "must lie in (0, 1)");
  core::require(std::isfinite(lr_end) && lr_end > 0 && lr_end <= lr0, "final learning rate",
                "must lie in (0, initial rate]");
}

}  // namespace

Dataset to_dataset(const LabeledImages& images, std::int64_t classes) {
  Dataset data;
  data.count = images.count;
  data.dims = images.pixels_per_image();
  data.classes = classes;
  data.x.resize(images.pixels.size());
  for (std::size_t e = 0; e < images.pixels.size(); ++e) data.x[e] = images.pixels[e] / 255.0f;
  data.labels.resize(images.labels.size());
  for (std::size_t s = 0; s < images.labels.size(); ++s) {
    core::require(images.labels[s] < classes, "labels",
                  "label " + std::to_string(images.labels[s]) + " of sample " + std::to_string(s) +
                      " is not below the " + std::to_string(classes) + " classes");
    data.labels[s] = images.labels[s];
  }
  return data;
}

Dataset synthetic_prototypes(std::int64_t count, std::int64_t side, std::int64_t classes,
                             double keep, std::uint64_t seed) {
  core::require(count > 0 && side > 0 && classes >= 2, "synthetic data",
                "need a positive count and side and at least 2 classes");
  core::require(std::isfinite(keep) && keep >= 0 && keep <= 1, "synthetic data",
                "the keep probability must lie in [0, 1]");
  Dataset data;
  data.count = count;
  data.dims = side * side;
  data.classes = classes;
  data.x.resize(static_cast<std::size_t>(count * data.dims));
  data.labels.resize(static_cast<std::size_t>(count));
  const core::CounterRng rng{seed}, prototypes{0};
  const std::int64_t D = data.dims;
  for (std::int64_t s = 0; s < count; ++s) {
    const auto label = static_cast<std::int32_t>(s % classes);
    data.labels[s] = label;
    for (std::int64_t i = 0; i < D; ++i) {
      const bool kept = rng.uniform(core::RngPurpose::Samples, 3, s * D + i) < keep;
      const bool pixel = kept
                             ? prototypes.uniform(core::RngPurpose::Samples, 4, label * D + i) < 0.5
                             : rng.uniform(core::RngPurpose::Samples, 5, s * D + i) < 0.5;
      data.x[s * D + i] = pixel ? 1.0f : 0.0f;
    }
  }
  return data;
}

void Adam::reset(const std::vector<std::vector<float>*>& params) {
  steps = 0;
  m.clear();
  v.clear();
  for (const auto* p : params) {
    m.emplace_back(p->size(), 0.0f);
    v.emplace_back(p->size(), 0.0f);
  }
}

void Adam::step(const std::vector<std::vector<float>*>& params,
                const std::vector<const std::vector<float>*>& grads, double lr) {
  ++steps;
  // Bias corrections folded into the step size (Kingma & Ba, Algorithm 1, last paragraph of §2).
  const double t = static_cast<double>(steps);
  const auto alpha =
      static_cast<float>(lr * std::sqrt(1 - std::pow(beta2, t)) / (1 - std::pow(beta1, t)));
  const auto b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
  const auto eps = static_cast<float>(epsilon);
  for (std::size_t a = 0; a < params.size(); ++a) {
    float* p = params[a]->data();
    const float* g = grads[a]->data();
    float* ma = m[a].data();
    float* va = v[a].data();
    const auto size = static_cast<std::int64_t>(params[a]->size());
#pragma omp parallel for schedule(static)
    for (std::int64_t e = 0; e < size; ++e) {
      ma[e] = b1 * ma[e] + (1 - b1) * g[e];
      va[e] = b2 * va[e] + (1 - b2) * g[e] * g[e];
      p[e] -= alpha * ma[e] / (std::sqrt(va[e]) + eps);
    }
  }
}

double annealed_rate(double lr0, double lr_end, std::int64_t epoch, std::int64_t epochs) {
  if (epochs <= 1) return lr0;
  return lr0 * std::pow(lr_end / lr0, static_cast<double>(epoch) / static_cast<double>(epochs - 1));
}

void TopLayerParams::validate() const {
  core::require(std::isfinite(n) && n >= 1 && n <= 16, "n", "must lie in [1, 16]");
  core::require(std::isfinite(m) && m >= 2 && m <= 16, "m", "must lie in [2, 16]");
  core::require(std::isfinite(beta) && beta > 0 && beta <= 100, "beta", "must lie in (0, 100]");
  require_epochs(epochs, batch, lr0, lr_end);
}

std::vector<float> competing_features(const std::vector<float>& W, std::int64_t hidden,
                                      const Dataset& data, double n) {
  core::require(static_cast<std::int64_t>(W.size()) == hidden * data.dims, "weights",
                "expected H × D = " + std::to_string(hidden * data.dims) + " entries");
  // v̂ = v / ‖v‖ (zero stays zero), in blocks of rows so the normalized copy stays small.
  std::vector<float> features(static_cast<std::size_t>(data.count * hidden));
  const ConstMap w(W.data(), hidden, data.dims);
  constexpr std::int64_t kBlock = 4096;
  RowMatrix unit;
  const auto power = static_cast<float>(n);
  for (std::int64_t first = 0; first < data.count; first += kBlock) {
    const std::int64_t rows = std::min(kBlock, data.count - first);
    unit = ConstMap(data.x.data() + first * data.dims, rows, data.dims);
    for (std::int64_t r = 0; r < rows; ++r) {
      const float norm = unit.row(r).norm();
      if (norm > 0) unit.row(r) /= norm;
    }
    Map h(features.data() + first * hidden, rows, hidden);
    h.noalias() = unit * w.transpose();
    h = h.unaryExpr([power](float x) { return x > 0 ? std::pow(x, power) : 0.0f; });
  }
  return features;
}

TopLayer::TopLayer(std::int64_t hidden, std::int64_t classes, const TopLayerParams& params)
    : hidden_(hidden), classes_(classes), params_(params) {
  params.validate();
  core::require(hidden > 0 && classes >= 2, "top layer", "need H > 0 units and ≥ 2 classes");
  // S starts small and random, N(0, 1/H) entries: every class starts near c = 0.
  S_.resize(static_cast<std::size_t>(classes * hidden));
  const core::CounterRng rng{params.seed};
  const double scale = 1.0 / std::sqrt(static_cast<double>(hidden));
  for (std::size_t e = 0; e < S_.size(); ++e) {
    S_[e] = static_cast<float>(scale * rng.normal(core::RngPurpose::Weights, 1, e));
  }
  grad_.resize(S_.size());
  adam_.reset({&S_});
}

double TopLayer::train_epoch(const std::vector<float>& features,
                             const std::vector<std::int32_t>& labels, std::int64_t epoch) {
  const auto count = static_cast<std::int64_t>(labels.size());
  core::require(static_cast<std::int64_t>(features.size()) == count * hidden_, "features",
                "expected count × H entries");
  const std::vector<std::int32_t> order = epoch_order(count, params_.seed, epoch);
  const double lr = annealed_rate(params_.lr0, params_.lr_end, epoch, params_.epochs);
  const auto beta = static_cast<float>(params_.beta), m = static_cast<float>(params_.m);
  std::vector<float> h;
  RowMatrix delta;
  double loss = 0;
  for (std::int64_t start = 0; start < count; start += params_.batch) {
    const std::int64_t size = std::min(params_.batch, count - start);
    gather_rows(features, hidden_, order.data() + start, size, h);
    const ConstMap H(h.data(), size, hidden_);
    Map S(S_.data(), classes_, hidden_);
    // c = tanh(β S h); ∂L/∂z = m |c − t|^(m−1) sign(c − t) · β (1 − c²) with z = S h.
    delta.noalias() = H * S.transpose();
    for (std::int64_t b = 0; b < size; ++b) {
      const std::int32_t label = labels[order[start + b]];
      for (std::int64_t a = 0; a < classes_; ++a) {
        const float c = std::tanh(beta * delta(b, a));
        const float r = c - (a == label ? 1.0f : -1.0f);
        const float magnitude = std::pow(std::abs(r), m - 1);
        loss += static_cast<double>(magnitude * std::abs(r));
        delta(b, a) = m * std::copysign(magnitude, r) * beta * (1 - c * c);
      }
    }
    Map(grad_.data(), classes_, hidden_).noalias() = delta.transpose() * H;
    adam_.step({&S_}, {&grad_}, lr);
  }
  return loss / static_cast<double>(count);
}

double TopLayer::accuracy(const std::vector<float>& features,
                          const std::vector<std::int32_t>& labels) const {
  const auto count = static_cast<std::int64_t>(labels.size());
  core::require(static_cast<std::int64_t>(features.size()) == count * hidden_, "features",
                "expected count × H entries");
  // tanh is increasing and β > 0, so argmax c = argmax S h.
  const RowMatrix z = ConstMap(features.data(), count, hidden_) *
                      ConstMap(S_.data(), classes_, hidden_).transpose();
  std::int64_t correct = 0;
  for (std::int64_t b = 0; b < count; ++b)
    correct += argmax_row(z.row(b).data(), classes_) == labels[b];
  return static_cast<double>(correct) / static_cast<double>(count);
}

TrainingState TopLayer::state() {
  return {{{"S", &S_}, {"adam_m_S", &adam_.m[0]}, {"adam_v_S", &adam_.v[0]}}, &adam_.steps};
}

void MlpParams::validate() const {
  core::require(hidden > 0 && hidden <= (std::int64_t{1} << 20), "hidden", "must lie in [1, 2^20]");
  require_epochs(epochs, batch, lr0, lr_end);
}

Mlp::Mlp(std::int64_t dims, std::int64_t classes, const MlpParams& params)
    : dims_(dims), classes_(classes), params_(params) {
  params.validate();
  core::require(dims > 0 && classes >= 2, "mlp", "need D > 0 inputs and ≥ 2 classes");
  const std::int64_t H = params.hidden;
  W1_.resize(static_cast<std::size_t>(H * dims));
  W2_.resize(static_cast<std::size_t>(classes * H));
  b1_.assign(static_cast<std::size_t>(H), 0.0f);
  b2_.assign(static_cast<std::size_t>(classes), 0.0f);
  // He initialization, N(0, 2 / fan-in): keeps the ReLU layer's activations of order one.
  const core::CounterRng rng{params.seed};
  const double s1 = std::sqrt(2.0 / static_cast<double>(dims)),
               s2 = std::sqrt(2.0 / static_cast<double>(H));
  for (std::size_t e = 0; e < W1_.size(); ++e) {
    W1_[e] = static_cast<float>(s1 * rng.normal(core::RngPurpose::Weights, 2, e));
  }
  for (std::size_t e = 0; e < W2_.size(); ++e) {
    W2_[e] = static_cast<float>(s2 * rng.normal(core::RngPurpose::Weights, 3, e));
  }
  gW1_.resize(W1_.size());
  gb1_.resize(b1_.size());
  gW2_.resize(W2_.size());
  gb2_.resize(b2_.size());
  adam_.reset({&W1_, &b1_, &W2_, &b2_});
}

double Mlp::train_epoch(const Dataset& data, std::int64_t epoch) {
  core::require(data.dims == dims_, "data", "the inputs' size differs from the network's");
  const std::int64_t H = params_.hidden;
  const std::vector<std::int32_t> order = epoch_order(data.count, params_.seed, epoch);
  const double lr = annealed_rate(params_.lr0, params_.lr_end, epoch, params_.epochs);
  std::vector<float> x;
  RowMatrix a1, z, dh;
  double loss = 0;
  for (std::int64_t start = 0; start < data.count; start += params_.batch) {
    const std::int64_t size = std::min(params_.batch, data.count - start);
    gather_rows(data.x, dims_, order.data() + start, size, x);
    const ConstMap X(x.data(), size, dims_);
    const ConstMap W1(W1_.data(), H, dims_), W2(W2_.data(), classes_, H);
    a1.noalias() = X * W1.transpose();
    a1.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b1_.data(), H);
    const RowMatrix h = a1.cwiseMax(0.0f);
    z.noalias() = h * W2.transpose();
    z.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b2_.data(), classes_);
    // Softmax cross-entropy, mean over the minibatch: ∂L/∂z = (softmax(z) − onehot) / B.
    for (std::int64_t b = 0; b < size; ++b) {
      const float top = z.row(b).maxCoeff();
      z.row(b) = (z.row(b).array() - top).exp().matrix();
      const float total = z.row(b).sum();
      z.row(b) /= total;
      const std::int32_t label = data.labels[order[start + b]];
      loss -= std::log(std::max(z(b, label), 1e-30f));
      z(b, label) -= 1.0f;
    }
    z /= static_cast<float>(size);
    Map(gW2_.data(), classes_, H).noalias() = z.transpose() * h;
    Eigen::Map<Eigen::RowVectorXf>(gb2_.data(), classes_) = z.colwise().sum();
    dh.noalias() = z * W2;
    dh = (a1.array() > 0.0f).select(dh, 0.0f);
    Map(gW1_.data(), H, dims_).noalias() = dh.transpose() * X;
    Eigen::Map<Eigen::RowVectorXf>(gb1_.data(), H) = dh.colwise().sum();
    adam_.step({&W1_, &b1_, &W2_, &b2_}, {&gW1_, &gb1_, &gW2_, &gb2_}, lr);
  }
  return loss / static_cast<double>(data.count);
}

double Mlp::accuracy(const Dataset& data) const {
  core::require(data.dims == dims_, "data", "the inputs' size differs from the network's");
  const std::int64_t H = params_.hidden;
  std::int64_t correct = 0;
  constexpr std::int64_t kBlock = 4096;
  for (std::int64_t first = 0; first < data.count; first += kBlock) {
    const std::int64_t rows = std::min(kBlock, data.count - first);
    RowMatrix h = ConstMap(data.x.data() + first * dims_, rows, dims_) *
                  ConstMap(W1_.data(), H, dims_).transpose();
    h.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b1_.data(), H);
    h = h.cwiseMax(0.0f);
    RowMatrix z = h * ConstMap(W2_.data(), classes_, H).transpose();
    z.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(b2_.data(), classes_);
    for (std::int64_t b = 0; b < rows; ++b) {
      correct += argmax_row(z.row(b).data(), classes_) == data.labels[first + b];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(data.count);
}

TrainingState Mlp::state() {
  return {{{"W1", &W1_},
           {"b1", &b1_},
           {"W2", &W2_},
           {"b2", &b2_},
           {"adam_m_W1", &adam_.m[0]},
           {"adam_m_b1", &adam_.m[1]},
           {"adam_m_W2", &adam_.m[2]},
           {"adam_m_b2", &adam_.m[3]},
           {"adam_v_W1", &adam_.v[0]},
           {"adam_v_b1", &adam_.v[1]},
           {"adam_v_W2", &adam_.v[2]},
           {"adam_v_b2", &adam_.v[3]}},
          &adam_.steps};
}

}  // namespace attractor
