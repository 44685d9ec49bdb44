// The images of an /infer request, from its complete body: multipart/form-data
// parts named `file` or `image` (in order; other fields are ignored), parsed
// by RESTinio's multipart helpers, or a raw body whose Content-Type is image/*
// (or application/octet-stream). The body limit and its memory budget are
// the transport's (http1_server.h): by the time this runs the body is in
// memory and within MAX_BODY_BYTES.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/transport/message.h"

namespace cp::http {

struct Upload {
  std::string filename;      // as sent (informational only)
  std::string content_type;  // as declared (never trusted for the format)
  std::string_view bytes;    // a view into the request's body
};

bool IsMultipart(const RequestHead& req);

// Errors: kInvalidArgument (no image field / empty body / malformed
// multipart / more than max_images image parts), kUnsupportedMediaType (raw
// body of a non-image type). The uploads point into req.body (which may get
// a final CRLF appended when the sender left it out).
Result<std::vector<Upload>> ParseUploads(Request& req, std::size_t max_images);

}  // namespace cp::http
