// An anonymous in-memory file (Linux memfd) with a path other code can open
// for writing: ONNX Runtime writes its optimized model to a path, and the
// service's root filesystem may be read-only (the Kubernetes manifests set it).
#pragma once

#include <string>

#include "common/status.h"

namespace cp::model {

class MemFile {
 public:
  // Errors (kInternal): the kernel refused memfd_create.
  static Result<MemFile> Create(const char* name);
  MemFile(MemFile&& other) noexcept;
  MemFile& operator=(MemFile&&) = delete;
  MemFile(const MemFile&) = delete;
  ~MemFile();

  // "/proc/self/fd/N": opening it reaches this file.
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }
  // What has been written to it. Errors (kInternal): empty or unreadable.
  Result<std::string> ReadAll() const;
  // `size` bytes from `offset` into dst. Errors (kInternal): short or unreadable.
  Status ReadAt(std::size_t offset, std::size_t size, char* dst) const;

 private:
  explicit MemFile(int fd);
  int fd_ = -1;
  std::string path_;
};

}  // namespace cp::model
