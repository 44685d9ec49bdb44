#include "kserve/inference.h"

#include <algorithm>
#include <cstdio>
#include <span>
#include <utility>

#include "model/topk.h"

#ifndef CP_VERSION
#define CP_VERSION "unknown"
#endif

namespace cp::kserve {

namespace {

using service::kMaxImagesPerRequest;

// Images preprocessed and run at once when the model does not limit its
// batch: bounds the memory a large BYTES batch takes.
constexpr std::size_t kChunkImages = 32;

std::vector<std::int64_t> ImageShape(const model::ModelInfo& mi, std::int64_t batch) {
  if (mi.layout == image::TensorLayout::kNHWC) return {batch, mi.height, mi.width, 3};
  return {batch, 3, mi.height, mi.width};
}

// The model's logits for a batch, row-major [batch, num_classes].
struct Logits {
  std::vector<float> values;
  std::size_t batch = 0;
};

// Fills `out` with images [first, first + count) of the batch.
using FillChunk = std::function<Status(std::size_t first, std::size_t count, std::span<float> out)>;

// Runs `batch` images through the engine, at most `max_chunk`, the model's
// max_batch and kChunkImages at a time.
Result<Logits> RunChunked(model::InferenceEngine& engine, std::size_t batch, const Deadline& deadline,
                          const FillChunk& fill, std::size_t max_chunk = kChunkImages) {
  const model::ModelInfo& mi = engine.info();
  std::size_t chunk = std::min(kChunkImages, std::max<std::size_t>(1, max_chunk));
  if (mi.max_batch != 0) chunk = std::min(chunk, mi.max_batch);
  Logits logits{{}, batch};
  logits.values.reserve(batch * mi.num_classes);
  std::vector<float> tensor;
  for (std::size_t first = 0; first < batch; first += chunk) {
    const std::size_t count = std::min(chunk, batch - first);
    tensor.resize(count * mi.image_size());
    if (Status s = fill(first, count, tensor); !s.ok()) return s;
    model::InferOptions options;
    options.deadline = deadline;
    auto out = engine.Infer(tensor, count, options);
    if (!out.ok()) return out.status();
    if (out->size() != count * mi.num_classes) return Internal("the engine returned a wrong number of logits");
    logits.values.insert(logits.values.end(), out->begin(), out->end());
  }
  return logits;
}

Result<Logits> InferTensor(model::InferenceEngine& engine, const InputTensor& in, const Deadline& deadline) {
  const model::ModelInfo& mi = engine.info();
  const std::vector<std::int64_t> want = ImageShape(mi, in.shape.empty() ? 0 : in.shape[0]);
  if (in.datatype != "FP32") {
    return InvalidArgument("input '" + in.name + "' has datatype " + in.datatype +
                           ": expected FP32 (or BYTES for encoded images)");
  }
  if (in.name != mi.input_name) {
    return InvalidArgument("unknown input '" + in.name + "': the model's input is '" + mi.input_name + "' (FP32 " +
                           ShapeText(ImageShape(mi, -1)) + "); encoded images go in a BYTES input");
  }
  if (in.shape != want || want[0] < 1) {
    return InvalidArgument("input '" + in.name + "' has shape " + ShapeText(in.shape) + ": expected " +
                           ShapeText(ImageShape(mi, -1)) + " with a batch of at least 1");
  }
  auto values = ReadFp32(in);
  if (!values.ok()) return values.status();
  const auto batch = static_cast<std::size_t>(want[0]);
  if (values->size() != batch * mi.image_size()) {
    return InvalidArgument("input '" + in.name + "' has " + std::to_string(values->size()) + " values; shape " +
                           ShapeText(in.shape) + " needs " + std::to_string(batch * mi.image_size()));
  }
  return RunChunked(engine, batch, deadline, [&](std::size_t first, std::size_t count, std::span<float> out) {
    const auto begin = values->begin() + static_cast<std::ptrdiff_t>(first * mi.image_size());
    std::copy(begin, begin + static_cast<std::ptrdiff_t>(count * mi.image_size()), out.begin());
    return Status::Ok();
  });
}

Result<Logits> InferImages(const service::ClassificationService& svc, model::InferenceEngine& engine,
                           const InputTensor& in, const Deadline& deadline, metrics::Metrics* metrics) {
  const bool shape_ok = (in.shape.size() == 1 || (in.shape.size() == 2 && in.shape[1] == 1)) && in.shape[0] >= 1;
  if (!shape_ok) {
    return InvalidArgument("input '" + in.name + "' has shape " + ShapeText(in.shape) +
                           ": BYTES images need [N] or [N,1], N >= 1");
  }
  const auto batch = static_cast<std::size_t>(in.shape[0]);
  if (batch > kMaxImagesPerRequest) {
    return InvalidArgument("input '" + in.name + "' has " + std::to_string(batch) + " images: at most " +
                           std::to_string(kMaxImagesPerRequest) + " per request");
  }
  auto images = ReadBytes(in);
  if (!images.ok()) return images.status();
  if (images->size() != batch) {
    return InvalidArgument("input '" + in.name + "' has " + std::to_string(images->size()) + " elements; shape " +
                           ShapeText(in.shape) + " needs " + std::to_string(batch));
  }
  // Places before decoding (see ClassificationService::Admit), held until the last chunk has run;
  // chunks of the service's size, so no more tensors exist than places.
  auto places = svc.Admit(batch, deadline);
  if (!places.ok()) return places.status();
  const std::size_t image_size = engine.info().image_size();
  return RunChunked(
      engine, batch, deadline,
      [&](std::size_t first, std::size_t count, std::span<float> out) {
        for (std::size_t i = 0; i < count; ++i) {
          service::Timings timings;
          int width = 0, height = 0;
          const service::ImageInput image{(*images)[first + i], {}, deadline};
          Status s = svc.PrepareTensor(image, out.subspan(i * image_size, image_size), timings, width, height);
          if (metrics && s.ok()) {
            metrics->ObserveDecode(timings.decode_ms / 1000.0);
            metrics->ObservePreprocess(timings.preprocess_ms / 1000.0);
          }
          if (!s.ok()) {
            return Status(s.code(),
                          "input '" + in.name + "' element " + std::to_string(first + i) + ": " + s.message());
          }
        }
        return Status::Ok();
      },
      svc.chunk_size());
}

// Triton's classification extension: "score:index:label" of the top k per
// image, score the raw output value as "%f" (":label" left out when empty).
OutputTensor Classify(const service::ClassificationService& svc, const Logits& logits, std::size_t k) {
  const std::size_t classes = svc.num_classes();
  k = std::min(k, classes);
  OutputTensor t;
  t.datatype = "BYTES";
  t.shape = {static_cast<std::int64_t>(logits.batch), static_cast<std::int64_t>(k)};
  for (std::size_t i = 0; i < logits.batch; ++i) {
    const std::span<const float> row(logits.values.data() + i * classes, classes);
    for (const model::Scored& s : model::TopK(row, k)) {
      char score[64];
      std::snprintf(score, sizeof score, "%f", static_cast<double>(s.probability));
      std::string element = std::string(score) + ":" + std::to_string(s.index);
      if (s.index < svc.labels().size() && !svc.labels()[s.index].empty()) element += ":" + svc.labels()[s.index];
      t.bytes.push_back(std::move(element));
    }
  }
  return t;
}

Status CheckOutputs(const InferRequest& req, const model::ModelInfo& mi) {
  for (const OutputRequest& w : req.outputs) {
    if (w.name != mi.output_name) {
      return InvalidArgument("unknown output '" + w.name + "': the model's output is '" + mi.output_name + "'");
    }
  }
  return Status::Ok();
}

// The requested outputs (CheckOutputs passed), or the model's output.
std::vector<OutputTensor> MakeOutputs(const InferRequest& req, const service::ClassificationService& svc,
                                      Logits logits) {
  const model::ModelInfo& mi = *svc.model_info();
  std::vector<OutputRequest> wanted = req.outputs;
  if (wanted.empty()) wanted.push_back({mi.output_name, std::nullopt, 0});
  std::vector<OutputTensor> outputs;
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    const OutputRequest& w = wanted[i];
    OutputTensor t;
    if (w.classification > 0) {
      t = Classify(svc, logits, w.classification);
    } else {
      t.datatype = "FP32";
      t.shape = {static_cast<std::int64_t>(logits.batch), static_cast<std::int64_t>(mi.num_classes)};
      // The last plain output takes the logits; earlier ones copy them.
      t.fp32 = i + 1 == wanted.size() ? std::move(logits.values) : logits.values;
    }
    t.name = w.name;
    t.binary = w.binary.value_or(req.binary_data_output);
    outputs.push_back(std::move(t));
  }
  return outputs;
}

}  // namespace

