// What this CPU's ONNX Runtime int8 kernels do with u8 x s8 products.
//
// ONNX Runtime (MLAS) picks its int8 GEMM kernels from CPUID. With AVX-512
// VNNI or AVX-VNNI it uses vpdpbusd (exact int32 sums). With AVX2 or
// AVX-512BW but no VNNI it uses vpmaddubsw, which adds pairs of u8 x s8
// products into a *saturating* int16: two products of an activation near 255
// with weights beyond +-64 overflow and are clipped. With only SSE4.1 the
// kernels widen to int16 first and are exact. u8 x u8 products never take the
// saturating route.
#pragma once

#include <string>

namespace cp::model {

struct CpuInt8Path {
  std::string isa;         // "avx512-vnni", "avx-vnni", "avx512bw", "avx2", "sse4.1", "baseline"
  bool saturates = false;  // u8 x s8 pair sums saturate at int16 (no VNNI, AVX2 or AVX-512BW present)
};

// Reads CPUID once per call (GCC's __builtin_cpu_supports, which also checks
// that the OS enables the AVX state). Thread-safe.
CpuInt8Path DetectCpuInt8Path();

}  // namespace cp::model
