// Reads the images of an /infer request from the wire, using cpp-httplib's
// streaming multipart parser: multipart/form-data parts named `file` or
// `image` (in order; other fields are ignored), or a raw body whose
// Content-Type is image/* (or application/octet-stream).
#pragma once

#include <httplib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/budget.h"
#include "common/status.h"

namespace cp::http {

struct Upload {
  std::string filename;      // as sent (informational only)
  std::string content_type;  // as declared (never trusted for the format)
  std::string bytes;
};

// Errors: kInvalidArgument (no image field / empty body / malformed
// multipart / more than max_images image parts: the extra parts are read
// through, not kept), kUnsupportedMediaType (raw body of a non-image type),
// kTooLarge (more than max_body_bytes arrived).
Result<std::vector<Upload>> ReadUploads(const httplib::Request& req, const httplib::ContentReader& reader,
                                        std::uint64_t max_body_bytes, std::size_t max_images);

// kTooLarge for a body beyond max_body_bytes (the one message for it, whoever refuses it).
Status BodyTooLarge(std::uint64_t max_body_bytes);

// The bytes a request's body will hold in memory, to reserve from the
// Budget before reading it: the declared Content-Length, max_body_bytes
// when none is declared (chunked), 0 when the declared length is over the
// limit (such a body is refused without being read).
std::uint64_t BodyReservation(const httplib::Request& req, std::uint64_t max_body_bytes);

// Reserves room for req's body (BodyReservation) in `budget`, waiting at most
// until `deadline`. On failure (kDeadlineExceeded) the body has been
// discarded (DiscardBody), so the caller can answer on a usable connection.
Result<Budget::Lease> ReserveBody(Budget& budget, const httplib::Request& req, const httplib::ContentReader& reader,
                                  std::uint64_t max_body_bytes, std::optional<Budget::Clock::time_point> deadline);

// Reads the body and throws it away as it arrives (nothing kept), at most max_body_bytes: lets a refused request be
// answered on a connection that stays usable.
void DiscardBody(const httplib::Request& req, const httplib::ContentReader& reader, std::uint64_t max_body_bytes);

}  // namespace cp::http
