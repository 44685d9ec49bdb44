// Between the gRPC messages of inference.GRPCInferenceService
// (proto/grpc_service.proto) and the transport-neutral KServe v2 types
// (src/kserve). Pure functions; no function throws.
//
// A request's input carries its data either in raw_input_contents (then
// every input does, in input order, as Triton requires: FP32 as
// little-endian floats, BYTES as 4-byte little-endian lengths each followed
// by the element) or in its contents (fp32_contents, bytes_contents).
// Parameters understood: the request's "timeout" (Triton's, microseconds;
// int64 or uint64) and each output's "classification" (k, int64 or uint64);
// others are ignored, except "shared_memory_region" (refused: not supported).
// A response carries every output's data in raw_output_contents, as Triton's
// server does (tritonclient reads it with as_numpy).
#pragma once

#include "common/status.h"
#include "grpc_service.pb.h"
#include "kserve/inference.h"
#include "kserve/tensor.h"

namespace cp::grpc_server {

// The result's views point into `proto`, which must outlive it.
// kInvalidArgument for a malformed request.
Result<kserve::InferRequest> FromProto(const inference::ModelInferRequest& proto);

void ToProto(kserve::InferResponse response, inference::ModelInferResponse& proto);
void ToProto(const kserve::ModelMetadata& metadata, inference::ModelMetadataResponse& proto);
void ToProto(const kserve::ServerMetadata& metadata, inference::ServerMetadataResponse& proto);

}  // namespace cp::grpc_server
