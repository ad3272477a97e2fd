#include "errors.h"

#include <bpf/libbpf.h>
#include <sys/utsname.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace socktap {

namespace {
std::mutex log_mu;
std::string log_buf;
constexpr size_t kLogKeep = 64 * 1024;

// libbpf may call this from any thread that calls into it (JS thread for load/attach).
int LibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  char line[1024];
  vsnprintf(line, sizeof(line), fmt, args);
  {
    std::lock_guard<std::mutex> lock(log_mu);
    log_buf += line;
    if (log_buf.size() > kLogKeep) log_buf.erase(0, log_buf.size() - kLogKeep);
  }
  // SOCKTAP_LIBBPF_DEBUG=1 shows libbpf's own log, debug level included, on stderr.
  static const bool debug = getenv("SOCKTAP_LIBBPF_DEBUG") != nullptr;
  if (debug) fputs(line, stderr);
  (void)level;
  return 0;
}
}  // namespace

Napi::Error MakeError(Napi::Env env, const char* code, const std::string& message, int err) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  if (err != 0) e.Set("errno", Napi::Number::New(env, err));
  return e;
}

void LibbpfLogReset() {
  std::lock_guard<std::mutex> lock(log_mu);
  log_buf.clear();
}

std::string LibbpfLogTail(size_t max_bytes) {
  std::lock_guard<std::mutex> lock(log_mu);
  if (log_buf.size() <= max_bytes) return log_buf;
  return log_buf.substr(log_buf.size() - max_bytes);
}

void InstallLibbpfLogger() { libbpf_set_print(LibbpfPrint); }

KernelVersion RunningKernel() {
  struct utsname u;
  if (uname(&u) != 0) return {0, 0};
  KernelVersion v{0, 0};
  sscanf(u.release, "%d.%d", &v.major, &v.minor);
  return v;
}

}  // namespace socktap
