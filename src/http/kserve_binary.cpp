#include "http/kserve_binary.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace cp::http::kserve {

namespace {

using ::cp::kserve::Quoted;
using nlohmann::json;

constexpr std::int64_t kMaxDimension = std::int64_t{1} << 31;

Result<std::size_t> ParseHeaderLength(std::string_view text, std::size_t body_size) {
  if (text.empty()) return body_size;
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || p != text.data() + text.size()) {
    return InvalidArgument("Inference-Header-Content-Length must be an integer, got " + Quoted(text));
  }
  if (n > body_size) {
    return InvalidArgument("Inference-Header-Content-Length " + std::string(text) + " is larger than the body (" +
                           std::to_string(body_size) + " bytes)");
  }
  return static_cast<std::size_t>(n);
}

// A JSON number that is a non-negative integer at most `max`: 34 and 34.0
// alike (JSON Schema's integer is a value, not a spelling; JSON encoders in
// some languages write whole floats); 2.5, -1 and larger values are not.
std::optional<std::uint64_t> NonNegativeInteger(const json& v, std::uint64_t max) {
  if (v.is_number_unsigned()) {
    const auto n = v.get<std::uint64_t>();
    return n <= max ? std::optional(n) : std::nullopt;
  }
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isfinite(d) && d >= 0 && std::trunc(d) == d && d < 18446744073709551616.0 /* 2^64 */ &&
        static_cast<std::uint64_t>(d) <= max) {
      return static_cast<std::uint64_t>(d);
    }
  }
  return std::nullopt;
}

// A non-negative integer member of `obj`; nullopt when absent.
Result<std::optional<std::uint64_t>> OptionalCount(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end()) return std::optional<std::uint64_t>{};
  if (auto n = NonNegativeInteger(*it, std::numeric_limits<std::uint64_t>::max()))
    return std::optional<std::uint64_t>(*n);
  return InvalidArgument(where + ": " + key + " must be a non-negative integer");
}

Result<std::optional<bool>> OptionalBool(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end()) return std::optional<bool>{};
  if (it->is_boolean()) return std::optional<bool>(it->get<bool>());
  return InvalidArgument(where + ": " + key + " must be true or false");
}

// The "parameters" object of `obj` (an empty object when absent).
Result<json> Parameters(const json& obj, const std::string& where) {
  const auto it = obj.find("parameters");
  if (it == obj.end()) return json::object();
  if (!it->is_object()) return InvalidArgument(where + ": parameters must be an object");
  if (it->contains("shared_memory_region")) return InvalidArgument(where + ": shared memory is not supported");
  return *it;
}

Result<std::vector<std::int64_t>> ParseShape(const json& j, const std::string& where) {
  if (!j.is_array()) return InvalidArgument(where + ": shape must be an array of integers");
  std::vector<std::int64_t> shape;
  for (const json& d : j) {
    const auto n = NonNegativeInteger(d, static_cast<std::uint64_t>(kMaxDimension));
    if (!n) return InvalidArgument(where + ": shape must be an array of non-negative integers");
    shape.push_back(static_cast<std::int64_t>(*n));
  }
  return shape;
}

// Takes the input's raw data off the front of `binary`.
Result<InputTensor> ParseInput(const json& j, std::size_t index, std::string_view& binary) {
  const std::string where = "input " + std::to_string(index);
  if (!j.is_object()) return InvalidArgument(where + " must be an object");
  InputTensor in;
  const auto name = j.find("name");
  const auto datatype = j.find("datatype");
  if (name == j.end() || !name->is_string()) return InvalidArgument(where + ": name must be a string");
  in.name = name->get<std::string>();
  const std::string named = "input " + Quoted(in.name);
  if (datatype == j.end() || !datatype->is_string()) return InvalidArgument(named + ": datatype must be a string");
  in.datatype = datatype->get<std::string>();
  const auto shape_json = j.find("shape");
  if (shape_json == j.end()) return InvalidArgument(named + ": shape is missing");
  auto shape = ParseShape(*shape_json, named);
  if (!shape.ok()) return shape.status();
  in.shape = std::move(*shape);

  auto params = Parameters(j, named);
  if (!params.ok()) return params.status();
  if (const auto ct = params->find("content_type"); ct != params->end()) {
    in.base64 = ct->is_string() && ct->get<std::string>() == "base64";
  }
  auto size = OptionalCount(*params, "binary_data_size", named);
  if (!size.ok()) return size.status();
  if (size->has_value()) {
    if (j.contains("data")) return InvalidArgument(named + ": has both data and binary_data_size");
    if (**size > binary.size()) {
      return InvalidArgument(named + ": binary_data_size " + std::to_string(**size) + " but only " +
                             std::to_string(binary.size()) + " bytes of binary data are left");
    }
    in.raw = binary.substr(0, static_cast<std::size_t>(**size));
    binary.remove_prefix(static_cast<std::size_t>(**size));
    return in;
  }
  const auto data = j.find("data");
  if (data == j.end()) return InvalidArgument(named + ": no data (neither data nor parameters.binary_data_size)");
  in.data = *data;
  return in;
}

