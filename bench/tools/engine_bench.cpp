// engine_bench: ONNX Runtime alone, no decode, no HTTP.
//
// Runs one model on a fixed pseudo-random input (seeded, values in [-2, 2],
// roughly what ImageNet normalisation produces) with the same session options
// as the service's OrtEngine (src/model/ort_engine.cpp): sequential execution,
// 1 inter-op thread, ORT_ENABLE_ALL, intra-op spinning on unless --no-spin.
//
//   engine_bench --model M.onnx [--batch 1] [--threads 2] [--runners 1]
//                [--warmup 5] [--seconds 5] [--min-iters 20] [--max-iters 100000]
//                [--no-spin]
//
// --runners R calls Run from R threads at once on the one session, as the
// server's MODEL_RUNNERS do (each Run may use --threads intra-op threads).
//
// Iterates until both --seconds have passed and --min-iters runs were timed
// (or --max-iters). Prints one parseable line:
//   ENGINE_RESULT model=... batch=B threads=T runners=R spin=S iters=N img_s=X p50_ms=...
//   p90_ms=... p99_ms=... min_ms=... max_ms=... mean_ms=...
// Latencies are per Run (one batch); img_s = B * N / total timed wall time,
// N counted over all runners.
#include <onnxruntime_cxx_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string model;
  int batch = 1;
  int threads = 2;
  int runners = 1;
  int warmup = 5;
  double seconds = 5.0;
  int min_iters = 20;
  int max_iters = 100000;
  bool spin = true;
};

[[noreturn]] void Usage(const char* msg) {
  std::fprintf(
      stderr,
      "engine_bench: %s\nusage: engine_bench --model M.onnx [--batch B] [--threads T] [--runners R] [--warmup W] "
      "[--seconds S] [--min-iters N] [--max-iters N] [--no-spin]\n",
      msg);
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) Usage(("missing value for " + k).c_str());
      return argv[++i];
    };
    // clang-format off
    if (k == "--model") a.model = val();
    else if (k == "--batch") a.batch = std::stoi(val());
    else if (k == "--threads") a.threads = std::stoi(val());
    else if (k == "--runners") a.runners = std::stoi(val());
    else if (k == "--warmup") a.warmup = std::stoi(val());
    else if (k == "--seconds") a.seconds = std::stod(val());
    else if (k == "--min-iters") a.min_iters = std::stoi(val());
    else if (k == "--max-iters") a.max_iters = std::stoi(val());
    else if (k == "--no-spin") a.spin = false;
    else Usage(("unknown argument " + k).c_str());
    // clang-format on
  }
  if (a.model.empty()) Usage("--model is required");
  if (a.batch < 1 || a.threads < 1 || a.runners < 1 || a.min_iters < 1 || a.max_iters < a.min_iters)
    Usage("bad numbers");
  return a;
}

double Percentile(std::vector<double> v, double p) {
  // Nearest-rank on a sorted copy.
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const double rank = p / 100.0 * static_cast<double>(v.size());
  std::size_t idx = rank <= 1 ? 0 : static_cast<std::size_t>(std::ceil(rank)) - 1;
  return v[std::min(idx, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = Parse(argc, argv);
  try {
    Ort::Env env{ORT_LOGGING_LEVEL_WARNING, "engine_bench"};
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(a.threads);
    so.SetInterOpNumThreads(1);
    so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    so.AddConfigEntry("session.intra_op.allow_spinning", a.spin ? "1" : "0");
    Ort::Session session(env, a.model.c_str(), so);

    Ort::AllocatorWithDefaultOptions alloc;
    const std::string in_name = session.GetInputNameAllocated(0, alloc).get();
    const std::string out_name = session.GetOutputNameAllocated(0, alloc).get();
    const Ort::TypeInfo in_type = session.GetInputTypeInfo(0);
    std::vector<int64_t> shape = in_type.GetTensorTypeAndShapeInfo().GetShape();
    if (shape.size() != 4) {
      std::fprintf(stderr, "engine_bench: expected a 4-D input\n");
      return 1;
    }
    if (shape[0] > 0 && shape[0] != a.batch) {
      std::fprintf(stderr, "engine_bench: the model has a fixed batch of %lld\n", static_cast<long long>(shape[0]));
      return 1;
    }
    shape[0] = a.batch;
    for (std::size_t i = 1; i < 4; ++i)
      if (shape[i] <= 0) shape[i] = 224;  // dynamic H/W (channels are static in every model we take)
    std::size_t n = 1;
    for (int64_t d : shape) n *= static_cast<std::size_t>(d);

    std::vector<float> input(n);
    std::mt19937 rng(12345);
    std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
    for (float& x : input) x = dist(rng);

    Ort::MemoryInfo mem = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
    const char* in_names[] = {in_name.c_str()};
    const char* out_names[] = {out_name.c_str()};
    auto run_once = [&] {
      Ort::Value in = Ort::Value::CreateTensor<float>(mem, input.data(), input.size(), shape.data(), shape.size());
      auto outs = session.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1);
      volatile float sink = outs[0].GetTensorData<float>()[0];
      (void)sink;
    };

    for (int i = 0; i < a.warmup; ++i) run_once();

    std::vector<double> lat_ms;
    lat_ms.reserve(1024);
    std::mutex mu;  // guards lat_ms and elapsed
    double elapsed = 0;
    const auto start = Clock::now();
    auto runner = [&] {
      for (;;) {
        {
          std::lock_guard<std::mutex> lk(mu);
          if (!(static_cast<int>(lat_ms.size()) < a.max_iters &&
                (static_cast<int>(lat_ms.size()) < a.min_iters || elapsed < a.seconds)))
            return;
        }
        const auto t0 = Clock::now();
        run_once();
        const auto t1 = Clock::now();
        std::lock_guard<std::mutex> lk(mu);
        lat_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        elapsed = std::max(elapsed, std::chrono::duration<double>(t1 - start).count());
      }
    };
    std::vector<std::thread> threads;
    for (int i = 1; i < a.runners; ++i) threads.emplace_back(runner);
    runner();
    for (std::thread& t : threads) t.join();
    double sum = 0;
    for (double v : lat_ms) sum += v;
    const double img_s = static_cast<double>(a.batch) * static_cast<double>(lat_ms.size()) / elapsed;
    std::printf(
        "ENGINE_RESULT model=%s batch=%d threads=%d runners=%d spin=%d iters=%zu img_s=%.3f p50_ms=%.3f p90_ms=%.3f "
        "p99_ms=%.3f min_ms=%.3f max_ms=%.3f mean_ms=%.3f\n",
        std::filesystem::path(a.model).filename().c_str(), a.batch, a.threads, a.runners, a.spin ? 1 : 0, lat_ms.size(),
        img_s, Percentile(lat_ms, 50), Percentile(lat_ms, 90), Percentile(lat_ms, 99),
        *std::min_element(lat_ms.begin(), lat_ms.end()), *std::max_element(lat_ms.begin(), lat_ms.end()),
        sum / static_cast<double>(lat_ms.size()));
  } catch (const Ort::Exception& e) {
    std::fprintf(stderr, "engine_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
