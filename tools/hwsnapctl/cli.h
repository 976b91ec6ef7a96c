// hwsnapctl/cli.h — hwsnapctl's whole command line as one function.
//
// The shipped hwsnapctl is `main` calling RunHwsnapctl with the built-in
// backends. A storage vendor who built a backend outside this tree makes
// their own hwsnapctl without touching hwsnap's files:
//
//   int main(int argc, char** argv) {
//     hwsnap::BackendRegistry registry;
//     hwsnap::RegisterMockBackend(registry);
//     registry.Register("acme", "ACME array", &MakeAcmeSession);
//     return hwsnap::tools::RunHwsnapctl(argc, argv, &registry);
//   }
#ifndef HWSNAP_TOOLS_HWSNAPCTL_CLI_H_
#define HWSNAP_TOOLS_HWSNAPCTL_CLI_H_

#include "hwsnap/backend_registry.h"

namespace hwsnap::tools {

// Parses argv, runs the subcommand, returns the exit status (0 ok, 1 leak or
// unexpected failure, 2 usage error). `registry` null: the built-in backends.
// Call once per process (flags are process-wide).
int RunHwsnapctl(int argc, char** argv, const BackendRegistry* registry);

}  // namespace hwsnap::tools

#endif  // HWSNAP_TOOLS_HWSNAPCTL_CLI_H_
