#include "tracefs.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

namespace socktap {

namespace {
constexpr const char* kTracefs = "/sys/kernel/tracing";
constexpr const char* kDebugfsTracing = "/sys/kernel/debug/tracing";

bool HasSyscallEvents(const std::string& root) {
  return access((root + "/events/syscalls").c_str(), F_OK) == 0;
}
}  // namespace

TracefsResult EnsureTracefs() {
  // libbpf prefers /sys/kernel/debug/tracing when that path exists, else /sys/kernel/tracing.
  if (access(kDebugfsTracing, F_OK) == 0 && HasSyscallEvents(kDebugfsTracing))
    return {true, false, kDebugfsTracing, ""};
  if (HasSyscallEvents(kTracefs)) return {true, false, kTracefs, ""};

  if (access(kTracefs, F_OK) != 0) {
    return {false, false, kTracefs,
            std::string("tracefs mount point ") + kTracefs +
                " does not exist: this kernel lacks CONFIG_TRACING, or /sys is not the host's. "
                "In a container, mount the host's /sys/kernel/tracing (hostPath) into the pod."};
  }
  if (mount("tracefs", kTracefs, "tracefs", 0, nullptr) != 0) {
    int err = errno;
    if (err == EBUSY && HasSyscallEvents(kTracefs)) return {true, false, kTracefs, ""};
    return {false, false, kTracefs,
            std::string("tracefs is not mounted at ") + kTracefs + " and mounting it failed (" +
                strerror(err) + "). Run as root once: mount -t tracefs nodev " + kTracefs +
                " (in Kubernetes: mount the host's /sys/kernel/tracing into the pod)."};
  }
  if (!HasSyscallEvents(kTracefs)) {
    return {false, true, kTracefs,
            std::string("tracefs is mounted at ") + kTracefs +
                " but has no events/syscalls: the kernel was built without "
                "CONFIG_FTRACE_SYSCALLS, which socktap needs (syscall tracepoints)."};
  }
  return {true, true, kTracefs, ""};
}

}  // namespace socktap
