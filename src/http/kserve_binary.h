// The wire form of KServe v2 / Open Inference Protocol infer requests and
// responses: JSON, plus the binary tensor data extension (Triton's):
//   * a request body is L bytes of JSON (L = the Inference-Header-Content-Length
//     header; the whole body without it), then the raw data of the inputs
//     whose parameters carry "binary_data_size", in input order;
//   * raw data is kserve::InputTensor's raw form (src/kserve/tensor.h);
//   * a response with outputs asked for as binary is its JSON header followed
//     by their raw data, the header's length in Inference-Header-Content-Length.
// Pure functions of bytes: nothing here knows HTTP or the model. Every error is
// kInvalidArgument, and no function throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kserve/tensor.h"

namespace cp::http::kserve {

// The data model lives in src/kserve (shared with the gRPC transport).
using ::cp::kserve::InferRequest;
using ::cp::kserve::InferResponse;
using ::cp::kserve::InputTensor;
using ::cp::kserve::OutputRequest;
using ::cp::kserve::OutputTensor;
using ::cp::kserve::ReadBytes;
using ::cp::kserve::ReadFp32;
using ::cp::kserve::ShapeText;

// body: the whole request body; the result's raw views point into it, so it
// must outlive them. header_length: the Inference-Header-Content-Length
// header's value, "" when absent.
Result<InferRequest> ParseInferRequest(std::string_view body, std::string_view header_length);

struct EncodedResponse {
  std::string body;
  // Set when raw output data follows the JSON header: the header's length.
  std::optional<std::size_t> header_length;
};

EncodedResponse EncodeInferResponse(const InferResponse& response);

}  // namespace cp::http::kserve
