// Reader for the `.env` fallback file: KEY=VALUE lines, `#` comments, blank
// lines, an optional `export ` prefix and optional single or double quotes
// around the value. No variable expansion.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace cp::config {

using SettingMap = std::map<std::string, std::string, std::less<>>;

Result<SettingMap> ParseDotEnv(std::string_view text);
// A missing file is an empty map; an unreadable or malformed one an error.
Result<SettingMap> ReadDotEnv(const std::filesystem::path& path);

}  // namespace cp::config
