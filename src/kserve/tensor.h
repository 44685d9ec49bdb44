// The KServe v2 / Open Inference Protocol data model, shared by its REST
// (src/http/kserve*.cpp) and gRPC (src/grpc) transports: an infer request's
// input tensors and requested outputs, the response's output tensors, and
// reading an input's elements from whichever form its transport carried:
//   * raw: little-endian bytes (REST's binary tensor data extension, gRPC's
//     raw_input_contents). FP32 is IEEE floats; BYTES is, for each element in
//     row-major order, a 4-byte little-endian length and then its bytes;
//   * typed: gRPC's InferTensorContents (fp32_contents, bytes_contents);
//   * JSON: REST's "data" (flat or nested arrays; BYTES as strings, their
//     UTF-8 bytes or base64).
// Pure functions of bytes: nothing here knows a transport or the model. Every
// error is kInvalidArgument, and no function throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace cp::kserve {

struct InputTensor {
  std::string name;
  std::string datatype;  // as sent: "FP32", "BYTES", ...
  std::vector<std::int64_t> shape;
  // The data is in exactly one of raw, fp32, bytes and data (checked in that
  // order). The views point into the transport's request, which must outlive them.
  std::optional<std::string_view> raw;                 // the raw form
  std::optional<std::span<const float>> fp32;          // gRPC fp32_contents
  std::optional<std::vector<std::string_view>> bytes;  // gRPC bytes_contents
  nlohmann::json data;  // REST's JSON "data" (flat or nested arrays) when none of the above
  // BYTES in JSON: elements are base64 text ("parameters": {"content_type":
  // "base64"}, as MLServer's codec) instead of the string's own UTF-8 bytes.
  bool base64 = false;
};

struct OutputRequest {
  std::string name;
  std::optional<bool> binary;      // REST parameters.binary_data; nullopt: the request's default
  std::size_t classification = 0;  // parameters.classification; 0: the tensor itself
};

struct InferRequest {
  std::optional<std::string> id;
  std::vector<InputTensor> inputs;
  std::vector<OutputRequest> outputs;       // empty: every output of the model
  bool binary_data_output = false;          // REST parameters.binary_data_output
  std::optional<std::uint64_t> timeout_us;  // parameters.timeout (Triton's, microseconds)
};

// Every element of an FP32 input, in row-major order.
Result<std::vector<float>> ReadFp32(const InputTensor& input);

// Every element of a BYTES input, in row-major order: from the raw form, the
// typed contents, or JSON strings (their UTF-8 bytes as they are, or
// base64-decoded).
Result<std::vector<std::string>> ReadBytes(const InputTensor& input);

struct OutputTensor {
  std::string name;
  std::string datatype;  // "FP32" (fp32 holds the data) or "BYTES" (bytes does)
  std::vector<std::int64_t> shape;
  std::vector<float> fp32;
  std::vector<std::string> bytes;
  bool binary = false;  // REST: send with the binary extension
};

struct InferResponse {
  std::string model_name;
  std::string model_version;
  std::optional<std::string> id;
  std::vector<OutputTensor> outputs;
};

// Appends the output's data in the raw form (as above) to `out`.
void AppendRaw(const OutputTensor& tensor, std::string& out);

// "[-1,3,224,224]": for error messages.
std::string ShapeText(const std::vector<std::int64_t>& shape);

// "'name'": for error messages.
std::string Quoted(std::string_view s);

}  // namespace cp::kserve
