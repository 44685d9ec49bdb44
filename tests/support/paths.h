#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace cp::test {

inline std::string DataPath(const std::string& name) { return std::string(CP_TEST_DATA_DIR) + "/" + name; }
inline std::string SharedPath(const std::string& rel) { return std::string(CP_SHARED_DIR) + "/" + rel; }

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cp::test
