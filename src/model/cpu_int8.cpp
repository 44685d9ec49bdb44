#include "model/cpu_int8.h"

namespace cp::model {

CpuInt8Path DetectCpuInt8Path() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512vnni")) return {"avx512-vnni", false};
  if (__builtin_cpu_supports("avxvnni")) return {"avx-vnni", false};
  if (__builtin_cpu_supports("avx512bw")) return {"avx512bw", true};
  if (__builtin_cpu_supports("avx2")) return {"avx2", true};
  if (__builtin_cpu_supports("sse4.1")) return {"sse4.1", false};
  return {"baseline", false};
}

}  // namespace cp::model
