// Serving int8 models where the CPU's u8 x s8 kernels saturate (cpu_int8.h).
//
// The remedy applied here is the exact one: every constant s8 weight w of a
// quantized op becomes the u8 value w + 128 and its zero point z becomes
// z + 128, so (w + 128) - (z + 128) = w - z and the model computes the same
// integers; ONNX Runtime then runs u8 x u8 kernels, which never saturate.
// Weights that fit in 7 bits (|w| <= 64) cannot saturate, so `auto` keeps
// such models as they are. Covered ops (the weight input and its zero point):
// QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger (only when the other
// operand is u8, the combinations ONNX Runtime implements) and
// DequantizeLinear of a constant (QDQ models; exact whatever follows it).
//
// Thread-safety: pure functions of their arguments.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "model/cpu_int8.h"

namespace cp::model {

enum class Int8Weights {
  kAuto,    // u8-shift when the CPU saturates and some s8 weight is beyond +-64
  kNative,  // serve the model as it is
  kU8,      // always u8-shift the s8 weights
};

// "auto", "native", "u8" -> the mode; anything else is kInvalidArgument.
Result<Int8Weights> ParseInt8Weights(std::string_view text);

struct ShiftedModel {
  std::string bytes;           // the serialized model, shifted (or unchanged when shifted == 0)
  std::size_t shifted = 0;     // s8 weight tensors turned into u8
  int max_abs_weight = 0;      // largest |w| among them
  std::size_t left_alone = 0;  // s8 weights of covered ops that could not be shifted (other operand s8, external data)
};

// Parses an ONNX model (ModelProto bytes) and shifts its constant s8 weights.
// Takes the bytes by value so an unchanged model is moved into the result,
// not copied (a 100 MB fp32 model is scanned on every saturating CPU).
// Errors: kInvalidArgument when the bytes are not an ONNX model.
Result<ShiftedModel> ShiftS8WeightsToU8(std::string model_bytes);

// What the engine serves, and why (startup log, /metrics).
struct Int8Decision {
  std::string variant;  // "native" or "u8-shifted"
  std::string reason;
};

// The auto/native/u8 choice, given the CPU and the scan of the model
// (`scan` is null when the model was not read: native or a non-saturating CPU).
Int8Decision DecideInt8(Int8Weights mode, const CpuInt8Path& cpu, const ShiftedModel* scan);

// True when DecideInt8 can need the model scanned (mode and CPU alone do not settle it).
bool NeedsScan(Int8Weights mode, const CpuInt8Path& cpu);

}  // namespace cp::model
