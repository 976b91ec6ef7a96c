// hwsnapctl's entry point: the command line over the built-in backends
// (see cli.h for building one with your own backend registered).
#include "hwsnapctl/cli.h"

int main(int argc, char** argv) { return hwsnap::tools::RunHwsnapctl(argc, argv, nullptr); }
