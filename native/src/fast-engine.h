// The fast path's engine: connections, framing and lines (see fast-engine.cc). JS thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fast-json.h"

namespace socktap {

constexpr int kModeAll = 0, kModeIngress = 1, kModeEgress = 2;

struct FastConfig {
  int mode = kModeAll;
  std::unordered_set<uint32_t> ports;
  uint64_t max_body = 65536;
  std::vector<std::string> redact;  // lower case
  uint64_t redact_lengths = 0;       // bit n: a redacted name of length n (< 64); names >= 64 set bit 63
  int64_t offset_ns = 0;
  bool decode = false;
};

struct FastCounts {
  double connections = 0, exchanges = 0, expired = 0, handed_over = 0;
  double data = 0, open = 0, close = 0;            // events taken from batches
  double synthetic_open = 0, synthetic_data = 0;   // records written for JavaScript
};

struct FastConn;
struct FastSide;
struct FastRequest;

// One batch at a time: the lines of the plain exchanges it completes, and records for
// JavaScript (what it does not take, and connections it hands over).
class FastEngine {
 public:
  FastEngine();
  ~FastEngine();
  FastConfig cfg;
  FastCounts counts;
  JsonOut lines;
  size_t line_count = 0;
  JsonOut js;          // records for JavaScript
  bool js_any = false;
  // Kubernetes mode: asked once per connection with its pid and cgroup id. 1: `mode` and the
  // labels' part of its lines are set; 0: no answer (cfg.mode, no labels); -1: the question
  // failed (the connection is left to JavaScript, which asks again).
  std::function<int(uint32_t pid, uint64_t cgroup_id, int* mode, std::string* labels)> policy;

  // One batch: lines into `lines`, the rest into `js`. Returns false when nothing was taken (the
  // batch is JavaScript's as it is).
  bool Take(const uint8_t* b, size_t n);

  // Connections idle since before `before_ns`: dropped, or handed over when they hold a message.
  void Expire(uint64_t before_ns);

  size_t Tracked() const { return conns_.size(); }

 private:
  std::unordered_map<uint64_t, std::unique_ptr<FastConn>> conns_;
  uint64_t seq_ = 0;
  // A message's part of its line, reused.
  JsonOut part_;
  IsoTime iso_;

  void Forward(const uint8_t* frame, size_t n);

  // True when the event was taken (consumed, or turned into records for JavaScript).
  bool Event(const uint8_t* r, size_t len);

  FastConn* Find(uint64_t generation);

  bool Open(const uint8_t* r);

  // record-json.ts writeConnectionPart: from `,"direction"` to the request's `"method":`.
  std::string Prefix(const uint8_t* r, int request_dir, bool tls, const std::string& labels);

  bool Close(const uint8_t* r);

  bool Data(const uint8_t* r, size_t rec_len);

  // Bytes of one direction in stream order; false: hand the connection over.
  bool Feed(FastConn& c, int dir, const uint8_t* b, size_t n, uint64_t pos, uint64_t ts);

  // `len` bytes the kernel reported but did not capture (sendfile, a cap): inside a body of known
  // length they are a hole in it (message-parser.ts gap()); anywhere else, JavaScript resyncs.
  bool Hole(FastConn& c, int dir, uint64_t len);

  // A head is complete in s.head: framing as framing.ts decides it, for the cases taken here.
  bool Head(FastConn& c, int dir, bool request, uint64_t ts);

  // A message's body ended: a request waits for its response; a response completes its line.
  bool Finish(FastConn& c, int dir, bool request);

  // record-json.ts message(): version, headers (redacted as record.ts redacts), body.
  bool Message(JsonOut& o, const FastSide& s);

  bool Redacted(const uint8_t* name, size_t n) const;

  void Line(FastConn& c, const FastRequest& q, const JsonOut& response, uint64_t end_ns);


  // Where each direction's replay would start: its oldest message not yet written.
  uint64_t KeepFrom(const FastConn& c, int dir) const;

  bool Holds(const FastConn& c) const;

  // Drops the slices every message of which is written.
  void Trim(FastConn& c);

  // The connection goes to JavaScript: a resume record, then its held slices in arrival order.
  void HandOver(FastConn& c);

  // A record for JavaScript in the reader's framing: u32 length, u32 reserved, record, pad to 8.
  void Frame(const void* a, size_t an, const void* b, size_t bn);
};

}  // namespace socktap
