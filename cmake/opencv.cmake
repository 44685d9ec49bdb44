# Debian's per-module OpenCV packages (libopencv-{core,imgproc,imgcodecs}-dev)
# ship no CMake package file (only the all-modules libopencv-dev does), so the
# three modules we use are located directly. Defines cp::opencv.
find_path(CP_OPENCV_INCLUDE_DIR opencv2/core.hpp PATH_SUFFIXES opencv4)
set(_cp_opencv_libs "")
foreach(module core imgproc imgcodecs)
  find_library(CP_OPENCV_${module}_LIBRARY opencv_${module})
  if(NOT CP_OPENCV_${module}_LIBRARY)
    message(FATAL_ERROR "OpenCV module ${module} not found (apt-get install libopencv-${module}-dev)")
  endif()
  list(APPEND _cp_opencv_libs "${CP_OPENCV_${module}_LIBRARY}")
endforeach()
if(NOT CP_OPENCV_INCLUDE_DIR)
  message(FATAL_ERROR "OpenCV headers not found (apt-get install libopencv-core-dev)")
endif()
add_library(cp::opencv INTERFACE IMPORTED GLOBAL)
set_target_properties(cp::opencv PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${CP_OPENCV_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${_cp_opencv_libs}")
