// GET /openapi.json (OpenAPI 3.1, every endpoint) and GET /docs (a
// self-contained HTML rendering of it with an upload form: no CDN needed).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cp::http {

nlohmann::json OpenApiJson(const std::string& model_name);
std::string DocsHtml(const nlohmann::json& openapi);

}  // namespace cp::http
