#include "http/openapi.h"

#include <limits>

#include "service/classification_service.h"

#ifndef CP_VERSION
#define CP_VERSION "unknown"
#endif

namespace cp::http {

namespace {

using nlohmann::json;

constexpr const char* kImageFormats = "JPEG, PNG, GIF (first frame), WebP, BMP or TIFF, detected from the bytes";
constexpr std::uint64_t kMaxInt64 = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
constexpr std::uint64_t kMaxUint64 = std::numeric_limits<std::uint64_t>::max();
constexpr double kMaxFp32 = std::numeric_limits<float>::max();

// An object with these required members and no others.
json Closed(const json& required, const json& properties) {
  return {{"type", "object"}, {"required", required}, {"additionalProperties", false}, {"properties", properties}};
}

json Ref(const std::string& schema) { return {{"$ref", "#/components/schemas/" + schema}}; }

json JsonContent(const json& schema) { return {{"application/json", {{"schema", schema}}}}; }

json Response(const std::string& description, const json& schema) {
  return {{"description", description}, {"content", JsonContent(schema)}};
}

// Retry-After on an overload or model-unavailable refusal (HTTP seconds).
json RetryAfterHeader(bool required) {
  return {{"Retry-After",
           {{"description", "Seconds to wait before retrying"},
            {"required", required},
            {"schema", {{"type", "integer"}, {"minimum", 0}}}}}};
}

json WithRetryAfter(json response, bool required = true) {
  response["headers"] = RetryAfterHeader(required);
  return response;
}

// The FastAPI-shaped error of the service's own routes.
json Detail(const std::string& description) { return Response(description, Ref("HTTPError")); }
// KServe/Triton's error shape, under /v2.
json KError(const std::string& description) { return Response(description, Ref("KServeError")); }

// An integer header; an empty value is taken as no header at all (the HTTP library drops it).
json IntegerHeader(std::uint64_t minimum, std::uint64_t maximum) {
  return {{"anyOf", json::array({{{"type", "integer"}, {"minimum", minimum}, {"maximum", maximum}},
                                 {{"type", "string"}, {"maxLength", 0}, {"description", "empty: as if absent"}}})}};
}

json TimeoutHeaderParameter() {
  return {
      {"name", "X-Request-Timeout-Ms"},
      {"in", "header"},
      {"required", false},
      {"description",
       "Lowers the request's deadline (REQUEST_TIMEOUT_MS; never raises it), in milliseconds. Past it, a request "
       "still waiting for memory or for the model is answered 504. Empty: as if absent. Not a positive integer: 400."},
      {"schema", IntegerHeader(1, kMaxInt64)}};
}

json ModelNameParameter(const std::string& model_name) {
  return {{"name", "name"},
          {"in", "path"},
          {"required", true},
          {"description", "The model's name (MODEL_NAME, default the model file's stem); any other name: 404"},
          {"schema", {{"type", "string"}, {"enum", {model_name}}}}};
}

json ModelVersionParameter() {
  return {{"name", "version"},
          {"in", "path"},
          {"required", true},
          {"description", "The model's version: the only one is 1; any other: 404"},
          {"schema", {{"type", "string"}, {"enum", {"1"}}}}};
}

json ModelParameters(const std::string& model_name, bool versioned) {
  json p = json::array({ModelNameParameter(model_name)});
  if (versioned) p.push_back(ModelVersionParameter());
  return p;
}

std::string Limit(std::uint64_t bytes) { return std::to_string(bytes) + " bytes (MAX_BODY_BYTES)"; }

json InferOperation(const OpenApiOptions& o) {
  const std::string images = std::to_string(o.max_images);
  json top_k_schema = {{"type", "integer"}, {"minimum", 1}, {"default", o.default_top_k}};
  std::string top_k_text = "Predictions per image, 1 to the number of classes";
  if (o.num_classes > 0) {
    top_k_schema["maximum"] = o.num_classes;
    top_k_text += " (" + std::to_string(o.num_classes) + ")";
  }
  top_k_text += "; default TOP_K (" + std::to_string(o.default_top_k) + "). Out of range or not an integer: 422.";
  const json image = {{"type", "string"}, {"format", "binary"}, {"description", kImageFormats}};
  const json image_field = {
      {"description", "One image per part; the part's own Content-Type is not trusted for the format"},
      {"type", "array"},
      {"items", image},
      {"minItems", 1},
      {"maxItems", o.max_images}};
  const json multipart = {
      {"schema",
       {{"type", "object"},
        {"description", "Parts named `file` or `image` (several allowed, at most " + images +
                            " together, in order); parts with other names are ignored"},
        {"properties", {{"file", image_field}, {"image", image_field}}},
        {"anyOf", json::array({{{"required", {"file"}}}, {{"required", {"image"}}}})}}},
      {"encoding", {{"file", {{"contentType", "image/*"}}}, {"image", {{"contentType", "image/*"}}}}}};
  const json raw = {{"schema", {{"type", "string"}, {"format", "binary"}, {"minLength", 1}}}};
  const json ok = {
      {"description",
       "The top-k predictions, highest probability first. Several images (more than one `file`/`image` part): "
       "`{\"results\": [...]}`, one entry per image in order, each its predictions or its own error"},
      {"content", JsonContent({{"oneOf", json::array({Ref("InferResponse"), Ref("InferResults")})}})}};
  return {{"summary", "Classify one image or several"},
          {"description",
           "Send the image as multipart/form-data in a field named `file` or `image` (several parts give "
           "`{\"results\": [...]}`, at most " +
               images +
               " images per request), or as the raw body with an image/* or application/octet-stream Content-Type. "
               "Formats: " +
               kImageFormats + ". Body at most " + Limit(o.max_body_bytes) + "."},
          {"operationId", "infer"},
          {"parameters", json::array({{{"name", "top_k"},
                                       {"in", "query"},
                                       {"required", false},
                                       {"description", top_k_text},
                                       {"schema", top_k_schema}},
                                      TimeoutHeaderParameter()})},
          {"requestBody",
           {{"required", true},
            {"content", {{"multipart/form-data", multipart}, {"image/*", raw}, {"application/octet-stream", raw}}}}},
          {"responses",
           {{"200", ok},
            {"400", Detail("No image (no `file`/`image` part, an empty body), an undecodable or damaged image, more "
                           "than " +
                           images + " images, a malformed multipart body, or a bad X-Request-Timeout-Ms")},
            {"413", Detail("Body larger than " + Limit(o.max_body_bytes) +
                           " (refused before it is sent when the client asks with Expect: 100-continue), or an image "
                           "larger than MAX_IMAGE_PIXELS")},
            {"415", Detail("Not an image: a raw body of another Content-Type, or a part declared as a non-image "
                           "(e.g. application/pdf) that is no image")},
            {"422", Response("Invalid top_k", Ref("ValidationError"))},
            {"503", WithRetryAfter(Detail("Model not loaded, or the queue is full (MAX_QUEUE)"))},
            {"504", Detail("The request's deadline expired while it waited for memory or for the model")}}}};
}

json HealthOperation() {
  return {{"summary", "Liveness and model state"},
          {"operationId", "health"},
          {"responses",
           {{"200", Response("Always 200 while the process serves; model_loaded tells whether /infer can answer",
                             Ref("Health"))}}}};
}

json SimpleGet(const std::string& summary, const std::string& id, const std::string& description,
               const std::string& media_type, const json& schema) {
  return {{"summary", summary},
          {"operationId", id},
          {"responses", {{"200", {{"description", description}, {"content", {{media_type, {{"schema", schema}}}}}}}}}};
}

json RootOperation() {
  return {
      {"summary", "Redirect to the API page"},
      {"operationId", "root"},
      {"responses",
       {{"302",
         {{"description", "Redirect to /docs"},
          {"headers", {{"Location", {{"required", true}, {"schema", {{"type", "string"}, {"enum", {"/docs"}}}}}}}}}}}}};
}

// ---- KServe v2 ----

json ServerMetadataOperation() {
  return {{"summary", "KServe v2 server metadata"},
          {"operationId", "kserveServerMetadata"},
          {"tags", {"KServe v2"}},
          {"responses", {{"200", Response("Server name, version and protocol extensions", Ref("ServerMetadata"))}}}};
}

json LiveOperation() {
  return {{"summary", "KServe v2 liveness"},
          {"operationId", "kserveLive"},
          {"tags", {"KServe v2"}},
          {"responses", {{"200", Response("The process serves", Ref("LiveResponse"))}}}};
}

json ReadyOperation() {
  return {{"summary", "KServe v2 readiness"},
          {"operationId", "kserveReady"},
          {"tags", {"KServe v2"}},
          {"responses",
           {{"200",
             Response("Ready: the model is loaded and the server is not warming up or draining", Ref("ReadyResponse"))},
            {"503", Response("Not ready: the model is not loaded, or the server is draining (SIGTERM, "
                             "DRAIN_DELAY_S)",
                             Ref("NotReadyResponse"))}}}};
}

// GET /v2/models/{name}[/versions/{version}]...: 404 for another model or version.
json ModelGet(const std::string& summary, const std::string& id, const std::string& model_name, bool versioned,
              json responses) {
  responses["404"] = KError("Unknown model or version");
  return {{"summary", summary},
          {"operationId", id},
          {"tags", {"KServe v2"}},
          {"parameters", ModelParameters(model_name, versioned)},
          {"responses", responses}};
}

json ModelMetadataOperation(const std::string& model_name, bool versioned) {
  return ModelGet("KServe v2 model metadata", versioned ? "kserveModelVersionMetadata" : "kserveModelMetadata",
                  model_name, versioned,
                  {{"200", Response("The model's name, versions, platform and tensors", Ref("ModelMetadata"))},
                   {"503", KError("The model is not loaded")}});
}

json ModelReadyOperation(const std::string& model_name, bool versioned) {
  return ModelGet(
      "KServe v2 model readiness", versioned ? "kserveModelVersionReady" : "kserveModelReady", model_name, versioned,
      {{"200", Response("The model is ready", Ref("ModelReadyResponse"))},
       {"503",
        Response("The model is not loaded, or the server is warming up or draining", Ref("ModelNotReadyResponse"))}});
}

// The model-repository extension (http/repository.h).
json RepositoryIndexOperation(const std::string& method) {
  json op = {{"summary", "KServe v2 model repository index"},
             {"operationId", method == "get" ? "repositoryIndex" : "repositoryIndexPost"},
             {"tags", {"KServe v2"}},
             {"responses",
              {{"200", Response("The served model and its state", Ref("RepositoryIndex"))},
               {"400", KError("The body is not a JSON object, or its \"ready\" is not a boolean")}}}};
  if (method == "post") {
    op["description"] = "Triton's form: {\"ready\": true} lists only ready models.";
    op["requestBody"] = {{"required", false}, {"content", JsonContent(Ref("RepositoryIndexRequest"))}};
  }
  return op;
}

json RepositoryControlOperation(const std::string& model_name, bool load) {
  json responses = {{"200", Response(load ? "The model file loaded, warmed up and now serves new requests"
                                          : "The model is unloaded (inference 503, readiness false until a load)",
                                     Ref("RepositoryModelState"))},
                    {"403", KError("Model control is switched off (MODEL_CONTROL_API=0)")},
                    {"404", KError("Unknown model")}};
  responses["400"] = KError(load ? "The body is not a JSON object, it has load parameters, or the model file does "
                                   "not load (the model before keeps serving; the error says why)"
                                 : "The body is not a JSON object");
  return {{"summary", load ? "Load MODEL_PATH again and swap it in without downtime" : "Unload the model"},
          {"description", load ? "Requests in flight finish on the model before; new requests use the new one. "
                                 "Blocks until the new model serves (its load and warm-up time)."
                               : "Until a load (this endpoint's .../load, or SIGHUP), inference answers 503."},
          {"operationId", load ? "repositoryModelLoad" : "repositoryModelUnload"},
          {"tags", {"KServe v2"}},
          {"parameters", json::array({ModelNameParameter(model_name)})},
          {"requestBody", {{"required", false}, {"content", JsonContent(Ref("RepositoryModelRequest"))}}},
          {"responses", responses}};
}

// The smallest PNG (1x1, gray), base64: a request the documentation can show whole.
constexpr const char* kTinyPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

json KServeInferExamples(const OpenApiOptions& o) {
  const json image_input = {{"name", "image"},
                            {"datatype", "BYTES"},
                            {"shape", {1}},
                            {"parameters", {{"content_type", "base64"}}},
                            {"data", {kTinyPngBase64}}};
  json top3 = {{"inputs", {image_input}}};
  if (!o.output_name.empty()) {
    top3["outputs"] = {{{"name", o.output_name}, {"parameters", {{"classification", 3}}}}};
  }
  return {
      {"classify",
       {{"summary", "An encoded image (base64 BYTES), the top 3 classes (classification extension)"}, {"value", top3}}},
      {"logits", {{"summary", "An encoded image, the model's output logits"}, {"value", {{"inputs", {image_input}}}}}}};
}

json KServeInferOperation(const OpenApiOptions& o, bool versioned) {
  const std::string images = std::to_string(o.max_images);
  std::string description =
      "Open Inference Protocol inference. Exactly one input: either the model's own FP32 input (already "
      "preprocessed" +
      (o.input_name.empty() ? std::string() : ": `" + o.input_name + "`") +
      "), or a BYTES input of any name holding N encoded images (" + kImageFormats + "), shape [N] or [N,1], " +
      "1 <= N <= " + images +
      ", as JSON strings (their UTF-8 bytes, or base64 with parameters.content_type \"base64\") or binary. The "
      "answer is the model's FP32 output [N, classes] (raw logits), or with the classification extension "
      "(outputs[].parameters.classification = k) BYTES [N, k] elements \"score:index:label\". Binary tensor "
      "data extension: the body is the JSON request (its length in the Inference-Header-Content-Length header) "
      "followed by the raw data of the inputs that give parameters.binary_data_size, in input order (FP32 "
      "little-endian; BYTES elements each a 4-byte little-endian length and the bytes); outputs asked for with "
      "binary_data (or binary_data_output) come back the same way, the response then being "
      "application/octet-stream. Constraints JSON Schema cannot state: an FP32 input's data has exactly the "
      "product of its shape values; a BYTES input has exactly N elements, each a decodable image. Body at most " +
      Limit(o.max_body_bytes) + ".";
  const json binary_body = {{"schema",
                             {{"type", "string"},
                              {"format", "binary"},
                              {"description",
                               "The JSON request (InferRequest, with parameters.binary_data_size in place of data for "
                               "binary inputs), then the inputs' raw data"}}}};
  return {
      {"summary", "KServe v2 inference"},
      {"description", description},
      {"operationId", versioned ? "kserveModelVersionInfer" : "kserveModelInfer"},
      {"tags", {"KServe v2"}},
      {"parameters",
       [&] {
         json p = ModelParameters(o.model_name, versioned);
         p.push_back({{"name", "Inference-Header-Content-Length"},
                      {"in", "header"},
                      {"required", false},
                      {"description",
                       "Binary tensor data extension: the length of the JSON part of the body; absent (or empty), "
                       "the whole body is JSON. Larger than the body, or not an integer: 400."},
                      {"schema", IntegerHeader(0, kMaxUint64)}});
         p.push_back(TimeoutHeaderParameter());
         return p;
       }()},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"application/json", {{"schema", Ref("InferRequest")}, {"examples", KServeInferExamples(o)}}},
          {"application/octet-stream", binary_body}}}}},
      {"responses",
       {{"200",
         {{"description", "The outputs"},
          {"headers",
           {{"Inference-Header-Content-Length",
             {{"description", "Present when binary output data follows the JSON part: that part's length"},
              {"required", false},
              {"schema", {{"type", "integer"}, {"minimum", 0}}}}}}},
          {"content",
           {{"application/json", {{"schema", Ref("KServeInferResponse")}}},
            {"application/octet-stream",
             {{"schema",
               {{"type", "string"},
                {"format", "binary"},
                {"description", "The JSON response, then the raw data of the binary outputs"}}}}}}}}},
        {"400", KError("Malformed request: not JSON, wrong input name, datatype or shape, data of the wrong size, "
                       "undecodable images, more than " +
                       images + " images, unknown output, a multipart body, bad headers")},
        {"404", KError("Unknown model or version")},
        {"413", KError("Body larger than " + Limit(o.max_body_bytes) + ", or an image larger than MAX_IMAGE_PIXELS")},
        {"503", WithRetryAfter(KError("Model not loaded, or the server is at capacity (MAX_QUEUE)"))},
        {"504", KError("The request's deadline (REQUEST_TIMEOUT_MS, X-Request-Timeout-Ms, or the request's "
                       "parameters.timeout in microseconds) expired while it waited")}}}};
}

