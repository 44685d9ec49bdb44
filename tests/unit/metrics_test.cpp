#include "metrics/metrics.h"

#include <gtest/gtest.h>

namespace cp::metrics {
namespace {

TEST(Metrics, RendersPrometheusTextWithEveryFamily) {
  Metrics m("mobilenet", "1.21.0");
  m.ObserveRequest("/infer", 200, 0.02);
  m.ObserveRequest("/infer", 503, 0.001);
  m.ObserveQueueWait(0.003);
  m.ObserveDecode(0.002);
  m.ObservePreprocess(0.001);
  m.ObserveInference(0.019);
  m.ObserveBatchSize(4);
  m.RequestStarted();
  m.AddBodyBytesInFlight(3000);
  m.AddBodyBytesInFlight(-1000);
  m.CountShed();
  m.CountTimedOut();
  m.SetModelLoaded(true, 1.5);
  m.SetQueueDepthSource([] { return 7.0; });
  m.SetInt8Weights("u8-shifted", "avx2 (u8 x s8 saturates)");
  const std::string text = m.Render();
  for (const char* want : {
           "cross_pictures_model_int8_weights{cpu_int8_path=\"avx2 (u8 x s8 saturates)\",variant=\"u8-shifted\"} 1",
           "cross_pictures_requests_total{endpoint=\"/infer\",status=\"200\"} 1",
           "cross_pictures_requests_total{endpoint=\"/infer\",status=\"503\"} 1",
           "# TYPE cross_pictures_request_duration_seconds histogram",
           "cross_pictures_stage_duration_seconds_count{stage=\"queue_wait\"} 1",
           "cross_pictures_stage_duration_seconds_count{stage=\"decode\"} 1",
           "cross_pictures_stage_duration_seconds_count{stage=\"preprocess\"} 1",
           "cross_pictures_stage_duration_seconds_count{stage=\"inference\"} 1",
           "cross_pictures_batch_size_bucket{le=\"4\"} 1",
           "cross_pictures_batch_size_bucket{le=\"3\"} 0",
           "cross_pictures_queue_depth 7",
           "cross_pictures_requests_in_flight 1",
           "cross_pictures_body_bytes_in_flight 2000",
           "cross_pictures_model_loaded 1",
           "cross_pictures_model_load_seconds 1.5",
           "cross_pictures_shed_total 1",
           "cross_pictures_timed_out_total 1",
           "cross_pictures_build_info{",
       }) {
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "\n" << text;
  }
}

}  // namespace
}  // namespace cp::metrics
