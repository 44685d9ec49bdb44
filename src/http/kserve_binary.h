// The wire form of KServe v2 / Open Inference Protocol infer requests and
// responses: JSON, plus the binary tensor data extension (Triton's):
//   * a request body is L bytes of JSON (L = the Inference-Header-Content-Length
//     header; the whole body without it), then the raw data of the inputs
//     whose parameters carry "binary_data_size", in input order;
//   * raw FP32 data is little-endian IEEE floats; a raw BYTES tensor is, for
//     each element in row-major order, a 4-byte little-endian length and then
//     the element's bytes;
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

namespace cp::http::kserve {

struct InputTensor {
  std::string name;
  std::string datatype;  // as sent: "FP32", "BYTES", ...
  std::vector<std::int64_t> shape;
  // The binary extension's data, a view into the request body; nullopt when
  // the data came in JSON.
  std::optional<std::string_view> raw;
  nlohmann::json data;  // the JSON "data" (flat or nested arrays) when raw is nullopt
  // BYTES in JSON: elements are base64 text ("parameters": {"content_type":
  // "base64"}, as MLServer's codec) instead of the string's own UTF-8 bytes.
  bool base64 = false;
};

struct OutputRequest {
  std::string name;
  std::optional<bool> binary;      // parameters.binary_data; nullopt: the request's default
  std::size_t classification = 0;  // parameters.classification; 0: the tensor itself
};

struct InferRequest {
  std::optional<std::string> id;
  std::vector<InputTensor> inputs;
  std::vector<OutputRequest> outputs;       // empty: every output of the model
  bool binary_data_output = false;          // parameters.binary_data_output
  std::optional<std::uint64_t> timeout_us;  // parameters.timeout (Triton's, microseconds)
};

// body: the whole request body; the result's raw views point into it, so it
// must outlive them. header_length: the Inference-Header-Content-Length
// header's value, "" when absent.
Result<InferRequest> ParseInferRequest(std::string_view body, std::string_view header_length);

// Every element of an FP32 input, in row-major order.
Result<std::vector<float>> ReadFp32(const InputTensor& input);

// Every element of a BYTES input, in row-major order: from the raw form, or
// from JSON strings (their UTF-8 bytes as they are, or base64-decoded).
Result<std::vector<std::string>> ReadBytes(const InputTensor& input);

struct OutputTensor {
  std::string name;
  std::string datatype;  // "FP32" (fp32 holds the data) or "BYTES" (bytes does)
  std::vector<std::int64_t> shape;
  std::vector<float> fp32;
  std::vector<std::string> bytes;
  bool binary = false;  // send with the binary extension
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::optional<std::string> id;
  std::vector<OutputTensor> outputs;
};

struct EncodedResponse {
  std::string body;
  // Set when raw output data follows the JSON header: the header's length.
  std::optional<std::size_t> header_length;
};

EncodedResponse EncodeInferResponse(const InferResponse& response);

// "[-1,3,224,224]": for error messages.
std::string ShapeText(const std::vector<std::int64_t>& shape);

}  // namespace cp::http::kserve