// An FP32 input's shape: the batch (>= 1) and the model's fixed dimensions (a dynamic one: >= 1).
json TensorShape(const std::vector<std::int64_t>& shape) {
  json items = json::array();
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i == 0 || shape[i] < 0) {
      items.push_back({{"type", "integer"}, {"minimum", 1}});
    } else {
      items.push_back({{"const", shape[i]}});
    }
  }
  return {{"type", "array"}, {"prefixItems", items}, {"minItems", shape.size()}, {"maxItems", shape.size()}};
}

json KServeSchemas(const OpenApiOptions& o) {
  const json no_shared_memory = {{"description", "Shared memory is not supported: 400"}, {"not", json::object()}};
  const json error = Closed({"error"}, {{"error", {{"type", "string"}}}});
  const json tensor_metadata =
      Closed({"name", "datatype", "shape"}, {{"name", {{"type", "string"}}},
                                             {"datatype", {{"type", "string"}}},
                                             {"shape", {{"type", "array"}, {"items", {{"type", "integer"}}}}}});
  const json bytes_shape = {
      {"oneOf",
       json::array({{{"type", "array"},
                     {"prefixItems", json::array({{{"type", "integer"}, {"minimum", 1}, {"maximum", o.max_images}}})},
                     {"minItems", 1},
                     {"maxItems", 1}},
                    {{"type", "array"},
                     {"prefixItems",
                      json::array({{{"type", "integer"}, {"minimum", 1}, {"maximum", o.max_images}}, {{"const", 1}}})},
                     {"minItems", 2},
                     {"maxItems", 2}}})}};
  const json input_parameters = {
      {"type", "object"},
      {"properties",
       {{"content_type",
         {{"type", "string"},
          {"description",
           "\"base64\": the BYTES strings are base64 of the images; otherwise their own UTF-8 "
           "bytes"}}},
        {"binary_data_size",
         {{"description", "Only in the binary form (application/octet-stream)"}, {"not", json::object()}}},
        {"shared_memory_region", no_shared_memory}}}};
  json bytes_input = {{"type", "object"},
                      {"description", "N encoded images, any input name"},
                      {"required", {"name", "datatype", "shape", "data"}},
                      {"properties",
                       {{"name", {{"type", "string"}}},
                        {"datatype", {{"const", "BYTES"}}},
                        {"shape", bytes_shape},
                        {"parameters", input_parameters},
                        {"data",
                         {{"type", "array"},
                          {"description", "N images: strings (base64 with parameters.content_type \"base64\")"},
                          {"minItems", 1},
                          {"maxItems", o.max_images},
                          {"items", {{"type", "string"}}}}}}}};
  json inputs_one_of = json::array({bytes_input});
  if (!o.input_name.empty()) {
    inputs_one_of.push_back(
        {{"type", "object"},
         {"description", "The model's own input, already preprocessed: FP32, one value per element of the shape"},
         {"required", {"name", "datatype", "shape", "data"}},
         {"properties",
          {{"name", {{"const", o.input_name}}},
           {"datatype", {{"const", "FP32"}}},
           {"shape", TensorShape(o.input_shape)},
           {"parameters", input_parameters},
           {"data",
            {{"type", "array"},
             {"description", "Flat or nested, row-major"},
             {"minItems", 1},
             {"items", {{"type", "number"}, {"minimum", -kMaxFp32}, {"maximum", kMaxFp32}}}}}}}});
  }
  json output_name = {{"type", "string"}};
  if (!o.output_name.empty()) output_name = {{"type", "string"}, {"enum", {o.output_name}}};
  const json output_request = {
      {"type", "object"},
      {"required", {"name"}},
      {"properties",
       {{"name", output_name},
        {"parameters",
         {{"type", "object"},
          {"properties",
           {{"binary_data", {{"type", "boolean"}, {"description", "Send this output in binary"}}},
            {"classification",
             {{"type", "integer"},
              {"minimum", 0},
              {"maximum", kMaxUint64},
              {"description",
               "k > 0: the top k classes as BYTES \"score:index:label\" (at most the number of "
               "classes); 0: the tensor"}}},
            {"shared_memory_region", no_shared_memory}}}}}}}};
  const json output_tensor =
      Closed({"name", "datatype", "shape"},
             {{"name", {{"type", "string"}}},
              {"datatype", {{"type", "string"}, {"enum", {"FP32", "BYTES"}}}},
              {"shape", {{"type", "array"}, {"items", {{"type", "integer"}, {"minimum", 0}}}}},
              {"data", {{"type", "array"}, {"items", {{"type", {"number", "string"}}}}}},
              {"parameters",
               {{"type", "object"},
                {"additionalProperties", false},
                {"properties", {{"binary_data_size", {{"type", "integer"}, {"minimum", 0}}}}}}}});
  return {{"KServeError", error},
          {"RepositoryIndexRequest", {{"type", "object"}, {"properties", {{"ready", {{"type", "boolean"}}}}}}},
          {"RepositoryIndex",
           {{"type", "array"},
            {"maxItems", 1},
            {"items", Closed({"name", "version", "state", "reason"},
                             {{"name", {{"const", o.model_name}}},
                              {"version", {{"const", "1"}}},
                              {"state", {{"type", "string"}, {"enum", {"READY", "UNAVAILABLE", "LOADING"}}}},
                              {"reason", {{"type", "string"}, {"description", "Why not ready; empty when ready"}}}})}}},
          {"RepositoryModelRequest",
           {{"type", "object"},
            {"properties",
             {{"parameters",
               {{"type", "object"},
                {"maxProperties", 0},
                {"description", "Triton's load parameters (config, file overrides) are not supported"}}}}}}},
          {"RepositoryModelState",
           Closed({"name", "version", "state"}, {{"name", {{"const", o.model_name}}},
                                                 {"version", {{"const", "1"}}},
                                                 {"state", {{"type", "string"}, {"enum", {"READY", "UNAVAILABLE"}}}}})},
          {"ServerMetadata", Closed({"name", "version", "extensions"},
                                    {{"name", {{"type", "string"}}},
                                     {"version", {{"type", "string"}}},
                                     {"extensions", {{"type", "array"}, {"items", {{"type", "string"}}}}}})},
          {"LiveResponse", Closed({"live"}, {{"live", {{"const", true}}}})},
          {"ReadyResponse", Closed({"ready"}, {{"ready", {{"const", true}}}})},
          {"NotReadyResponse",
           Closed({"ready", "error"}, {{"ready", {{"const", false}}}, {"error", {{"type", "string"}}}})},
          {"ModelReadyResponse",
           Closed({"name", "ready"}, {{"name", {{"const", o.model_name}}}, {"ready", {{"const", true}}}})},
          {"ModelNotReadyResponse", Closed({"name", "ready", "error"}, {{"name", {{"const", o.model_name}}},
                                                                        {"ready", {{"const", false}}},
                                                                        {"error", {{"type", "string"}}}})},
          {"TensorMetadata", tensor_metadata},
          {"ModelMetadata", Closed({"name", "versions", "platform", "inputs", "outputs"},
                                   {{"name", {{"const", o.model_name}}},
                                    {"versions", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                                    {"platform", {{"type", "string"}}},
                                    {"inputs", {{"type", "array"}, {"items", Ref("TensorMetadata")}}},
                                    {"outputs", {{"type", "array"}, {"items", Ref("TensorMetadata")}}}})},
          {"InferRequest",
           {{"type", "object"},
            {"required", {"inputs"}},
            {"properties",
             {{"id", {{"type", "string"}, {"description", "Echoed in the response"}}},
              {"parameters",
               {{"type", "object"},
                {"properties",
                 {{"binary_data_output", {{"type", "boolean"}, {"description", "Every output in binary"}}},
                  {"timeout",
                   {{"type", "integer"},
                    {"minimum", 0},
                    {"maximum", kMaxUint64},
                    {"description", "Deadline in microseconds (Triton's); 0 = none; lowers the request's deadline"}}},
                  {"shared_memory_region", no_shared_memory}}}}},
              {"inputs", {{"type", "array"}, {"minItems", 1}, {"maxItems", 1}, {"items", {{"oneOf", inputs_one_of}}}}},
              {"outputs",
               {{"type", "array"},
                {"description",
                 "Outputs to return (the model's one output, possibly several times with different "
                 "parameters); absent: the model's output as FP32"},
                {"items", output_request}}}}}}},
          {"KServeInferResponse", Closed({"model_name", "model_version", "outputs"},
                                         {{"model_name", {{"const", o.model_name}}},
                                          {"model_version", {{"const", "1"}}},
                                          {"id", {{"type", "string"}}},
                                          {"outputs", {{"type", "array"}, {"items", output_tensor}}}})}};
}

json ServiceSchemas(const OpenApiOptions& o) {
  json predictions = {{"type", "array"}, {"minItems", 1}, {"items", Ref("Prediction")}};
  if (o.num_classes > 0) predictions["maxItems"] = o.num_classes;
  const json classification_properties = {
      {"predictions", predictions},
      {"inference_time_ms", {{"type", "number"}, {"minimum", 0}, {"description", "Model run time in milliseconds"}}}};
  json item_ok_properties = classification_properties;
  item_ok_properties["filename"] = {{"type", "string"}, {"description", "The part's filename, as sent"}};
  return {
      {"Prediction",
       Closed({"label", "probability"}, {{"label", {{"type", "string"}}},
                                         {"probability", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}}})},
      {"InferResponse", Closed({"predictions", "inference_time_ms"}, classification_properties)},
      {"InferResultOk", Closed({"predictions", "inference_time_ms", "filename"}, item_ok_properties)},
      {"InferResultError",
       Closed({"detail", "status", "filename"},
              {{"detail", {{"type", "string"}}},
               {"status", {{"type", "integer"}, {"description", "The status this image alone would have had"}}},
               {"filename", {{"type", "string"}}}})},
      {"InferResults",
       Closed({"results"}, {{"results",
                             {{"type", "array"},
                              {"minItems", 2},
                              {"maxItems", o.max_images},
                              {"items", {{"oneOf", json::array({Ref("InferResultOk"), Ref("InferResultError")})}}}}}})},
      {"Health", Closed({"Status", "model_loaded"},
                        {{"Status", {{"type", "string"}, {"enum", {"ok"}}}}, {"model_loaded", {{"type", "boolean"}}}})},
      {"HTTPError", Closed({"detail"}, {{"detail", {{"type", "string"}}}})},
      {"ValidationError",
       Closed({"detail"}, {{"detail",
                            {{"type", "array"},
                             {"minItems", 1},
                             {"items",
                              {{"type", "object"},
                               {"required", {"loc", "msg", "type"}},
                               {"additionalProperties", false},
                               {"properties",
                                {{"loc", {{"type", "array"}, {"items", {{"type", {"string", "integer"}}}}}},
                                 {"msg", {{"type", "string"}}},
                                 {"type", {{"type", "string"}}}}}}}}}})}};
}

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Keys(const json& object) {
  std::string out;
  for (const auto& [key, value] : object.items()) out += (out.empty() ? "" : ", ") + key;
  return out;
}

