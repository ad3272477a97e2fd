// Actionable errors: every failure of open/load/attach becomes a JS Error with a stable `code`
// and a message that says what is wrong and what to do. Runs on the JS thread only.
#pragma once
#include <napi.h>
#include <string>

namespace socktap {

// Stable error codes, mirrored by agent/util/errors.ts. Do not rename.
constexpr const char* kErrNoBtf = "SOCKTAP_NO_BTF";
constexpr const char* kErrPermission = "SOCKTAP_PERMISSION";
constexpr const char* kErrTracefs = "SOCKTAP_TRACEFS";
constexpr const char* kErrKernelTooOld = "SOCKTAP_KERNEL_TOO_OLD";
constexpr const char* kErrVerifier = "SOCKTAP_VERIFIER";
constexpr const char* kErrAttach = "SOCKTAP_ATTACH";
constexpr const char* kErrInvalidArg = "SOCKTAP_INVALID_ARGUMENT";
constexpr const char* kErrState = "SOCKTAP_STATE";
constexpr const char* kErrSystem = "SOCKTAP_SYSTEM";

// Builds an Error with `code` and `errno` properties.
Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message, int err = 0);

// The libbpf log of the current operation: its tail goes into load errors (verifier output).
void LibbpfLogReset();
std::string LibbpfLogTail(size_t max_bytes);
void InstallLibbpfLogger();

// Kernel release as {major, minor}; {0, 0} when uname fails.
struct KernelVersion { int major; int minor; };
KernelVersion RunningKernel();

}  // namespace socktap
