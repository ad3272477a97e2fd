#include "session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "errors.h"
#include "socktap.skel.h"
#include "tracefs.h"

namespace socktap {

namespace {

// bpf_loop (5.17) is the newest kernel feature the programs rely on.
constexpr int kMinMajor = 5, kMinMinor = 17;

const char* const kProbeNames[SOCKTAP_SC_COUNT] = {
    "accept", "accept4", "connect", "close",   "read",     "write",    "readv",    "writev",
    "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "sendfile",
    "SSL_read", "SSL_write", "SSL_read_ex", "SSL_write_ex",
};

uint32_t OptU32(const Napi::Object& o, const char* key, uint32_t def, uint32_t lo, uint32_t hi) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<uint32_t>(d) || d < lo || d > hi)
    throw Napi::TypeError::New(o.Env(), std::string(key) + " must be an integer in [" +
                                            std::to_string(lo) + ", " + std::to_string(hi) +
                                            "], got " + std::to_string(d));
  return static_cast<uint32_t>(d);
}

bool OptBool(const Napi::Object& o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string ErrText(int err) { return strerror(err < 0 ? -err : err); }

// `o[name]`: absent, or an array whose every element `parse` accepts; TypeError naming the
// element otherwise. One form for every target list of setTargets().
template <typename T, typename Parse>
std::set<T> ParseSet(Napi::Env env, const Napi::Object& o, const char* name, const char* list_form, const char* elem_form,
                     Parse parse) {
  std::set<T> out;
  Napi::Value v = o.Get(name);
  if (v.IsUndefined()) return out;
  if (!v.IsArray()) throw Napi::TypeError::New(env, std::string(name) + " must be " + list_form);
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    T value{};
    if (!parse(a.Get(i), &value))
      throw Napi::TypeError::New(env, std::string(name) + "[" + std::to_string(i) + "] must be " + elem_form);
    out.insert(std::move(value));
  }
  return out;
}

// Brings the BPF hash map `fd` from `have` to `want`: adds first, removes after, so an entry that
// stays is never missing. Does not update `have` (the caller commits all lists together).
template <typename T, typename Key, typename Describe>
void SyncMap(Napi::Env env, int fd, const std::set<T>& have, const std::set<T>& want, const char* what, Key key_of,
             Describe describe) {
  uint8_t one = 1;
  for (const T& t : want) {
    if (have.count(t)) continue;
    auto key = key_of(t);
    if (bpf_map_update_elem(fd, &key, &one, BPF_ANY) != 0)
      throw MakeError(env, kErrSystem, std::string("adding ") + what + " " + describe(t) + " to the target map failed: " + ErrText(errno), errno);
  }
  for (const T& t : have) {
    if (want.count(t)) continue;
    auto key = key_of(t);
    bpf_map_delete_elem(fd, &key);
  }
}


// Translates a failed load into what the user can act on.
Napi::Error LoadError(Napi::Env env, int err) {
  err = err < 0 ? -err : err;
  if (err == EPERM || err == EACCES) {
    return MakeError(env, kErrPermission,
                     "loading the BPF programs was refused (" + ErrText(err) +
                         "). Run as root, or grant CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE "
                         "(plus CAP_SYS_ADMIN on kernels older than 5.8); in Kubernetes use the "
                         "privileged or capabilities mode of the DaemonSet.",
                     err);
  }
  if (err == EAGAIN) {
    // The verifier stops when a signal is pending (and libbpf's retries meet the next one): a
    // sampling profiler in this process (node --cpu-prof, --prof) sends SIGPROF every few hundred
    // microseconds, more often than a program this size verifies.
    return MakeError(env, kErrVerifier,
                     "loading the BPF programs was interrupted (" + ErrText(err) +
                         "): the kernel's verifier gives up when a signal arrives, most often from a "
                         "sampling profiler in this process (node --cpu-prof or --prof). Run without "
                         "it, or start profiling after the capture started.",
                     err);
  }
  std::string log = LibbpfLogTail(4000);
  if (log.find("vmlinux BTF") != std::string::npos || log.find("failed to find valid kernel BTF") != std::string::npos) {
    return MakeError(env, kErrNoBtf,
                     "this kernel exposes no BTF at /sys/kernel/btf/vmlinux, which the CO-RE programs "
                     "need (CONFIG_DEBUG_INFO_BTF=y). Provide a BTF file for this kernel with the "
                     "btfPath option (e.g. from btfhub).\nlibbpf said:\n" + log,
                     err);
  }
  return MakeError(env, kErrVerifier,
                   "the kernel rejected the BPF programs (" + ErrText(err) +
                       "). Run `socktap doctor` to check kernel features. The verifier log ends "
                       "with:\n" + log,
                   err);
}

}  // namespace

