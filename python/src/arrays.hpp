#pragma once
// What every binding of attractor._attractor shares: NumPy arrays to the library's containers
// (borrowed where the layout allows) and its results back to arrays (moved, not copied).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attractor/core/buffer.hpp"
#include "attractor/core/dense_matrix.hpp"
#include "attractor/core/error.hpp"
#include "attractor/core/state_batch.hpp"
#include "attractor/host/io/npy.hpp"

namespace attractor::python {

namespace py = pybind11;

template <typename T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <typename T>
inline std::vector<T> to_vector(const Array<T>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

// A reference to a Python object for a core::Buffer to hold. The last copy of the buffer may die
// where the GIL is released (a network copied inside a run), so the release takes the GIL.
inline std::shared_ptr<const void> keep_alive(const py::object& object) {
  const PyObject* held = object.inc_ref().ptr();
  return std::shared_ptr<const void>(held, [](const void* p) {
    py::gil_scoped_acquire gil;
    Py_DECREF(const_cast<PyObject*>(static_cast<const PyObject*>(p)));
  });
}

// The array's memory itself, no copy: Array's forcecast has already made a converted copy where
// the dtype or layout differ, and that copy is what gets borrowed then.
template <typename T>
core::Buffer<T> borrow(const Array<T>& a) {
  return core::Buffer<T>::borrow(a.data(), static_cast<std::size_t>(a.size()), keep_alive(a));
}

// A copy of values the library keeps (a vector or a core::Buffer).
template <typename Values>
py::array_t<typename Values::value_type> to_array(const Values& v, std::vector<py::ssize_t> shape) {
  return py::array_t<typename Values::value_type>(shape, v.data());
}

// A result the library has finished with becomes the array's memory: moved, not copied.
template <typename T>
py::array_t<T> to_array(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
  auto* owned = new std::vector<T>(std::move(v));
  const py::capsule free(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owned->data(), free);
}

// A read-only NumPy view of a network's array, which keeps the network alive.
template <typename T>
py::array_t<T> view_of(const core::Buffer<T>& b, std::vector<py::ssize_t> shape,
                       const py::object& owner) {
  py::array_t<T> out(shape, b.data(), owner);
  out.attr("setflags")(py::arg("write") = false);
  return out;
}

inline void require_2d(const py::buffer_info& info, const char* what) {
  core::require(info.ndim == 2, what,
                "must be a 2-D array, got " + std::to_string(info.ndim) + "-D");
}

template <class T>
core::DenseMatrix<T> to_dense(const Array<T>& a, const char* what) {
  const auto info = a.request();
  require_2d(info, what);
  core::DenseMatrix<T> m;
  m.rows = info.shape[0];
  m.cols = info.shape[1];
  m.values = borrow(a);
  return m;
}

inline core::PatternSet to_patterns(const Array<double>& patterns, const char* what) {
  const auto info = patterns.request();
  require_2d(info, what);
  // Checked before the narrowing to int8, which would turn 1.7 into a valid 1.
  const std::vector<double> values = to_vector(patterns);
  core::require(core::all_signs(values), what, "must hold +1 and -1 only");
  return {info.shape[0], info.shape[1], std::vector<std::int8_t>(values.begin(), values.end())};
}

// Initial states (B, N) or (N,) of an N-neuron network, checked as the command line checks a file.
inline core::StateBatch to_states(const Array<double>& states, std::int64_t n) {
  NpyArray array;
  array.shape.assign(states.shape(), states.shape() + states.ndim());
  array.values = to_vector(states);
  return state_batch(std::move(array), n, "states");
}

// Inputs in [0, 1] (pixel intensities), as the competing units and the classifiers take them.
inline void require_unit_interval(const Array<float>& x, const char* what) {
  const float* v = x.data();
  core::require(std::all_of(v, v + x.size(), [](float e) { return e >= 0.0f && e <= 1.0f; }), what,
                "must lie in [0, 1] (pixel intensities)");
}

// Sets `field` where Python passed a value (None keeps the library's default).
template <typename T>
void set_if(T& field, const std::optional<T>& value) {
  if (value) field = *value;
}

// Same length as an (n,)-shaped result, as NumPy's shape.
inline py::ssize_t ssize(std::int64_t n) { return static_cast<py::ssize_t>(n); }

}  // namespace attractor::python
