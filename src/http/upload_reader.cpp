#include "http/upload_reader.h"

namespace cp::http {

namespace {
bool IsImageField(const std::string& name) { return name == "file" || name == "image"; }
}  // namespace

Status BodyTooLarge(std::uint64_t max_body_bytes) {
  return TooLarge("the request body is larger than " + std::to_string(max_body_bytes) + " bytes");
}

std::uint64_t BodyReservation(const httplib::Request& req, std::uint64_t max_body_bytes) {
  if (!req.has_header("Content-Length")) return max_body_bytes;
  const auto declared = req.get_header_value<std::uint64_t>("Content-Length");
  return declared > max_body_bytes ? 0 : declared;
}

Result<std::vector<Upload>> ReadUploads(const httplib::Request& req, const httplib::ContentReader& reader,
                                        std::uint64_t max_body_bytes, std::size_t max_images) {
  std::vector<Upload> uploads;
  std::uint64_t received = 0;
  // A declared length beyond the limit: the library discards the body
  // without handing it to us, and the read reports failure.
  const auto declared = req.get_header_value<std::uint64_t>("Content-Length");
  bool too_large = declared > max_body_bytes;
  // Sized once from the declared length, so an upload is held in one buffer
  // of its own size rather than in a doubling one (up to 2x, plus the copy).
  auto reserve_rest = [&](std::string& s) {
    if (!too_large && declared > received) s.reserve(static_cast<std::size_t>(declared - received));
  };
  auto count = [&](std::size_t n) {
    received += n;
    if (received > max_body_bytes) too_large = true;
    return !too_large;  // false stops reading: the rest is never read
  };

  if (req.is_multipart_form_data()) {
    bool keep = false;       // is the current part an image field to keep?
    std::size_t images = 0;  // image fields seen, kept or not
    const bool ok = reader(
        [&](const httplib::MultipartFormData& part) {
          keep = IsImageField(part.name) && ++images <= max_images;
          if (keep) {
            uploads.push_back({part.filename, part.content_type, {}});
            // Only the first image: reserving the rest for every part of a
            // many-image request would hold a multiple of the body.
            if (uploads.size() == 1) reserve_rest(uploads.back().bytes);
          }
          return true;
        },
        [&](const char* data, std::size_t n) {
          if (!count(n)) return false;
          if (keep) uploads.back().bytes.append(data, n);
          return true;
        });
    if (too_large) return BodyTooLarge(max_body_bytes);
    if (!ok) return InvalidArgument("malformed multipart/form-data body");
    if (images > max_images) {
      return InvalidArgument(std::to_string(images) + " images in one request: at most " + std::to_string(max_images));
    }
    if (uploads.empty()) {
      return InvalidArgument("no image: send it in a multipart/form-data field named 'file' or 'image'");
    }
    return uploads;
  }

  const std::string type = req.get_header_value("Content-Type");
  std::string body;
  reserve_rest(body);
  const bool ok = reader([&](const char* data, std::size_t n) {
    if (!count(n)) return false;
    body.append(data, n);
    return true;
  });
  if (too_large) return BodyTooLarge(max_body_bytes);
  if (!ok) return InvalidArgument("cannot read the request body");
  if (body.empty()) {
    return InvalidArgument(
        "no image: send multipart/form-data with a 'file' or 'image' field, or the image bytes "
        "with an image/* Content-Type");
  }
  if (!(type.starts_with("image/") || type.starts_with("application/octet-stream"))) {
    return UnsupportedMediaType("unsupported Content-Type '" + type + "': send multipart/form-data or an image/* body");
  }
  uploads.push_back({"", type, std::move(body)});
  return uploads;
}

void DiscardBody(const httplib::Request& req, const httplib::ContentReader& reader, std::uint64_t max_body_bytes) {
  std::uint64_t received = 0;
  auto discard = [&](const char*, std::size_t n) {
    received += n;
    return received <= max_body_bytes;
  };
  // httplib hands a multipart body only to the multipart reader.
  if (req.is_multipart_form_data()) {
    reader([](const httplib::MultipartFormData&) { return true; }, discard);
  } else {
    reader(discard);
  }
}

Result<Budget::Lease> ReserveBody(Budget& budget, const httplib::Request& req, const httplib::ContentReader& reader,
                                  std::uint64_t max_body_bytes, std::optional<Budget::Clock::time_point> deadline) {
  auto lease = budget.Reserve(BodyReservation(req, max_body_bytes), deadline);
  if (!lease.ok()) DiscardBody(req, reader, max_body_bytes);
  return lease;
}

}  // namespace cp::http