Napi::Function Session::Init(Napi::Env env) {
  return DefineClass(env, "Session",
                     {
                         InstanceMethod("setTargets", &Session::SetTargets),
                         InstanceMethod("stats", &Session::Stats),
                         InstanceMethod("stop", &Session::Stop),
                         InstanceMethod("attachTls", &Session::AttachTls),
                         InstanceMethod("detachTls", &Session::DetachTls),
                         InstanceMethod("ref", &Session::Ref),
                         InstanceMethod("unref", &Session::Unref),
                         InstanceMethod("recycle", &Session::Recycle),
                     });
}

Session::Session(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Session>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "new Session(options: object, onBatch: function)");
  Napi::Object o = info[0].As<Napi::Object>();

  uint32_t max_payload = OptU32(o, "maxPayloadBytes", SOCKTAP_DEFAULT_PAYLOAD_BYTES, 1, SOCKTAP_PAYLOAD_CAP);
  uint32_t max_chunks = OptU32(o, "maxChunksPerCall", SOCKTAP_DEFAULT_CHUNKS_PER_CALL, 1, SOCKTAP_MAX_CHUNKS_PER_CALL);
  uint32_t ring_bytes = OptU32(o, "ringBufferBytes", 8u << 20, 4096, 1u << 30);
  if (ring_bytes & (ring_bytes - 1))
    throw Napi::TypeError::New(env, "ringBufferBytes must be a power of two, got " + std::to_string(ring_bytes));
  uint32_t max_conns = OptU32(o, "maxConnections", 65536, 64, 1u << 22);
  uint32_t wake_bytes = OptU32(o, "wakeupThresholdBytes", ring_bytes / 4, 0, ring_bytes);
  bool non_tcp = OptBool(o, "includeNonTcp", false);
  ReaderOptions ropts;
  ropts.poll_interval_ms = static_cast<int>(OptU32(o, "pollIntervalMs", 50, 1, 1000));
  ropts.batch_bytes = OptU32(o, "batchBytes", 4u << 20, 4096, 64u << 20);
  ropts.max_pending_batches = OptU32(o, "maxPendingBatches", 64, 1, 65536);
  ropts.max_pending_records = OptU32(o, "maxPendingRecords", 0, 0, 0xffffffffu);
  std::string btf_path;
  if (o.Get("btfPath").IsString()) btf_path = o.Get("btfPath").As<Napi::String>().Utf8Value();

  KernelVersion kv = RunningKernel();
  if (kv.major < kMinMajor || (kv.major == kMinMajor && kv.minor < kMinMinor)) {
    throw MakeError(env, kErrKernelTooOld,
                    "kernel " + std::to_string(kv.major) + "." + std::to_string(kv.minor) +
                        " is too old: socktap needs 5.17 or newer (BPF ring buffer and bpf_loop).");
  }

  TracefsResult tfs = EnsureTracefs();
  if (!tfs.ok) throw MakeError(env, tfs.permission ? kErrPermission : kErrTracefs, tfs.error);

  InstallLibbpfLogger();
  LibbpfLogReset();
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  if (!btf_path.empty()) open_opts.btf_custom_path = btf_path.c_str();
  skel_ = socktap_bpf__open_opts(&open_opts);
  if (!skel_) {
    int err = errno;
    throw MakeError(env, kErrSystem, "opening the BPF object failed: " + ErrText(err) + "\n" + LibbpfLogTail(2000), err);
  }
  skel_->rodata->max_payload_bytes = max_payload;
  skel_->rodata->max_chunks_per_call = max_chunks;
  skel_->rodata->self_tgid = static_cast<uint32_t>(getpid());
  skel_->rodata->include_non_tcp = non_tcp;
  skel_->rodata->wakeup_threshold_bytes = wake_bytes;
  bpf_map__set_max_entries(skel_->maps.events, ring_bytes);
  bpf_map__set_max_entries(skel_->maps.conns, max_conns);
  ring_bytes_ = ring_bytes;

  int err = socktap_bpf__load(skel_);
  if (err) {
    Napi::Error e = LoadError(env, err);
    Close();
    throw e;
  }
  err = socktap_bpf__attach(skel_);
  if (err) {
    std::string log = LibbpfLogTail(2000);
    Close();
    throw MakeError(env, err == -EPERM || err == -EACCES ? kErrPermission : kErrAttach,
                    "attaching to the syscall tracepoints failed (" + ErrText(err) + ") under " +
                        tfs.path + ". Run `socktap doctor`.\nlibbpf said:\n" + log,
                    -err);
  }

  reader_ = std::make_unique<Reader>(env, bpf_map__fd(skel_->maps.events), info[1].As<Napi::Function>(), ropts);
  try {
    reader_->Start(env);
  } catch (...) {
    Close();
    throw;
  }
}

