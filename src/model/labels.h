#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace cp::model {

// One class name per line (CRLF tolerated, a missing final newline too,
// trailing blank lines ignored). Errors: unreadable file, no labels.
Result<std::vector<std::string>> LoadLabels(const std::string& path);

}  // namespace cp::model
