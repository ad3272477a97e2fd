// tracefs: libbpf resolves tracepoint ids through it, and it may be unmounted on a fresh machine.
#pragma once
#include <string>

namespace socktap {

struct TracefsResult {
  bool ok;             // tracepoint ids are readable
  bool mounted_now;    // we mounted it in this call
  std::string path;    // where the syscalls events live
  std::string error;   // what is wrong and what to do, when !ok
  bool permission = false;  // the failure is a missing privilege, not a missing kernel feature
};

// Finds tracefs, mounting it at /sys/kernel/tracing when missing and we are allowed to.
// Runs on the JS thread; idempotent.
TracefsResult EnsureTracefs();

}  // namespace socktap
