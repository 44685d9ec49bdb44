#include "image/webp_decoder.h"

#include <webp/decode.h>

#include <string>

#include "image/alpha.h"

namespace cp::image {

namespace {

// libwebp's status, in its own enum's words.
const char* StatusName(VP8StatusCode rc) {
  switch (rc) {
    case VP8_STATUS_OUT_OF_MEMORY:
      return "OUT_OF_MEMORY";
    case VP8_STATUS_INVALID_PARAM:
      return "INVALID_PARAM";
    case VP8_STATUS_BITSTREAM_ERROR:
      return "BITSTREAM_ERROR";
    case VP8_STATUS_UNSUPPORTED_FEATURE:
      return "UNSUPPORTED_FEATURE";
    case VP8_STATUS_SUSPENDED:
      return "SUSPENDED";
    case VP8_STATUS_USER_ABORT:
      return "USER_ABORT";
    case VP8_STATUS_NOT_ENOUGH_DATA:
      return "NOT_ENOUGH_DATA";
    default:
      return "OK";
  }
}

Status Damaged(VP8StatusCode rc) {
  const bool truncated = rc == VP8_STATUS_NOT_ENOUGH_DATA;
  return InvalidArgument(std::string("the WebP image is ") + (truncated ? "truncated" : "corrupt") +
                         " (libwebp: VP8_STATUS_" + StatusName(rc) + ")");
}

}  // namespace

Result<cv::Mat> DecodeWebp(std::string_view bytes, int reduction) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return Internal("libwebp: WebPInitDecoderConfig failed (version mismatch)");
  if (const VP8StatusCode rc = WebPGetFeatures(data, bytes.size(), &config.input); rc != VP8_STATUS_OK) {
    return Damaged(rc);
  }
  const int w = config.input.width, h = config.input.height;
  const bool alpha = config.input.has_alpha != 0;
  cv::Mat out;
  if (reduction > 1) {
    config.options.use_scaling = 1;
    config.options.scaled_width = std::max(1, w / reduction);
    config.options.scaled_height = std::max(1, h / reduction);
    out.create(config.options.scaled_height, config.options.scaled_width, alpha ? CV_8UC4 : CV_8UC3);
  } else {
    out.create(h, w, alpha ? CV_8UC4 : CV_8UC3);
  }
  // Decode straight into our buffer (external memory): no copy.
  config.output.colorspace = alpha ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = out.data;
  config.output.u.RGBA.stride = static_cast<int>(out.step[0]);
  config.output.u.RGBA.size = out.step[0] * static_cast<std::size_t>(out.rows);
  const VP8StatusCode rc = WebPDecode(data, bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);
  if (rc != VP8_STATUS_OK) return Damaged(rc);
  if (alpha) return CompositeOverWhite(out, /*bgr_order=*/false);
  return out;
}

}  // namespace cp::image
