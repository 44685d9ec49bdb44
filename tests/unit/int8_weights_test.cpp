#include "model/int8_weights.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdint>

namespace cp::model {
namespace {

using onnx::TensorProto;

TensorProto Int8Tensor(const std::string& name, std::vector<int> values, std::vector<std::int64_t> dims,
                       bool raw = true, int type = TensorProto::INT8) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(type);
  for (auto d : dims) t.add_dims(d);
  if (raw) {
    std::string bytes;
    for (int v : values) bytes.push_back(static_cast<char>(v));
    t.set_raw_data(bytes);
  } else {
    for (int v : values) t.add_int32_data(v);
  }
  return t;
}

TensorProto FloatScalar(const std::string& name, float v) {
  TensorProto t;
  t.set_name(name);
  t.set_data_type(TensorProto::FLOAT);
  t.add_float_data(v);
  return t;
}

void AddNode(onnx::GraphProto& g, const std::string& op, std::vector<std::string> inputs, const std::string& output) {
  auto* n = g.add_node();
  n->set_op_type(op);
  for (auto& i : inputs) n->add_input(i);
  n->add_output(output);
}

// x (u8 activation zero point) -> QLinearConv with s8 weights w, zero point wz.
onnx::ModelProto ConvModel(int activation_zp_type, std::vector<int> weights) {
  onnx::ModelProto m;
  auto& g = *m.mutable_graph();
  *g.add_initializer() = FloatScalar("xs", 0.1f);
  *g.add_initializer() = Int8Tensor("xz", {0}, {}, true, activation_zp_type);
  *g.add_initializer() = Int8Tensor("w", weights, {static_cast<std::int64_t>(weights.size()), 1, 1, 1});
  *g.add_initializer() = FloatScalar("ws", 0.2f);
  *g.add_initializer() =
      Int8Tensor("wz", std::vector<int>(weights.size(), 0), {static_cast<std::int64_t>(weights.size())},
                 /*raw=*/false);
  *g.add_initializer() = FloatScalar("ys", 0.3f);
  *g.add_initializer() = Int8Tensor("yz", {0}, {}, true, activation_zp_type);
  AddNode(g, "QLinearConv", {"x", "xs", "xz", "w", "ws", "wz", "ys", "yz"}, "y");
  return m;
}

std::string Bytes(const onnx::ModelProto& m) {
  std::string s;
  m.SerializeToString(&s);
  return s;
}

onnx::ModelProto Parse(const std::string& bytes) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(bytes));
  return m;
}

