#include "config/cgroup_cpu.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "config/cores.h"

namespace cp::config {
namespace {

namespace fs = std::filesystem;

TEST(CgroupCpu, V2MaxIsNoLimit) {
  EXPECT_EQ(CpuLimitFromCgroupV2("max 100000\n"), std::nullopt);
  EXPECT_EQ(CpuLimitFromCgroupV2("max 100000"), std::nullopt);
}

TEST(CgroupCpu, V2QuotaInWholeCpus) {
  EXPECT_EQ(CpuLimitFromCgroupV2("200000 100000\n"), 2);
  EXPECT_EQ(CpuLimitFromCgroupV2("100000 100000"), 1);
  EXPECT_EQ(CpuLimitFromCgroupV2("6400000 100000\n"), 64);
  EXPECT_EQ(CpuLimitFromCgroupV2("50000 50000\n"), 1);  // another period
}

TEST(CgroupCpu, V2FractionsRoundUp) {
  EXPECT_EQ(CpuLimitFromCgroupV2("150000 100000\n"), 2);  // 1.5 -> 2
  EXPECT_EQ(CpuLimitFromCgroupV2("50000 100000\n"), 1);   // 0.5 -> 1
  EXPECT_EQ(CpuLimitFromCgroupV2("1000 100000\n"), 1);    // 0.01 -> 1
  EXPECT_EQ(CpuLimitFromCgroupV2("200001 100000\n"), 3);
}

TEST(CgroupCpu, V2MalformedIsNoLimit) {
  for (const char* text : {"", "\n", "garbage", "200000", "200000 100000 7", "2e5 100000", "200000 abc",
                           "-200000 100000", "200000 0", "0 100000", "max", "99999999999999999999 100000"}) {
    EXPECT_EQ(CpuLimitFromCgroupV2(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(CgroupCpu, V1MinusOneIsNoLimit) { EXPECT_EQ(CpuLimitFromCgroupV1("-1\n", "100000\n"), std::nullopt); }

TEST(CgroupCpu, V1QuotaInWholeCpus) {
  EXPECT_EQ(CpuLimitFromCgroupV1("200000\n", "100000\n"), 2);
  EXPECT_EQ(CpuLimitFromCgroupV1("150000\n", "100000\n"), 2);
  EXPECT_EQ(CpuLimitFromCgroupV1("50000\n", "100000\n"), 1);
  EXPECT_EQ(CpuLimitFromCgroupV1("abc\n", "100000\n"), std::nullopt);
  EXPECT_EQ(CpuLimitFromCgroupV1("200000\n", "0\n"), std::nullopt);
  EXPECT_EQ(CpuLimitFromCgroupV1("", ""), std::nullopt);
}

TEST(CgroupCpu, MountsFromMountinfo) {
  // A hybrid host (this repository's dev machine): v1 controllers, cgroup2 at unified/.
  const auto hybrid = CgroupMountsFromMountinfo(
      "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
      "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
      "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
      "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
      "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n");
  ASSERT_TRUE(hybrid.v1_cpu && hybrid.v2);
  EXPECT_EQ(hybrid.v1_cpu->mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(hybrid.v2->mount_point, "/sys/fs/cgroup/unified");

  // A v1 container: cpu,cpuacct bind-mounted from its own cgroup, with optional fields.
  const auto v1 = CgroupMountsFromMountinfo(
      "1 0 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n"
      "40 39 0:30 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid master:12 - cgroup cgroup rw,cpu,cpuacct\n");
  ASSERT_TRUE(v1.v1_cpu);
  EXPECT_FALSE(v1.v2);
  EXPECT_EQ(v1.v1_cpu->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(v1.v1_cpu->root, "/docker/abc");

  // cgroup v2 only; an escaped space in the mount point.
  const auto v2 = CgroupMountsFromMountinfo("30 25 0:26 / /sys/fs/my\\040cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
  ASSERT_TRUE(v2.v2);
  EXPECT_FALSE(v2.v1_cpu);
  EXPECT_EQ(v2.v2->mount_point, "/sys/fs/my cgroup");
}

// A cgroup tree in a temporary directory.
class CgroupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cp_cgroup_test_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  void Write(const fs::path& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }
  CgroupMounts V2Only() const { return CgroupMounts{CgroupMount{root_ / "v2"}, std::nullopt}; }

  fs::path root_;
};

TEST_F(CgroupTree, V2LeafLimit) {
  Write("v2/kubepods/pod1/cpu.max", "200000 100000\n");
  EXPECT_EQ(CgroupCpuLimit("0::/kubepods/pod1\n", V2Only()), 2);
}

TEST_F(CgroupTree, V2AncestorLimitSmallerThanLeaf) {
  Write("v2/cpu.max", "max 100000\n");  // not in a real root cgroup, but harmless
  Write("v2/a/cpu.max", "100000 100000\n");
  Write("v2/a/b/cpu.max", "400000 100000\n");
  Write("v2/a/b/c/cpu.max", "max 100000\n");
  EXPECT_EQ(CgroupCpuLimit("0::/a/b/c\n", V2Only()), 1);
  EXPECT_EQ(CgroupCpuLimit("0::/a/b/c/\n", V2Only()), 1);
}

TEST_F(CgroupTree, V2NoLimitAnywhere) {
  Write("v2/a/cpu.max", "max 100000\n");
  fs::create_directories(root_ / "v2/a/b");  // no cpu.max: the cpu controller not enabled there
  EXPECT_EQ(CgroupCpuLimit("0::/a/b\n", V2Only()), std::nullopt);
  EXPECT_EQ(CgroupCpuLimit("0::/missing/dir\n", V2Only()), std::nullopt);
  EXPECT_EQ(CgroupCpuLimit("", V2Only()), std::nullopt);
  EXPECT_EQ(CgroupCpuLimit("0::/a/b\n", CgroupMounts{}), std::nullopt);
}

TEST_F(CgroupTree, V2NamespaceRootIsTheMountPoint) {
  // In a container with its own cgroup namespace the process is at "/".
  Write("v2/cpu.max", "300000 100000\n");
  EXPECT_EQ(CgroupCpuLimit("0::/\n", V2Only()), 3);
  // Moved outside the namespace's root: only the mount point is read.
  EXPECT_EQ(CgroupCpuLimit("0::/../other\n", V2Only()), 3);
}

TEST_F(CgroupTree, V1LimitUnderTheCpuController) {
  Write("cpu/cpu.cfs_quota_us", "-1\n");
  Write("cpu/cpu.cfs_period_us", "100000\n");
  Write("cpu/job/cpu.cfs_quota_us", "150000\n");
  Write("cpu/job/cpu.cfs_period_us", "100000\n");
  Write("cpu/job/task/cpu.cfs_quota_us", "-1\n");
  Write("cpu/job/task/cpu.cfs_period_us", "100000\n");
  const CgroupMounts mounts{std::nullopt, CgroupMount{root_ / "cpu"}};
  const std::string proc_self_cgroup =
      "12:memory:/job/task\n"
      "4:cpu,cpuacct:/job/task\n"
      "1:name=systemd:/job/task\n"
      "0::/job/task\n";
  EXPECT_EQ(CgroupCpuLimit(proc_self_cgroup, mounts), 2);  // the parent's 1.5, rounded up
  EXPECT_EQ(CgroupCpuLimit("4:cpuacct,cpu:/job/task\n", mounts), 2);
  EXPECT_EQ(CgroupCpuLimit("4:cpuacct:/job/task\n", mounts), std::nullopt);  // not the cpu controller
  EXPECT_EQ(CgroupCpuLimit("4:cpu:/\n", mounts), std::nullopt);
}

TEST_F(CgroupTree, V1MountOfAContainersOwnCgroup) {
  // docker/podman on cgroup v1 without a cgroup namespace: the container sees
  // its host path in /proc/self/cgroup, and that cgroup at the mount point.
  Write("cpu/cpu.cfs_quota_us", "100000\n");
  Write("cpu/cpu.cfs_period_us", "100000\n");
  const CgroupMounts mounts{std::nullopt, CgroupMount{root_ / "cpu", "/docker/abc"}};
  EXPECT_EQ(CgroupCpuLimit("4:cpu,cpuacct:/docker/abc\n", mounts), 1);
}

TEST_F(CgroupTree, HybridTakesTheSmallerOfV1AndV2) {
  Write("v2/svc/cpu.max", "400000 100000\n");
  Write("cpu/svc/cpu.cfs_quota_us", "300000\n");
  Write("cpu/svc/cpu.cfs_period_us", "100000\n");
  const CgroupMounts mounts{CgroupMount{root_ / "v2"}, CgroupMount{root_ / "cpu"}};
  EXPECT_EQ(CgroupCpuLimit("1:cpu:/svc\n0::/svc\n", mounts), 3);
}

TEST(Cores, AvailableIsTheSmallerCount) {
  EXPECT_EQ((CoreCount{64, 2}).available(), 2);
  EXPECT_TRUE((CoreCount{64, 2}).limited_by_cgroup());
  EXPECT_EQ((CoreCount{4, 8}).available(), 4);
  EXPECT_FALSE((CoreCount{4, 8}).limited_by_cgroup());
  EXPECT_EQ((CoreCount{4, std::nullopt}).available(), 4);
  EXPECT_FALSE((CoreCount{4, std::nullopt}).limited_by_cgroup());
  EXPECT_GE(AvailableCores(), 1);
}

TEST(Cores, ThreadDefaultsFollowTheCgroupLimit) {
  auto c = Resolve({}, CoreCount{64, 2});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->num_threads, 2);
  EXPECT_EQ(c->decode_concurrency, 2);
  EXPECT_EQ(c->io_threads, 1);
  EXPECT_EQ(c->cores_note,
            "NUM_THREADS defaults to 2, DECODE_CONCURRENCY to 2, IO_THREADS to 1: cgroup CPU limit 2 of 64 CPUs");

  Layers set;
  set.env = {{"NUM_THREADS", "3"}, {"IO_THREADS", "2"}};
  auto s = Resolve(set, CoreCount{64, 2});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->num_threads, 3);
  EXPECT_EQ(s->io_threads, 2);
  EXPECT_EQ(s->cores_note, "DECODE_CONCURRENCY defaults to 2: cgroup CPU limit 2 of 64 CPUs");

  set.env["DECODE_CONCURRENCY"] = "1";
  EXPECT_EQ(Resolve(set, CoreCount{64, 2})->cores_note, "");  // nothing defaulted

  auto unlimited = Resolve({}, CoreCount{16, std::nullopt});
  EXPECT_EQ(unlimited->num_threads, 16);
  EXPECT_EQ(unlimited->io_threads, 4);
  EXPECT_EQ(unlimited->cores_note, "");  // no note without a binding cgroup limit
}

}  // namespace
}  // namespace cp::config
