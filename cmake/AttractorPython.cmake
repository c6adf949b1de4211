# The optional Python package (pybind11; Debian's pybind11-dev, or PyPI's under pip). AUTO builds
# it when pybind11 and Python's headers are found, ON requires them, OFF never looks. Sets
# ATTRACTOR_HAVE_PYTHON and, through pybind11, Python_EXECUTABLE.
set(ATTRACTOR_HAVE_PYTHON OFF)
attractor_tristate(ATTRACTOR_PYTHON _attractor_python_mode)
if(SKBUILD)
  set(_attractor_python_mode ON)
endif()
if(NOT _attractor_python_mode STREQUAL "OFF")
  set(PYBIND11_FINDPYTHON ON)
  attractor_find_for_mode(${_attractor_python_mode} pybind11 CONFIG)
  if(pybind11_FOUND)
    set(ATTRACTOR_HAVE_PYTHON ON)
  endif()
endif()
message(STATUS "attractor: Python package ${ATTRACTOR_HAVE_PYTHON}")
