#include "http/kserve.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>

#include "http/error_mapping.h"
#include "http/kserve_binary.h"
#include "http/reply.h"
#include "http/server.h"
#include "http/upload_reader.h"
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

void SendJson(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void SendError(httplib::Response& res, const Status& status, metrics::Metrics* metrics = nullptr) {
  if (metrics) metrics->CountRefusal(status.code());
  SetRetryAfter(res, status.code());
  SendJson(res, HttpStatusFor(status.code()), {{"error", status.message()}});
}

// Runs a handler; an escaping exception becomes a 500 {"error"}.
template <typename Fn>
void Guarded(httplib::Response& res, Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    SendError(res, Internal(std::string("internal error: ") + e.what()));
  } catch (...) {
    SendError(res, Internal("internal error"));
  }
}

// kNotFound unless the URL (kModelPath) names our model, and version 1 if any.
Status CheckModel(const KServeContext& ctx, const httplib::Request& req) {
  return core::CheckModel(ctx.model_name, req.matches[1].str(), req.matches[2].matched ? req.matches[2].str() : "");
}

Status ModelUnavailable(const KServeContext& ctx) { return core::ModelUnavailable(*ctx.service, ctx.model_name); }

// 200 with no body (as Triton), or 503 {"error"}.
void AnswerReadiness(const KServeContext& ctx, httplib::Response& res) {
  if (Status s = core::CheckReady(*ctx.service, ctx.model_name, ctx.ready); !s.ok()) return SendError(res, s);
  res.status = 200;
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
  return core::RunInfer(*ctx.service, ctx.model_name, req, deadline, ctx.metrics.get());
}

bool DeclaredTooLarge(const httplib::Request& req, std::uint64_t max_body_bytes) {
  return req.get_header_value<std::uint64_t>("Content-Length") > max_body_bytes;
}

// The whole body, or kTooLarge beyond max_body_bytes (then the rest is not read).
Result<std::string> ReadBody(const httplib::Request& req, const httplib::ContentReader& reader,
                             std::uint64_t max_body_bytes) {
  const Status too_large = BodyTooLarge(max_body_bytes);
  if (DeclaredTooLarge(req, max_body_bytes)) {
    // The library skips such a body unread once we ask for it; not asking
    // would leave it on a kept-alive connection, to be parsed as a request.
    DiscardBody(req, reader, max_body_bytes);
    return too_large;
  }
  std::string body;
  std::uint64_t received = 0;
  auto receive = [&](const char* data, std::size_t n) {
    received += n;
    if (received > max_body_bytes) return false;
    body.append(data, n);
    return true;
  };
  bool ok = false;
  if (req.is_multipart_form_data()) {
    // Not a KServe body: read it through, keeping none, so the connection stays usable.
    ok = reader([](const httplib::MultipartFormData&) { return true; },
                [&](const char*, std::size_t n) {
                  received += n;
                  return received <= max_body_bytes;
                });
  } else {
    ok = reader(receive);
  }
  if (received > max_body_bytes) return too_large;
  if (!ok) return InvalidArgument("cannot read the request body");
  if (req.is_multipart_form_data()) return InvalidArgument("expected a JSON body, not multipart/form-data");
  return body;
}

// What refuses an infer request before its body is read: an unknown model or
// version (404), a saturated engine (503, shed as /infer does). RunInfer
// checks saturation again: the queue can fill while a body is read.
Status RefuseUnread(const KServeContext& ctx, const httplib::Request& req) {
  if (Status s = CheckModel(ctx, req); !s.ok()) return s;
  if (ctx.service->model_loaded() && ctx.service->Saturated()) {
    return Overloaded("the server is at capacity; retry later");
  }
  return Status::Ok();
}

void HandleInfer(const KServeContext& ctx, const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& reader) {
  metrics::Metrics* const metrics = ctx.metrics.get();
  const metrics::InFlightRequest in_flight(metrics);
  const Clock::time_point start = Clock::now();
  const auto deadline = RequestDeadline(req, ctx.request_timeout_ms, start);
  // Refused before reading (a body declared beyond the limit is ReadBody's
  // 413, never read): the body is discarded as it arrives, nothing kept, so a
  // kept-alive connection stays in sync.
  if (Status s = RefuseUnread(ctx, req); !s.ok() && !DeclaredTooLarge(req, ctx.max_body_bytes)) {
    DiscardBody(req, reader, ctx.max_body_bytes);
    return SendError(res, s, metrics);
  }
  // Room for the body in memory before reading it (Budget), held until the reply is built.
  std::optional<Budget::Lease> lease;
  if (ctx.body_budget) {
    auto reserved =
        ReserveBody(*ctx.body_budget, req, reader, ctx.max_body_bytes, deadline.ok() ? *deadline : std::nullopt);
    if (!reserved.ok()) return SendError(res, reserved.status(), metrics);
    lease = std::move(reserved).value();
  }
  auto body = ReadBody(req, reader, ctx.max_body_bytes);
  if (!body.ok()) {
    if (body.status().code() == StatusCode::kTooLarge) res.set_header("Connection", "close");
    return SendError(res, body.status());
  }
  if (!deadline.ok()) return SendError(res, deadline.status());
  auto parsed = kserve::ParseInferRequest(*body, req.get_header_value("Inference-Header-Content-Length"));
  if (!parsed.ok()) return SendError(res, parsed.status());
  auto response = RunInfer(ctx, *parsed, LowerDeadline(*deadline, parsed->timeout_us, start));
  if (!response.ok()) return SendError(res, response.status(), metrics);
  kserve::EncodedResponse encoded = kserve::EncodeInferResponse(*response);
  res.status = 200;
  if (encoded.header_length) {
    res.set_header("Inference-Header-Content-Length", std::to_string(*encoded.header_length));
    res.set_content(std::move(encoded.body), "application/octet-stream");
  } else {
    res.set_content(std::move(encoded.body), "application/json");
  }
}

}  // namespace

void RegisterKServeRoutes(httplib::Server& server, KServeContext context) {
  auto ctx = std::make_shared<const KServeContext>(std::move(context));
  using Req = httplib::Request;
  using Res = httplib::Response;

  server.Get("/v2", [](const Req&, Res& res) { Guarded(res, [&] { SendJson(res, 200, ServerMetadata()); }); });
  server.Get("/v2/health/live", [](const Req&, Res& res) { res.status = 200; });
  server.Get("/v2/health/ready", [ctx](const Req&, Res& res) { Guarded(res, [&] { AnswerReadiness(*ctx, res); }); });
  server.Get(kModelPath, [ctx](const Req& req, Res& res) {
    Guarded(res, [&] {
      if (Status s = CheckModel(*ctx, req); !s.ok()) return SendError(res, s);
      const model::ModelInfo* mi = ctx->service->model_info();
      if (mi == nullptr) return SendError(res, ModelUnavailable(*ctx));
      SendJson(res, 200, ModelMetadata(*ctx, *mi));
    });
  });
  server.Get(std::string(kModelPath) + "/ready", [ctx](const Req& req, Res& res) {
    Guarded(res, [&] {
      if (Status s = CheckModel(*ctx, req); !s.ok()) return SendError(res, s);
      AnswerReadiness(*ctx, res);
    });
  });
  server.Post(std::string(kModelPath) + "/infer",
              [ctx](const Req& req, Res& res, const httplib::ContentReader& reader) {
                Guarded(res, [&] { HandleInfer(*ctx, req, res, reader); });
              });
}

}  // namespace cp::http
