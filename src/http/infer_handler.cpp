// POST /infer: the Python service's contract.
#include <charconv>

#include "http/error_mapping.h"
#include "http/json_codec.h"
#include "http/reply.h"
#include "http/server.h"
#include "http/uploads.h"

namespace cp::http {

namespace {

// ?top_k=N: nullopt when absent; kInvalidParameter when not an integer in range.
Result<std::optional<int>> ParseTopK(const Request& req, const service::ClassificationService& svc) {
  if (!req.HasParam("top_k")) return std::optional<int>{};
  const std::string text = req.Param("top_k");
  long long v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || p != text.data() + text.size()) {
    return InvalidParameter("top_k must be an integer, got '" + text + "'");
  }
  if (Status s = svc.ValidateTopK(v); !s.ok()) return s;
  return std::optional<int>(static_cast<int>(v));
}

}  // namespace

// Shed before reading anything: a full queue answers 503 at once (the
// transport drops the upload as it arrives).
std::optional<Response> HttpServer::AdmitInfer(const RequestHead&) const {
  const auto service = slot_->Get();
  if (service->model_loaded() && service->Saturated()) {
    return Refusal(Overloaded("the server is at capacity; retry later"));
  }
  return std::nullopt;
}

Response HttpServer::HandleInfer(Request& req) {
  const metrics::InFlightRequest in_flight(metrics_.get());
  const std::shared_ptr<const service::ClassificationService> service = slot_->Get();  // to the end, even if swapped
  auto deadline = RequestDeadline(req, options_.request_timeout_ms, req.start);
  auto uploads = ParseUploads(req, service::kMaxImagesPerRequest);
  if (!uploads.ok()) return Refusal(uploads.status());
  if (!deadline.ok()) return Refusal(deadline.status());
  if (!service->model_loaded()) return Refusal(Unavailable("Model not loaded"));
  auto top_k = ParseTopK(req, *service);
  if (!top_k.ok()) return Refusal(top_k.status(), "top_k");

  std::vector<service::ImageInput> inputs;
  for (const Upload& u : *uploads) inputs.push_back({u.bytes, u.content_type, *deadline});
  auto results = service->ClassifyMany(inputs, *top_k);
  if (metrics_) {
    for (const auto& r : results) {
      if (!r.ok()) continue;
      metrics_->ObserveDecode(r->timings.decode_ms / 1000.0);
      metrics_->ObservePreprocess(r->timings.preprocess_ms / 1000.0);
    }
  }
  if (results.size() == 1) {
    if (!results[0].ok()) return Refusal(results[0].status());
    return JsonResponse(200, ClassificationJson(*results[0]));
  }
  // Several images: one entry per image, in order, each its own outcome.
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    nlohmann::json item = r.ok() ? ClassificationJson(*r) : ErrorBody(r.status());
    if (!r.ok()) item["status"] = HttpStatusFor(r.status().code());
    item["filename"] = (*uploads)[i].filename;
    items.push_back(std::move(item));
  }
  return JsonResponse(200, {{"results", std::move(items)}});
}

}  // namespace cp::http
