# `cmake --install` puts the library, its public headers, the CLI and a package config in place, so
# another project can `find_package(attractor)` and link `attractor::attractor`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS attractor_lib EXPORT attractorTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS attractor_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY core/include/ host/include/ ${PROJECT_BINARY_DIR}/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(ATTRACTOR_HAVE_CUDA)
  install(DIRECTORY kernels/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()
install(EXPORT attractorTargets NAMESPACE attractor::
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/attractor)
configure_package_config_file(cmake/attractorConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/attractorConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/attractor)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/attractorConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/attractorConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/attractorConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/attractor)
