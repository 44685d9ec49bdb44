#include "metrics/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>

namespace cp::metrics {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// Seconds: 0.5 ms .. 10 s, roughly x2 apart.
Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10};
}

}  // namespace

struct Metrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests = BuildCounter()
                                                          .Name("cross_pictures_requests_total")
                                                          .Help("HTTP requests by endpoint and status")
                                                          .Register(*registry);
  prometheus::Family<Histogram>& request_seconds = BuildHistogram()
                                                       .Name("cross_pictures_request_duration_seconds")
                                                       .Help("Total HTTP request time, by endpoint")
                                                       .Register(*registry);
  prometheus::Family<Histogram>& stage_seconds =
      BuildHistogram()
          .Name("cross_pictures_stage_duration_seconds")
          .Help("Time per pipeline stage: queue_wait, decode, preprocess, inference")
          .Register(*registry);
  Histogram& queue_wait = stage_seconds.Add({{"stage", "queue_wait"}}, LatencyBuckets());
  Histogram& decode = stage_seconds.Add({{"stage", "decode"}}, LatencyBuckets());
  Histogram& preprocess = stage_seconds.Add({{"stage", "preprocess"}}, LatencyBuckets());
  Histogram& inference = stage_seconds.Add({{"stage", "inference"}}, LatencyBuckets());
  Histogram& batch_size = BuildHistogram()
                              .Name("cross_pictures_batch_size")
                              .Help("Images per model run")
                              .Register(*registry)
                              .Add({}, Histogram::BucketBoundaries{1, 2, 3, 4, 6, 8, 12, 16, 32});
  prometheus::Gauge& queue_depth = BuildGauge()
                                       .Name("cross_pictures_queue_depth")
                                       .Help("Requests waiting for the model")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Gauge& in_flight = BuildGauge()
                                     .Name("cross_pictures_requests_in_flight")
                                     .Help("HTTP requests being processed")
                                     .Register(*registry)
                                     .Add({});
  prometheus::Gauge& body_bytes = BuildGauge()
                                      .Name("cross_pictures_body_bytes_in_flight")
                                      .Help("Request-body bytes reserved by requests being received or served")
                                      .Register(*registry)
                                      .Add({});
  prometheus::Gauge& model_loaded =
      BuildGauge().Name("cross_pictures_model_loaded").Help("1 if the model is loaded").Register(*registry).Add({});
  prometheus::Gauge& load_seconds = BuildGauge()
                                        .Name("cross_pictures_model_load_seconds")
                                        .Help("Time to load and warm up the model")
                                        .Register(*registry)
                                        .Add({});
  prometheus::Counter& shed = BuildCounter()
                                  .Name("cross_pictures_shed_total")
                                  .Help("Requests refused with 503 because the queue was full")
                                  .Register(*registry)
                                  .Add({});
  prometheus::Counter& timed_out = BuildCounter()
                                       .Name("cross_pictures_timed_out_total")
                                       .Help("Requests whose deadline expired before they ran (504)")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Family<prometheus::Counter>& model_loads = BuildCounter()
                                                             .Name("cross_pictures_model_loads_total")
                                                             .Help("Model reloads (SIGHUP, /v2/repository), by result")
                                                             .Register(*registry);
  prometheus::Counter& loads_ok = model_loads.Add({{"result", "ok"}});
  prometheus::Counter& loads_failed = model_loads.Add({{"result", "failed"}});
  prometheus::Family<prometheus::Gauge>& int8_weights =
      BuildGauge()
          .Name("cross_pictures_model_int8_weights")
          .Help("How the model's int8 weights are served on this CPU (native, or u8-shifted where u8 x s8 saturates)")
          .Register(*registry);
  std::mutex int8_mu;                       // guards int8_gauge
  prometheus::Gauge* int8_gauge = nullptr;  // the one label set shown (the model now served)
  std::mutex source_mu;                     // guards queue_depth_source
  std::function<double()> queue_depth_source;
};

Metrics::Metrics(const std::string& model_name, const std::string& runtime_version) : impl_(std::make_unique<Impl>()) {
  BuildGauge()
      .Name("cross_pictures_build_info")
      .Help("Build and model information")
      .Register(*impl_->registry)
      .Add({{"version", CP_VERSION}, {"onnxruntime", runtime_version}, {"model", model_name}})
      .Set(1);
}

Metrics::~Metrics() = default;

void Metrics::ObserveRequest(const std::string& endpoint, int status, double seconds) {
  impl_->requests.Add({{"endpoint", endpoint}, {"status", std::to_string(status)}}).Increment();
  impl_->request_seconds.Add({{"endpoint", endpoint}}, LatencyBuckets()).Observe(seconds);
}
void Metrics::ObserveQueueWait(double s) { impl_->queue_wait.Observe(s); }
void Metrics::ObserveDecode(double s) { impl_->decode.Observe(s); }
void Metrics::ObservePreprocess(double s) { impl_->preprocess.Observe(s); }
void Metrics::ObserveInference(double s) { impl_->inference.Observe(s); }
void Metrics::ObserveBatchSize(std::size_t n) { impl_->batch_size.Observe(static_cast<double>(n)); }
void Metrics::RequestStarted() { impl_->in_flight.Increment(); }
void Metrics::RequestFinished() { impl_->in_flight.Decrement(); }
void Metrics::AddBodyBytesInFlight(double delta) { impl_->body_bytes.Increment(delta); }
void Metrics::CountShed() { impl_->shed.Increment(); }
void Metrics::CountTimedOut() { impl_->timed_out.Increment(); }
void Metrics::CountRefusal(StatusCode code) {
  if (code == StatusCode::kOverloaded) CountShed();
  if (code == StatusCode::kDeadlineExceeded) CountTimedOut();
}
void Metrics::SetModelLoaded(bool loaded, double load_seconds) {
  impl_->model_loaded.Set(loaded ? 1 : 0);
  impl_->load_seconds.Set(load_seconds);
}
void Metrics::SetInt8Weights(const std::string& variant, const std::string& cpu_int8_path) {
  std::lock_guard lock(impl_->int8_mu);
  if (impl_->int8_gauge != nullptr) impl_->int8_weights.Remove(impl_->int8_gauge);
  impl_->int8_gauge = &impl_->int8_weights.Add({{"variant", variant}, {"cpu_int8_path", cpu_int8_path}});
  impl_->int8_gauge->Set(1);
}
void Metrics::CountModelLoad(bool ok) { (ok ? impl_->loads_ok : impl_->loads_failed).Increment(); }
void Metrics::SetQueueDepthSource(std::function<double()> source) {
  std::lock_guard lock(impl_->source_mu);
  impl_->queue_depth_source = std::move(source);
}

std::string Metrics::Render() const {
  {
    std::lock_guard lock(impl_->source_mu);
    if (impl_->queue_depth_source) impl_->queue_depth.Set(impl_->queue_depth_source());
  }
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace cp::metrics
