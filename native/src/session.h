// One capture session: the loaded BPF skeleton, its attachments, the target maps and the reader.
// Exposed to JavaScript as the `Session` class; every method runs on the JS thread.
#pragma once
#include <napi.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "reader.h"

extern "C" {
#include <linux/types.h>
#include "socktap.h"
}

struct socktap_bpf;
struct bpf_link;

namespace socktap {

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Init(Napi::Env env);

  // new Session(options, onBatch): opens, configures, loads and attaches; starts the reader.
  explicit Session(const Napi::CallbackInfo& info);
  ~Session() override;

 private:
  // setTargets({ all?: boolean, tgids?: number[], cgroupIds?: bigint[], comms?: string[],
  //   ports?: number[], portMatch?: 1 | 2 | 3 }): replaces the targets.
  Napi::Value SetTargets(const Napi::CallbackInfo& info);
  // stats(): kernel counters summed over CPUs plus the reader's hand-off counters.
  Napi::Value Stats(const Napi::CallbackInfo& info);
  // stop(): Promise of the final stats. Off the JS thread: detaches every program (in parallel:
  // each detach waits for an RCU grace period), drains the ring buffer, reads the counters,
  // frees the kernel objects. Resolves after the last batch was delivered to JS. Idempotent.
  Napi::Value Stop(const Napi::CallbackInfo& info);
  // attachTls(path): attaches the SSL probes (SSL_read, SSL_write, SSL_read_ex, SSL_write_ex,
  // entry and return) to the ELF file at `path`, a libssl or an executable that exports them,
  // for every process mapping that file (pid -1: the programs filter targets themselves).
  // Returns the names of the functions attached; a function the file lacks is skipped; none at
  // all throws. Attaching a path already attached returns its functions again.
  Napi::Value AttachTls(const Napi::CallbackInfo& info);
  // detachTls(path): removes what attachTls(path) attached; false when nothing was.
  Napi::Value DetachTls(const Napi::CallbackInfo& info);
  // ref()/unref(): whether a running session keeps the Node event loop alive.
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  // JS thread: a delivered batch Buffer JavaScript will not read again (Reader::Recycle).
  Napi::Value Recycle(const Napi::CallbackInfo& info);

  class StopWorker;

  // Any thread. Destroys every link at once instead of one grace period after another.
  void DetachAll();
  // Any thread. Sums the per-CPU counters; false (errno set) when the map cannot be read.
  bool ReadCounters(socktap_counters* sum) const;
  // JS thread.
  Napi::Object StatsObject(Napi::Env env, const socktap_counters& sum) const;
  // Synchronous teardown for the destructor and failed construction.
  void Close();
  // Deletes the kernel connection entries of processes that are no longer targets, so a process
  // targeted again starts fresh connections instead of continuing streams with unseen bytes.
  void PurgeConns(const std::set<uint32_t>& keep_tgids);

  socktap_bpf* skel_ = nullptr;
  bool stopping_ = false;
  bool stopped_ = false;
  socktap_counters final_{};
  std::unique_ptr<Reader> reader_;
  std::set<uint32_t> tgids_;
  std::set<uint64_t> cgroups_;
  std::set<std::string> comms_;
  std::set<uint16_t> ports_;
  struct TlsAttachment {
    std::vector<std::string> functions;
    std::vector<bpf_link*> links;
  };
  std::map<std::string, TlsAttachment> tls_;  // by the path given to attachTls
  bool all_ = false;
  size_t ring_bytes_ = 0;
};

}  // namespace socktap
