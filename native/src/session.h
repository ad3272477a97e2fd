// One capture session: the loaded BPF skeleton, its attachments, the target maps and the reader.
// Exposed to JavaScript as the `Session` class; every method runs on the JS thread.
#pragma once
#include <napi.h>

#include <memory>
#include <set>

#include "reader.h"

struct socktap_bpf;

namespace socktap {

class Session : public Napi::ObjectWrap<Session> {
 public:
  static Napi::Function Init(Napi::Env env);

  // new Session(options, onBatch): opens, configures, loads and attaches; starts the reader.
  explicit Session(const Napi::CallbackInfo& info);
  ~Session() override;

 private:
  // setTargets({ all?: boolean, tgids?: number[], cgroupIds?: bigint[] }): replaces the targets.
  Napi::Value SetTargets(const Napi::CallbackInfo& info);
  // stats(): kernel counters summed over CPUs plus the reader's hand-off counters.
  Napi::Value Stats(const Napi::CallbackInfo& info);
  // stop(): detaches every program, drains the ring buffer, frees everything. Idempotent.
  Napi::Value Stop(const Napi::CallbackInfo& info);
  // ref()/unref(): whether a running session keeps the Node event loop alive.
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);

  void Close();

  socktap_bpf* skel_ = nullptr;
  std::unique_ptr<Reader> reader_;
  std::set<uint32_t> tgids_;
  std::set<uint64_t> cgroups_;
  size_t ring_bytes_ = 0;
};

}  // namespace socktap