// /infer's top_k schema `key` (default, maximum) as text, for the form.
std::string TopKAttribute(const json& openapi, const char* key, const std::string& otherwise) {
  const json::json_pointer params("/paths/~1infer/post/parameters");
  if (!openapi.contains(params)) return otherwise;
  for (const json& p : openapi[params]) {
    if (p.value("name", "") == "top_k" && p.contains("schema") && p["schema"].contains(key)) {
      return p["schema"][key].dump();
    }
  }
  return otherwise;
}

}  // namespace

OpenApiOptions OpenApiOptionsFor(const service::ClassificationService& service, const std::string& model_name,
                                 std::uint64_t max_body_bytes, bool metrics) {
  OpenApiOptions o;
  o.model_name = model_name;
  o.num_classes = service.num_classes();
  o.default_top_k = service.default_top_k();
  o.max_body_bytes = max_body_bytes;
  o.max_images = service::kMaxImagesPerRequest;
  o.metrics = metrics;
  if (const model::ModelInfo* mi = service.model_info()) {
    o.input_name = mi->input_name;
    o.output_name = mi->output_name;
    o.input_shape = mi->layout == image::TensorLayout::kNHWC ? std::vector<std::int64_t>{-1, mi->height, mi->width, 3}
                                                             : std::vector<std::int64_t>{-1, 3, mi->height, mi->width};
  }
  return o;
}