Session::~Session() { Close(); }

void Session::DetachAll() {
  if (!skel_) return;
  bpf_object_skeleton* s = skel_->skeleton;
  std::vector<std::thread> threads;
  for (int i = 0; i < s->prog_cnt; i++) {
    bpf_link** link = s->progs[i].link;
    if (link && *link) threads.emplace_back([link] {
      bpf_link__destroy(*link);
      *link = nullptr;
    });
  }
  for (auto& [path, att] : tls_)
    for (bpf_link* l : att.links) threads.emplace_back([l] { bpf_link__destroy(l); });
  for (auto& t : threads) t.join();
  tls_.clear();
}

void Session::Close() {
  // Detach first so no new events arrive, then drain what is in the ring, then free the maps.
  DetachAll();
  if (reader_) reader_->Stop();
  if (skel_) {
    socktap_bpf__destroy(skel_);
    skel_ = nullptr;
  }
}

// stop() off the JS thread; the promise resolves once the reader's last batch reached JS.
class Session::StopWorker : public Napi::AsyncWorker {
 public:
  StopWorker(Napi::Env env, Session* session, Napi::Object self)
      : Napi::AsyncWorker(env, "socktap-stop"), session_(session), deferred_(Napi::Promise::Deferred::New(env)) {
    self_ = Napi::Persistent(self);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // Worker thread. The JS thread does not touch skel_ or the reader while stopping_ is set.
  void Execute() override {
    Session* s = session_;
    s->DetachAll();
    s->reader_->StopThread();
    if (!s->ReadCounters(&s->final_)) counters_errno_ = errno;
    socktap_bpf__destroy(s->skel_);
    s->skel_ = nullptr;
  }

  // JS thread.
  void OnOK() override {
    Napi::Env env = Env();
    Session* s = session_;
    s->stopped_ = true;
    if (counters_errno_ != 0) {
      deferred_.Reject(MakeError(env, kErrSystem, "reading the final counters failed: " + ErrText(counters_errno_), counters_errno_).Value());
      s->reader_->Release(nullptr);
      return;
    }
    auto stats = std::make_shared<Napi::ObjectReference>(Napi::Persistent(s->StatsObject(env, s->final_)));
    auto self = std::make_shared<Napi::ObjectReference>(std::move(self_));
    Napi::Promise::Deferred deferred = deferred_;
    s->reader_->Release([stats, self, deferred](Napi::Env) { deferred.Resolve(stats->Value()); });
  }

 private:
  Session* session_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;  // keeps the Session alive until the promise settles
  int counters_errno_ = 0;
};

Napi::Value Session::SetTargets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!skel_ || stopping_) throw MakeError(env, kErrState, "setTargets() called after stop()");
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(env, "setTargets({ all?, tgids?, cgroupIds?, comms?, ports?, portMatch? })");
  Napi::Object o = info[0].As<Napi::Object>();

  auto whole = [](const Napi::Value& v, double lo, double hi, double* out) {
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
    *out = d;
    return d >= lo && d <= hi && d == static_cast<double>(static_cast<uint64_t>(d));
  };
  std::set<uint32_t> tgids = ParseSet<uint32_t>(env, o, "tgids", "an array of process ids", "a process id (1..4194304)",
                                                [&](const Napi::Value& v, uint32_t* out) {
                                                  double d;
                                                  if (!whole(v, 1, 4194304, &d)) return false;
                                                  *out = static_cast<uint32_t>(d);
                                                  return true;
                                                });
  std::set<uint64_t> cgroups = ParseSet<uint64_t>(env, o, "cgroupIds", "an array of bigint cgroup ids", "a bigint of at most 64 bits",
                                                  [](const Napi::Value& v, uint64_t* out) {
                                                    bool lossless = false;
                                                    if (!v.IsBigInt()) return false;
                                                    *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
                                                    return lossless;
                                                  });
  // comm holds 15 bytes and a NUL; a longer name could never match.
  std::set<std::string> comms = ParseSet<std::string>(env, o, "comms", "an array of process names", "a process name of 1 to 15 bytes",
                                                      [](const Napi::Value& v, std::string* out) {
                                                        if (!v.IsString()) return false;
                                                        *out = v.As<Napi::String>().Utf8Value();
                                                        return !out->empty() && out->size() < SOCKTAP_COMM_LEN &&
                                                               out->find('\0') == std::string::npos;
                                                      });
  std::set<uint16_t> ports = ParseSet<uint16_t>(env, o, "ports", "an array of TCP ports", "a port (1..65535)",
                                                [&](const Napi::Value& v, uint16_t* out) {
                                                  double d;
                                                  if (!whole(v, 1, 65535, &d)) return false;
                                                  *out = static_cast<uint16_t>(d);
                                                  return true;
                                                });
  // Which side's port counts: 1 local (accepted connections), 2 remote (opened ones), 3 both.
  uint32_t port_match = OptU32(o, "portMatch", 3, 1, 3);
  bool all = OptBool(o, "all", false);

  // Add before removing and flip the switches last, so a target that stays is never missed.
  SyncMap<uint32_t>(env, bpf_map__fd(skel_->maps.target_tgids), tgids_, tgids, "pid",
                    [](const uint32_t& t) { return t; }, [](const uint32_t& t) { return std::to_string(t); });
  SyncMap<uint64_t>(env, bpf_map__fd(skel_->maps.target_cgroups), cgroups_, cgroups, "cgroup",
                    [](const uint64_t& c) { return c; }, [](const uint64_t& c) { return std::to_string(c); });
  SyncMap<std::string>(env, bpf_map__fd(skel_->maps.target_comms), comms_, comms, "process name",
                       [](const std::string& name) {
                         std::array<char, SOCKTAP_COMM_LEN> key{};  // NUL-padded, as the BPF side reads it
                         std::memcpy(key.data(), name.data(), name.size());
                         return key;
                       },
                       [](const std::string& name) { return name; });
  SyncMap<uint16_t>(env, bpf_map__fd(skel_->maps.target_ports), ports_, ports, "port",
                    [](const uint16_t& p) { return p; }, [](const uint16_t& p) { return std::to_string(p); });
  ports_ = std::move(ports);
  // Connections already judged keep their verdict; new ones are judged by the new ports.
  skel_->bss->filter_by_port = ports_.empty() ? 0 : port_match;
  bool narrowed = (all_ && !all) || std::any_of(tgids_.begin(), tgids_.end(), [&](uint32_t t) { return !tgids.count(t); });
  tgids_ = std::move(tgids);
  cgroups_ = std::move(cgroups);
  comms_ = std::move(comms);
  all_ = all;
  skel_->bss->filter_by_tgid = tgids_.empty() ? 0 : 1;
  skel_->bss->filter_by_cgroup = cgroups_.empty() ? 0 : 1;
  skel_->bss->filter_by_comm = comms_.empty() ? 0 : 1;
  skel_->bss->capture_all = all ? 1 : 0;
  // Every thread re-evaluates its cached target decision at its next call.
  skel_->data->target_epoch = skel_->data->target_epoch + 1 == 0 ? 1 : skel_->data->target_epoch + 1;
  // Processes covered by cgroup targets are not known here; only drop what pid targets no longer
  // cover, and only when no cgroup or capture-all target could still cover it.
  if (narrowed && !all_ && cgroups_.empty() && comms_.empty()) PurgeConns(tgids_);
  return env.Undefined();
}

