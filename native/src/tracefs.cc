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

// tracefs is mode 0700: for an unprivileged user it exists but cannot be searched.
bool Unreadable(const std::string& root) {
  return access((root + "/events/syscalls").c_str(), F_OK) != 0 && errno == EACCES;
}
}  // namespace

TracefsResult EnsureTracefs() {
  // libbpf prefers /sys/kernel/debug/tracing when that path exists, else /sys/kernel/tracing.
  if (access(kDebugfsTracing, F_OK) == 0 && HasSyscallEvents(kDebugfsTracing))
    return {true, false, kDebugfsTracing, ""};
  if (HasSyscallEvents(kTracefs)) return {true, false, kTracefs, ""};
  if (Unreadable(kTracefs)) {
    return {false, false, kTracefs,
            std::string(kTracefs) + " is not readable by this user (uid " + std::to_string(getuid()) +
                "): run socktap as root, or with CAP_BPF, CAP_PERFMON and CAP_DAC_READ_SEARCH "
                "(in Kubernetes: the privileged or capabilities mode of the DaemonSet).", true};
  }

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
                " (in Kubernetes: mount the host's /sys/kernel/tracing into the pod).",
            err == EPERM || err == EACCES};
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
