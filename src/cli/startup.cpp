#include "cli/startup.h"

#include <malloc.h>

#include <chrono>
#include <iostream>

#include "image/decoder.h"
#include "service/factory.h"
#include "service/warmup.h"

namespace cp::cli {

namespace {

batching::SchedulerOptions SchedulerOptionsFor(const config::Config& cfg, metrics::Metrics* metrics) {
  batching::SchedulerOptions o;
  o.max_batch_size = static_cast<std::size_t>(cfg.max_batch_size);
  o.max_queue_delay = std::chrono::microseconds(cfg.max_queue_delay_us);
  o.max_queue = static_cast<std::size_t>(cfg.max_queue);
  o.runners = cfg.model_runners;
  if (metrics != nullptr) {
    o.on_batch = [metrics](std::size_t images, double run_seconds) {
      metrics->ObserveBatchSize(images);
      metrics->ObserveInference(run_seconds);
    };
    o.on_dequeue = [metrics](double wait_seconds) { metrics->ObserveQueueWait(wait_seconds); };
  }
  return o;
}

}  // namespace

Result<Started> LoadService(const config::Config& cfg, bool serving, metrics::Metrics* metrics) {
  if (Status s = config::CheckFiles(cfg); !s.ok()) return s;
  image::InstallCodecPixelLimit(cfg.max_image_pixels);
  const auto t0 = std::chrono::steady_clock::now();

  Started started;
  Status warmup;
  service::EngineFactory factory;
  if (serving) {
    factory.overlapping_runs = cfg.model_runners > 1;
    factory.wrap = [&](std::shared_ptr<model::InferenceEngine> engine) -> std::shared_ptr<model::InferenceEngine> {
      warmup = service::WarmUp(*engine, static_cast<std::size_t>(cfg.max_batch_size), factory.overlapping_runs);
      started.scheduler = std::make_shared<batching::Scheduler>(std::move(engine), SchedulerOptionsFor(cfg, metrics));
      return started.scheduler;
    };
  }
  auto svc = service::BuildService(cfg, factory);
  if (!svc.ok()) return svc.status();
  if (!warmup.ok()) return Internal("warm-up failed: " + warmup.message());
  started.service = *svc;
  // Loading parses the whole model file and copies its weights; give the
  // freed parse buffers back to the OS instead of keeping them as RSS.
  malloc_trim(0);
  started.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return started;
}

void ReportLoaded(const config::Config& cfg, const service::ClassificationService& s, bool serving, double load_seconds,
                  metrics::Metrics* metrics) {
  if (const model::ModelInfo* mi = s.model_info()) {
    std::cerr << "cross_pictures: model " << cfg.model_path << " (" << cfg.model_name << "): input '" << mi->input_name
              << "' " << mi->height << "x" << mi->width << ", output '" << mi->output_name << "' " << mi->num_classes
              << " classes; ORT threads: " << mi->threading;
    if (serving) {
      std::cerr << " x " << cfg.model_runners << " runner(s), batch <= " << cfg.max_batch_size
                << ", queue <= " << cfg.max_queue;
    }
    std::cerr << "; ready in " << load_seconds << " s" << std::endl;
    std::cerr << "cross_pictures: int8 weights: " << mi->int8_weights << " (" << mi->int8_reason << "; CPU int8 path "
              << mi->cpu_int8_path << ")" << std::endl;
  } else {
    std::cerr << "cross_pictures: MODEL NOT LOADED (" << s.load_error() << "); /infer answers 503" << std::endl;
  }
  if (metrics != nullptr) {
    metrics->SetModelLoaded(s.model_loaded(), load_seconds);
    if (const model::ModelInfo* mi = s.model_info()) metrics->SetInt8Weights(mi->int8_weights, mi->cpu_int8_path);
  }
}

Result<Started> StartService(const config::Config& cfg, bool serving, metrics::Metrics* metrics) {
  auto started = LoadService(cfg, serving, metrics);
  if (started.ok()) ReportLoaded(cfg, *started->service, serving, started->load_seconds, metrics);
  return started;
}

}  // namespace cp::cli