void Session::PurgeConns(const std::set<uint32_t>& keep_tgids) {
  int fd = bpf_map__fd(skel_->maps.conns);
  std::vector<uint64_t> stale;
  uint64_t key = 0, next = 0;
  void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (!keep_tgids.count(static_cast<uint32_t>(next >> 32))) stale.push_back(next);
    key = next;
    prev = &key;
  }
  for (uint64_t k : stale) bpf_map_delete_elem(fd, &k);
}

bool Session::ReadCounters(socktap_counters* sum) const {
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) {
    errno = -ncpu;
    return false;
  }
  std::vector<socktap_counters> per_cpu(ncpu);
  uint32_t zero = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.counters), &zero, per_cpu.data()) != 0) return false;
  *sum = socktap_counters{};
  for (const auto& c : per_cpu) {
    for (int s = 0; s < SOCKTAP_SC_COUNT; s++) {
      sum->probe[s][0] += c.probe[s][0];
      sum->probe[s][1] += c.probe[s][1];
    }
    sum->lost_events += c.lost_events;
    sum->lost_bytes += c.lost_bytes;
    sum->truncated_calls += c.truncated_calls;
    sum->truncated_bytes += c.truncated_bytes;
    sum->read_failures += c.read_failures;
    sum->conns_opened += c.conns_opened;
    sum->conns_closed += c.conns_closed;
    sum->cipher_bytes += c.cipher_bytes;
  }
  return true;
}

