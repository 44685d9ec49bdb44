#include "http/uploads.h"

#include <restinio/helpers/http_field_parsers/content-disposition.hpp>
#include <restinio/helpers/http_field_parsers/content-type.hpp>
#include <restinio/helpers/multipart_body.hpp>

namespace cp::http {

namespace {

namespace mp = restinio::multipart_body;
namespace hfp = restinio::http_field_parsers;

bool IsImageField(std::string_view name) { return name == "file" || name == "image"; }

Status Malformed(const std::string& why) { return InvalidArgument("malformed multipart/form-data body: " + why); }

Result<std::vector<Upload>> ParseMultipart(Request& req, std::size_t max_images) {
  const auto type = hfp::content_type_value_t::try_parse(req.headers.Get("Content-Type"));
  if (!type) return Malformed("unreadable Content-Type");
  const auto boundary = hfp::find_first(type->media_type.parameters, "boundary");
  if (!boundary || mp::check_boundary_value(*boundary)) return Malformed("no valid boundary in Content-Type");
  const std::string delimiter = "--" + std::string(*boundary);
  // The CRLF after the close-delimiter is optional (RFC 2046); the splitter wants it.
  if (req.body.ends_with(delimiter + "--")) req.body += "\r\n";
  auto parts = mp::split_multipart_body(req.body, delimiter);
  if (parts.empty()) return Malformed("no part delimited by its boundary");

  std::vector<Upload> uploads;
  std::size_t images = 0;  // image fields seen, kept or not
  for (std::string_view part : parts) {
    auto parsed = mp::try_parse_part(part);
    if (!parsed) return Malformed("a part's header cannot be read");
    const auto disposition = parsed->fields.opt_value_of(restinio::http_field_t::content_disposition);
    if (!disposition) return Malformed("a part without Content-Disposition");
    // A disposition RFC 6266's grammar cannot read (e.g. control characters in
    // a field name) cannot name `file` or `image`: an ignored field, like any
    // other that is not an image.
    const auto cd = hfp::content_disposition_value_t::try_parse(*disposition);
    if (!cd) continue;
    const auto name = hfp::find_first(cd->parameters, "name");
    if (!name || !IsImageField(*name) || ++images > max_images) continue;
    const auto filename = hfp::find_first(cd->parameters, "filename");
    const auto part_type = parsed->fields.opt_value_of(restinio::http_field_t::content_type);
    uploads.push_back({filename ? std::string(*filename) : std::string(),
                       part_type ? std::string(*part_type) : std::string(), parsed->body});
  }
  if (images > max_images) {
    return InvalidArgument(std::to_string(images) + " images in one request: at most " + std::to_string(max_images));
  }
  if (uploads.empty()) {
    return InvalidArgument("no image: send it in a multipart/form-data field named 'file' or 'image'");
  }
  return uploads;
}

}  // namespace

bool IsMultipart(const RequestHead& req) {
  const std::string type = req.headers.Get("Content-Type");
  return type.size() >= 19 &&
         restinio::impl::is_equal_caseless(std::string_view(type).substr(0, 19), "multipart/form-data");
}

Result<std::vector<Upload>> ParseUploads(Request& req, std::size_t max_images) {
  if (IsMultipart(req)) return ParseMultipart(req, max_images);
  const std::string type = req.headers.Get("Content-Type");
  if (req.body.empty()) {
    return InvalidArgument(
        "no image: send multipart/form-data with a 'file' or 'image' field, or the image bytes "
        "with an image/* Content-Type");
  }
  if (!(type.starts_with("image/") || type.starts_with("application/octet-stream"))) {
    return UnsupportedMediaType("unsupported Content-Type '" + type + "': send multipart/form-data or an image/* body");
  }
  return std::vector<Upload>{{"", type, req.body}};
}

}  // namespace cp::http