Status CheckModel(const std::string& served_name, std::string_view name, std::string_view version) {
  if (name != served_name) {
    return NotFound("unknown model '" + std::string(name) + "' (this server serves '" + served_name + "')");
  }
  if (!version.empty() && version != kModelVersion) {
    return NotFound("unknown version '" + std::string(version) + "' of model '" + std::string(name) +
                    "' (the only one is 1)");
  }
  return Status::Ok();
}

Status ModelUnavailable(const service::ClassificationService& svc, const std::string& model_name) {
  return Unavailable("model '" + model_name + "' is not loaded: " + svc.load_error());
}

Status CheckReady(const service::ClassificationService& svc, const std::string& model_name,
                  const std::function<bool()>& ready) {
  if (!svc.model_loaded()) return ModelUnavailable(svc, model_name);
  if (ready && !ready()) return Unavailable("not ready (warming up or draining)");
  return Status::Ok();
}

ModelMetadata DescribeModel(const std::string& model_name, const model::ModelInfo& mi) {
  ModelMetadata md;
  md.name = model_name;
  md.versions = {kModelVersion};
  md.platform = "onnxruntime_onnx";
  md.inputs.push_back({mi.input_name, "FP32", ImageShape(mi, -1)});
  md.outputs.push_back({mi.output_name, "FP32", {-1, static_cast<std::int64_t>(mi.num_classes)}});
  return md;
}

