// The supervised halves of the Krotov–Hopfield comparison for Python: the top layer on frozen
// competing units and the backprop MLP, trained on NumPy arrays, with the loss of every epoch and
// the accuracies. Defaults are the library's (TopLayerParams, MlpParams).
#include "attractor/host/learning/supervised.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "bindings.hpp"

namespace attractor::python {

namespace {

using Index = std::int64_t;

// Samples (count × D, in [0, 1]) and their labels in [0, classes).
Dataset to_dataset(const Array<float>& x, const Array<std::int64_t>& labels, Index classes,
                   const std::string& what) {
  const auto info = x.request();
  require_2d(info, what.c_str());
  require_unit_interval(x, what.c_str());
  core::require(labels.ndim() == 1 && labels.shape(0) == info.shape[0], what + " labels",
                "need one label per sample (" + std::to_string(info.shape[0]) + ")");
  Dataset d;
  d.count = info.shape[0];
  d.dims = info.shape[1];
  d.classes = classes;
  d.x = to_vector(x);
  for (Index s = 0; s < d.count; ++s) {
    const auto label = labels.data()[s];
    core::require(label >= 0 && label < classes, what + " labels",
                  "label " + std::to_string(label) + " of sample " + std::to_string(s) +
                      " is not in [0, " + std::to_string(classes) + ")");
    d.labels.push_back(static_cast<std::int32_t>(label));
  }
  return d;
}

// The classes: given, or one more than the largest training label.
Index class_count(const Array<std::int64_t>& labels, std::optional<Index> classes) {
  if (classes) return *classes;
  const auto* l = labels.data();
  return labels.size() == 0 ? 0 : *std::max_element(l, l + labels.size()) + 1;
}

struct Split {
  Dataset train;
  std::optional<Dataset> test;
};

Split datasets(const Array<float>& x, const Array<std::int64_t>& labels,
               const std::optional<Array<float>>& test_x,
               const std::optional<Array<std::int64_t>>& test_labels,
               std::optional<Index> classes) {
  core::require(test_x.has_value() == test_labels.has_value(), "test_samples",
                "test samples and test labels go together");
  const Index c = class_count(labels, classes);
  Split s{to_dataset(x, labels, c, "samples"), std::nullopt};
  if (test_x) {
    s.test = to_dataset(*test_x, *test_labels, c, "test_samples");
    core::require(s.test->dims == s.train.dims, "test_samples",
                  "must have the training samples' " + std::to_string(s.train.dims) + " columns");
  }
  return s;
}

// The schedule both classifiers train on (epochs, minibatch, Adam's rate annealed from lr0 to
// lr_end, seed), then the parameters' own checks.
template <class Params>
void set_schedule(Params& p, std::optional<Index> epochs, std::optional<Index> batch,
                  std::optional<double> lr0, std::optional<double> lr_end, std::uint64_t seed) {
  set_if(p.epochs, epochs);
  set_if(p.batch, batch);
  set_if(p.lr0, lr0);
  set_if(p.lr_end, lr_end);
  p.seed = seed;
  p.validate();
}

}  // namespace

void bind_supervised(py::module_& m) {
  m.def("_train_top_layer",
        [](const Array<float>& weights, const Array<float>& x, const Array<std::int64_t>& labels,
           const std::optional<Array<float>>& test_x,
           const std::optional<Array<std::int64_t>>& test_labels, std::optional<Index> classes,
           std::optional<double> n, std::optional<double> power, std::optional<double> beta,
           std::optional<Index> epochs, std::optional<Index> batch, std::optional<double> lr0,
           std::optional<double> lr_end, std::uint64_t seed) {
          TopLayerParams p;
          set_if(p.n, n);
          set_if(p.m, power);
          set_if(p.beta, beta);
          set_schedule(p, epochs, batch, lr0, lr_end, seed);
          const auto data = datasets(x, labels, test_x, test_labels, classes);
          const auto info = weights.request();
          require_2d(info, "weights");
          core::require(info.shape[1] == data.train.dims, "weights",
                        "need one column per input (" + std::to_string(data.train.dims) + ")");
          const Index hidden = info.shape[0];
          TopLayer layer(hidden, data.train.classes, p);
          const std::vector<float> W = to_vector(weights);
          std::vector<double> loss;
          double train_accuracy = 0.0, test_accuracy = 0.0;
          {
            py::gil_scoped_release release;
            const auto h = competing_features(W, hidden, data.train, p.n);
            for (Index e = 0; e < p.epochs; ++e) {
              loss.push_back(layer.train_epoch(h, data.train.labels, e));
            }
            train_accuracy = layer.accuracy(h, data.train.labels);
            if (data.test) {
              const auto h_test = competing_features(W, hidden, *data.test, p.n);
              test_accuracy = layer.accuracy(h_test, data.test->labels);
            }
          }
          py::dict d;
          d["S"] = to_array(layer.S(), {data.train.classes, hidden});
          d["loss"] = to_array(std::move(loss), {p.epochs});
          d["train_accuracy"] = train_accuracy;
          if (data.test) d["test_accuracy"] = test_accuracy;
          return d;
        });

  m.def("_train_mlp",
        [](const Array<float>& x, const Array<std::int64_t>& labels,
           const std::optional<Array<float>>& test_x,
           const std::optional<Array<std::int64_t>>& test_labels, std::optional<Index> classes,
           std::optional<Index> hidden, std::optional<Index> epochs, std::optional<Index> batch,
           std::optional<double> lr0, std::optional<double> lr_end, std::uint64_t seed) {
          MlpParams p;
          set_if(p.hidden, hidden);
          set_schedule(p, epochs, batch, lr0, lr_end, seed);
          const auto data = datasets(x, labels, test_x, test_labels, classes);
          Mlp mlp(data.train.dims, data.train.classes, p);
          std::vector<double> loss;
          double train_accuracy = 0.0, test_accuracy = 0.0;
          {
            py::gil_scoped_release release;
            for (Index e = 0; e < p.epochs; ++e) loss.push_back(mlp.train_epoch(data.train, e));
            train_accuracy = mlp.accuracy(data.train);
            if (data.test) test_accuracy = mlp.accuracy(*data.test);
          }
          py::dict d;
          d["W1"] = to_array(mlp.W1(), {p.hidden, data.train.dims});
          d["loss"] = to_array(std::move(loss), {p.epochs});
          d["train_accuracy"] = train_accuracy;
          if (data.test) d["test_accuracy"] = test_accuracy;
          return d;
        });
}

}  // namespace attractor::python
