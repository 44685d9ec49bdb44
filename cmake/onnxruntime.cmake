# Locates ONNX Runtime and defines the imported target cp::onnxruntime.
#
# Order (first found wins):
#   1. ONNXRUNTIME_ROOT (CMake cache variable or environment variable): an
#      official release tarball layout, <root>/include and <root>/lib.
#   2. A system installation that ships a CMake package (Debian 13:
#      `apt-get install libonnxruntime-dev`), via find_package(onnxruntime).
#   3. <source>/.deps/onnxruntime, filled by scripts/fetch-onnxruntime.
if(NOT ONNXRUNTIME_ROOT AND DEFINED ENV{ONNXRUNTIME_ROOT})
  set(ONNXRUNTIME_ROOT "$ENV{ONNXRUNTIME_ROOT}")
endif()
set(ONNXRUNTIME_ROOT "${ONNXRUNTIME_ROOT}" CACHE PATH "ONNX Runtime install prefix (release tarball layout)")

function(_cp_ort_from_prefix prefix)
  find_path(_cp_ort_include onnxruntime_cxx_api.h
    PATHS "${prefix}/include" "${prefix}/include/onnxruntime" NO_DEFAULT_PATH)
  find_library(_cp_ort_lib onnxruntime PATHS "${prefix}/lib" "${prefix}/lib64" NO_DEFAULT_PATH)
  if(_cp_ort_include AND _cp_ort_lib)
    add_library(cp::onnxruntime SHARED IMPORTED GLOBAL)
    set_target_properties(cp::onnxruntime PROPERTIES
      IMPORTED_LOCATION "${_cp_ort_lib}"
      INTERFACE_INCLUDE_DIRECTORIES "${_cp_ort_include}")
    message(STATUS "ONNX Runtime: ${_cp_ort_lib} (headers ${_cp_ort_include})")
  endif()
  unset(_cp_ort_include CACHE)
  unset(_cp_ort_lib CACHE)
endfunction()

if(ONNXRUNTIME_ROOT)
  _cp_ort_from_prefix("${ONNXRUNTIME_ROOT}")
  if(NOT TARGET cp::onnxruntime)
    message(FATAL_ERROR "ONNXRUNTIME_ROOT=${ONNXRUNTIME_ROOT} has no include/onnxruntime_cxx_api.h and lib/libonnxruntime.so")
  endif()
endif()

if(NOT TARGET cp::onnxruntime)
  find_package(onnxruntime CONFIG QUIET)
  if(TARGET onnxruntime::onnxruntime)
    add_library(cp::onnxruntime INTERFACE IMPORTED GLOBAL)
    set_target_properties(cp::onnxruntime PROPERTIES INTERFACE_LINK_LIBRARIES onnxruntime::onnxruntime)
    message(STATUS "ONNX Runtime: system package (find_package)")
  endif()
endif()

if(NOT TARGET cp::onnxruntime)
  _cp_ort_from_prefix("${PROJECT_SOURCE_DIR}/.deps/onnxruntime")
endif()

if(NOT TARGET cp::onnxruntime)
  message(FATAL_ERROR "ONNX Runtime not found: run scripts/setup, install libonnxruntime-dev, or set ONNXRUNTIME_ROOT")
endif()
