// The table of every setting: its environment name, default and meaning.
// The CLI derives its flags from it (MODEL_PATH -> --model-path) and the
// README's configuration table mirrors it.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace cp::config {

struct SettingSpec {
  std::string_view key;            // environment / .env name, e.g. "MODEL_PATH"
  std::string_view default_value;  // as text; "" means "derived", see help
  std::string_view help;
};

std::span<const SettingSpec> AllSettings();

// "MODEL_PATH" -> "model-path"
std::string FlagName(std::string_view key);

}  // namespace cp::config
