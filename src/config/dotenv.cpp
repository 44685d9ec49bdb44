#include "config/dotenv.h"

#include <fstream>
#include <sstream>

namespace cp::config {

namespace {
std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}
}  // namespace

Result<SettingMap> ParseDotEnv(std::string_view text) {
  SettingMap out;
  int line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ")) line = Trim(line.substr(7));
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidArgument(".env line " + std::to_string(line_no) + ": expected KEY=VALUE");
    }
    std::string_view value = Trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (const auto hash = value.find(" #"); hash != std::string_view::npos) {
      value = Trim(value.substr(0, hash));
    }
    out.insert_or_assign(std::string(Trim(line.substr(0, eq))), std::string(value));
  }
  return out;
}

Result<SettingMap> ReadDotEnv(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return SettingMap{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseDotEnv(ss.str());
}

}  // namespace cp::config
