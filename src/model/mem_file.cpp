#include "model/mem_file.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cp::model {

MemFile::MemFile(int fd) : fd_(fd), path_("/proc/self/fd/" + std::to_string(fd)) {}

MemFile::MemFile(MemFile&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }

MemFile::~MemFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<MemFile> MemFile::Create(const char* name) {
  const int fd = ::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return Internal(std::string("memfd_create: ") + std::strerror(errno));
  return MemFile(fd);
}

Result<std::string> MemFile::ReadAll() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return Internal(std::string("fstat: ") + std::strerror(errno));
  if (st.st_size <= 0) return Internal("nothing was written");
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  if (Status s = ReadAt(0, out.size(), out.data()); !s.ok()) return s;
  return out;
}

Status MemFile::ReadAt(std::size_t offset, std::size_t size, char* dst) const {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd_, dst + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Internal(std::string("read: ") + (n < 0 ? std::strerror(errno) : "short file"));
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

}  // namespace cp::model
