// Prometheus metrics (prometheus-cpp core; text exposition at GET /metrics).
//
// Every method is thread-safe and is called where the event happens (HTTP
// worker, scheduler runner), never through the model's queue. Counters and
// gauges are atomics; a histogram observation takes that histogram's own
// short mutex inside prometheus-cpp. Gauges whose value lives elsewhere
// (queue depth) are sampled from a callback at scrape time.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace cp::metrics {

class Metrics {
 public:
  // build_info{version, onnxruntime, model} = 1
  Metrics(const std::string& model_name, const std::string& runtime_version);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // One finished HTTP request: requests_total{endpoint,status} and the total
  // latency histogram.
  void ObserveRequest(const std::string& endpoint, int status, double seconds);
  void ObserveQueueWait(double seconds);
  void ObserveDecode(double seconds);
  void ObservePreprocess(double seconds);
  void ObserveInference(double seconds);  // one model run (a whole batch)
  void ObserveBatchSize(std::size_t images);
  void RequestStarted();
  void RequestFinished();
  // Request-body bytes reserved in the HTTP layer's budget (+ on reserve, - on release).
  void AddBodyBytesInFlight(double delta);
  void CountShed();
  void CountTimedOut();
  // CountShed for kOverloaded, CountTimedOut for kDeadlineExceeded, else nothing.
  void CountRefusal(StatusCode code);
  void SetModelLoaded(bool loaded, double load_seconds);
  // A model reload: model_loads_total{result="ok"|"failed"}.
  void CountModelLoad(bool ok);
  // model_int8_weights{variant, cpu_int8_path} = 1: how an int8 model is served on this CPU
  // (one label set: a reload replaces it).
  void SetInt8Weights(const std::string& variant, const std::string& cpu_int8_path);
  void SetQueueDepthSource(std::function<double()> source);

  // The text exposition format, version 0.0.4.
  std::string Render() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Counts one inference request in the in-flight gauge for its lifetime
// (RequestStarted / RequestFinished); metrics may be null.
class InFlightRequest {
 public:
  explicit InFlightRequest(Metrics* metrics) : metrics_(metrics) {
    if (metrics_) metrics_->RequestStarted();
  }
  ~InFlightRequest() {
    if (metrics_) metrics_->RequestFinished();
  }
  InFlightRequest(const InFlightRequest&) = delete;
  InFlightRequest& operator=(const InFlightRequest&) = delete;

 private:
  Metrics* metrics_;
};

}  // namespace cp::metrics