ServerMetadata DescribeServer() { return {"cross_pictures", CP_VERSION, {"classification", "binary_tensor_data"}}; }

Result<InferResponse> RunInfer(const service::ClassificationService& svc, const std::string& model_name,
                               const InferRequest& req, const Deadline& deadline, metrics::Metrics* metrics) {
  if (!svc.model_loaded()) return ModelUnavailable(svc, model_name);
  if (req.inputs.size() != 1) {
    return InvalidArgument("the model takes exactly one input, got " + std::to_string(req.inputs.size()));
  }
  if (Status s = CheckOutputs(req, *svc.model_info()); !s.ok()) return s;
  const InputTensor& in = req.inputs.front();
  const std::shared_ptr<model::InferenceEngine> engine = svc.engine();
  if (svc.Saturated()) return Overloaded("the server is at capacity; retry later");
  auto logits =
      in.datatype == "BYTES" ? InferImages(svc, *engine, in, deadline, metrics) : InferTensor(*engine, in, deadline);
  if (!logits.ok()) return logits.status();
  return InferResponse{model_name, kModelVersion, req.id, MakeOutputs(req, svc, std::move(*logits))};
}

// Lowers `deadline` to Triton's "timeout" request parameter (microseconds
// from `start`; 0 = none).
Deadline LowerDeadline(Deadline deadline, std::optional<std::uint64_t> timeout_us, Clock::time_point start) {
  if (!timeout_us || *timeout_us == 0) return deadline;
  const Clock::time_point t = start + std::chrono::microseconds(std::min<std::uint64_t>(*timeout_us, 1ULL << 50));
  return deadline ? std::min(*deadline, t) : t;
}

}  // namespace cp::kserve