const TensorProto* Find(const onnx::GraphProto& g, const std::string& name) {
  for (const auto& t : g.initializer()) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

std::vector<int> U8Values(const TensorProto& t) {
  std::vector<int> v;
  for (char c : t.raw_data()) v.push_back(static_cast<std::uint8_t>(c));
  return v;
}

TEST(Int8Weights, ShiftsConvWeightsAndZeroPointsByExactly128) {
  auto shifted = ShiftS8WeightsToU8(Bytes(ConvModel(TensorProto::UINT8, {-127, -1, 0, 100})));
  ASSERT_TRUE(shifted.ok()) << shifted.status().ToString();
  EXPECT_EQ(shifted->shifted, 1u);
  EXPECT_EQ(shifted->max_abs_weight, 127);
  const auto m = Parse(shifted->bytes);
  const auto& node = m.graph().node(0);
  const TensorProto* w = Find(m.graph(), node.input(3));
  const TensorProto* wz = Find(m.graph(), node.input(5));
  ASSERT_NE(w, nullptr);
  ASSERT_NE(wz, nullptr);
  EXPECT_EQ(w->data_type(), TensorProto::UINT8);
  EXPECT_EQ(w->dims_size(), 4);
  EXPECT_EQ(U8Values(*w), (std::vector<int>{1, 127, 128, 228}));
  EXPECT_EQ(wz->data_type(), TensorProto::UINT8);
  EXPECT_EQ(U8Values(*wz), (std::vector<int>{128, 128, 128, 128}));  // from int32_data
  // The s8 originals are gone; the activation's zero point is untouched.
  EXPECT_EQ(Find(m.graph(), "w"), nullptr);
  EXPECT_EQ(Find(m.graph(), "wz"), nullptr);
  EXPECT_EQ(node.input(2), "xz");
}

TEST(Int8Weights, LeavesConvWithS8ActivationsAlone) {
  // ONNX Runtime has no s8 x u8 QLinearConv: shifting would not load.
  const std::string bytes = Bytes(ConvModel(TensorProto::INT8, {-127, 127}));
  auto shifted = ShiftS8WeightsToU8(bytes);
  ASSERT_TRUE(shifted.ok());
  EXPECT_EQ(shifted->shifted, 0u);
  EXPECT_EQ(shifted->left_alone, 1u);
  EXPECT_EQ(shifted->bytes, bytes);
}

TEST(Int8Weights, DequantizeLinearOfAConstantGetsAZeroPointWhenItHadNone) {
  onnx::ModelProto m;
  auto& g = *m.mutable_graph();
  *g.add_initializer() = Int8Tensor("w", {-5, 7}, {2});
  *g.add_initializer() = FloatScalar("s", 0.5f);
  AddNode(g, "DequantizeLinear", {"w", "s"}, "wf");
  auto shifted = ShiftS8WeightsToU8(Bytes(m));
  ASSERT_TRUE(shifted.ok());
  EXPECT_EQ(shifted->shifted, 1u);
  const auto out = Parse(shifted->bytes);
  const auto& node = out.graph().node(0);
  ASSERT_EQ(node.input_size(), 3);
  EXPECT_EQ(U8Values(*Find(out.graph(), node.input(0))), (std::vector<int>{123, 135}));
  EXPECT_EQ(U8Values(*Find(out.graph(), node.input(2))), (std::vector<int>{128}));
}

TEST(Int8Weights, SharedInitializerIsShiftedOnce) {
  onnx::ModelProto m;
  auto& g = *m.mutable_graph();
  *g.add_initializer() = Int8Tensor("w", {-100, 100}, {2});
  *g.add_initializer() = FloatScalar("s", 0.5f);
  *g.add_initializer() = Int8Tensor("z", {0}, {});
  AddNode(g, "DequantizeLinear", {"w", "s", "z"}, "a");
  AddNode(g, "DequantizeLinear", {"w", "s", "z"}, "b");
  auto shifted = ShiftS8WeightsToU8(Bytes(m));
  ASSERT_TRUE(shifted.ok());
  const auto out = Parse(shifted->bytes);
  EXPECT_EQ(out.graph().node(0).input(0), out.graph().node(1).input(0));
  EXPECT_EQ(out.graph().initializer_size(), 3);  // w/u8, s, z/u8
}

TEST(Int8Weights, NotAModelIsAnError) {
  auto shifted = ShiftS8WeightsToU8("\xff\xff\xff not protobuf");
  EXPECT_FALSE(shifted.ok());
}

TEST(Int8Weights, DecisionFollowsModeCpuAndWeights) {
  const CpuInt8Path avx2{"avx2", true}, vnni{"avx512-vnni", false};
  ShiftedModel full, narrow, none;
  full.shifted = 3;
  full.max_abs_weight = 127;
  narrow.shifted = 3;
  narrow.max_abs_weight = 64;
  EXPECT_FALSE(NeedsScan(Int8Weights::kAuto, vnni));
  EXPECT_TRUE(NeedsScan(Int8Weights::kAuto, avx2));
  EXPECT_TRUE(NeedsScan(Int8Weights::kU8, vnni));
  EXPECT_FALSE(NeedsScan(Int8Weights::kNative, avx2));
  EXPECT_EQ(DecideInt8(Int8Weights::kAuto, avx2, &full).variant, "u8-shifted");
  EXPECT_EQ(DecideInt8(Int8Weights::kAuto, avx2, &narrow).variant, "native");  // 7-bit weights cannot saturate
  EXPECT_EQ(DecideInt8(Int8Weights::kAuto, avx2, &none).variant, "native");
  EXPECT_EQ(DecideInt8(Int8Weights::kAuto, vnni, nullptr).variant, "native");
  EXPECT_EQ(DecideInt8(Int8Weights::kU8, vnni, &narrow).variant, "u8-shifted");
  EXPECT_EQ(DecideInt8(Int8Weights::kNative, avx2, nullptr).variant, "native");
}

TEST(Int8Weights, ParsesTheSetting) {
  EXPECT_EQ(*ParseInt8Weights("auto"), Int8Weights::kAuto);
  EXPECT_EQ(*ParseInt8Weights("native"), Int8Weights::kNative);
  EXPECT_EQ(*ParseInt8Weights("u8"), Int8Weights::kU8);
  EXPECT_FALSE(ParseInt8Weights("fp32").ok());
}

}  // namespace
}  // namespace cp::model