json OpenApiJson(const OpenApiOptions& o) {
  json paths = {
      {"/", {{"get", RootOperation()}}},
      {"/health", {{"get", HealthOperation()}}},
      {"/infer", {{"post", InferOperation(o)}}},
      {"/openapi.json",
       {{"get", SimpleGet("This document", "openapi", "OpenAPI 3.1", "application/json",
                          {{"type", "object"}, {"required", {"openapi", "info", "paths"}}})}}},
      {"/docs",
       {{"get",
         SimpleGet("Human-readable API page with an upload form", "docs", "HTML", "text/html", {{"type", "string"}})}}},
      {"/v2", {{"get", ServerMetadataOperation()}}},
      {"/v2/health/live", {{"get", LiveOperation()}}},
      {"/v2/health/ready", {{"get", ReadyOperation()}}},
      {"/v2/repository/index", {{"get", RepositoryIndexOperation("get")}, {"post", RepositoryIndexOperation("post")}}},
      {"/v2/repository/models/{name}/load", {{"post", RepositoryControlOperation(o.model_name, true)}}},
      {"/v2/repository/models/{name}/unload", {{"post", RepositoryControlOperation(o.model_name, false)}}},
  };
  if (o.metrics) {
    json metrics = SimpleGet("Prometheus metrics", "metrics", "Prometheus text exposition format 0.0.4", "text/plain",
                             {{"type", "string"}});
    metrics["description"] =
        "Requests by endpoint and status; histograms of queue wait, decode, preprocess, inference, total and batch "
        "size; queue depth, in-flight requests, request-body bytes in flight, model loaded and load time; shed and "
        "timed-out counters; build info.";
    paths["/metrics"] = {{"get", metrics}};
  }
  for (const bool versioned : {false, true}) {
    const std::string base = std::string("/v2/models/{name}") + (versioned ? "/versions/{version}" : "");
    paths[base] = {{"get", ModelMetadataOperation(o.model_name, versioned)}};
    paths[base + "/ready"] = {{"get", ModelReadyOperation(o.model_name, versioned)}};
    paths[base + "/infer"] = {{"post", KServeInferOperation(o, versioned)}};
  }

  json schemas = ServiceSchemas(o);
  schemas.update(KServeSchemas(o));

  const std::string description =
      "Image classification with ONNX Runtime. Model: " + o.model_name + ". Request bodies at most " +
      Limit(o.max_body_bytes) +
      " (413). Errors are JSON: `{\"detail\": \"...\"}` (FastAPI's shape; 422's detail "
      "is `[{\"loc\", \"msg\", \"type\"}]`) on the service's own routes, `{\"error\": \"...\"}` (KServe/Triton's) "
      "under /v2. A path not listed here: 404. A method a listed path does not take: 405 with an `Allow` header "
      "and the path's error shape (`{\"detail\": \"Method Not Allowed\"}`, or `{\"error\": ...}` under /v2). More "
      "connections than the server takes (MAX_CONNECTIONS): 503.";
  // The limits, machine-readable (JSON Schema cannot state a body's size).
  json top_k = {{"minimum", 1}, {"default", o.default_top_k}};
  if (o.num_classes > 0) top_k["maximum"] = o.num_classes;
  const json limits = {
      {"max_body_bytes", o.max_body_bytes}, {"max_images_per_request", o.max_images}, {"top_k", top_k}};
  return {{"openapi", "3.1.0"},
          {"info",
           {{"title", "cross_pictures"}, {"version", CP_VERSION}, {"description", description}, {"x-limits", limits}}},
          {"tags",
           json::array({{{"name", "KServe v2"},
                         {"description", "KServe v2 / Open Inference Protocol REST (what Triton's clients speak)"}}})},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

std::string DocsHtml(const json& openapi) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cross_pictures API</title>"
      "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
      "code,pre{background:#f4f4f4;padding:.1rem .3rem;border-radius:3px}pre{padding:.6rem;overflow:auto}"
      ".op{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
      ".m{font-weight:bold;text-transform:uppercase;margin-right:.5rem}table{border-collapse:collapse}"
      "td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}</style></head><body>";
  html += "<h1>" + Escape(openapi["info"]["title"].get<std::string>()) + " <small>" +
          Escape(openapi["info"]["version"].get<std::string>()) + "</small></h1>";
  html += "<p>" + Escape(openapi["info"]["description"].get<std::string>()) +
          " — machine-readable: <a href=\"/openapi.json\">/openapi.json</a></p>";
  for (const auto& [path, ops] : openapi["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      html += "<div class=\"op\"><p><span class=\"m\">" + Escape(method) + "</span><code>" + Escape(path) +
              "</code> — " + Escape(op.value("summary", "")) + "</p>";
      if (op.contains("description")) html += "<p>" + Escape(op["description"].get<std::string>()) + "</p>";
      if (op.contains("parameters")) {
        html += "<table><tr><th>parameter</th><th>in</th><th>meaning</th></tr>";
        for (const auto& p : op["parameters"]) {
          html += "<tr><td><code>" + Escape(p["name"].get<std::string>()) + "</code></td><td>" +
                  Escape(p["in"].get<std::string>()) + "</td><td>" + Escape(p.value("description", "")) + "</td></tr>";
        }
        html += "</table>";
      }
      if (op.contains("requestBody")) {
        html += "<p>Body: <code>" + Escape(Keys(op["requestBody"]["content"])) + "</code></p>";
      }
      html += "<table><tr><th>status</th><th>meaning</th><th>content</th></tr>";
      for (const auto& [code, r] : op["responses"].items()) {
        html += "<tr><td>" + Escape(code) + "</td><td>" + Escape(r.value("description", "")) + "</td><td><code>" +
                Escape(r.contains("content") ? Keys(r["content"]) : "") + "</code></td></tr>";
      }
      html += "</table></div>";
    }
  }
  html +=
      "<h2>Examples</h2><pre>curl -F file=@cat.jpg http://HOST:8000/infer\n"
      "curl -F file=@cat.jpg 'http://HOST:8000/infer?top_k=5'\n"
      "curl --data-binary @cat.jpg -H 'Content-Type: image/jpeg' http://HOST:8000/infer\n"
      "curl http://HOST:8000/health</pre>"
      "<h2>Try it</h2><form id=\"f\"><input type=\"file\" name=\"file\" accept=\"image/*\" required> "
      "top_k <input type=\"number\" name=\"k\" value=\"" +
      TopKAttribute(openapi, "default", "3") + "\" min=\"1\" max=\"" + TopKAttribute(openapi, "maximum", "") +
      "\" style=\"width:4rem\"> "
      "<button>Classify</button></form><pre id=\"out\"></pre>"
      "<script>document.getElementById('f').onsubmit=async e=>{e.preventDefault();"
      "const fd=new FormData();fd.append('file',e.target.file.files[0]);"
      "const r=await fetch('/infer?top_k='+e.target.k.value,{method:'POST',body:fd});"
      "document.getElementById('out').textContent=r.status+'\\n'+JSON.stringify(await r.json(),null,2);};"
      "</script></body></html>";
  return html;
}

}  // namespace cp::http
