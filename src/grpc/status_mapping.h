// The single place where a core Status becomes a gRPC status (as
// src/http/error_mapping.cpp is for HTTP).
#pragma once

#include <grpcpp/support/status.h>

#include "common/status.h"

namespace cp::grpc_server {

// kInvalidArgument, kInvalidParameter, kUnsupportedMediaType -> INVALID_ARGUMENT;
// kTooLarge -> RESOURCE_EXHAUSTED (as gRPC's own message-size limit);
// kUnavailable, kOverloaded -> UNAVAILABLE (clients retry it);
// kDeadlineExceeded -> DEADLINE_EXCEEDED; kNotFound -> NOT_FOUND; kInternal -> INTERNAL.
grpc::StatusCode GrpcCodeFor(StatusCode code);

// The code above with the status's message.
grpc::Status ToGrpcStatus(const Status& status);

}  // namespace cp::grpc_server
