#include "http/repository.h"

#include <nlohmann/json.hpp>

#include "http/error_mapping.h"
#include "http/reply.h"
#include "kserve/inference.h"
#include "kserve/repository.h"

namespace cp::http {

namespace {

using nlohmann::json;

Response ErrorReply(const Status& status) {
  return JsonResponse(HttpStatusFor(status.code()), {{"error", status.message()}});
}

// A body, when there is one, must be a JSON object (none: an empty one).
Result<json> ParseBody(const Request& req) {
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return InvalidArgument("the body must be a JSON object");
  return body;
}

// Triton's load parameters (config, file overrides) are not supported.
Status CheckLoadBody(const json& body) {
  auto p = body.find("parameters");
  if (p != body.end() && !(p->is_object() && p->empty())) {
    return InvalidArgument(
        "load parameters (Triton's config and file overrides) are not supported: the server loads MODEL_PATH again");
  }
  return Status::Ok();
}

Response Index(const RepositoryContext& ctx, const Request& req) {
  bool ready_only = false;
  if (req.method == "POST") {
    auto body = ParseBody(req);
    if (!body.ok()) return ErrorReply(body.status());
    auto r = body->find("ready");
    if (r != body->end()) {
      if (!r->is_boolean()) return ErrorReply(InvalidArgument("\"ready\" must be a boolean"));
      ready_only = r->get<bool>();
    }
  }
  json models = json::array();
  for (const auto& m : kserve::RepositoryIndex(ctx.control.get(), *ctx.slot, ctx.model_name, ready_only)) {
    models.push_back({{"name", m.name}, {"version", m.version}, {"state", m.state}, {"reason", m.reason}});
  }
  return JsonResponse(200, models);
}

Status CheckControl(const RepositoryContext& ctx, const PathGroups& groups) {
  const std::string name = !groups.empty() && groups[0] ? *groups[0] : std::string();
  return kserve::CheckModelControl(ctx.control.get(), ctx.control_api, ctx.model_name, name);
}

Response LoadOrUnload(const RepositoryContext& ctx, const Request& req, const PathGroups& groups, bool load) {
  if (Status s = CheckControl(ctx, groups); !s.ok()) return ErrorReply(s);
  auto body = ParseBody(req);
  if (!body.ok()) return ErrorReply(body.status());
  if (Status s = load ? CheckLoadBody(*body) : Status::Ok(); !s.ok()) return ErrorReply(s);
  const Status s = load ? ctx.control->Load() : ctx.control->Unload();
  if (!s.ok()) return ErrorReply(s);
  const auto index = kserve::RepositoryIndex(ctx.control.get(), *ctx.slot, ctx.model_name, false);
  return JsonResponse(200, {{"name", ctx.model_name}, {"version", kserve::kModelVersion}, {"state", index[0].state}});
}

}  // namespace

void RegisterRepositoryRoutes(Router& router, RepositoryContext context) {
  auto ctx = std::make_shared<const RepositoryContext>(std::move(context));
  for (const char* method : {"GET", "POST"}) {
    RouteSpec index;
    index.method = method;
    index.pattern = "/v2/repository/index";
    index.on_io_thread = true;
    index.handle = [ctx](Request& req, const PathGroups&) { return Index(*ctx, req); };
    router.Add(std::move(index));
  }
  for (const bool load : {true, false}) {
    RouteSpec spec;
    spec.method = "POST";
    spec.pattern = std::string("/v2/repository/models/([^/]+)/") + (load ? "load" : "unload");
    // Refused before the body is read: another model, control switched off.
    spec.admit = [ctx](const RequestHead&, const PathGroups& groups) -> std::optional<Response> {
      if (Status s = CheckControl(*ctx, groups); !s.ok()) return ErrorReply(s);
      return std::nullopt;
    };
    spec.handle = [ctx, load](Request& req, const PathGroups& groups) { return LoadOrUnload(*ctx, req, groups, load); };
    router.Add(std::move(spec));
  }
}

}  // namespace cp::http
