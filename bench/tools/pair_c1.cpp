// pair_c1: issue 7's concurrency-1 target measured as interleaved pairs.
//
// Each round classifies one image twice, back to back:
//   pipeline  in this process, through the same service `cross_pictures
//             classify` builds (decode, preprocess, model, rank: the service's
//             total_ms, bytes in memory to ranked result);
//   http      POST /infer of the same bytes (multipart, field "file", as
//             bench/wrk/infer.lua sends them) to a running server over one
//             keep-alive connection (Boost.Beast, synchronous): from the first
//             byte written to the last byte of the reply read.
// The two measurements of a pair are milliseconds apart, so the machine's
// drift (which moves an 8 s wrk run by +-10 ms on a shared host) cancels in
// their difference. The order within a pair alternates (ABBA) and the tool
// sleeps --gap-ms between measurements, so ONNX Runtime's spinning workers of
// one process have stopped before the other process starts.
//
//   pair_c1 --host 127.0.0.1 --port P --image eagle.jpg --pairs 200
//           [--warmup 10] [--gap-ms 2]
// The in-process service is configured like `classify`: MODEL_PATH,
// LABELS_PATH, NUM_THREADS, ... from the environment. Give it the server's
// model and threads, and run nothing else meanwhile.
//
// Prints one parseable line:
//   PAIR_RESULT pairs=N pipeline_p50_ms=.. http_p50_ms=.. diff_p50_ms=..
//   diff_p25_ms=.. diff_p75_ms=.. run_diff_p50_ms=.. http_le_pipeline_plus_1ms=K
// diff = http - pipeline per pair; its median is the serving overhead.
// run_diff = the server's model run (the reply's inference_time_ms) minus the
// pipeline's, per pair: how much of diff is the model running slower there.
#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli/files.h"
#include "cli/startup.h"
#include "config/config.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string host = "127.0.0.1";
  std::string port;
  std::string image;
  int pairs = 200;
  int warmup = 10;
  int gap_ms = 2;
};

[[noreturn]] void Usage(const char* why) {
  std::cerr << "pair_c1: " << why
            << "\nusage: pair_c1 --host H --port P --image FILE --pairs N [--warmup W] [--gap-ms G]\n";
  std::exit(2);
}

Args Parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    if (i + 1 >= argc) Usage(("missing value for " + k).c_str());
    const std::string v = argv[++i];
    if (k == "--host") {
      a.host = v;
    } else if (k == "--port") {
      a.port = v;
    } else if (k == "--image") {
      a.image = v;
    } else if (k == "--pairs") {
      a.pairs = std::atoi(v.c_str());
    } else if (k == "--warmup") {
      a.warmup = std::atoi(v.c_str());
    } else if (k == "--gap-ms") {
      a.gap_ms = std::atoi(v.c_str());
    } else {
      Usage(("unknown option " + k).c_str());
    }
  }
  if (a.port.empty() || a.image.empty() || a.pairs < 1 || a.warmup < 0 || a.gap_ms < 0) Usage("bad arguments");
  return a;
}

// One keep-alive connection to the server's POST /infer.
class InferClient {
 public:
  InferClient(const std::string& host, const std::string& port, const std::string& image_bytes) : stream_(io_) {
    asio::ip::tcp::resolver resolver(io_);
    stream_.connect(resolver.resolve(host, port));
    stream_.socket().set_option(asio::ip::tcp::no_delay(true));
    const std::string boundary = "----crossPicturesBench7d9f3a61";
    req_.method(bhttp::verb::post);
    req_.target("/infer");
    req_.version(11);
    req_.set(bhttp::field::host, host);
    req_.set(bhttp::field::content_type, "multipart/form-data; boundary=" + boundary);
    req_.keep_alive(true);
    req_.body() = "--" + boundary +
                  "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"image.jpg\"\r\n"
                  "Content-Type: image/jpeg\r\n\r\n" +
                  image_bytes + "\r\n--" + boundary + "--\r\n";
    req_.prepare_payload();
  }

  struct Timed {
    double ms = 0;            // first byte written to the whole reply read
    double inference_ms = 0;  // the server's own model run ("inference_time_ms")
  };

  // Exits on anything but 200 (a benchmark of errors measures nothing).
  Timed Post() {
    const auto t0 = Clock::now();
    bhttp::write(stream_, req_);
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(stream_, buffer, res);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (res.result_int() != 200) {
      std::cerr << "pair_c1: the server answered " << res.result_int() << ": " << res.body() << "\n";
      std::exit(1);
    }
    return {ms, nlohmann::json::parse(res.body()).at("inference_time_ms").get<double>()};
  }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  bhttp::request<bhttp::string_body> req_;
};

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  const Args args = Parse(argc, argv);
  auto cfg = cp::config::Resolve(cp::config::Layers{{}, cp::config::EnvironmentMap(envp), {}});
  if (!cfg.ok()) Usage(cfg.status().message().c_str());
  auto started = cp::cli::StartService(*cfg, /*serving=*/false, nullptr);
  if (!started.ok()) {
    std::cerr << "pair_c1: " << started.status().message() << "\n";
    return 1;
  }
  const auto bytes = cp::cli::ReadImageFile(args.image);
  if (!bytes.ok()) Usage(bytes.status().message().c_str());
  const auto& service = *started->service;
  auto pipeline = [&]() -> InferClient::Timed {
    auto r = service.Classify({*bytes, {}, {}}, std::nullopt);
    if (!r.ok()) {
      std::cerr << "pair_c1: in-process classify failed: " << r.status().message() << "\n";
      std::exit(1);
    }
    return {r->timings.total_ms, r->timings.inference_ms};
  };

  try {
    InferClient client(args.host, args.port, *bytes);
    const auto gap = std::chrono::milliseconds(args.gap_ms);
    for (int i = 0; i < args.warmup; ++i) {
      pipeline();
      client.Post();
    }
    std::vector<double> local, remote, diff, run_diff;
    for (int i = 0; i < args.pairs; ++i) {
      InferClient::Timed p, h;
      if (i % 4 == 0 || i % 4 == 3) {  // ABBA over consecutive pairs
        p = pipeline();
        std::this_thread::sleep_for(gap);
        h = client.Post();
      } else {
        h = client.Post();
        std::this_thread::sleep_for(gap);
        p = pipeline();
      }
      std::this_thread::sleep_for(gap);
      local.push_back(p.ms);
      remote.push_back(h.ms);
      diff.push_back(h.ms - p.ms);
      run_diff.push_back(h.inference_ms - p.inference_ms);
    }
    const auto within = std::count_if(diff.begin(), diff.end(), [](double d) { return d <= 1.0; });
    std::printf(
        "PAIR_RESULT pairs=%d pipeline_p50_ms=%.3f http_p50_ms=%.3f diff_p50_ms=%.3f diff_p25_ms=%.3f "
        "diff_p75_ms=%.3f run_diff_p50_ms=%.3f http_le_pipeline_plus_1ms=%ld\n",
        args.pairs, Percentile(local, 0.5), Percentile(remote, 0.5), Percentile(diff, 0.5), Percentile(diff, 0.25),
        Percentile(diff, 0.75), Percentile(run_diff, 0.5), static_cast<long>(within));
  } catch (const std::exception& e) {
    std::cerr << "pair_c1: HTTP: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
