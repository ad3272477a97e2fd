// JSON text for the fast path (fast-engine.cc), formatted as the JavaScript writer formats it
// (agent/pipeline/record-json.ts, agent/capture/decode.ts, agent/capture/clock.ts), so the two
// paths write the same bytes. JS thread only.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "json-bytes.h"

namespace socktap {

// A growable output for JSON text with room reserved before each write; JsonQuotedAscii may store a word past
// what it writes, so room always includes kJsonSlack.
struct JsonOut {
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
  void Latin1(const uint8_t* b, size_t n);
};

// decode.ts formatAddress: dotted IPv4; IPv6 in RFC 5952 form, IPv4-mapped as IPv4.
std::string FormatAddress(uint16_t family, const uint8_t* a);

// clock.ts toIso: RFC 3339 with nanoseconds, UTC, the date part formatted once per second.
class IsoTime {
 public:
  // `offset_ns`: wall-clock ns minus CLOCK_MONOTONIC ns (MonotonicClock's).
  void Write(JsonOut& o, uint64_t mono_ns, int64_t offset_ns);

 private:
  int64_t sec_ = INT64_MIN;
  char prefix_[64] = {0};
};

}  // namespace socktap
