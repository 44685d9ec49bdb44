#include "http/server.h"

#include <httplib.h>

#include <charconv>

#include "http/error_mapping.h"
#include "http/json_codec.h"
#include "http/openapi.h"
#include "http/upload_reader.h"

namespace cp::http {

namespace {

constexpr const char* kJson = "application/json";

void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

void SendError(httplib::Response& res, const Status& status, const std::string& param = {}) {
  if (const int retry = RetryAfterSeconds(status.code()); retry > 0) {
    res.set_header("Retry-After", std::to_string(retry));
  }
  SendJson(res, HttpStatusFor(status.code()), ErrorBody(status, param));
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Bad Request";
  }
}

// ?top_k=N: nullopt when absent; kInvalidParameter when not an integer.
Result<std::optional<int>> ParseTopK(const httplib::Request& req, const service::ClassificationService& svc) {
  if (!req.has_param("top_k")) return std::optional<int>{};
  const std::string text = req.get_param_value("top_k");
  long long v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || p != text.data() + text.size()) {
    return InvalidParameter("top_k must be an integer, got '" + text + "'");
  }
  if (Status s = svc.ValidateTopK(v); !s.ok()) return s;
  return std::optional<int>(static_cast<int>(v));
}

}  // namespace

HttpServer::HttpServer(std::shared_ptr<const service::ClassificationService> service, HttpServerOptions options)
    : service_(std::move(service)), options_(std::move(options)), server_(std::make_unique<httplib::Server>()) {
  const int threads = options_.threads;
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  server_->set_read_timeout(options_.read_timeout_s, 0);
  server_->set_write_timeout(options_.read_timeout_s, 0);
  server_->set_keep_alive_timeout(options_.keep_alive_timeout_s);
  server_->set_keep_alive_max_count(1000);
  server_->set_payload_max_length(options_.max_body_bytes);
  RegisterRoutes();
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::RegisterRoutes() {
  auto& s = *server_;
  const std::uint64_t max_body = options_.max_body_bytes;

  // A declared body beyond the limit: a client that asks first (Expect:
  // 100-continue, as curl does for large uploads) is refused before it sends
  // a byte. Any other client is answered 413 after the library has discarded
  // (never stored) the body: closing with the body unread would reset the
  // connection and the client would never see the 413.
  auto oversize = [max_body](const httplib::Request& req) {
    return req.get_header_value<std::uint64_t>("Content-Length") > max_body;
  };
  s.set_expect_100_continue_handler([=](const httplib::Request& req, httplib::Response& res) {
    if (!oversize(req)) return 100;
    SendError(res, TooLarge("the request body is larger than " + std::to_string(max_body) + " bytes"));
    res.set_header("Connection", "close");
    return 413;
  });
  // Every error without a body of its own gets FastAPI's {"detail": ...}.
  s.set_error_handler(httplib::Server::HandlerWithResponse([max_body](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string detail = res.status == 413
                                   ? "the request body is larger than " + std::to_string(max_body) + " bytes"
                                   : ReasonPhrase(res.status);
    res.set_content(nlohmann::json{{"detail", detail}}.dump(), kJson);
    return httplib::Server::HandlerResponse::Handled;
  }));
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    SendError(res, Internal(what));
  });

  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    SendJson(res, 200, HealthJson(service_->model_loaded()));
  });

  s.Post("/infer",
         [this, max_body](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
           auto uploads = ReadUploads(req, reader, max_body);
           if (!uploads.ok()) {
             SendError(res, uploads.status());
             if (uploads.status().code() == StatusCode::kTooLarge) res.set_header("Connection", "close");
             return;
           }
           if (!service_->model_loaded()) return SendError(res, Unavailable("Model not loaded"));
           auto top_k = ParseTopK(req, *service_);
           if (!top_k.ok()) return SendError(res, top_k.status(), "top_k");

           if (uploads->size() == 1) {
             const Upload& u = uploads->front();
             auto result = service_->Classify({u.bytes, u.content_type}, *top_k);
             if (!result.ok()) return SendError(res, result.status());
             return SendJson(res, 200, ClassificationJson(*result));
           }
           // Several images: one entry per image, in order, each its own outcome.
           nlohmann::json results = nlohmann::json::array();
           for (const Upload& u : *uploads) {
             auto result = service_->Classify({u.bytes, u.content_type}, *top_k);
             nlohmann::json item = result.ok() ? ClassificationJson(*result) : ErrorBody(result.status());
             if (!result.ok()) item["status"] = HttpStatusFor(result.status().code());
             item["filename"] = u.filename;
             results.push_back(std::move(item));
           }
           SendJson(res, 200, {{"results", std::move(results)}});
         });

  const std::string openapi = OpenApiJson(options_.model_name).dump(2);
  s.Get("/openapi.json",
        [openapi](const httplib::Request&, httplib::Response& res) { res.set_content(openapi, kJson); });
  const std::string docs = DocsHtml(OpenApiJson(options_.model_name));
  s.Get("/docs",
        [docs](const httplib::Request&, httplib::Response& res) { res.set_content(docs, "text/html; charset=utf-8"); });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/docs"); });
}

Status HttpServer::Bind() {
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Unavailable("cannot bind " + options_.host + " (any port)");
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      return Unavailable("cannot bind " + options_.host + ":" + std::to_string(options_.port) +
                         " (HOST/PORT; in use?)");
    }
    port_ = options_.port;
  }
  return Status::Ok();
}

void HttpServer::Run() { server_->listen_after_bind(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
}

}  // namespace cp::http
