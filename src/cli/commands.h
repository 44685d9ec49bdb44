#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace cp::cli {

// Exit codes: 0 ok, 1 a file failed (classify) or the server failed, 2 bad configuration.
int RunServe(const config::Config& config);
int RunClassify(const config::Config& config, const std::vector<std::string>& files, bool json);

}  // namespace cp::cli
