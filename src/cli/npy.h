// NumPy .npy files (format version 1.0) of float32 tensors, for the
// `preprocess` command: numpy.load() reads them back with their shape.
// Layout: the 6-byte magic "\x93NUMPY", version 1 0, a little-endian uint16
// header length, a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 224, 224), }
// padded with spaces and a final '\n' so the data starts at a multiple of 64,
// then the floats in C order, little-endian.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"

namespace cp::cli {

// The whole file: header + data. Requires a little-endian host (x86-64).
std::string EncodeNpy(std::span<const float> data, const std::vector<std::int64_t>& shape);

// Writes EncodeNpy(...) to `path` (replacing it); kInternal on an I/O failure.
Status WriteNpy(const std::string& path, std::span<const float> data, const std::vector<std::int64_t>& shape);

}  // namespace cp::cli
