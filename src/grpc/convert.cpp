#include "grpc/convert.h"

#include <algorithm>
#include <string>
#include <utility>

namespace cp::grpc_server {

namespace {

using ParameterMap = google::protobuf::Map<std::string, inference::InferParameter>;

constexpr std::int64_t kMaxDimension = std::int64_t{1} << 31;

// A non-negative integer parameter; nullopt when absent.
Result<std::optional<std::uint64_t>> OptionalCount(const ParameterMap& params, const std::string& key,
                                                   const std::string& where) {
  const auto it = params.find(key);
  if (it == params.end()) return std::optional<std::uint64_t>{};
  const inference::InferParameter& p = it->second;
  if (p.parameter_choice_case() == inference::InferParameter::kUint64Param) {
    return std::optional<std::uint64_t>(p.uint64_param());
  }
  if (p.parameter_choice_case() == inference::InferParameter::kInt64Param && p.int64_param() >= 0) {
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(p.int64_param()));
  }
  return InvalidArgument(where + ": parameter " + key + " must be a non-negative integer");
}

Status RefuseSharedMemory(const ParameterMap& params, const std::string& where) {
  if (params.contains("shared_memory_region")) return InvalidArgument(where + ": shared memory is not supported");
  return Status::Ok();
}

Result<kserve::InputTensor> FromInput(const inference::ModelInferRequest::InferInputTensor& proto,
                                      const std::string* raw) {
  kserve::InputTensor in;
  in.name = proto.name();
  in.datatype = proto.datatype();
  const std::string where = "input " + kserve::Quoted(in.name);
  for (const std::int64_t d : proto.shape()) {
    if (d < 0 || d > kMaxDimension) return InvalidArgument(where + ": shape must be non-negative integers");
    in.shape.push_back(d);
  }
  if (Status s = RefuseSharedMemory(proto.parameters(), where); !s.ok()) return s;
  const inference::InferTensorContents& contents = proto.contents();
  const bool has_fp32 = contents.fp32_contents_size() > 0;
  const bool has_bytes = contents.bytes_contents_size() > 0;
  if (raw != nullptr) {
    if (has_fp32 || has_bytes) return InvalidArgument(where + ": has both contents and raw_input_contents");
    in.raw = std::string_view(*raw);
    return in;
  }
  if (has_fp32 && has_bytes) return InvalidArgument(where + ": has both fp32_contents and bytes_contents");
  if (has_bytes || (!has_fp32 && in.datatype == "BYTES")) {
    in.bytes.emplace();
    for (const std::string& e : contents.bytes_contents()) in.bytes->emplace_back(e);
  } else {
    in.fp32 = std::span<const float>(contents.fp32_contents().data(),
                                     static_cast<std::size_t>(contents.fp32_contents_size()));
  }
  return in;
}

}  // namespace

Result<kserve::InferRequest> FromProto(const inference::ModelInferRequest& proto) {
  kserve::InferRequest req;
  if (!proto.id().empty()) req.id = proto.id();
  if (Status s = RefuseSharedMemory(proto.parameters(), "the request"); !s.ok()) return s;
  auto timeout = OptionalCount(proto.parameters(), "timeout", "the request");
  if (!timeout.ok()) return timeout.status();
  req.timeout_us = *timeout;
  const int raw_count = proto.raw_input_contents_size();
  if (raw_count != 0 && raw_count != proto.inputs_size()) {
    return InvalidArgument("raw_input_contents has " + std::to_string(raw_count) + " entries for " +
                           std::to_string(proto.inputs_size()) + " inputs: give every input's data there or none");
  }
  for (int i = 0; i < proto.inputs_size(); ++i) {
    auto in = FromInput(proto.inputs(i), raw_count != 0 ? &proto.raw_input_contents(i) : nullptr);
    if (!in.ok()) return in.status();
    req.inputs.push_back(std::move(*in));
  }
  for (const auto& o : proto.outputs()) {
    kserve::OutputRequest out;
    out.name = o.name();
    const std::string where = "output " + kserve::Quoted(out.name);
    if (Status s = RefuseSharedMemory(o.parameters(), where); !s.ok()) return s;
    auto k = OptionalCount(o.parameters(), "classification", where);
    if (!k.ok()) return k.status();
    out.classification = static_cast<std::size_t>(std::min<std::uint64_t>(k->value_or(0), 1u << 30));
    req.outputs.push_back(std::move(out));
  }
  return req;
}

void ToProto(kserve::InferResponse response, inference::ModelInferResponse& proto) {
  proto.set_model_name(std::move(response.model_name));
  proto.set_model_version(std::move(response.model_version));
  if (response.id) proto.set_id(std::move(*response.id));
  for (const kserve::OutputTensor& t : response.outputs) {
    auto* o = proto.add_outputs();
    o->set_name(t.name);
    o->set_datatype(t.datatype);
    for (const std::int64_t d : t.shape) o->add_shape(d);
    kserve::AppendRaw(t, *proto.add_raw_output_contents());
  }
}

void ToProto(const kserve::ModelMetadata& metadata, inference::ModelMetadataResponse& proto) {
  proto.set_name(metadata.name);
  for (const std::string& v : metadata.versions) proto.add_versions(v);
  proto.set_platform(metadata.platform);
  auto add = [](const kserve::TensorMetadata& t, inference::ModelMetadataResponse::TensorMetadata* out) {
    out->set_name(t.name);
    out->set_datatype(t.datatype);
    for (const std::int64_t d : t.shape) out->add_shape(d);
  };
  for (const auto& t : metadata.inputs) add(t, proto.add_inputs());
  for (const auto& t : metadata.outputs) add(t, proto.add_outputs());
}

void ToProto(const kserve::ServerMetadata& metadata, inference::ServerMetadataResponse& proto) {
  proto.set_name(metadata.name);
  proto.set_version(metadata.version);
  for (const std::string& e : metadata.extensions) proto.add_extensions(e);
}

}  // namespace cp::grpc_server
