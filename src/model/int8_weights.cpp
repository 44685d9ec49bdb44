#include "model/int8_weights.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <vector>

namespace cp::model {

namespace {

using onnx::TensorProto;

// Inputs of a covered op: the constant weight, its zero point, and the zero
// point of the other operand (-1: none to check).
struct WeightRole {
  int weight;
  int zero_point;
  int other_zero_point;
};

std::vector<WeightRole> RolesOf(const onnx::NodeProto& node) {
  if (!node.domain().empty() && node.domain() != "ai.onnx") return {};
  const std::string& op = node.op_type();
  if (op == "QLinearConv") return {{3, 5, 2}};
  if (op == "QLinearMatMul") return {{3, 5, 2}, {0, 2, 5}};
  if (op == "ConvInteger") return {{1, 3, 2}};
  if (op == "MatMulInteger") return {{1, 3, 2}, {0, 2, 3}};
  if (op == "DequantizeLinear") return {{0, 2, -1}};
  return {};
}

std::string InputAt(const onnx::NodeProto& node, int i) {
  return i >= 0 && i < node.input_size() ? node.input(i) : std::string();
}

bool HasSubgraphs(const onnx::GraphProto& graph) {
  for (const auto& node : graph.node()) {
    for (const auto& attr : node.attribute()) {
      if (attr.has_g() || attr.graphs_size() > 0) return true;
    }
  }
  return false;
}

// The element values of an int8 initializer (raw_data or int32_data).
bool ReadInt8(const TensorProto& t, std::vector<int>& out) {
  if (t.data_location() == TensorProto::EXTERNAL) return false;
  out.clear();
  if (!t.raw_data().empty()) {
    for (char c : t.raw_data()) out.push_back(static_cast<int>(static_cast<std::int8_t>(c)));
  } else {
    for (int v : t.int32_data()) out.push_back(v);
  }
  return true;
}

TensorProto ShiftedCopy(const TensorProto& t, const std::vector<int>& values, const std::string& name) {
  TensorProto u8;
  u8.set_name(name);
  u8.set_data_type(TensorProto::UINT8);
  *u8.mutable_dims() = t.dims();
  std::string raw(values.size(), '\0');
  for (std::size_t i = 0; i < values.size(); ++i)
    raw[i] = static_cast<char>(static_cast<std::uint8_t>(values[i] + 128));
  u8.set_raw_data(std::move(raw));
  return u8;
}

class Shifter {
 public:
  explicit Shifter(onnx::GraphProto& graph) : graph_(graph) {
    for (int i = 0; i < graph_.initializer_size(); ++i) init_[graph_.initializer(i).name()] = i;
    for (const auto& vi : graph_.value_info()) SetType(vi);
    for (const auto& vi : graph_.input()) SetType(vi);
    for (const auto& node : graph_.node()) {
      // DynamicQuantizeLinear's y and y_zero_point are always uint8.
      if (node.op_type() == "DynamicQuantizeLinear" && node.output_size() >= 3) {
        types_[node.output(0)] = TensorProto::UINT8;
        types_[node.output(2)] = TensorProto::UINT8;
      }
    }
  }

  ShiftedModel Run() {
    ShiftedModel out;
    for (auto& node : *graph_.mutable_node()) {
      for (const WeightRole& role : RolesOf(node)) ShiftRole(node, role, out);
    }
    if (!HasSubgraphs(graph_)) RemoveUnused();
    return out;
  }

 private:
  void SetType(const onnx::ValueInfoProto& vi) {
    if (vi.type().has_tensor_type()) types_[vi.name()] = vi.type().tensor_type().elem_type();
  }

  const TensorProto* Initializer(const std::string& name) const {
    auto it = init_.find(name);
    return it == init_.end() ? nullptr : &graph_.initializer(it->second);
  }

  int ElemType(const std::string& name) const {
    if (const TensorProto* t = Initializer(name)) return t->data_type();
    auto it = types_.find(name);
    return it == types_.end() ? TensorProto::UNDEFINED : it->second;
  }

