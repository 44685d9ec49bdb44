#include "image/gif_decoder.h"

#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
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

GifPtr Open(Reader& reader, int* err) { return GifPtr(DGifOpen(&reader, ReadFromMemory, err)); }

// giflib's error code says which damage it found: a read past the end of the
// bytes is a file cut short.
Status Damaged(int error) {
  const bool truncated = error == D_GIF_ERR_READ_FAILED || error == D_GIF_ERR_EOF_TOO_SOON;
  const char* what = GifErrorString(error);
  return InvalidArgument(std::string("the GIF image is ") + (truncated ? "truncated" : "corrupt") +
                         " (giflib: " + (what != nullptr ? what : "unknown error") + ")");
}

}  // namespace

std::optional<ImageSize> ProbeGif(std::string_view bytes) {
  Reader reader{bytes};
  int err = 0;
  GifPtr gif = Open(reader, &err);
  if (!gif) return std::nullopt;
  return ImageSize{gif->SWidth, gif->SHeight};
}

Result<cv::Mat> DecodeGifFirstFrame(std::string_view bytes, std::uint64_t max_pixels, bool allow_truncated) {
  Reader reader{bytes};
  int err = 0;
  GifPtr gif = Open(reader, &err);
  if (!gif) return Damaged(err);
  auto Corrupt = [&gif] { return Damaged(gif->Error); };
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
    if (d.Width <= 0 || d.Height <= 0) return InvalidArgument("the GIF image is corrupt (an empty frame)");
    if (static_cast<std::uint64_t>(sw) * static_cast<std::uint64_t>(sh) > max_pixels) {
      return TooLarge("GIF frame of " + std::to_string(sw) + "x" + std::to_string(sh) +
                      " pixels exceeds the limit of " + std::to_string(max_pixels));
    }
    const ColorMapObject* map = d.ColorMap != nullptr ? d.ColorMap : gif->SColorMap;
    if (map == nullptr) return InvalidArgument("the GIF has no color map");

    std::vector<GifPixelType> indices(static_cast<std::size_t>(d.Width) * static_cast<std::size_t>(d.Height));
    std::vector<bool> row_read(static_cast<std::size_t>(d.Height), false);
    auto row_ptr = [&](int y) { return indices.data() + static_cast<std::size_t>(y) * d.Width; };
    // Rows in the order they are stored (interlaced: four passes).
    static constexpr int kStart[] = {0, 4, 2, 1}, kStep[] = {8, 8, 4, 2};
    const int passes = d.Interlace ? 4 : 1;
    bool damaged = false;
    for (int pass = 0; pass < passes && !damaged; ++pass) {
      const int start = d.Interlace ? kStart[pass] : 0, step = d.Interlace ? kStep[pass] : 1;
      for (int y = start; y < d.Height; y += step) {
        if (DGifGetLine(gif.get(), row_ptr(y), d.Width) == GIF_ERROR) {
          if (!allow_truncated) return Corrupt();
          damaged = true;  // keep the rows read so far; the others stay white
          break;
        }
        row_read[static_cast<std::size_t>(y)] = true;
      }
    }

    cv::Mat rgb(sh, sw, CV_8UC3, cv::Scalar(255, 255, 255));
    for (int y = 0; y < d.Height; ++y) {
      if (!row_read[static_cast<std::size_t>(y)]) continue;
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
