#include "http/kserve_binary.h"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace cp::http::kserve {

static_assert(std::endian::native == std::endian::little, "raw tensor data is little-endian; add byte swapping");

namespace {

using nlohmann::json;

constexpr int kMaxNesting = 64;  // of JSON "data" arrays
constexpr std::int64_t kMaxDimension = std::int64_t{1} << 31;

std::string Quoted(std::string_view s) {
  std::string out(1, '\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

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

// A non-negative integer member of `obj`; nullopt when absent.
Result<std::optional<std::uint64_t>> OptionalCount(const json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end()) return std::optional<std::uint64_t>{};
  if (it->is_number_unsigned()) return std::optional<std::uint64_t>(it->get<std::uint64_t>());
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
    if (!d.is_number_unsigned() || d.get<std::uint64_t>() > static_cast<std::uint64_t>(kMaxDimension)) {
      return InvalidArgument(where + ": shape must be an array of non-negative integers");
    }
    shape.push_back(d.get<std::int64_t>());
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

// Appends the numbers of a flat or nested array to `out`.
Status FlattenNumbers(const json& j, std::vector<float>& out, int depth) {
  if (j.is_number()) {
    const double v = j.get<double>();
    if (!(std::fabs(v) <= std::numeric_limits<float>::max())) return InvalidArgument("a value is out of FP32 range");
    out.push_back(static_cast<float>(v));
    return Status::Ok();
  }
  if (!j.is_array() || depth > kMaxNesting) return InvalidArgument("data must be an array of numbers");
  for (const json& e : j) {
    if (Status s = FlattenNumbers(e, out, depth + 1); !s.ok()) return s;
  }
  return Status::Ok();
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    const int v = Base64Value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing character
  return out;
}

Status FlattenStrings(const json& j, bool base64, std::vector<std::string>& out, int depth) {
  if (j.is_string()) {
    if (!base64) {
      out.push_back(j.get<std::string>());
      return Status::Ok();
    }
    auto decoded = Base64Decode(j.get_ref<const std::string&>());
    if (!decoded) return InvalidArgument("element " + std::to_string(out.size()) + " is not valid base64");
    out.push_back(std::move(*decoded));
    return Status::Ok();
  }
  if (!j.is_array() || depth > kMaxNesting) return InvalidArgument("data must be an array of strings");
  for (const json& e : j) {
    if (Status s = FlattenStrings(e, base64, out, depth + 1); !s.ok()) return s;
  }
  return Status::Ok();
}

std::uint32_t ReadLength(const char* p) {
  std::array<unsigned char, 4> b;
  std::memcpy(b.data(), p, 4);
  return static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
         static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24;
}

void AppendBytesElement(std::string& out, std::string_view element) {
  const auto n = static_cast<std::uint32_t>(element.size());
  const std::array<char, 4> len = {static_cast<char>(n & 0xFF), static_cast<char>((n >> 8) & 0xFF),
                                   static_cast<char>((n >> 16) & 0xFF), static_cast<char>((n >> 24) & 0xFF)};
  out.append(len.data(), len.size());
  out.append(element);
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

Result<std::vector<float>> ReadFp32(const InputTensor& input) {
  std::vector<float> values;
  if (input.raw) {
    if (input.raw->size() % sizeof(float) != 0) {
      return InvalidArgument("input " + Quoted(input.name) + ": binary_data_size " + std::to_string(input.raw->size()) +
                             " is not a multiple of 4 (FP32)");
    }
    values.resize(input.raw->size() / sizeof(float));
    std::memcpy(values.data(), input.raw->data(), input.raw->size());
    return values;
  }
  if (Status s = FlattenNumbers(input.data, values, 0); !s.ok()) {
    return InvalidArgument("input " + Quoted(input.name) + ": " + s.message());
  }
  return values;
}

Result<std::vector<std::string>> ReadBytes(const InputTensor& input) {
  std::vector<std::string> elements;
  if (!input.raw) {
    if (Status s = FlattenStrings(input.data, input.base64, elements, 0); !s.ok()) {
      return InvalidArgument("input " + Quoted(input.name) + ": " + s.message());
    }
    return elements;
  }
  std::string_view rest = *input.raw;
  while (!rest.empty()) {
    const std::uint32_t n = rest.size() >= 4 ? ReadLength(rest.data()) : 0;
    if (rest.size() < 4 || n > rest.size() - 4) {
      return InvalidArgument("input " + Quoted(input.name) + ": element " + std::to_string(elements.size()) +
                             " is truncated (BYTES raw data is a 4-byte little-endian length, then the bytes)");
    }
    elements.emplace_back(rest.substr(4, n));
    rest.remove_prefix(4 + n);
  }
  return elements;
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
      if (is_bytes) {
        for (const std::string& e : t.bytes) AppendBytesElement(binary, e);
      } else {
        binary.append(reinterpret_cast<const char*>(t.fp32.data()), t.fp32.size() * sizeof(float));
      }
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

std::string ShapeText(const std::vector<std::int64_t>& shape) {
  std::string s(1, '[');
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s.push_back(',');
    s.append(std::to_string(shape[i]));
  }
  s.push_back(']');
  return s;
}

}  // namespace cp::http::kserve
