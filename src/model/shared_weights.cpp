#include "model/shared_weights.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstdlib>
#include <exception>
#include <optional>

namespace cp::model {

namespace {

struct External {
  std::size_t offset = 0;
  std::optional<std::size_t> length;
};

Result<External> ExternalOf(const onnx::TensorProto& t) {
  External e;
  try {
    for (const auto& kv : t.external_data()) {
      if (kv.key() == "offset") e.offset = std::stoull(kv.value());
      if (kv.key() == "length") e.length = std::stoull(kv.value());
    }
  } catch (const std::exception&) {
    return InvalidArgument("initializer '" + t.name() + "': bad external data offset or length");
  }
  return e;
}

}  // namespace

void SharedWeights::Free::operator()(void* p) const { std::free(p); }

Result<SharedWeights> SharedWeights::FromModel(std::string& model_bytes, const MemFile& data) {
  if (model_bytes.size() > static_cast<std::size_t>(INT_MAX)) return InvalidArgument("the model is larger than 2 GB");
  onnx::ModelProto model;
  if (!model.ParseFromArray(model_bytes.data(), static_cast<int>(model_bytes.size())) || !model.has_graph()) {
    return InvalidArgument("not an ONNX model");
  }
  const Ort::MemoryInfo cpu = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
  SharedWeights out;
  for (onnx::TensorProto& t : *model.mutable_graph()->mutable_initializer()) {
    if (t.data_location() != onnx::TensorProto::EXTERNAL) continue;
    auto ext = ExternalOf(t);
    if (!ext.ok()) return ext.status();
    if (t.data_type() == onnx::TensorProto::STRING || t.data_type() == onnx::TensorProto::UNDEFINED || !ext->length) {
      return InvalidArgument("initializer '" + t.name() + "': external data of no fixed size");
    }
    const std::size_t size = *ext->length;
    Tensor tensor;
    tensor.name = t.name();
    tensor.data.reset(std::aligned_alloc(64, (size + 63) / 64 * 64));
    if (!tensor.data) return Internal("out of memory for the model's weights");
    if (Status s = data.ReadAt(ext->offset, size, static_cast<char*>(tensor.data.get())); !s.ok()) {
      return InvalidArgument("initializer '" + t.name() + "': " + s.message());
    }
    const std::vector<int64_t> shape(t.dims().begin(), t.dims().end());
    // TensorProto's data types and ORT's element types are the same numbers;
    // CreateTensor checks the byte count against shape and type.
    try {
      tensor.value = Ort::Value::CreateTensor(cpu, tensor.data.get(), size, shape.data(), shape.size(),
                                              static_cast<ONNXTensorElementDataType>(t.data_type()));
    } catch (const Ort::Exception& e) {
      return InvalidArgument("initializer '" + t.name() + "': " + e.what());
    }
    for (auto& kv : *t.mutable_external_data()) {
      if (kv.key() == "location") kv.set_value(data.path());
    }
    out.bytes_ += size;
    out.tensors_.push_back(std::move(tensor));
  }
  if (!model.SerializeToString(&model_bytes)) return Internal("the optimized model could not be written back");
  return out;
}

void SharedWeights::AddTo(Ort::SessionOptions& options) const {
  for (const Tensor& t : tensors_) options.AddInitializer(t.name.c_str(), t.value);
}

}  // namespace cp::model
