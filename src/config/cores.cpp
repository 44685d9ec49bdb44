#include "config/cores.h"

#include <sched.h>

#include <algorithm>

#include "config/cgroup_cpu.h"

namespace cp::config {

namespace {

int AffinityCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return 1;
}

}  // namespace

int CoreCount::available() const {
  const int cores = cgroup_limit ? std::min(affinity, *cgroup_limit) : affinity;
  return std::max(cores, 1);
}

CoreCount CountCores() { return CoreCount{AffinityCpus(), ReadCgroupCpuLimit()}; }

int AvailableCores() { return CountCores().available(); }

}  // namespace cp::config