  void ShiftRole(onnx::NodeProto& node, const WeightRole& role, ShiftedModel& out) {
    const std::string w = InputAt(node, role.weight);
    const TensorProto* wt = Initializer(w);
    if (wt == nullptr || wt->data_type() != TensorProto::INT8) return;
    const std::string zp = InputAt(node, role.zero_point);
    const TensorProto* zt = zp.empty() ? nullptr : Initializer(zp);
    const bool zp_ok = zp.empty() ? node.op_type() != "QLinearConv" && node.op_type() != "QLinearMatMul"
                                  : zt != nullptr && zt->data_type() == TensorProto::INT8;
    const bool other_ok = role.other_zero_point < 0 ||
                          ElemType(InputAt(node, role.other_zero_point)) == TensorProto::UINT8 ||
                          // ConvInteger/MatMulInteger without an x zero point: x's own type.
                          (InputAt(node, role.other_zero_point).empty() &&
                           ElemType(InputAt(node, role.other_zero_point == 2 ? 0 : 1)) == TensorProto::UINT8);
    std::vector<int> values;
    if (!zp_ok || !other_ok || !ReadInt8(*wt, values)) {
      ++out.left_alone;
      return;
    }
    for (int v : values) out.max_abs_weight = std::max(out.max_abs_weight, std::abs(v));
    node.set_input(role.weight, Shift(w, values));
    if (!zp.empty()) {
      std::vector<int> zvalues;
      ReadInt8(*zt, zvalues);
      node.set_input(role.zero_point, Shift(zp, zvalues));
    } else {
      // An absent zero point is 0: add 128 in the scale's shape (DequantizeLinear
      // per-axis) or as a scalar.
      const TensorProto* scale = node.op_type() == "DequantizeLinear" ? Initializer(InputAt(node, 1)) : nullptr;
      TensorProto z;
      z.set_data_type(TensorProto::INT8);
      std::size_t n = 1;
      if (scale != nullptr) {
        *z.mutable_dims() = scale->dims();
        for (auto d : scale->dims()) n *= static_cast<std::size_t>(d);
      }
      const std::string name = w + "/zero_point_u8";
      *graph_.add_initializer() = ShiftedCopy(z, std::vector<int>(n, 0), name);
      while (node.input_size() <= role.zero_point) node.add_input("");
      node.set_input(role.zero_point, name);
    }
    ++out.shifted;
  }

  // The u8 copy of an s8 initializer, made once however many nodes use it.
  std::string Shift(const std::string& name, const std::vector<int>& values) {
    auto [it, fresh] = shifted_.try_emplace(name, name + "/u8");
    if (fresh) {
      const TensorProto copy = ShiftedCopy(*Initializer(name), values, it->second);
      *graph_.add_initializer() = copy;
    }
    return it->second;
  }

  // Drops the s8 originals no node (and no graph input or output) still uses.
  void RemoveUnused() {
    std::set<std::string> used;
    for (const auto& node : graph_.node()) used.insert(node.input().begin(), node.input().end());
    for (const auto& v : graph_.input()) used.insert(v.name());
    for (const auto& v : graph_.output()) used.insert(v.name());
    auto* inits = graph_.mutable_initializer();
    for (int i = inits->size() - 1; i >= 0; --i) {
      if (shifted_.count(inits->Get(i).name()) && !used.count(inits->Get(i).name())) inits->DeleteSubrange(i, 1);
    }
  }

  onnx::GraphProto& graph_;
  std::map<std::string, int> init_;  // initializer name -> index (indices of the originals stay valid: appends only)
  std::map<std::string, int> types_;
  std::map<std::string, std::string> shifted_;  // s8 name -> u8 copy
};

}  // namespace

Result<Int8Weights> ParseInt8Weights(std::string_view text) {
  if (text == "auto") return Int8Weights::kAuto;
  if (text == "native") return Int8Weights::kNative;
  if (text == "u8") return Int8Weights::kU8;
  return InvalidArgument("INT8_WEIGHTS: expected auto, native or u8, got '" + std::string(text) + "'");
}

Result<ShiftedModel> ShiftS8WeightsToU8(std::string model_bytes) {
  if (model_bytes.size() > static_cast<std::size_t>(INT_MAX)) return InvalidArgument("model larger than 2 GB");
  onnx::ModelProto model;
  if (!model.ParseFromArray(model_bytes.data(), static_cast<int>(model_bytes.size())) || !model.has_graph()) {
    return InvalidArgument("not an ONNX model");
  }
  ShiftedModel out = Shifter(*model.mutable_graph()).Run();
  if (out.shifted == 0) {
    out.bytes = std::move(model_bytes);
    return out;
  }
  std::string().swap(model_bytes);  // the parsed model holds every weight now: one copy less at the peak
  if (!model.SerializeToString(&out.bytes)) return Internal("cannot serialize the shifted model");
  return out;
}

bool NeedsScan(Int8Weights mode, const CpuInt8Path& cpu) {
  return mode == Int8Weights::kU8 || (mode == Int8Weights::kAuto && cpu.saturates);
}

Int8Decision DecideInt8(Int8Weights mode, const CpuInt8Path& cpu, const ShiftedModel* scan) {
  if (mode == Int8Weights::kNative) return {"native", "INT8_WEIGHTS=native"};
  if (!NeedsScan(mode, cpu) || scan == nullptr) {
    return {"native", "this CPU's int8 kernels (" + cpu.isa + ") do not saturate"};
  }
  if (scan->shifted == 0) return {"native", "no s8 weights to shift"};
  if (mode == Int8Weights::kAuto && scan->max_abs_weight <= 64) {
    return {"native", "s8 weights within +-64 cannot saturate"};
  }
  std::string why = mode == Int8Weights::kU8
                        ? "INT8_WEIGHTS=u8"
                        : "this CPU's u8 x s8 kernels (" + cpu.isa + ", no VNNI) saturate with weights up to +-" +
                              std::to_string(scan->max_abs_weight);
  return {"u8-shifted", why + ": " + std::to_string(scan->shifted) + " s8 weight tensors served as exact u8"};
}

}  // namespace cp::model
