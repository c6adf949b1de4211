# Optional MPI (Open MPI from Debian's libopenmpi-dev). AUTO uses it when found, ON requires it,
# OFF never looks. Sets ATTRACTOR_HAVE_MPI; without it the program is one process, whatever
# starts it.
set(ATTRACTOR_HAVE_MPI OFF)
attractor_tristate(ATTRACTOR_MPI _attractor_mpi_mode)
if(NOT _attractor_mpi_mode STREQUAL "OFF")
  # The C API through the C++ compiler; not the C++ bindings MPI-3 removed.
  set(MPI_CXX_SKIP_MPICXX ON)
  attractor_find_for_mode(${_attractor_mpi_mode} MPI COMPONENTS CXX)
  if(MPI_CXX_FOUND)
    set(ATTRACTOR_HAVE_MPI ON)
  endif()
endif()
message(STATUS "attractor: MPI ${ATTRACTOR_HAVE_MPI}")
