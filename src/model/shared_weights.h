// The weights of one ONNX model, held once for several ONNX Runtime sessions.
// FromModel copies every initializer the model keeps as external data into
// its own 64-byte aligned buffer; AddTo hands them to a session's options
// (OrtApi::AddInitializer: the session reads them in place and copies
// nothing), so a second session of the model costs its arena and kernels,
// not a second copy of the weights.
//
// Thread-safety: immutable after FromModel; must outlive every session it was
// added to (OrtEngine keeps it beside them).
#pragma once

#include <onnxruntime_cxx_api.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/mem_file.h"

namespace cp::model {

class SharedWeights {
 public:
  // `model`: an ONNX model whose large initializers ONNX Runtime wrote to
  // `data` as external data. Their locations are rewritten to data's path,
  // so the model still loads without AddTo. Errors (kInvalidArgument): not
  // an ONNX model, or external data outside `data`.
  static Result<SharedWeights> FromModel(std::string& model, const MemFile& data);

  void AddTo(Ort::SessionOptions& options) const;
  std::size_t bytes() const { return bytes_; }
  std::size_t count() const { return tensors_.size(); }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  struct Tensor {
    std::string name;
    std::unique_ptr<void, Free> data;
    Ort::Value value{nullptr};
  };
  std::vector<Tensor> tensors_;
  std::size_t bytes_ = 0;
};

}  // namespace cp::model
