#include "config/cgroup_cpu.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

namespace cp::config {

namespace {

constexpr std::string_view kSpace = " \t\r\n";

std::vector<std::string_view> Split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find_first_of(separators, start), text.size());
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::optional<std::int64_t> ParseInt64(std::string_view text) {
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// quota / period CPUs rounded up, at least 1; nullopt unless both are > 0.
std::optional<int> WholeCpus(std::optional<std::int64_t> quota, std::optional<std::int64_t> period) {
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  const std::int64_t cpus = *quota / *period + (*quota % *period != 0 ? 1 : 0);
  return static_cast<int>(std::clamp<std::int64_t>(cpus, 1, std::numeric_limits<int>::max()));
}

std::optional<int> Min(std::optional<int> a, std::optional<int> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string UnescapeOctal(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() &&
        std::all_of(field.begin() + i + 1, field.begin() + i + 4, [](char c) { return c >= '0' && c <= '7'; })) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

bool Names(std::string_view comma_list, std::string_view item) {
  const auto items = Split(comma_list, ",");
  return std::find(items.begin(), items.end(), item) != items.end();
}

std::optional<std::string> ReadSmallFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The directory of cgroup `path` under `mount`, and its parents up to the
// mount point, leaf first.
std::vector<std::filesystem::path> CgroupDirs(const CgroupMount& mount, std::string_view path) {
  std::string_view root = mount.root;
  while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  std::string_view relative;
  if (root == "/") {
    relative = path;
  } else if (path == root ||
             (path.size() > root.size() && path.substr(0, root.size()) == root && path[root.size()] == '/')) {
    relative = path.substr(root.size());
  }
  std::vector<std::filesystem::path> dirs;
  std::vector<std::string_view> parts = Split(relative, "/");
  const bool escapes = std::find(parts.begin(), parts.end(), "..") != parts.end();
  if (escapes) parts.clear();  // outside this namespace's view: the mount point alone
  for (std::size_t n = parts.size();; --n) {
    std::filesystem::path dir = mount.mount_point;
    for (std::size_t i = 0; i < n; ++i) dir /= std::string(parts[i]);
    dirs.push_back(std::move(dir));
    if (n == 0) break;
  }
  return dirs;
}

std::optional<int> V2Limit(const CgroupMount& mount, std::string_view path) {
  std::optional<int> limit;
  for (const auto& dir : CgroupDirs(mount, path)) {
    if (auto text = ReadSmallFile(dir / "cpu.max")) limit = Min(limit, CpuLimitFromCgroupV2(*text));
  }
  return limit;
}

std::optional<int> V1Limit(const CgroupMount& mount, std::string_view path) {
  std::optional<int> limit;
  for (const auto& dir : CgroupDirs(mount, path)) {
    auto quota = ReadSmallFile(dir / "cpu.cfs_quota_us");
    auto period = ReadSmallFile(dir / "cpu.cfs_period_us");
    if (quota && period) limit = Min(limit, CpuLimitFromCgroupV1(*quota, *period));
  }
  return limit;
}

}  // namespace

std::optional<int> CpuLimitFromCgroupV2(std::string_view cpu_max) {
  const auto fields = Split(cpu_max, kSpace);
  if (fields.size() != 2 || fields[0] == "max") return std::nullopt;
  return WholeCpus(ParseInt64(fields[0]), ParseInt64(fields[1]));
}

std::optional<int> CpuLimitFromCgroupV1(std::string_view quota_us, std::string_view period_us) {
  const auto quota = Split(quota_us, kSpace);
  const auto period = Split(period_us, kSpace);
  if (quota.size() != 1 || period.size() != 1) return std::nullopt;
  return WholeCpus(ParseInt64(quota[0]), ParseInt64(period[0]));  // -1: no limit
}

CgroupMounts CgroupMountsFromMountinfo(std::string_view mountinfo) {
  CgroupMounts mounts;
  for (std::string_view line : Split(mountinfo, "\n")) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    const auto fields = Split(line, " ");
    const auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4) continue;
    const std::string_view fstype = dash[1];
    const std::string_view super_options = dash[3];
    CgroupMount mount{UnescapeOctal(fields[4]), UnescapeOctal(fields[3])};
    if (fstype == "cgroup2" && !mounts.v2) {
      mounts.v2 = std::move(mount);
    } else if (fstype == "cgroup" && !mounts.v1_cpu && Names(super_options, "cpu")) {
      mounts.v1_cpu = std::move(mount);
    }
  }
  return mounts;
}

std::optional<int> CgroupCpuLimit(std::string_view proc_self_cgroup, const CgroupMounts& mounts) {
  std::optional<int> limit;
  for (std::string_view line : Split(proc_self_cgroup, "\n")) {
    // hierarchy-id:controller-list:path (the path may itself hold ':')
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    const std::string_view id = line.substr(0, first);
    const std::string_view controllers = line.substr(first + 1, second - first - 1);
    std::string_view path = line.substr(second + 1);
    while (!path.empty() && kSpace.find(path.back()) != std::string_view::npos) path.remove_suffix(1);
    if (id == "0" && controllers.empty()) {
      if (mounts.v2) limit = Min(limit, V2Limit(*mounts.v2, path));
    } else if (Names(controllers, "cpu")) {
      if (mounts.v1_cpu) limit = Min(limit, V1Limit(*mounts.v1_cpu, path));
    }
  }
  return limit;
}

std::optional<int> ReadCgroupCpuLimit() {
  const auto proc_self_cgroup = ReadSmallFile("/proc/self/cgroup");
  if (!proc_self_cgroup) return std::nullopt;
  CgroupMounts mounts = CgroupMountsFromMountinfo(ReadSmallFile("/proc/self/mountinfo").value_or(""));
  if (!mounts.v2) mounts.v2 = CgroupMount{"/sys/fs/cgroup"};
  if (!mounts.v1_cpu) mounts.v1_cpu = CgroupMount{"/sys/fs/cgroup/cpu,cpuacct"};
  return CgroupCpuLimit(*proc_self_cgroup, mounts);
}

}  // namespace cp::config
