// The fast path: a reader batch in, the JSON lines of the exchanges it completes out, for the
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
#include "fast-lines.h"

#include <charconv>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fast-head.h"
#include "json-bytes.h"

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

constexpr int kModeAll = 0, kModeIngress = 1, kModeEgress = 2;
constexpr int kIngress = SOCKTAP_DIR_INGRESS, kEgress = SOCKTAP_DIR_EGRESS;

// A growable output with room reserved before each write; JsonQuotedAscii may store a word past
// what it writes, so room always includes kJsonSlack.
struct Out {
  std::vector<uint8_t> buf;
  size_t len = 0;
  uint8_t* Room(size_t n) {
    if (len + n + kJsonSlack > buf.size()) buf.resize((len + n + kJsonSlack) * 2);
    return buf.data() + len;
  }
  void Put(const void* p, size_t n) {
    std::memcpy(Room(n), p, n);
    len += n;
  }
  void Put(const std::string& s) { Put(s.data(), s.size()); }
  void Lit(const char* s) { Put(s, std::strlen(s)); }
  void Num(uint64_t v) {
    char* o = reinterpret_cast<char*>(Room(24));
    len += std::to_chars(o, o + 24, v).ptr - o;
  }
  // ASCII bytes as a JSON string; false (nothing written) when one is not ASCII.
  bool Ascii(const uint8_t* b, size_t n) {
    uint8_t* o = Room(6 * n + 2);
    uint8_t* e = JsonQuotedAscii(o, b, n);
    if (e == nullptr) return false;
    len += e - o;
    return true;
  }
  // latin1 text (a process name) as JSON.stringify writes its string: U+0080-U+00FF as UTF-8.
  void Latin1(const uint8_t* b, size_t n) {
    if (Ascii(b, n)) return;
    Room(1);
    buf[len++] = '"';
    for (size_t k = 0; k < n; k++) {
      if (b[k] < 0x80) {
        uint8_t one[2 + 6 + kJsonSlack];
        const size_t quoted = JsonQuotedAscii(one, b + k, 1) - one;
        Put(one + 1, quoted - 2);  // the byte's JSON without its quotes
      } else {
        const uint8_t two[2] = {static_cast<uint8_t>(0xc0 | (b[k] >> 6)), static_cast<uint8_t>(0x80 | (b[k] & 0x3f))};
        Put(two, 2);
      }
    }
    Room(1);
    buf[len++] = '"';
  }
};

// agent/capture/decode.ts formatAddress: dotted IPv4; IPv6 in RFC 5952 form, IPv4-mapped as IPv4.
std::string FormatAddress(uint16_t family, const uint8_t* a) {
  char s[64];
  if (family == 2) {
    std::snprintf(s, sizeof s, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
    return s;
  }
  bool mapped = a[10] == 0xff && a[11] == 0xff;
  for (int i = 0; i < 10 && mapped; i++) mapped = a[i] == 0;
  if (mapped) {
    std::snprintf(s, sizeof s, "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
    return s;
  }
  unsigned g[8];
  for (int i = 0; i < 8; i++) g[i] = (a[2 * i] << 8) | a[2 * i + 1];
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      i++;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) j++;
    if (j - i > best_len && j - i > 1) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  std::string out;
  for (int i = 0; i < 8; i++) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::snprintf(s, sizeof s, "%x", g[i]);
    out += s;
  }
  return out;
}

// One data event as it arrived, kept until every message it carries is written (for a hand-over).
struct Segment {
  uint64_t seq;
  uint64_t pos;
  uint32_t len;
  uint8_t header[kDataHeader];
  std::string payload;  // the captured bytes (may be fewer than len)
};

enum SideState { IDLE, HEAD, BODY };

