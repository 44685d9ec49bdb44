#include "config/settings.h"

#include <array>
#include <cctype>

namespace cp::config {

namespace {
constexpr std::array kSettings = {
    SettingSpec{"HOST", "0.0.0.0", "Address the HTTP server binds to."},
    SettingSpec{"PORT", "8000", "TCP port of the HTTP server (0 picks a free port)."},
    SettingSpec{"GRPC_PORT", "8001",
                "TCP port of the KServe v2 gRPC server, on HOST (0 picks a free port; -1 = no gRPC server)."},
    SettingSpec{"MODEL_PATH", "models/resnet50-v2-7.onnx",
                "ONNX classification model, input [N,3,H,W] or [N,H,W,3], output [N,classes]."},
    SettingSpec{"LABELS_PATH", "models/imagenet_classes.txt", "Class names, one per line, in model output order."},
    SettingSpec{"MODEL_NAME", "", "Name of the model in the API; default: the model file's stem."},
    SettingSpec{"TOP_K", "3", "Predictions returned when the request does not say (1..classes)."},
    SettingSpec{"NUM_THREADS", "0",
                "ONNX Runtime intra-op threads of a run alone; 0 = the cores available to the process (affinity mask, "
                "or the cgroup CPU limit rounded up if smaller)."},
    SettingSpec{"MAX_IMAGE_PIXELS", "40000000",
                "Largest decoded image (width x height); larger is refused with 413 before decoding."},
    SettingSpec{"MAX_BODY_BYTES", "20971520",
                "Largest request body (20 MiB); larger is refused with 413 without reading it."},
    SettingSpec{"MAX_BODY_BYTES_IN_FLIGHT", "16777216",
                "Request-body bytes held in memory at once across all connections (16 MiB; 0 = no limit; a larger "
                "body waits until it has all of it); a request "
                "waits for room before its body is read."},
    SettingSpec{"MAX_BATCH_SIZE", "1",
                "Most images the scheduler puts in one model run (measured: batching does not raise throughput on this "
                "2-core CPU)."},
    SettingSpec{"MAX_QUEUE_DELAY_US", "1000",
                "How long a busy scheduler waits to fill a batch (microseconds); an idle one runs at once."},
    SettingSpec{"MAX_QUEUE", "64",
                "Requests waiting for the model (undecoded until a few places ahead of it); beyond it requests are "
                "refused at once with 503 and Retry-After."},
    SettingSpec{"MODEL_RUNNERS", "2", "Model runs in parallel (one copy of the weights)."},
    SettingSpec{"BUSY_NUM_THREADS", "0",
                "ONNX Runtime threads of a run that starts while another is in progress (a second session on the "
                "same weights); 0 = NUM_THREADS / MODEL_RUNNERS, at least 1; equal to NUM_THREADS: one session, "
                "overlapping runs share its threads. A run alone always gets NUM_THREADS."},
    SettingSpec{"REQUEST_TIMEOUT_MS", "0",
                "Deadline per request (0 = none); a request still queued when it expires gets 504. The "
                "X-Request-Timeout-Ms header can lower it."},
    SettingSpec{"DECODE_CONCURRENCY", "0",
                "Images decoded at once (bounds decoded-frame memory); 0 = the cores available (as NUM_THREADS)."},
    SettingSpec{"SCALED_DECODE", "1",
                "1: decode big JPEG/WebP at 1/2, 1/4 or 1/8 scale when at least twice the resize size remains."},
    SettingSpec{"INT8_WEIGHTS", "auto",
                "int8 models on CPUs whose u8 x s8 kernels saturate (AVX2 or AVX-512 without VNNI): auto = serve s8 "
                "weights beyond +-64 as the exact u8 equivalent there, as given elsewhere; native = as given; u8 = "
                "always shift."},
    SettingSpec{"ALLOW_TRUNCATED_IMAGES", "0",
                "0: a truncated or corrupt image (its decoder library says so) is refused with 400. 1: decode "
                "what the library can recover (Pillow's LOAD_TRUNCATED_IMAGES)."},
    SettingSpec{"MODEL_CONTROL_API", "1",
                "1: POST /v2/repository/models/{name}/load (load MODEL_PATH again, warm it up, swap it in with "
                "no request failing) and .../unload are answered, over REST and gRPC. 0: they answer 403 / "
                "PERMISSION_DENIED (switch them off where clients must not change the model). SIGHUP reloads "
                "either way."},
    SettingSpec{"DRAIN_DELAY_S", "5",
                "On SIGTERM: seconds to keep serving with the readiness probe answering 503, so load balancers "
                "stop sending new requests, before the listener closes (more than the balancer's check interval x "
                "fall; 0 = close at once). SIGINT (Ctrl-C) drains at once."},
    SettingSpec{"DRAIN_TIMEOUT_S", "30", "On SIGTERM/SIGINT: seconds to finish accepted requests before exiting."},
    SettingSpec{"HTTP_THREADS", "64",
                "Threads that run requests (decode, preprocess, waiting for the model); connections hold none."},
    SettingSpec{"IO_THREADS", "0",
                "Event-loop threads that own every connection's socket; 0 = 1 per 4 cores available (1..4)."},
    SettingSpec{"MAX_CONNECTIONS", "10000",
                "Connections open at once; beyond, a new connection gets 503 and is closed. The process raises its "
                "open-files limit to fit."},
    SettingSpec{"HEADER_TIMEOUT_S", "10",
                "Seconds from a request's first byte to the end of its header; then the connection closes."},
    SettingSpec{"READ_TIMEOUT_S", "10",
                "Longest pause, in seconds, while a body is received or a reply sent; then the connection closes."},
    SettingSpec{"KEEP_ALIVE_TIMEOUT_S", "5", "Seconds an idle keep-alive connection is kept open."},
};
}  // namespace

std::span<const SettingSpec> AllSettings() { return kSettings; }

std::string FlagName(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) out.push_back(c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

}  // namespace cp::config