Napi::Object Session::StatsObject(Napi::Env env, const socktap_counters& sum) const {
  auto num = [&](uint64_t v) { return Napi::Number::New(env, static_cast<double>(v)); };
  Napi::Object probes = Napi::Object::New(env);
  for (int s = 0; s < SOCKTAP_SC_COUNT; s++) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, num(sum.probe[s][0]));
    pair.Set(1u, num(sum.probe[s][1]));
    probes.Set(kProbeNames[s], pair);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("probes", probes);
  out.Set("lostEvents", num(sum.lost_events));
  out.Set("lostBytes", num(sum.lost_bytes));
  out.Set("truncatedCalls", num(sum.truncated_calls));
  out.Set("truncatedBytes", num(sum.truncated_bytes));
  out.Set("readFailures", num(sum.read_failures));
  out.Set("connsOpened", num(sum.conns_opened));
  out.Set("connsClosed", num(sum.conns_closed));
  out.Set("cipherBytes", num(sum.cipher_bytes));
  const ReaderCounters& rc = reader_->counters();
  out.Set("batchesHandedOff", num(rc.batches_delivered));
  out.Set("recordsHandedOff", num(rc.records_delivered));
  out.Set("handoffDroppedBatches", num(rc.batches_dropped));
  out.Set("handoffDroppedRecords", num(rc.records_dropped));
  out.Set("ringBufferBytes", num(ring_bytes_));
  return out;
}

Napi::Value Session::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (stopped_) return StatsObject(env, final_);
  if (!skel_ || stopping_) throw MakeError(env, kErrState, "stats() called while stopping");
  socktap_counters sum{};
  if (!ReadCounters(&sum)) throw MakeError(env, kErrSystem, "reading the counters map failed: " + ErrText(errno), errno);
  return StatsObject(env, sum);
}

