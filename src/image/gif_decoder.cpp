#include "image/gif_decoder.h"

#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace cp::image {

namespace {

struct Reader {
  std::string_view bytes;
  std::size_t pos = 0;
};

int ReadFromMemory(GifFileType* gif, GifByteType* dst, int n) {
  auto* r = static_cast<Reader*>(gif->UserData);
  const std::size_t take = std::min<std::size_t>(static_cast<std::size_t>(std::max(n, 0)), r->bytes.size() - r->pos);
  std::memcpy(dst, r->bytes.data() + r->pos, take);
  r->pos += take;
  return static_cast<int>(take);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int err = 0;
    DGifCloseFile(gif, &err);
  }
};
using GifPtr = std::unique_ptr<GifFileType, GifCloser>;

GifPtr Open(Reader& reader) {
  int err = 0;
  return GifPtr(DGifOpen(&reader, ReadFromMemory, &err));
}

Status Corrupt() { return InvalidArgument("cannot decode the GIF image (corrupt or truncated)"); }

}  // namespace

std::optional<ImageSize> ProbeGif(std::string_view bytes) {
  Reader reader{bytes};
  GifPtr gif = Open(reader);
  if (!gif) return std::nullopt;
  return ImageSize{gif->SWidth, gif->SHeight};
}

Result<cv::Mat> DecodeGifFirstFrame(std::string_view bytes, std::uint64_t max_pixels) {
  Reader reader{bytes};
  GifPtr gif = Open(reader);
  if (!gif) return Corrupt();
  int transparent = NO_TRANSPARENT_COLOR;
  for (;;) {
    GifRecordType type = UNDEFINED_RECORD_TYPE;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) return Corrupt();
    if (type == TERMINATE_RECORD_TYPE) return InvalidArgument("the GIF has no image");
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* ext = nullptr;
      if (DGifGetExtension(gif.get(), &code, &ext) == GIF_ERROR) return Corrupt();
      if (code == GRAPHICS_EXT_FUNC_CODE && ext != nullptr && ext[0] >= 4) {
        GraphicsControlBlock gcb;
        if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK) transparent = gcb.TransparentColor;
      }
      while (ext != nullptr) {
        if (DGifGetExtensionNext(gif.get(), &ext) == GIF_ERROR) return Corrupt();
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) continue;

    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return Corrupt();
    const GifImageDesc& d = gif->Image;
    const int sw = std::max(gif->SWidth, d.Left + d.Width), sh = std::max(gif->SHeight, d.Top + d.Height);
    if (d.Width <= 0 || d.Height <= 0) return Corrupt();
    if (static_cast<std::uint64_t>(sw) * static_cast<std::uint64_t>(sh) > max_pixels) {
      return TooLarge("GIF frame of " + std::to_string(sw) + "x" + std::to_string(sh) +
                      " pixels exceeds the limit of " + std::to_string(max_pixels));
    }
    const ColorMapObject* map = d.ColorMap != nullptr ? d.ColorMap : gif->SColorMap;
    if (map == nullptr) return InvalidArgument("the GIF has no color map");

    std::vector<GifPixelType> indices(static_cast<std::size_t>(d.Width) * static_cast<std::size_t>(d.Height));
    auto row_ptr = [&](int y) { return indices.data() + static_cast<std::size_t>(y) * d.Width; };
    if (d.Interlace) {
      static constexpr int kStart[] = {0, 4, 2, 1}, kStep[] = {8, 8, 4, 2};
      for (int pass = 0; pass < 4; ++pass) {
        for (int y = kStart[pass]; y < d.Height; y += kStep[pass]) {
          if (DGifGetLine(gif.get(), row_ptr(y), d.Width) == GIF_ERROR) return Corrupt();
        }
      }
    } else {
      for (int y = 0; y < d.Height; ++y) {
        if (DGifGetLine(gif.get(), row_ptr(y), d.Width) == GIF_ERROR) return Corrupt();
      }
    }

    cv::Mat rgb(sh, sw, CV_8UC3, cv::Scalar(255, 255, 255));
    for (int y = 0; y < d.Height; ++y) {
      auto* dst = rgb.ptr<cv::Vec3b>(d.Top + y) + d.Left;
      const GifPixelType* src = row_ptr(y);
      for (int x = 0; x < d.Width; ++x) {
        const int idx = src[x];
        if (idx == transparent || idx >= map->ColorCount) continue;
        const GifColorType& c = map->Colors[idx];
        dst[x] = cv::Vec3b(c.Red, c.Green, c.Blue);
      }
    }
    return rgb;
  }
}

}  // namespace cp::image
