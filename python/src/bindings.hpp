#pragma once
// The parts of attractor._attractor defined outside module.cpp, each adding its functions to the
// module.
#include <pybind11/pybind11.h>

namespace attractor::python {

void bind_control(pybind11::module_& m);     // controlled plasticity (control.cpp)
void bind_supervised(pybind11::module_& m);  // top layer and backprop (supervised.cpp)

}  // namespace attractor::python