Napi::Value Session::Stop(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (stopping_ || !skel_) {
    // Already stopped or stopping: the caller (Tracer) keeps the first promise.
    throw MakeError(env, kErrState, "stop() called twice");
  }
  stopping_ = true;
  auto* worker = new StopWorker(env, this, info.This().As<Napi::Object>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value Session::AttachTls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!skel_ || stopping_) throw MakeError(env, kErrState, "attachTls() called after stop()");
  if (info.Length() < 1 || !info[0].IsString() || info[0].As<Napi::String>().Utf8Value().empty())
    throw Napi::TypeError::New(env, "attachTls(path: string): path must be a non-empty file path");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  auto names = [&](const std::vector<std::string>& fns) {
    Napi::Array out = Napi::Array::New(env, fns.size());
    for (size_t i = 0; i < fns.size(); i++) out.Set(static_cast<uint32_t>(i), fns[i]);
    return out;
  };
  auto have = tls_.find(path);
  if (have != tls_.end()) return names(have->second.functions);

  struct Probe {
    const char* function;
    bpf_program* entry;
  };
  const Probe probes[] = {
      {"SSL_read", skel_->progs.ssl_read_enter},
      {"SSL_write", skel_->progs.ssl_write_enter},
      {"SSL_read_ex", skel_->progs.ssl_read_ex_enter},
      {"SSL_write_ex", skel_->progs.ssl_write_ex_enter},
  };
  TlsAttachment att;
  LibbpfLogReset();
  int last_err = 0;
  for (const Probe& p : probes) {
    // A function needs both probes: an entry without its return would leave the call open.
    LIBBPF_OPTS(bpf_uprobe_opts, entry_opts, .func_name = p.function);
    bpf_link* entry = bpf_program__attach_uprobe_opts(p.entry, -1, path.c_str(), 0, &entry_opts);
    if (!entry) {
      last_err = errno;
      continue;
    }
    LIBBPF_OPTS(bpf_uprobe_opts, ret_opts, .retprobe = true, .func_name = p.function);
    bpf_link* ret = bpf_program__attach_uprobe_opts(skel_->progs.ssl_return, -1, path.c_str(), 0, &ret_opts);
    if (!ret) {
      last_err = errno;
      bpf_link__destroy(entry);
      continue;
    }
    att.functions.push_back(p.function);
    att.links.push_back(entry);
    att.links.push_back(ret);
  }
  if (att.functions.empty()) {
    throw MakeError(env, last_err == EPERM || last_err == EACCES ? kErrPermission : kErrAttach,
                    "attaching the TLS uprobes to " + path + " failed (" + ErrText(last_err) +
                        "): it exports none of SSL_read, SSL_write, SSL_read_ex, SSL_write_ex, or uprobes "
                        "are unavailable (run `socktap doctor`).\nlibbpf said:\n" + LibbpfLogTail(1500),
                    last_err);
  }
  Napi::Array out = names(att.functions);
  tls_.emplace(path, std::move(att));
  return out;
}

Napi::Value Session::DetachTls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!skel_ || stopping_) throw MakeError(env, kErrState, "detachTls() called after stop()");
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "detachTls(path: string)");
  auto it = tls_.find(info[0].As<Napi::String>().Utf8Value());
  if (it == tls_.end()) return Napi::Boolean::New(env, false);
  for (bpf_link* l : it->second.links) bpf_link__destroy(l);
  tls_.erase(it);
  // A thread inside a call of that file never sees the return: the programs drop such stacks.
  skel_->bss->tls_epoch = skel_->bss->tls_epoch + 1;
  return Napi::Boolean::New(env, true);
}

Napi::Value Session::Ref(const Napi::CallbackInfo& info) {
  if (reader_) reader_->Ref(info.Env());
  return info.Env().Undefined();
}

Napi::Value Session::Unref(const Napi::CallbackInfo& info) {
  if (reader_) reader_->Unref(info.Env());
  return info.Env().Undefined();
}

// recycle(batch): JavaScript is done with this batch Buffer; its memory serves a later batch.
Napi::Value Session::Recycle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "recycle(batch) takes a Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (reader_) reader_->Recycle(info[0].As<Napi::Buffer<uint8_t>>().Data());
  return env.Undefined();
}

}  // namespace socktap
