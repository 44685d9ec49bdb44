#include "image/webp_decoder.h"

#include <webp/decode.h>

#include "image/alpha.h"

namespace cp::image {

Result<cv::Mat> DecodeWebp(std::string_view bytes, int reduction) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config) || WebPGetFeatures(data, bytes.size(), &config.input) != VP8_STATUS_OK) {
    return InvalidArgument("cannot decode the WebP image (corrupt header)");
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
  if (rc != VP8_STATUS_OK) return InvalidArgument("cannot decode the WebP image (corrupt or truncated)");
  if (alpha) return CompositeOverWhite(out, /*bgr_order=*/false);
  return out;
}

}  // namespace cp::image
