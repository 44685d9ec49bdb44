// How many CPUs this process may use: the defaults of NUM_THREADS,
// DECODE_CONCURRENCY and IO_THREADS.
#pragma once

#include <optional>

namespace cp::config {

struct CoreCount {
  int affinity = 1;                 // CPUs in the affinity mask (sched_getaffinity), at least 1
  std::optional<int> cgroup_limit;  // cgroup CPU quota in whole CPUs, rounded up (config/cgroup_cpu.h); none: nullopt

  // The smaller of the two, at least 1.
  int available() const;
  // True when the cgroup limit, not the affinity mask, decides available().
  bool limited_by_cgroup() const { return cgroup_limit && *cgroup_limit < affinity; }
};

// This process's count: sched_getaffinity and ReadCgroupCpuLimit.
CoreCount CountCores();

// CountCores().available().
int AvailableCores();

}  // namespace cp::config
