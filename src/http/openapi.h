// GET /openapi.json (OpenAPI 3.1) and GET /docs (a self-contained HTML
// rendering of it with an upload form: no CDN needed).
//
// The document describes every route HttpServer answers, with the limits it
// enforces (top_k's range, images per request, body size, the model's one
// name and version under /v2), so that a tester driven by the document alone
// (tests/openapi: schemathesis) finds no difference between what it says and
// what the server does. A route or a limit changed in the server is changed
// here too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace cp::service {
class ClassificationService;
}

namespace cp::http {

struct OpenApiOptions {
  std::string model_name = "model";            // MODEL_NAME: the only {name} under /v2/models
  std::size_t num_classes = 0;                 // top_k's maximum; 0 = unknown (model not loaded)
  int default_top_k = 3;                       // TOP_K
  std::uint64_t max_body_bytes = 20ull << 20;  // MAX_BODY_BYTES (413 beyond)
  std::size_t max_images = 256;                // images per request (service::kMaxImagesPerRequest)
  bool metrics = true;                         // GET /metrics is served
  // The model's tensors, for the KServe v2 routes; empty when the model
  // failed to load (then only BYTES images are described).
  std::string input_name;                 // the FP32 input
  std::vector<std::int64_t> input_shape;  // [-1,3,H,W] or [-1,H,W,3]
  std::string output_name;                // the FP32 [N, classes] output
};

// The options for a server of `service` (num_classes, TOP_K, the model's tensors).
OpenApiOptions OpenApiOptionsFor(const service::ClassificationService& service, const std::string& model_name,
                                 std::uint64_t max_body_bytes, bool metrics);

nlohmann::json OpenApiJson(const OpenApiOptions& options);
std::string DocsHtml(const nlohmann::json& openapi);

}  // namespace cp::http
