// The fast path's engine: a reader batch in, the JSON lines of the exchanges it completes out, for the
// common case; everything else handed to JavaScript as records it decodes like any batch.
//
// Why native, and why a batch per call: the agent's JavaScript path costs about 5 µs an
// exchange (decoding, ordering, parsing, pairing, the record, the line), spread over a dozen
// parts, none worth more than a twelfth; a call into the addon costs about 50 ns, so per-field
// or per-head calls lose (docs/benchmarks.md, "Full pipeline: where the cost goes"). Here one
// call takes a whole batch (hundreds of exchanges) and writes their lines.
//
// What it takes: connections whose role the kernel knew (accept / connect) and that the mode and
// ports select, while every message on them is plain: in order, no hole outside a body of known
// length, heads that fast-head.cc accepts, bodies with Content-Length (or none by the no-body
// rules), ASCII bodies, responses to complete requests. What it does not take it hands over
// whole, with the connection: a "resume" record (the open event and where the streams resume)
// and every held slice from the oldest message not yet written, in arrival order, so
// agent/pipeline picks the connection up at a message boundary and parses it as it would have
// from the start. A connection handed over stays with JavaScript. So the parser of record
// (agent/http) decides every case this file does not; test/unit/fast-lines.test.ts holds the
// lines of the two paths equal.
#include "fast-engine.h"

#include <algorithm>
#include <cstring>

#include "fast-head.h"
#include "fast-lines.h"

extern "C" {
#include <linux/types.h>
#include "socktap.h"
}

