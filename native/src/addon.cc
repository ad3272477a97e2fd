// Module entry: the Session class plus stateless helpers. Everything here runs on the JS thread.
#include <bpf/libbpf.h>
#include <napi.h>

#include "errors.h"
#include "fast-lines.h"
#include "json-bytes.h"
#include "layout.h"
#include "session.h"
#include "tracefs.h"

namespace socktap {
namespace {

// ensureTracefs(): { ok, mountedNow, path, error } — mounts tracefs when missing and allowed.
Napi::Value EnsureTracefsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TracefsResult r = EnsureTracefs();
  Napi::Object o = Napi::Object::New(env);
  o.Set("ok", r.ok);
  o.Set("mountedNow", r.mounted_now);
  o.Set("path", r.path);
  if (!r.ok) o.Set("error", r.error);
  return o;
}

// probeFeatures(): what the running kernel lets this process load, each 1 (yes), 0 (no) or a
// negative errno (could not tell, usually EPERM without privileges).
Napi::Value ProbeFeatures(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  InstallLibbpfLogger();
  Napi::Object o = Napi::Object::New(env);
  o.Set("ringbuf", libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr));
  o.Set("tracepointProgram", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, nullptr));
  o.Set("kprobeProgram", libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_KPROBE, nullptr));
  o.Set("bpfLoop", libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, nullptr));
  o.Set("probeReadUser", libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_probe_read_user, nullptr));
  o.Set("cgroupId", libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_current_cgroup_id, nullptr));
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Session", Session::Init(env));
  exports.Set("layout", Napi::Function::New(env, Layout));
  exports.Set("ensureTracefs", Napi::Function::New(env, EnsureTracefsJs));
  exports.Set("probeFeatures", Napi::Function::New(env, ProbeFeatures));
  exports.Set("libbpfVersion", Napi::String::New(env, libbpf_version_string()));
  InitJsonBytes(env, exports);
  exports.Set("FastLines", InitFastLines(env));
  return exports;
}

}  // namespace
}  // namespace socktap

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return socktap::Init(env, exports); }

NODE_API_MODULE(socktap, InitModule)
