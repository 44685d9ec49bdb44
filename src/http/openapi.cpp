#include "http/openapi.h"

namespace cp::http {

namespace {

using nlohmann::json;

json ErrorResponse(const std::string& description) {
  return {{"description", description},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/HTTPError"}}}}}}}};
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

}  // namespace

json OpenApiJson(const std::string& model_name) {
  json image_schema = {{"type", "string"},
                       {"format", "binary"},
                       {"description", "JPEG, PNG, GIF (first frame), WebP, BMP or TIFF; detected from the bytes"}};
  json infer = {
      {"summary", "Classify an image"},
      {"description",
       "Send the image as multipart/form-data in a field named `file` or `image`, or as the raw body with an "
       "image/* Content-Type. Several `file`/`image` parts give `{\"results\": [...]}`, one entry per image in "
       "order, each with its predictions or its own `detail` and `status` (at most 256 images per request)."},
      {"operationId", "infer"},
      {"parameters", json::array({{{"name", "top_k"},
                                   {"in", "query"},
                                   {"required", false},
                                   {"description", "Number of predictions (1..classes); default TOP_K"},
                                   {"schema", {{"type", "integer"}, {"minimum", 1}}}}})},
      {"requestBody",
       {{"required", true},
        {"content",
         {{"multipart/form-data",
           {{"schema", {{"type", "object"}, {"properties", {{"file", image_schema}, {"image", image_schema}}}}}}},
          {"image/*", {{"schema", image_schema}}}}}}},
      {"responses",
       {{"200",
         {{"description", "Top-k predictions, highest probability first"},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/InferResponse"}}}}}}}}},
        {"400", ErrorResponse("No image, empty or undecodable image")},
        {"413", ErrorResponse("Body larger than MAX_BODY_BYTES, or image larger than MAX_IMAGE_PIXELS")},
        {"415", ErrorResponse("Not an image (e.g. a PDF part or a non-image Content-Type)")},
        {"422",
         {{"description", "Invalid parameter (top_k)"},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/ValidationError"}}}}}}}}},
        {"503", ErrorResponse("Model not loaded, or queue full (with Retry-After)")},
        {"504", ErrorResponse("The request deadline expired while it waited for the model")}}}};

  json health = {
      {"summary", "Liveness and model state"},
      {"operationId", "health"},
      {"responses",
       {{"200",
         {{"description", "Always 200 while the process serves; model_loaded tells whether /infer can answer"},
          {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Health"}}}}}}}}}}}};

  json schemas = {
      {"Prediction",
       {{"type", "object"},
        {"required", {"label", "probability"}},
        {"properties", {{"label", {{"type", "string"}}}, {"probability", {{"type", "number"}}}}}}},
      {"InferResponse",
       {{"type", "object"},
        {"required", {"predictions", "inference_time_ms"}},
        {"properties",
         {{"predictions", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Prediction"}}}}},
          {"inference_time_ms", {{"type", "number"}, {"description", "Model run time in milliseconds"}}}}}}},
      {"Health",
       {{"type", "object"},
        {"required", {"Status", "model_loaded"}},
        {"properties", {{"Status", {{"type", "string"}, {"enum", {"ok"}}}}, {"model_loaded", {{"type", "boolean"}}}}}}},
      {"HTTPError", {{"type", "object"}, {"required", {"detail"}}, {"properties", {{"detail", {{"type", "string"}}}}}}},
      {"ValidationError",
       {{"type", "object"},
        {"properties",
         {{"detail",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"properties",
               {{"loc", {{"type", "array"}, {"items", {{"type", "string"}}}}},
                {"msg", {{"type", "string"}}},
                {"type", {{"type", "string"}}}}}}}}}}}}}};

  return {
      {"openapi", "3.1.0"},
      {"info",
       {{"title", "cross_pictures"},
        {"version", "0.1.0"},
        {"description", "Image classification with ONNX Runtime. Model: " + model_name}}},
      {"paths",
       {{"/health", {{"get", health}}},
        {"/infer", {{"post", infer}}},
        {"/openapi.json",
         {{"get", {{"summary", "This document"}, {"responses", {{"200", {{"description", "OpenAPI 3.1 JSON"}}}}}}}}},
        {"/docs",
         {{"get", {{"summary", "Human-readable API page"}, {"responses", {{"200", {{"description", "HTML"}}}}}}}}}}},
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
      html += "<table><tr><th>status</th><th>meaning</th></tr>";
      for (const auto& [code, r] : op["responses"].items()) {
        html += "<tr><td>" + Escape(code) + "</td><td>" + Escape(r.value("description", "")) + "</td></tr>";
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
      "top_k <input type=\"number\" name=\"k\" value=\"3\" min=\"1\" style=\"width:4rem\"> "
      "<button>Classify</button></form><pre id=\"out\"></pre>"
      "<script>document.getElementById('f').onsubmit=async e=>{e.preventDefault();"
      "const fd=new FormData();fd.append('file',e.target.file.files[0]);"
      "const r=await fetch('/infer?top_k='+e.target.k.value,{method:'POST',body:fd});"
      "document.getElementById('out').textContent=r.status+'\\n'+JSON.stringify(await r.json(),null,2);};"
      "</script></body></html>";
  return html;
}

}  // namespace cp::http