namespace socktap {
namespace {

constexpr size_t kFrameHeader = 8;
constexpr size_t kFrameAlign = 8;
constexpr size_t kDataHeader = sizeof(socktap_data);
constexpr size_t kOpenSize = sizeof(socktap_conn_open);
constexpr size_t kResumeSize = kOpenSize + 16;

// Bounds well inside agent/http's limits (64 KiB heads, 256 fields, 64 pending requests), so a
// message this path takes is never one that parser would call over a limit.
constexpr size_t kMaxHeadBytes = 16 * 1024;
constexpr size_t kMaxFields = 128;
constexpr size_t kMaxPending = 32;
// Bytes of slices a direction holds for a hand-over. A message longer than this is handed over
// while it is still held whole: JavaScript keeps max_body_bytes of a body and counts the rest,
// and this path must stay as bounded per connection (DESIGN.md §5).
constexpr size_t kMaxHeldBytes = 256 * 1024;
// A direction's head or body buffer above this is given back once its message is written, so an
// idle connection does not keep the largest message it ever saw (10,000 connections: RSS target).
constexpr size_t kKeepBufferBytes = 4096;

constexpr int kIngress = SOCKTAP_DIR_INGRESS, kEgress = SOCKTAP_DIR_EGRESS;

template <typename T>
T Read(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t Generation(const uint8_t* id) { return Read<uint64_t>(id + offsetof(socktap_conn_id, generation)); }

}  // namespace

// One data event as it arrived, kept until every message it carries is written (for a hand-over).
struct FastSegment {
  uint64_t seq;
  uint64_t pos;
  uint32_t len;
  uint8_t header[kDataHeader];
  std::string payload;  // the captured bytes (may be fewer than len)
};

enum class FastState { kIdle, kHead, kBody };

// One direction of a connection.
struct FastSide {
  uint64_t next = 0;    // stream position of the next byte to arrive
  uint64_t cursor = 0;  // stream position of the next byte to parse (next, once an event is parsed)
  std::vector<FastSegment> segs;
  size_t held_bytes = 0;  // payload bytes in segs
  FastState state = FastState::kIdle;
  uint64_t msg_pos = 0;  // where the message being parsed started
  uint64_t start_ns = 0, end_ns = 0;
  std::string head;
  FastHead parsed;
  int64_t remaining = 0;
  std::string body;
  uint64_t body_size = 0;
  bool holed = false;
};

// A complete request, written up to its response.
struct FastRequest {
  uint64_t pos;
  uint64_t start_ns, end_ns;
  bool head_method;
  std::string json;  // from the method's string to the request object's closing brace
};

struct FastConn {
  uint8_t open[kOpenSize];
  int request_dir;
  bool tls = false;
  std::string labels;     // the policy's labels part of a line; empty: none
  std::string prefix[2];  // the connection's part of a line, tls false / true; made when first written
  FastSide side[2];
  std::vector<FastRequest> pending;
  uint64_t last_ns;
};

FastEngine::FastEngine() = default;
FastEngine::~FastEngine() = default;

// One batch: lines into `lines`, the rest into `js`. Returns false when nothing was taken (the
// batch is JavaScript's as it is).
bool FastEngine::Take(const uint8_t* b, size_t n) {
  js.len = 0;
  js_any = false;
  // A hand-over writes records for JavaScript even when the event that caused it is not taken
  // (a close, an out-of-order slice): then `js`, not the batch, is what JavaScript must decode.
  const double handed_before = counts.handed_over;
  bool took = false;
  size_t off = 0;
  while (off + kFrameHeader <= n) {
    const uint32_t len = Read<uint32_t>(b + off);
    const size_t rec = off + kFrameHeader;
    const size_t next = rec + (len + kFrameAlign - 1) / kFrameAlign * kFrameAlign;
    if (len < 4 || rec + len > n) {
      // The decoder counts it as malformed; from here on the rest is its.
      Forward(b + off, n - off);
      break;
    }
    if (Event(b + rec, len)) {
      took = true;
    } else {
      Forward(b + off, std::min(next, n) - off);
    }
    off = next;
  }
  return took || counts.handed_over != handed_before;
}

// Connections idle since before `before_ns`: dropped, or handed over when they hold a message.
void FastEngine::Expire(uint64_t before_ns) {
  js.len = 0;
  js_any = false;
  for (auto it = conns_.begin(); it != conns_.end();) {
    FastConn& c = *it->second;
    // Kept while idle for less than the timeout, as ExchangeAssembler.expire keeps one.
    if (c.last_ns > before_ns) {
      ++it;
      continue;
    }
    if (Holds(c)) {
      HandOver(c);
    } else {
      counts.expired++;
    }
    it = conns_.erase(it);
  }
}

void FastEngine::Forward(const uint8_t* frame, size_t n) {
  js.Put(frame, n);
  js_any = true;
}

// True when the event was taken (consumed, or turned into records for JavaScript).
bool FastEngine::Event(const uint8_t* r, size_t len) {
  const uint32_t type = Read<uint32_t>(r);
  if (type == SOCKTAP_EV_DATA && len >= kDataHeader) return Data(r, len);
  if (type == SOCKTAP_EV_CONN_OPEN && len >= kOpenSize) return Open(r);
  if (type == SOCKTAP_EV_CONN_CLOSE && len >= sizeof(socktap_conn_close)) return Close(r);
  return false;
}

FastConn* FastEngine::Find(uint64_t generation) {
  auto it = conns_.find(generation);
  return it == conns_.end() ? nullptr : it->second.get();
}

bool FastEngine::Open(const uint8_t* r) {
  const uint64_t g = Generation(r + offsetof(socktap_conn_open, id));
  if (FastConn* old = Find(g)) {
    // A second open for one connection: its close was missed. JavaScript ends the old one.
    HandOver(*old);
    conns_.erase(g);
    return false;
  }
  const uint32_t role = Read<uint32_t>(r + offsetof(socktap_conn_open, role));
  const uint16_t family = Read<uint16_t>(r + offsetof(socktap_conn_open, family));
  const uint16_t protocol = Read<uint16_t>(r + offsetof(socktap_conn_open, protocol));
  if ((role != SOCKTAP_ROLE_SERVER && role != SOCKTAP_ROLE_CLIENT) || (family != 2 && family != 10) || protocol != 6) return false;
  // A server receives requests (ingress); a client sends them (egress). As exchange-assembler.ts decides.
  const int request_dir = role == SOCKTAP_ROLE_SERVER ? kIngress : kEgress;
  int mode = cfg.mode;
  std::string labels;
  if (policy) {
    const uint32_t tgid = Read<uint32_t>(r + offsetof(socktap_conn_open, id) + offsetof(socktap_conn_id, tgid));
    const uint64_t cgroup = Read<uint64_t>(r + offsetof(socktap_conn_open, cgroup_id));
    const int answer = policy(tgid, cgroup, &mode, &labels);
    if (answer < 0) return false;
    if (answer == 0) {
      mode = cfg.mode;
      labels.clear();
    }
  }
  if (mode == kModeIngress && request_dir != kIngress) return false;
  if (mode == kModeEgress && request_dir != kEgress) return false;
  const uint16_t local_port = Read<uint16_t>(r + offsetof(socktap_conn_open, local_port));
  const uint16_t remote_port = Read<uint16_t>(r + offsetof(socktap_conn_open, remote_port));
  if (!cfg.ports.empty() && cfg.ports.count(request_dir == kIngress ? local_port : remote_port) == 0) return false;
  auto c = std::make_unique<FastConn>();
  std::memcpy(c->open, r, kOpenSize);
  c->request_dir = request_dir;
  c->last_ns = Read<uint64_t>(r + offsetof(socktap_conn_open, ts_ns));
  c->labels = std::move(labels);
  conns_.emplace(g, std::move(c));
  counts.connections++;
  counts.open++;
  return true;
}

// record-json.ts writeConnectionPart: from `,"direction"` to the request's `"method":`.
std::string FastEngine::Prefix(const uint8_t* r, int request_dir, bool tls, const std::string& labels) {
  JsonOut o;
  o.Lit(request_dir == kIngress ? ",\"direction\":\"ingress\",\"tls\":" : ",\"direction\":\"egress\",\"tls\":");
  o.Lit(tls ? "true" : "false");
  const uint8_t* id = r + offsetof(socktap_conn_open, id);
  const uint32_t tgid = Read<uint32_t>(id + offsetof(socktap_conn_id, tgid));
  o.Lit(",\"process\":{\"pid\":");
  o.Num(tgid);
  o.Lit(",\"comm\":");
  const uint8_t* comm = r + offsetof(socktap_conn_open, comm);
  size_t comm_len = 0;
  while (comm_len < SOCKTAP_COMM_LEN && comm[comm_len] != 0) comm_len++;
  o.Latin1(comm, comm_len);
  if (labels.empty()) {
    o.Lit(",\"container_id\":null,\"pod\":null,\"namespace\":null,\"service\":null");
  } else {
    o.Put(labels);
  }
  o.Lit("},\"connection\":{\"id\":\"");
  o.Num(tgid);
  o.Lit(":");
  o.Num(Read<uint32_t>(id + offsetof(socktap_conn_id, fd)));
  o.Lit(":");
  o.Num(Generation(id));
  const uint16_t family = Read<uint16_t>(r + offsetof(socktap_conn_open, family));
  o.Lit("\",\"local\":{\"ip\":\"");
  o.Put(FormatAddress(family, r + offsetof(socktap_conn_open, local_addr)));
  o.Lit("\",\"port\":");
  o.Num(Read<uint16_t>(r + offsetof(socktap_conn_open, local_port)));
  o.Lit("},\"remote\":{\"ip\":\"");
  o.Put(FormatAddress(family, r + offsetof(socktap_conn_open, remote_addr)));
  o.Lit("\",\"port\":");
  o.Num(Read<uint16_t>(r + offsetof(socktap_conn_open, remote_port)));
  o.Lit("}},\"request\":{\"method\":");
  return std::string(reinterpret_cast<const char*>(o.buf.data()), o.len);
}

bool FastEngine::Close(const uint8_t* r) {
  const uint64_t g = Generation(r + offsetof(socktap_conn_close, id));
  FastConn* c = Find(g);
  if (c == nullptr) return false;
  const uint64_t in = Read<uint64_t>(r + offsetof(socktap_conn_close, ingress_bytes));
  const uint64_t out = Read<uint64_t>(r + offsetof(socktap_conn_close, egress_bytes));
  // Nothing pending and no bytes missing: the close ends nothing, as it would in JavaScript.
  if (!Holds(*c) && in == c->side[kIngress].next && out == c->side[kEgress].next) {
    conns_.erase(g);
    counts.close++;
    return true;
  }
  HandOver(*c);
  conns_.erase(g);
  return false;
}

bool FastEngine::Data(const uint8_t* r, size_t rec_len) {
  const uint64_t g = Generation(r + offsetof(socktap_data, id));
  FastConn* c = Find(g);
  if (c == nullptr) return false;
  const uint32_t captured = Read<uint32_t>(r + offsetof(socktap_data, captured_bytes));
  if (kDataHeader + captured > rec_len) {
    HandOver(*c);
    conns_.erase(g);
    return false;
  }
  const uint64_t ts = Read<uint64_t>(r + offsetof(socktap_data, ts_ns));
  const uint8_t flags = r[offsetof(socktap_data, flags)];
  const int dir = r[offsetof(socktap_data, direction)] & 1;
  const uint64_t pos = Read<uint64_t>(r + offsetof(socktap_data, pos));
  const uint32_t len = Read<uint32_t>(r + offsetof(socktap_data, len_bytes));
  c->last_ns = ts;
  if (flags & SOCKTAP_DATA_F_TLS) c->tls = true;
  FastSide& s = c->side[dir];
  if (pos + len > s.next && (pos != s.next || captured > len)) {
    // Out of order or overlapping: ordering is agent/capture's (OrderedStream).
    HandOver(*c);
    conns_.erase(g);
    return false;
  }
  counts.data++;
  if (pos + len <= s.next) return true;  // delivered already (an overlap)
  s.next = pos + len;
  const uint64_t seq = seq_++;
  bool ok = Feed(*c, dir, r + kDataHeader, captured, pos, ts);
  if (ok && len > captured) ok = Hole(*c, dir, len - captured);
  // Kept (copied) only while a message it carries is not written: most responses complete
  // their exchange in the event that brings them, and are never copied.
  if (!ok || pos + len > KeepFrom(*c, dir)) {
    FastSegment& seg = s.segs.emplace_back();
    seg.seq = seq;
    seg.pos = pos;
    seg.len = len;
    std::memcpy(seg.header, r, kDataHeader);
    seg.payload.assign(reinterpret_cast<const char*>(r + kDataHeader), captured);
    s.held_bytes += captured;
    if (s.held_bytes > kMaxHeldBytes) ok = false;
  }
  if (!ok) {
    HandOver(*c);
    conns_.erase(g);
    return true;  // the event is in the hand-over
  }
  Trim(*c);
  return true;
}

// Bytes of one direction in stream order; false: hand the connection over.
bool FastEngine::Feed(FastConn& c, int dir, const uint8_t* b, size_t n, uint64_t pos, uint64_t ts) {
  FastSide& s = c.side[dir];
  const bool request = dir == c.request_dir;
  size_t i = 0;
  while (i < n) {
    switch (s.state) {
      case FastState::kIdle:
        // Empty lines between messages are tolerated (message-parser.ts does the same).
        while (i < n && (b[i] == '\r' || b[i] == '\n')) i++;
        if (i < n) {
          s.state = FastState::kHead;
          s.msg_pos = pos + i;
          s.start_ns = ts;
          s.head.clear();
        }
        break;
      case FastState::kHead: {
        // Up to the empty line: a CR LF CR LF that ends in this chunk or joins the held head.
        const size_t before = s.head.size();
        size_t e = i;
        bool done = false;
        for (; e < n; e++) {
          if (b[e] != '\n') continue;
          const size_t at = before + (e - i);  // index of this LF in head + chunk
          auto byte = [&](size_t k) -> int { return k < before ? static_cast<uint8_t>(s.head[k]) : b[i + (k - before)]; };
          if (at < 1 || byte(at - 1) != '\r') return false;  // a bare LF
          if (at >= 3 && byte(at - 2) == '\n' && byte(at - 3) == '\r') {
            done = true;
            e++;
            break;
          }
        }
        if (before + (e - i) > kMaxHeadBytes) return false;
        s.head.append(reinterpret_cast<const char*>(b + i), e - i);
        i = e;
        if (!done) break;
        if (!Head(c, dir, request, ts)) return false;
        break;
      }
      case FastState::kBody: {
        const size_t take = static_cast<size_t>(std::min<int64_t>(s.remaining, n - i));
        if (!s.holed && s.body.size() < cfg.max_body) {
          s.body.append(reinterpret_cast<const char*>(b + i), std::min<uint64_t>(take, cfg.max_body - s.body.size()));
        }
        s.body_size += take;
        s.remaining -= take;
        s.end_ns = ts;
        i += take;
        if (s.remaining == 0 && !Finish(c, dir, request)) return false;
        break;
      }
    }
  }
  s.cursor = pos + n;
  return true;
}

// `len` bytes the kernel reported but did not capture (sendfile, a cap): inside a body of known
// length they are a hole in it (message-parser.ts gap()); anywhere else, JavaScript resyncs.
bool FastEngine::Hole(FastConn& c, int dir, uint64_t len) {
  FastSide& s = c.side[dir];
  if (s.state != FastState::kBody || len > static_cast<uint64_t>(s.remaining)) return false;
  s.body_size += len;
  s.holed = true;
  s.remaining -= static_cast<int64_t>(len);
  s.cursor += len;
  if (s.remaining == 0) return Finish(c, dir, dir == c.request_dir);
  return true;
}

// A head is complete in s.head: framing as framing.ts decides it, for the cases taken here.
bool FastEngine::Head(FastConn& c, int dir, bool request, uint64_t ts) {
  FastSide& s = c.side[dir];
  FastHead& h = s.parsed;
  // Reset field by field: the fields' vector keeps its room from message to message.
  h.content_length = -1;
  h.transfer_encoding = h.upgrade = h.content_encoding = false;
  if (!ParseFastHead(reinterpret_cast<const uint8_t*>(s.head.data()), s.head.size(), request, kMaxFields, &h)) return false;
  if (h.transfer_encoding || (cfg.decode && h.content_encoding)) return false;
  s.end_ns = ts;
  s.body.clear();
  s.body_size = 0;
  s.holed = false;
  int64_t length = h.content_length < 0 ? 0 : h.content_length;
  if (request) {
    const uint8_t* m = reinterpret_cast<const uint8_t*>(s.head.data());
    if (h.upgrade || NameIs(m, h.method_len, "connect", 7) || c.pending.size() >= kMaxPending) return false;
  } else {
    // Interim and switching responses, and responses to requests still being sent or that
    // started after them (exchange-pairer.ts would call them orphans), are JavaScript's.
    if (h.status < 200 || c.pending.empty() || c.pending.front().start_ns > s.start_ns) return false;
    const FastRequest& q = c.pending.front();
    if (q.head_method || h.status == 204 || h.status == 304) {
      length = 0;
    } else if (h.content_length < 0) {
      return false;  // until the close
    }
  }
  s.remaining = length;
  s.state = FastState::kBody;
  if (length == 0) return Finish(c, dir, request);
  return true;
}

// A message's body ended: a request waits for its response; a response completes its line.
bool FastEngine::Finish(FastConn& c, int dir, bool request) {
  FastSide& s = c.side[dir];
  JsonOut& part = part_;
  part.len = 0;
  const uint8_t* h = reinterpret_cast<const uint8_t*>(s.head.data());
  const FastHead& p = s.parsed;
  if (request) {
    part.Ascii(h, p.method_len);
    part.Lit(",\"target\":");
    part.Ascii(h + p.target_at, p.target_len);
  } else {
    part.Lit(",\"response\":{\"status\":");
    part.Num(static_cast<uint64_t>(p.status));
    part.Lit(",\"reason\":");
    part.Ascii(h + p.reason_at, p.reason_len);
  }
  if (!Message(part, s)) return false;
  const bool head_method = request && NameIs(h, p.method_len, "head", 4);
  s.state = FastState::kIdle;
  // The head's bytes are not read after this (`h` is stale once given back).
  if (s.body.capacity() > kKeepBufferBytes) std::string().swap(s.body);
  if (s.head.capacity() > kKeepBufferBytes) std::string().swap(s.head);
  if (request) {
    FastRequest q;
    q.pos = s.msg_pos;
    q.start_ns = s.start_ns;
    q.end_ns = s.end_ns;
    q.head_method = head_method;
    q.json.assign(reinterpret_cast<const char*>(part.buf.data()), part.len);
    c.pending.push_back(std::move(q));
    return true;
  }
  Line(c, c.pending.front(), part, s.end_ns);
  c.pending.erase(c.pending.begin());
  return true;
}

// record-json.ts message(): version, headers (redacted as record.ts redacts), body.
bool FastEngine::Message(JsonOut& o, const FastSide& s) {
  const uint8_t* h = reinterpret_cast<const uint8_t*>(s.head.data());
  const FastHead& p = s.parsed;
  o.Lit(p.http11 ? ",\"version\":\"1.1\",\"headers\":[" : ",\"version\":\"1.0\",\"headers\":[");
  for (size_t k = 0; k < p.fields.size(); k++) {
    const FastField& f = p.fields[k];
    o.Lit(k == 0 ? "[" : ",[");
    o.Ascii(h + f.name_at, f.name_len);
    o.Lit(",");
    if (Redacted(h + f.name_at, f.name_len)) {
      o.Lit("\"[REDACTED]\"");
    } else {
      o.Ascii(h + f.value_at, f.value_len);
    }
    o.Lit("]");
  }
  o.Lit("],\"body\":");
  // record.ts: an empty body is "", an ASCII one its text; others (UTF-8, base64) are JavaScript's.
  if (!o.Ascii(reinterpret_cast<const uint8_t*>(s.body.data()), s.body.size())) return false;
  o.Lit(",\"body_encoding\":\"utf8\",\"body_size\":");
  o.Num(s.body_size);
  const bool truncated = s.holed || s.body.size() < s.body_size;
  o.Lit(truncated ? ",\"body_truncated\":true}" : ",\"body_truncated\":false}");
  return true;
}

bool FastEngine::Redacted(const uint8_t* name, size_t n) const {
  // Most names cannot be redacted ones by their length alone (record.ts prefilters the same way).
  if ((cfg.redact_lengths & (uint64_t{1} << std::min<size_t>(n, 63))) == 0) return false;
  for (const std::string& r : cfg.redact) {
    if (NameIs(name, n, r.data(), r.size())) return true;
  }
  return false;
}

void FastEngine::Line(FastConn& c, const FastRequest& q, const JsonOut& response, uint64_t end_ns) {
  JsonOut& o = lines;
  o.Lit("{\"ts\":\"");
  iso_.Write(o, q.start_ns, cfg.offset_ns);
  o.Lit("\",\"duration_ns\":");
  o.Num(end_ns > q.start_ns ? end_ns - q.start_ns : 0);
  std::string& prefix = c.prefix[c.tls ? 1 : 0];
  if (prefix.empty()) prefix = Prefix(c.open, c.request_dir, c.tls, c.labels);
  o.Put(prefix);
  o.Put(q.json);
  o.Put(response.buf.data(), response.len);
  o.Lit("}\n");
  line_count++;
  counts.exchanges++;
}


// Where each direction's replay would start: its oldest message not yet written.
uint64_t FastEngine::KeepFrom(const FastConn& c, int dir) const {
  const FastSide& s = c.side[dir];
  if (dir == c.request_dir && !c.pending.empty()) return c.pending.front().pos;
  return s.state == FastState::kIdle ? s.cursor : s.msg_pos;
}

bool FastEngine::Holds(const FastConn& c) const {
  return !c.pending.empty() || c.side[0].state != FastState::kIdle || c.side[1].state != FastState::kIdle;
}

// Drops the slices every message of which is written.
void FastEngine::Trim(FastConn& c) {
  for (int dir = 0; dir < 2; dir++) {
    FastSide& s = c.side[dir];
    std::vector<FastSegment>& segs = s.segs;
    const uint64_t keep = KeepFrom(c, dir);
    size_t k = 0;
    for (; k < segs.size() && segs[k].pos + segs[k].len <= keep; k++) s.held_bytes -= segs[k].payload.size();
    if (k == segs.size()) {
      segs.clear();
    } else if (k > 0) {
      segs.erase(segs.begin(), segs.begin() + k);
    }
  }
}

// The connection goes to JavaScript: a resume record, then its held slices in arrival order.
void FastEngine::HandOver(FastConn& c) {
  counts.handed_over++;
  const uint64_t keep[2] = {KeepFrom(c, 0), KeepFrom(c, 1)};
  uint8_t resume[kResumeSize];
  std::memcpy(resume, c.open, kOpenSize);
  std::memcpy(resume, &kEvConnResume, 4);
  std::memcpy(resume + kOpenSize, &keep[kIngress], 8);
  std::memcpy(resume + kOpenSize + 8, &keep[kEgress], 8);
  Frame(resume, kResumeSize, nullptr, 0);
  counts.synthetic_open++;
  size_t a = 0, b = 0;
  const std::vector<FastSegment>& in = c.side[kIngress].segs;
  const std::vector<FastSegment>& eg = c.side[kEgress].segs;
  while (a < in.size() || b < eg.size()) {
    const bool take_in = b >= eg.size() || (a < in.size() && in[a].seq < eg[b].seq);
    const FastSegment& s = take_in ? in[a++] : eg[b++];
    const uint64_t from = keep[take_in ? kIngress : kEgress];
    if (s.pos + s.len <= from) continue;
    const uint64_t skip = from > s.pos ? from - s.pos : 0;
    const size_t skip_captured = static_cast<size_t>(std::min<uint64_t>(skip, s.payload.size()));
    uint8_t header[kDataHeader];
    std::memcpy(header, s.header, kDataHeader);
    const uint64_t pos = s.pos + skip;
    const uint32_t len = static_cast<uint32_t>(s.len - skip);
    const uint32_t captured = static_cast<uint32_t>(s.payload.size() - skip_captured);
    std::memcpy(header + offsetof(socktap_data, pos), &pos, 8);
    std::memcpy(header + offsetof(socktap_data, len_bytes), &len, 4);
    std::memcpy(header + offsetof(socktap_data, captured_bytes), &captured, 4);
    Frame(header, kDataHeader, s.payload.data() + skip_captured, captured);
    counts.synthetic_data++;
  }
}

// A record for JavaScript in the reader's framing: u32 length, u32 reserved, record, pad to 8.
void FastEngine::Frame(const void* a, size_t an, const void* b, size_t bn) {
  const uint32_t len = static_cast<uint32_t>(an + bn);
  const size_t padded = (len + kFrameAlign - 1) / kFrameAlign * kFrameAlign;
  uint8_t* o = js.Room(kFrameHeader + padded);
  std::memset(o, 0, kFrameHeader + padded);
  std::memcpy(o, &len, 4);
  std::memcpy(o + kFrameHeader, a, an);
  if (bn > 0) std::memcpy(o + kFrameHeader + an, b, bn);
  js.len += kFrameHeader + padded;
  js_any = true;
}

}  // namespace socktap
