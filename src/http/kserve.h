// KServe v2 / Open Inference Protocol REST endpoints (what Triton's and
// KServe's clients speak), next to the service's own /infer:
//
//   GET  /v2                          server metadata (extensions: classification, binary_tensor_data)
//   GET  /v2/health/live              200 {"live": true} while the process serves
//   GET  /v2/health/ready             200 {"ready": true} when ready() and the model is loaded,
//                                     else 503 {"ready": false, "error": why}
//   GET  /v2/models/{name}            model metadata
//   GET  /v2/models/{name}/ready      as /v2/health/ready, with "name"
//   POST /v2/models/{name}/infer      inference
//   and /v2/models/{name}/versions/1/... for each model route (the only version is "1").
//
// Infer takes exactly one input, either
//   * the model's own input (metadata "inputs"[0]): FP32, shape [N,3,H,W] (or
//     [N,H,W,3] for an NHWC model), N >= 1, already preprocessed; or
//   * an input of ANY name with datatype BYTES, shape [N] or [N,1]: N encoded
//     images (JPEG, PNG, GIF, WebP, BMP, TIFF), decoded and preprocessed as
//     /infer does. Send them in the binary form (tritonclient's default) or, in
//     JSON, as strings taken as their UTF-8 bytes, or as base64 with
//     "parameters": {"content_type": "base64"}. At most kMaxImagesPerRequest.
// and answers the model's output, FP32 [N, classes] (raw logits), in JSON or
// binary ("binary_data" per output, "binary_data_output" per request), or with
// the classification extension ("classification": k) BYTES [N, k] elements
// "score:index:label", score being the raw output value formatted as "%f"
// (as Triton does). The batch is run through the engine in chunks of at most
// ModelInfo::max_batch images when the model limits its batch, and encoded
// images in chunks of the service's chunk_size() (its places for the model),
// so a 256-image request never holds more than one chunk of tensors.
//
// Load: as /infer, a request is shed (503 + Retry-After, counted as shed)
// when the engine is saturated: before its body is read (the body is
// discarded, so a kept-alive connection stays usable; an unknown model or
// version is refused there too) and again before any decoding. Its deadline
// is request_timeout_ms, lowered by the X-Request-Timeout-Ms header and by
// Triton's "timeout" request parameter (microseconds); past it, 504. The
// transport reserves the body's bytes from the body budget before reading it,
// as for /infer (a request waits there for room; its deadline bounds the wait).
//
// Errors: {"error": "..."} with the status of HttpStatusFor(); unknown model
// or version 404; malformed request 400; body beyond MAX_BODY_BYTES 413 (the transport's);
// model not loaded 503. What the router and the transport answer for a /v2
// path (no such endpoint 404, another method 405, a body beyond the limit 413,
// an escaped exception 500) is {"error": "..."} too (ErrorResponseForPath).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/router.h"
#include "metrics/metrics.h"
#include "service/classification_service.h"
#include "service/service_slot.h"

namespace cp::http {

using service::kMaxImagesPerRequest;

struct KServeContext {
  std::shared_ptr<const service::ServiceSlot> slot;  // each request takes its service once
  std::string model_name;                            // the model's name in URLs
  std::function<bool()> ready;                // readiness (false while warming up or draining); empty: always ready
  int request_timeout_ms = 0;                 // REQUEST_TIMEOUT_MS; 0 = none
  std::shared_ptr<metrics::Metrics> metrics;  // may be null
};

void RegisterKServeRoutes(Router& router, KServeContext ctx);

}  // namespace cp::http
