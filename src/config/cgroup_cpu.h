// The CPU bandwidth limit (CFS quota) of the process's cgroups, in whole
// CPUs: what `resources.limits.cpu`, `docker run --cpus` and
// `podman run --cpus` set, and sched_getaffinity does not show.
//
// A fractional limit is rounded UP, never below 1: 1.5 CPUs -> 2, 0.5 -> 1.
// Rounding down would leave part of the quota unused by a thread pool sized
// to it (1.5 -> 1 uses two thirds), and a limit below one CPU still needs one
// thread; rounding up risks some throttling at saturation instead. Go 1.25's
// GOMAXPROCS default rounds up the same way.
//
// No limit (or nothing readable, or text that does not parse) is nullopt:
// the caller then counts the affinity mask alone.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cp::config {

// cgroup v2 `cpu.max` contents, "$QUOTA $PERIOD" in microseconds:
// "max 100000" -> nullopt (no limit); "200000 100000" -> 2; "150000 100000" -> 2.
std::optional<int> CpuLimitFromCgroupV2(std::string_view cpu_max);

// cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us` contents:
// quota "-1" -> nullopt (no limit); "200000" over "100000" -> 2.
std::optional<int> CpuLimitFromCgroupV1(std::string_view quota_us, std::string_view period_us);

// Where a cgroup hierarchy is visible in the file system.
struct CgroupMount {
  std::filesystem::path mount_point;  // the directory, e.g. /sys/fs/cgroup
  std::string root = "/";             // the cgroup that directory shows (mountinfo's 4th field)
};

struct CgroupMounts {
  std::optional<CgroupMount> v2;      // the unified hierarchy (fstype cgroup2)
  std::optional<CgroupMount> v1_cpu;  // the v1 hierarchy with the cpu controller
};

// Parses /proc/self/mountinfo text: the first cgroup2 mount, and the first
// cgroup (v1) mount whose super options name the `cpu` controller.
CgroupMounts CgroupMountsFromMountinfo(std::string_view mountinfo);

// The smallest CPU limit of the process's cgroups. `proc_self_cgroup` is
// /proc/self/cgroup text: its "0::/path" line is looked up under mounts.v2
// (cpu.max), its "N:...cpu...:/path" line under mounts.v1_cpu
// (cpu.cfs_quota_us / cpu.cfs_period_us). Each is read in the process's own
// cgroup directory and in every parent up to the mount point, since a limit
// set on an ancestor binds its descendants too. A cgroup path outside the
// mount's root (another cgroup namespace) reads the mount point alone. Reads
// files under the mount points only.
std::optional<int> CgroupCpuLimit(std::string_view proc_self_cgroup, const CgroupMounts& mounts);

// CgroupCpuLimit of this process: /proc/self/cgroup, with the mounts from
// /proc/self/mountinfo (/sys/fs/cgroup and /sys/fs/cgroup/cpu,cpuacct where
// it names none).
std::optional<int> ReadCgroupCpuLimit();

}  // namespace cp::config
