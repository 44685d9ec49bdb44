#include "model/labels.h"

#include <fstream>

namespace cp::model {

Result<std::vector<std::string>> LoadLabels(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("LABELS_PATH: cannot read " + path);
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty()) return InvalidArgument("LABELS_PATH: no labels in " + path);
  return labels;
}

}  // namespace cp::model