Result<OutputRequest> ParseOutput(const json& j, std::size_t index) {
  const std::string where = "output " + std::to_string(index);
  if (!j.is_object()) return InvalidArgument(where + " must be an object");
  const auto name = j.find("name");
  if (name == j.end() || !name->is_string()) return InvalidArgument(where + ": name must be a string");
  OutputRequest out;
  out.name = name->get<std::string>();
  const std::string named = "output " + Quoted(out.name);
  auto params = Parameters(j, named);
  if (!params.ok()) return params.status();
  auto binary = OptionalBool(*params, "binary_data", named);
  if (!binary.ok()) return binary.status();
  out.binary = *binary;
  auto k = OptionalCount(*params, "classification", named);
  if (!k.ok()) return k.status();
  out.classification = static_cast<std::size_t>(std::min<std::uint64_t>(k->value_or(0), 1u << 30));
  return out;
}

}  // namespace

Result<InferRequest> ParseInferRequest(std::string_view body, std::string_view header_length) {
  auto json_size = ParseHeaderLength(header_length, body.size());
  if (!json_size.ok()) return json_size.status();
  const std::string_view text = body.substr(0, *json_size);
  std::string_view binary = body.substr(*json_size);

  const json doc = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("the request is not valid JSON");
  if (!doc.is_object()) return InvalidArgument("the request must be a JSON object");

  InferRequest req;
  if (const auto id = doc.find("id"); id != doc.end()) {
    if (!id->is_string()) return InvalidArgument("id must be a string");
    req.id = id->get<std::string>();
  }
  auto params = Parameters(doc, "the request");
  if (!params.ok()) return params.status();
  auto binary_output = OptionalBool(*params, "binary_data_output", "the request");
  if (!binary_output.ok()) return binary_output.status();
  req.binary_data_output = binary_output->value_or(false);
  auto timeout = OptionalCount(*params, "timeout", "the request");
  if (!timeout.ok()) return timeout.status();
  req.timeout_us = *timeout;

  const auto inputs = doc.find("inputs");
  if (inputs == doc.end() || !inputs->is_array()) return InvalidArgument("inputs must be an array");
  for (std::size_t i = 0; i < inputs->size(); ++i) {
    auto in = ParseInput((*inputs)[i], i, binary);
    if (!in.ok()) return in.status();
    req.inputs.push_back(std::move(*in));
  }
  if (!binary.empty()) {
    return InvalidArgument(std::to_string(binary.size()) +
                           " bytes of binary data follow the inputs' binary_data_size total");
  }
  if (const auto outputs = doc.find("outputs"); outputs != doc.end()) {
    if (!outputs->is_array()) return InvalidArgument("outputs must be an array");
    for (std::size_t i = 0; i < outputs->size(); ++i) {
      auto out = ParseOutput((*outputs)[i], i);
      if (!out.ok()) return out.status();
      req.outputs.push_back(std::move(*out));
    }
  }
  return req;
}

EncodedResponse EncodeInferResponse(const InferResponse& response) {
  json header = {{"model_name", response.model_name}, {"model_version", response.model_version}};
  if (response.id) header["id"] = *response.id;
  json outputs = json::array();
  std::string binary;
  bool any_binary = false;
  for (const OutputTensor& t : response.outputs) {
    json o = {{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}};
    const bool is_bytes = t.datatype == "BYTES";
    if (t.binary) {
      any_binary = true;
      const std::size_t before = binary.size();
      ::cp::kserve::AppendRaw(t, binary);
      o["parameters"] = {{"binary_data_size", binary.size() - before}};
    } else if (is_bytes) {
      o["data"] = t.bytes;
    } else {
      o["data"] = t.fp32;
    }
    outputs.push_back(std::move(o));
  }
  header["outputs"] = std::move(outputs);
  EncodedResponse encoded;
  // Invalid UTF-8 (e.g. in a label) is replaced rather than thrown on.
  encoded.body = header.dump(-1, ' ', false, json::error_handler_t::replace);
  if (any_binary) {
    encoded.header_length = encoded.body.size();
    encoded.body += binary;
  }
  return encoded;
}

}  // namespace cp::http::kserve
