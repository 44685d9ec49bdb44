#include "cli/app.h"

int main(int argc, char** argv, char** envp) { return cp::cli::Main(argc, argv, envp); }