// One direction of a connection.
struct Side {
  uint64_t next = 0;    // stream position of the next byte to arrive
  uint64_t cursor = 0;  // stream position of the next byte to parse (next, once an event is parsed)
  std::vector<Segment> segs;
  SideState state = IDLE;
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
struct Request {
  uint64_t pos;
  uint64_t start_ns, end_ns;
  bool head_method;
  std::string json;  // from the method's string to the request object's closing brace
};

struct Conn {
  uint8_t open[kOpenSize];
  int request_dir;
  bool tls = false;
  std::string prefix[2];  // the connection's part of a line, tls false / true
  Side side[2];
  std::vector<Request> pending;
  uint64_t last_ns;
};

struct Config {
  int mode = kModeAll;
  std::unordered_set<uint32_t> ports;
  uint64_t max_body = 65536;
  std::vector<std::string> redact;  // lower case
  int64_t offset_ns = 0;
  bool decode = false;
};

struct Counts {
  double connections = 0, exchanges = 0, expired = 0, handed_over = 0;
  double data = 0, open = 0, close = 0;            // events taken from batches
  double synthetic_open = 0, synthetic_data = 0;   // records written for JavaScript
};

template <typename T>
T Read(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

class Engine {
 public:
  Config cfg;
  Counts counts;
  Out lines;
  size_t line_count = 0;
  Out js;          // records for JavaScript
  bool js_any = false;

  // One batch: lines into `lines`, the rest into `js`. Returns false when nothing was taken (the
  // batch is JavaScript's as it is).
  bool Take(const uint8_t* b, size_t n) {
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
  void Expire(uint64_t before_ns) {
    js.len = 0;
    js_any = false;
    for (auto it = conns_.begin(); it != conns_.end();) {
      Conn& c = *it->second;
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

  size_t Tracked() const { return conns_.size(); }

 private:
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns_;
  uint64_t seq_ = 0;
  // A message's part of its line, reused.
  Out part_;
  // The date part of the last second written (agent/capture/clock.ts does the same).
  int64_t iso_sec_ = INT64_MIN;
  char iso_prefix_[64] = {0};

  void Forward(const uint8_t* frame, size_t n) {
    js.Put(frame, n);
    js_any = true;
  }

  // True when the event was taken (consumed, or turned into records for JavaScript).
  bool Event(const uint8_t* r, size_t len) {
    const uint32_t type = Read<uint32_t>(r);
    if (type == SOCKTAP_EV_DATA && len >= kDataHeader) return Data(r, len);
    if (type == SOCKTAP_EV_CONN_OPEN && len >= kOpenSize) return Open(r);
    if (type == SOCKTAP_EV_CONN_CLOSE && len >= sizeof(socktap_conn_close)) return Close(r);
    return false;
  }

  static uint64_t Generation(const uint8_t* id) { return Read<uint64_t>(id + offsetof(socktap_conn_id, generation)); }

  Conn* Find(uint64_t generation) {
    auto it = conns_.find(generation);
    return it == conns_.end() ? nullptr : it->second.get();
  }

  bool Open(const uint8_t* r) {
    const uint64_t g = Generation(r + offsetof(socktap_conn_open, id));
    if (Conn* old = Find(g)) {
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
    if (cfg.mode == kModeIngress && request_dir != kIngress) return false;
    if (cfg.mode == kModeEgress && request_dir != kEgress) return false;
    const uint16_t local_port = Read<uint16_t>(r + offsetof(socktap_conn_open, local_port));
    const uint16_t remote_port = Read<uint16_t>(r + offsetof(socktap_conn_open, remote_port));
    if (!cfg.ports.empty() && cfg.ports.count(request_dir == kIngress ? local_port : remote_port) == 0) return false;
    auto c = std::make_unique<Conn>();
    std::memcpy(c->open, r, kOpenSize);
    c->request_dir = request_dir;
    c->last_ns = Read<uint64_t>(r + offsetof(socktap_conn_open, ts_ns));
    for (int tls = 0; tls < 2; tls++) c->prefix[tls] = Prefix(r, request_dir, tls == 1);
    conns_.emplace(g, std::move(c));
    counts.connections++;
    counts.open++;
    return true;
  }

  // record-json.ts writeConnectionPart: from `,"direction"` to the request's `"method":`.
  std::string Prefix(const uint8_t* r, int request_dir, bool tls) {
    Out o;
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
    o.Lit(",\"container_id\":null,\"pod\":null,\"namespace\":null,\"service\":null},\"connection\":{\"id\":\"");
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

  bool Close(const uint8_t* r) {
    const uint64_t g = Generation(r + offsetof(socktap_conn_close, id));
    Conn* c = Find(g);
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

  bool Data(const uint8_t* r, size_t rec_len) {
    const uint64_t g = Generation(r + offsetof(socktap_data, id));
    Conn* c = Find(g);
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
    Side& s = c->side[dir];
    counts.data++;
    if (pos + len <= s.next) return true;  // delivered already (an overlap)
    if (pos != s.next || captured > len) {
      // Out of order or overlapping: ordering is agent/capture's (OrderedStream).
      counts.data--;
      HandOver(*c);
      conns_.erase(g);
      return false;
    }
    s.next = pos + len;
    const uint64_t seq = seq_++;
    bool ok = Feed(*c, dir, r + kDataHeader, captured, pos, ts);
    if (ok && len > captured) ok = Hole(*c, dir, len - captured);
    // Kept (copied) only while a message it carries is not written: most responses complete
    // their exchange in the event that brings them, and are never copied.
    if (!ok || pos + len > KeepFrom(*c, dir)) {
      Segment& seg = s.segs.emplace_back();
      seg.seq = seq;
      seg.pos = pos;
      seg.len = len;
      std::memcpy(seg.header, r, kDataHeader);
      seg.payload.assign(reinterpret_cast<const char*>(r + kDataHeader), captured);
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
  bool Feed(Conn& c, int dir, const uint8_t* b, size_t n, uint64_t pos, uint64_t ts) {
    Side& s = c.side[dir];
    const bool request = dir == c.request_dir;
    size_t i = 0;
    while (i < n) {
      switch (s.state) {
        case IDLE:
          // Empty lines between messages are tolerated (message-parser.ts does the same).
          while (i < n && (b[i] == '\r' || b[i] == '\n')) i++;
          if (i < n) {
            s.state = HEAD;
            s.msg_pos = pos + i;
            s.start_ns = ts;
            s.head.clear();
          }
          break;
        case HEAD: {
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
        case BODY: {
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
  bool Hole(Conn& c, int dir, uint64_t len) {
    Side& s = c.side[dir];
    if (s.state != BODY || len > static_cast<uint64_t>(s.remaining)) return false;
    s.body_size += len;
    s.holed = true;
    s.remaining -= static_cast<int64_t>(len);
    s.cursor += len;
    if (s.remaining == 0) return Finish(c, dir, dir == c.request_dir);
    return true;
  }

  // A head is complete in s.head: framing as framing.ts decides it, for the cases taken here.
  bool Head(Conn& c, int dir, bool request, uint64_t ts) {
    Side& s = c.side[dir];
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
      const Request& q = c.pending.front();
      if (q.head_method || h.status == 204 || h.status == 304) {
        length = 0;
      } else if (h.content_length < 0) {
        return false;  // until the close
      }
    }
    s.remaining = length;
    s.state = BODY;
    if (length == 0) return Finish(c, dir, request);
    return true;
  }

  // A message's body ended: a request waits for its response; a response completes its line.
  bool Finish(Conn& c, int dir, bool request) {
    Side& s = c.side[dir];
    Out& part = part_;
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
    s.state = IDLE;
    if (request) {
      Request q;
      q.pos = s.msg_pos;
      q.start_ns = s.start_ns;
      q.end_ns = s.end_ns;
      q.head_method = NameIs(h, p.method_len, "head", 4);
      q.json.assign(reinterpret_cast<const char*>(part.buf.data()), part.len);
      c.pending.push_back(std::move(q));
      return true;
    }
    Line(c, c.pending.front(), part, s.end_ns);
    c.pending.erase(c.pending.begin());
    return true;
  }

  // record-json.ts message(): version, headers (redacted as record.ts redacts), body.
  bool Message(Out& o, const Side& s) {
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

  bool Redacted(const uint8_t* name, size_t n) const {
    for (const std::string& r : cfg.redact) {
      if (NameIs(name, n, r.data(), r.size())) return true;
    }
    return false;
  }

  void Line(Conn& c, const Request& q, const Out& response, uint64_t end_ns) {
    Out& o = lines;
    o.Lit("{\"ts\":\"");
    Iso(o, q.start_ns);
    o.Lit("\",\"duration_ns\":");
    o.Num(end_ns > q.start_ns ? end_ns - q.start_ns : 0);
    o.Put(c.prefix[c.tls ? 1 : 0]);
    o.Put(q.json);
    o.Put(response.buf.data(), response.len);
    o.Lit("}\n");
    line_count++;
    counts.exchanges++;
  }

  // clock.ts toIso: RFC 3339 with nanoseconds, UTC.
  void Iso(Out& o, uint64_t mono_ns) {
    const int64_t wall = static_cast<int64_t>(mono_ns) + cfg.offset_ns;
    int64_t sec = wall / 1000000000;
    if (wall < 0 && sec * 1000000000 != wall) sec--;
    const int64_t frac = wall - sec * 1000000000;
    if (sec != iso_sec_) {
      const time_t t = static_cast<time_t>(sec);
      struct tm tm;
      gmtime_r(&t, &tm);
      std::snprintf(iso_prefix_, sizeof iso_prefix_, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                    tm.tm_hour, tm.tm_min, tm.tm_sec);
      iso_sec_ = sec;
    }
    o.Put(iso_prefix_, 19);
    char digits[10];
    int64_t f = frac;
    for (int k = 8; k >= 0; k--) {
      digits[k] = static_cast<char>('0' + f % 10);
      f /= 10;
    }
    digits[9] = 0;
    o.Lit(".");
    o.Put(digits, 9);
    o.Lit("Z");
  }

  // Where each direction's replay would start: its oldest message not yet written.
  uint64_t KeepFrom(const Conn& c, int dir) const {
    const Side& s = c.side[dir];
    if (dir == c.request_dir && !c.pending.empty()) return c.pending.front().pos;
    return s.state == IDLE ? s.cursor : s.msg_pos;
  }

  bool Holds(const Conn& c) const {
    return !c.pending.empty() || c.side[0].state != IDLE || c.side[1].state != IDLE;
  }

  // Drops the slices every message of which is written.
  void Trim(Conn& c) {
    for (int dir = 0; dir < 2; dir++) {
      std::vector<Segment>& segs = c.side[dir].segs;
      const uint64_t keep = KeepFrom(c, dir);
      size_t k = 0;
      while (k < segs.size() && segs[k].pos + segs[k].len <= keep) k++;
      if (k == segs.size()) {
        segs.clear();
      } else if (k > 0) {
        segs.erase(segs.begin(), segs.begin() + k);
      }
    }
  }

  // The connection goes to JavaScript: a resume record, then its held slices in arrival order.
  void HandOver(Conn& c) {
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
    const std::vector<Segment>& in = c.side[kIngress].segs;
    const std::vector<Segment>& eg = c.side[kEgress].segs;
    while (a < in.size() || b < eg.size()) {
      const bool take_in = b >= eg.size() || (a < in.size() && in[a].seq < eg[b].seq);
      const Segment& s = take_in ? in[a++] : eg[b++];
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
  void Frame(const void* a, size_t an, const void* b, size_t bn) {
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
};

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
    Config& cfg = engine_.cfg;
    const std::string mode = o.Get("mode").ToString().Utf8Value();
    if (mode == "all") {
      cfg.mode = kModeAll;
    } else if (mode == "ingress") {
      cfg.mode = kModeIngress;
    } else if (mode == "egress") {
      cfg.mode = kModeEgress;
    } else {
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
  }

 private:
  Engine engine_;

  // take(batch) -> { lines: Buffer | null, lineCount, rest: Buffer | null | undefined }:
  // rest undefined: nothing was taken, the batch is JavaScript's as it is.
  Napi::Value Take(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsBuffer()) {
      Napi::TypeError::New(env, "take(batch) takes a Buffer").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Buffer<uint8_t> batch = info[0].As<Napi::Buffer<uint8_t>>();
    engine_.lines.len = 0;
    engine_.line_count = 0;
    const bool took = engine_.Take(batch.Data(), batch.Length());
    Napi::Object r = Napi::Object::New(env);
    r.Set("lineCount", Napi::Number::New(env, static_cast<double>(engine_.line_count)));
    r.Set("lines", engine_.line_count == 0 ? env.Null() : Copy(env, engine_.lines));
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
    const Counts& k = engine_.counts;
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

  static Napi::Value Copy(Napi::Env env, const Out& o) { return Napi::Buffer<uint8_t>::Copy(env, o.buf.data(), o.len); }
};

}  // namespace

Napi::Function InitFastLines(Napi::Env env) { return FastLines::Init(env); }

}  // namespace socktap
