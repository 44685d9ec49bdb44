// model::SharedWeights: reads a model's external initializers out of a
// MemFile into buffers of its own, rewrites their location to the file, and
// refuses what is not an ONNX model or points outside the file.
#include "model/shared_weights.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <string>

#include "model/mem_file.h"

namespace cp {
namespace {

// A model with one float initializer [2,3] stored at `offset` in `data`, and
// one small embedded one.
std::string ModelWithExternal(std::size_t offset, std::size_t length) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  onnx::TensorProto* t = m.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(2);
  t->add_dims(3);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const std::string& k, const std::string& v) {
    auto* kv = t->add_external_data();
    kv->set_key(k);
    kv->set_value(v);
  };
  add("location", "7");
  add("offset", std::to_string(offset));
  add("length", std::to_string(length));
  onnx::TensorProto* small = m.mutable_graph()->add_initializer();
  small->set_name("b");
  small->set_data_type(onnx::TensorProto::FLOAT);
  small->add_dims(1);
  small->add_float_data(1.0f);
  return m.SerializeAsString();
}

model::MemFile FileWith(const std::string& bytes) {
  auto f = model::MemFile::Create("shared-weights-test");
  EXPECT_TRUE(f.ok());
  EXPECT_EQ(::pwrite(f->fd(), bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  return std::move(f).value();
}

TEST(SharedWeights, TakesTheExternalInitializersAndPointsTheModelAtTheFile) {
  const float w[6] = {1, 2, 3, 4, 5, 6};
  const std::string data = std::string(16, 'x') + std::string(reinterpret_cast<const char*>(w), sizeof w);
  const model::MemFile file = FileWith(data);
  std::string model = ModelWithExternal(16, sizeof w);
  auto shared = model::SharedWeights::FromModel(model, file);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->count(), 1u);  // the embedded one stays in the model
  EXPECT_EQ(shared->bytes(), sizeof w);
  onnx::ModelProto back;
  ASSERT_TRUE(back.ParseFromString(model));
  for (const auto& kv : back.graph().initializer(0).external_data()) {
    if (kv.key() == "location") {
      EXPECT_EQ(kv.value(), file.path());
    }
  }
  Ort::SessionOptions so;
  shared->AddTo(so);  // accepted by ORT
}

TEST(SharedWeights, RefusesWhatItCannotRead) {
  const model::MemFile file = FileWith(std::string(8, 'x'));
  std::string not_onnx = "not a model";
  EXPECT_EQ(model::SharedWeights::FromModel(not_onnx, file).status().code(), StatusCode::kInvalidArgument);
  std::string beyond = ModelWithExternal(0, 24);  // the file has 8 bytes
  EXPECT_EQ(model::SharedWeights::FromModel(beyond, file).status().code(), StatusCode::kInvalidArgument);
  std::string wrong_size = ModelWithExternal(0, 8);  // [2,3] floats are 24 bytes
  EXPECT_EQ(model::SharedWeights::FromModel(wrong_size, file).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cp
