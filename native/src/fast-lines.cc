// FastLines, the fast path's class for JavaScript (agent/pipeline/fast-lines.ts): options in, a
// batch per `take`, counters out. The work is fast-engine.cc's. JS thread only.
#include "fast-lines.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "fast-engine.h"
#include "json-bytes.h"

namespace socktap {
namespace {

// A capture mode's name (agent/config/schema.ts CAPTURE_MODES) as the engine's number; false for another name.
bool ModeOf(const std::string& name, int* mode) {
  if (name == "all") {
    *mode = kModeAll;
  } else if (name == "ingress") {
    *mode = kModeIngress;
  } else if (name == "egress") {
    *mode = kModeEgress;
  } else {
    return false;
  }
  return true;
}

class FastLines : public Napi::ObjectWrap<FastLines> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "FastLines",
                       {InstanceMethod("take", &FastLines::Take), InstanceMethod("expire", &FastLines::Expire),
                        InstanceMethod("stats", &FastLines::Stats)});
  }

  // new FastLines({ mode, ports, maxBodyBytes, redactHeaders, clockOffsetNs, decodeContent })
  explicit FastLines(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FastLines>(info) {
    Napi::Env env = info.Env();
    if (!JsonTablesSet()) {
      Napi::Error::New(env, "FastLines: jsonTables was not called").ThrowAsJavaScriptException();
      return;
    }
    if (info.Length() < 1 || !info[0].IsObject()) {
      Napi::TypeError::New(env, "FastLines(options) takes an options object").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    FastConfig& cfg = engine_.cfg;
    const std::string mode = o.Get("mode").ToString().Utf8Value();
    if (!ModeOf(mode, &cfg.mode)) {
      Napi::TypeError::New(env, "FastLines: mode must be all, ingress or egress, got " + mode).ThrowAsJavaScriptException();
      return;
    }
    Napi::Value ports = o.Get("ports");
    if (ports.IsArray()) {
      Napi::Array a = ports.As<Napi::Array>();
      for (uint32_t k = 0; k < a.Length(); k++) cfg.ports.insert(a.Get(k).ToNumber().Uint32Value());
    }
    Napi::Value redact = o.Get("redactHeaders");
    if (redact.IsArray()) {
      Napi::Array a = redact.As<Napi::Array>();
      for (uint32_t k = 0; k < a.Length(); k++) {
        std::string name = a.Get(k).ToString().Utf8Value();
        for (char& ch : name) {
          if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 0x20);
        }
        cfg.redact_lengths |= uint64_t{1} << std::min<size_t>(name.size(), 63);
        cfg.redact.push_back(name);
      }
    }
    cfg.max_body = static_cast<uint64_t>(o.Get("maxBodyBytes").ToNumber().Int64Value());
    Napi::Value offset = o.Get("clockOffsetNs");
    if (!offset.IsBigInt()) {
      Napi::TypeError::New(env, "FastLines: clockOffsetNs must be a bigint").ThrowAsJavaScriptException();
      return;
    }
    bool lossless = false;
    cfg.offset_ns = offset.As<Napi::BigInt>().Int64Value(&lossless);
    cfg.decode = o.Get("decodeContent").ToBoolean().Value();
    Napi::Value policy = o.Get("policy");
    if (policy.IsFunction()) policy_ = Napi::Persistent(policy.As<Napi::Function>());
  }

 private:
  FastEngine engine_;
  Napi::FunctionReference policy_;

  // The process policy (JavaScript) as the engine asks it, during a `take`.
  int AskPolicy(Napi::Env env, uint32_t pid, uint64_t cgroup_id, int* mode, std::string* labels) {
    try {
      Napi::Value res = policy_.Call({Napi::Number::New(env, pid), Napi::BigInt::New(env, cgroup_id)});
      if (res.IsUndefined() || res.IsNull()) return 0;
      if (!res.IsObject()) return -1;
      Napi::Object o = res.As<Napi::Object>();
      const std::string m = o.Get("mode").ToString().Utf8Value();
      Napi::Value l = o.Get("labels");
      if (!l.IsBuffer()) return -1;
      if (!ModeOf(m, mode)) return -1;
      Napi::Buffer<uint8_t> b = l.As<Napi::Buffer<uint8_t>>();
      labels->assign(reinterpret_cast<const char*>(b.Data()), b.Length());
      return 1;
    } catch (const Napi::Error&) {
      // JavaScript asks again for the connection and decides what a throwing policy means.
      return -1;
    }
  }

  // take(batch, linesOut) -> { lineCount, lineBytes, grown: Buffer | undefined, rest }: the
  // lines are copied into `linesOut`, or, when they do not fit, into `grown` (a larger buffer
  // the caller keeps as its next linesOut). Why a buffer the caller keeps: a fresh Buffer per
  // batch (a megabyte at 30,000 exchanges a second) is fresh memory, and its page faults cost
  // more than the copy (measured live: 16 % of the agent's samples). rest undefined: nothing
  // was taken, the batch is JavaScript's as it is; null: nothing is left for JavaScript.
  Napi::Value Take(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsBuffer()) {
      Napi::TypeError::New(env, "take(batch, linesOut) takes two Buffers").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Buffer<uint8_t> batch = info[0].As<Napi::Buffer<uint8_t>>();
    Napi::Buffer<uint8_t> out = info[1].As<Napi::Buffer<uint8_t>>();
    engine_.lines.len = 0;
    engine_.line_count = 0;
    if (!policy_.IsEmpty()) {
      engine_.policy = [this, env](uint32_t pid, uint64_t cgroup_id, int* mode, std::string* labels) {
        return AskPolicy(env, pid, cgroup_id, mode, labels);
      };
    }
    const bool took = engine_.Take(batch.Data(), batch.Length());
    engine_.policy = nullptr;
    Napi::Object r = Napi::Object::New(env);
    const JsonOut& lines = engine_.lines;
    r.Set("lineCount", Napi::Number::New(env, static_cast<double>(engine_.line_count)));
    r.Set("lineBytes", Napi::Number::New(env, static_cast<double>(lines.len)));
    if (lines.len > out.Length()) {
      out = Napi::Buffer<uint8_t>::New(env, std::max(lines.len, 2 * out.Length()));
      r.Set("grown", out);
    }
    if (lines.len > 0) std::memcpy(out.Data(), lines.buf.data(), lines.len);
    if (!took) {
      r.Set("rest", env.Undefined());
    } else {
      r.Set("rest", engine_.js_any ? Copy(env, engine_.js) : env.Null());
    }
    return r;
  }

  // expire(beforeNs: bigint) -> Buffer | null: records for JavaScript (connections handed over).
  Napi::Value Expire(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBigInt()) {
      Napi::TypeError::New(env, "expire(beforeNs) takes a bigint").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    bool lossless = false;
    engine_.Expire(info[0].As<Napi::BigInt>().Uint64Value(&lossless));
    return engine_.js_any ? Copy(env, engine_.js) : env.Null();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const FastCounts& k = engine_.counts;
    Napi::Object o = Napi::Object::New(env);
    o.Set("connections", k.connections);
    o.Set("exchanges", k.exchanges);
    o.Set("expired", k.expired);
    o.Set("handedOver", k.handed_over);
    o.Set("dataEvents", k.data);
    o.Set("openEvents", k.open);
    o.Set("closeEvents", k.close);
    o.Set("syntheticOpen", k.synthetic_open);
    o.Set("syntheticData", k.synthetic_data);
    o.Set("tracked", static_cast<double>(engine_.Tracked()));
    return o;
  }

  static Napi::Value Copy(Napi::Env env, const JsonOut& o) { return Napi::Buffer<uint8_t>::Copy(env, o.buf.data(), o.len); }
};

}  // namespace

Napi::Function InitFastLines(Napi::Env env) { return FastLines::Init(env); }

}  // namespace socktap
