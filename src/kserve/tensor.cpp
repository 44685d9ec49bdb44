#include "kserve/tensor.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace cp::kserve {

static_assert(std::endian::native == std::endian::little, "raw tensor data is little-endian; add byte swapping");

namespace {

using nlohmann::json;

constexpr int kMaxNesting = 64;  // of JSON "data" arrays

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

std::string Quoted(std::string_view s) {
  std::string out(1, '\'');
  out.append(s);
  out.push_back('\'');
  return out;
}

Result<std::vector<float>> ReadFp32(const InputTensor& input) {
  std::vector<float> values;
  if (input.raw) {
    if (input.raw->size() % sizeof(float) != 0) {
      return InvalidArgument("input " + Quoted(input.name) + ": raw data of " + std::to_string(input.raw->size()) +
                             " bytes is not a multiple of 4 (FP32)");
    }
    values.resize(input.raw->size() / sizeof(float));
    std::memcpy(values.data(), input.raw->data(), input.raw->size());
    return values;
  }
  if (input.fp32) return std::vector<float>(input.fp32->begin(), input.fp32->end());
  if (input.bytes) return InvalidArgument("input " + Quoted(input.name) + ": FP32 data sent as bytes_contents");
  if (Status s = FlattenNumbers(input.data, values, 0); !s.ok()) {
    return InvalidArgument("input " + Quoted(input.name) + ": " + s.message());
  }
  return values;
}

Result<std::vector<std::string>> ReadBytes(const InputTensor& input) {
  std::vector<std::string> elements;
  if (input.bytes) return std::vector<std::string>(input.bytes->begin(), input.bytes->end());
  if (input.fp32) return InvalidArgument("input " + Quoted(input.name) + ": BYTES data sent as fp32_contents");
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

void AppendRaw(const OutputTensor& tensor, std::string& out) {
  if (tensor.datatype == "BYTES") {
    for (const std::string& e : tensor.bytes) AppendBytesElement(out, e);
  } else {
    out.append(reinterpret_cast<const char*>(tensor.fp32.data()), tensor.fp32.size() * sizeof(float));
  }
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

}  // namespace cp::kserve
