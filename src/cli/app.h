// The cross_pictures command line: `serve` and `classify`.
#pragma once

namespace cp::cli {

int Main(int argc, char** argv, char** envp);

}  // namespace cp::cli
