// Image files named on the command line, for classify and preprocess.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace cp::cli {

// The bytes of `path`; kInvalidArgument for a directory or an unreadable file.
Result<std::string> ReadImageFile(const std::string& path);

// Each argument as is, except that a directory becomes its regular files
// (not recursive, sorted by name, hidden files left out).
std::vector<std::string> ExpandDirectories(const std::vector<std::string>& args);

}  // namespace cp::cli
