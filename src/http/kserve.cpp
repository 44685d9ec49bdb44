#include "http/kserve.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "http/error_mapping.h"
#include "http/kserve_binary.h"
#include "http/reply.h"
#include "http/server.h"
#include "http/uploads.h"
#include "kserve/inference.h"

namespace cp::http {

namespace {

// The protocol-neutral part of v2 (model and server metadata, running
// tensors and images through the service, the classification extension)
// is in src/kserve; this file is its REST transport.
namespace core = ::cp::kserve;
using nlohmann::json;
using Clock = core::Clock;
using Deadline = core::Deadline;
using core::LowerDeadline;

constexpr const char* kModelPath = R"(/v2/models/([^/]+)(?:/versions/([^/]+))?)";

Response ErrorReply(const Status& status, metrics::Metrics* metrics = nullptr) {
  if (metrics) metrics->CountRefusal(status.code());
  Response res = JsonResponse(HttpStatusFor(status.code()), {{"error", status.message()}});
  SetRetryAfter(res, status.code());
  return res;
}

// kNotFound unless the URL (kModelPath's groups) names our model, and version 1 if any.
Status CheckModel(const KServeContext& ctx, const PathGroups& groups) {
  const std::string name = groups.size() > 0 && groups[0] ? *groups[0] : std::string();
  const std::string version = groups.size() > 1 && groups[1] ? *groups[1] : std::string();
  return core::CheckModel(ctx.model_name, name, version);
}

// KServe's bodies: 200 {"ready": true} (with "name" for a model), or 503
// {"ready": false, "error": why}.
Response AnswerReadiness(const KServeContext& ctx, const std::optional<std::string>& model) {
  const Status s = core::CheckReady(*ctx.slot->Get(), ctx.model_name, ctx.ready);
  json body = {{"ready", s.ok()}};
  if (model) body["name"] = *model;
  if (!s.ok()) body["error"] = s.message();
  Response res = JsonResponse(s.ok() ? 200 : HttpStatusFor(s.code()), body);
  if (!s.ok()) SetRetryAfter(res, s.code());
  return res;
}

json TensorJson(const core::TensorMetadata& t) {
  return {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
}

json ModelMetadata(const KServeContext& ctx, const model::ModelInfo& mi) {
  const core::ModelMetadata md = core::DescribeModel(ctx.model_name, mi);
  json inputs = json::array(), outputs = json::array();
  for (const auto& t : md.inputs) inputs.push_back(TensorJson(t));
  for (const auto& t : md.outputs) outputs.push_back(TensorJson(t));
  return {{"name", md.name},
          {"versions", md.versions},
          {"platform", md.platform},
          {"inputs", std::move(inputs)},
          {"outputs", std::move(outputs)}};
}

json ServerMetadata() {
  const core::ServerMetadata md = core::DescribeServer();
  return {{"name", md.name}, {"version", md.version}, {"extensions", md.extensions}};
}

Result<kserve::InferResponse> RunInfer(const KServeContext& ctx, const kserve::InferRequest& req,
                                       const Deadline& deadline) {
  const auto service = ctx.slot->Get();  // held until answered, even if a reload swaps it
  return core::RunInfer(*service, ctx.model_name, req, deadline, ctx.metrics.get());
}

// What refuses an infer request before its body is read: an unknown model or
// version (404), a saturated engine (503, shed as /infer does). RunInfer
// checks saturation again: the queue can fill while a body is read.
Status RefuseUnread(const KServeContext& ctx, const PathGroups& groups) {
  if (Status s = CheckModel(ctx, groups); !s.ok()) return s;
  const auto service = ctx.slot->Get();
  if (service->model_loaded() && service->Saturated()) {
    return Overloaded("the server is at capacity; retry later");
  }
  return Status::Ok();
}

Response HandleInfer(const KServeContext& ctx, const Request& req) {
  metrics::Metrics* const metrics = ctx.metrics.get();
  const metrics::InFlightRequest in_flight(metrics);
  const auto deadline = RequestDeadline(req, ctx.request_timeout_ms, req.start);
  if (IsMultipart(req)) return ErrorReply(InvalidArgument("expected a JSON body, not multipart/form-data"));
  if (!deadline.ok()) return ErrorReply(deadline.status());
  auto parsed = kserve::ParseInferRequest(req.body, req.headers.Get("Inference-Header-Content-Length"));
  if (!parsed.ok()) return ErrorReply(parsed.status());
  auto response = RunInfer(ctx, *parsed, LowerDeadline(*deadline, parsed->timeout_us, req.start));
  if (!response.ok()) return ErrorReply(response.status(), metrics);
  kserve::EncodedResponse encoded = kserve::EncodeInferResponse(*response);
  Response res;
  res.body = std::move(encoded.body);
  if (encoded.header_length) {
    res.SetHeader("Inference-Header-Content-Length", std::to_string(*encoded.header_length));
    res.content_type = "application/octet-stream";
  } else {
    res.content_type = kJsonType;
  }
  return res;
}

}  // namespace

void RegisterKServeRoutes(Router& router, KServeContext context) {
  auto ctx = std::make_shared<const KServeContext>(std::move(context));
  const std::string model_path = kModelPath;

  router.Get("/v2", [](Request&, const PathGroups&) { return JsonResponse(200, ServerMetadata()); });
  router.Get("/v2/health/live", [](Request&, const PathGroups&) { return JsonResponse(200, {{"live", true}}); });
  router.Get("/v2/health/ready", [ctx](Request&, const PathGroups&) { return AnswerReadiness(*ctx, std::nullopt); });
  router.Get(model_path, [ctx](Request&, const PathGroups& groups) {
    if (Status s = CheckModel(*ctx, groups); !s.ok()) return ErrorReply(s);
    const auto service = ctx->slot->Get();
    const model::ModelInfo* mi = service->model_info();
    if (mi == nullptr) return ErrorReply(core::ModelUnavailable(*service, ctx->model_name));
    return JsonResponse(200, ModelMetadata(*ctx, *mi));
  });
  router.Get(model_path + "/ready", [ctx](Request&, const PathGroups& groups) {
    if (Status s = CheckModel(*ctx, groups); !s.ok()) return ErrorReply(s);
    return AnswerReadiness(*ctx, ctx->model_name);
  });
  RouteSpec infer;
  infer.method = "POST";
  infer.pattern = model_path + "/infer";
  infer.admit = [ctx](const RequestHead&, const PathGroups& groups) -> std::optional<Response> {
    if (Status s = RefuseUnread(*ctx, groups); !s.ok()) return ErrorReply(s, ctx->metrics.get());
    return std::nullopt;
  };
  infer.deadline = [ctx](const RequestHead& head) { return WaitDeadline(head, ctx->request_timeout_ms); };
  infer.handle = [ctx](Request& req, const PathGroups&) { return HandleInfer(*ctx, req); };
  router.Add(std::move(infer));
}

}  // namespace cp::http
