// See fast-head.h: the plainest HTTP/1.x heads, and "not mine" for the rest.
#include "fast-head.h"

namespace socktap {
namespace {

constexpr uint8_t CR = 0x0d;
constexpr uint8_t LF = 0x0a;
constexpr uint8_t SP = 0x20;
constexpr uint8_t HTAB = 0x09;

// RFC 9110 tchar.
struct TcharTable {
  bool t[256] = {};
  constexpr TcharTable() {
    for (int c = '0'; c <= '9'; c++) t[c] = true;
    for (int c = 'a'; c <= 'z'; c++) t[c] = true;
    for (int c = 'A'; c <= 'Z'; c++) t[c] = true;
    const char* extra = "!#$%&'*+-.^_`|~";
    for (const char* p = extra; *p != 0; p++) t[static_cast<uint8_t>(*p)] = true;
  }
};
constexpr TcharTable kTchar;

// A value byte this parser takes: printable ASCII or HTAB (JSON escapes only `"`, `\` and HTAB of them).
inline bool ValueByte(uint8_t c) { return (c >= 0x20 && c <= 0x7e) || c == HTAB; }

// The line starting at `i`: its end (the CR) or 0 when it does not end in CR LF before `n`.
inline size_t LineEnd(const uint8_t* b, size_t i, size_t n) {
  for (; i + 1 < n; i++) {
    if (b[i] == LF) return 0;  // a bare LF: the JavaScript parser's to judge
    if (b[i] == CR) return b[i + 1] == LF ? i : 0;
  }
  return 0;
}

// "HTTP/1.0" or "HTTP/1.1" at b[i, i + 8).
inline bool Version(const uint8_t* b, size_t i, size_t n, bool* http11) {
  static const char kHttp[] = "HTTP/1.";
  if (i + 8 > n) return false;
  for (int k = 0; k < 7; k++) {
    if (b[i + k] != static_cast<uint8_t>(kHttp[k])) return false;
  }
  if (b[i + 7] != '0' && b[i + 7] != '1') return false;
  *http11 = b[i + 7] == '1';
  return true;
}

bool RequestLine(const uint8_t* b, size_t end, FastHead* h) {
  size_t i = 0;
  while (i < end && b[i] >= 'A' && b[i] <= 'Z') i++;
  if (i == 0 || i > 20 || i >= end || b[i] != SP) return false;
  h->method_len = static_cast<uint32_t>(i);
  const size_t t = ++i;
  while (i < end && b[i] >= 0x21 && b[i] <= 0x7e) i++;
  if (i == t || i >= end || b[i] != SP) return false;
  h->target_at = static_cast<uint32_t>(t);
  h->target_len = static_cast<uint32_t>(i - t);
  return i + 9 == end && Version(b, i + 1, end, &h->http11);
}

bool StatusLine(const uint8_t* b, size_t end, FastHead* h) {
  if (end < 14 || !Version(b, 0, end, &h->http11) || b[8] != SP || b[12] != SP) return false;
  int status = 0;
  for (int k = 9; k < 12; k++) {
    if (b[k] < '0' || b[k] > '9') return false;
    status = status * 10 + (b[k] - '0');
  }
  if (status < 100 || status > 599) return false;
  for (size_t k = 13; k < end; k++) {
    if (!ValueByte(b[k])) return false;
  }
  h->status = status;
  h->reason_at = 13;
  h->reason_len = static_cast<uint32_t>(end - 13);
  return true;
}

// A Content-Length value of 1 to 15 digits (as framing.ts reads one without a comma list); -1 else.
int64_t Digits(const uint8_t* b, size_t n) {
  if (n == 0 || n > 15) return -1;
  int64_t v = 0;
  for (size_t k = 0; k < n; k++) {
    if (b[k] < '0' || b[k] > '9') return -1;
    v = v * 10 + (b[k] - '0');
  }
  return v;
}

}  // namespace

bool ParseFastHead(const uint8_t* b, size_t n, bool request, size_t max_fields, FastHead* h) {
  size_t end = LineEnd(b, 0, n);
  if (end == 0) return false;
  if (!(request ? RequestLine(b, end, h) : StatusLine(b, end, h))) return false;
  h->fields.clear();
  size_t i = end + 2;
  while (true) {
    if (i + 1 < n && b[i] == CR && b[i + 1] == LF) return i + 2 == n;
    size_t e = LineEnd(b, i, n);
    if (e == 0) return false;
    size_t c = i;
    while (c < e && kTchar.t[b[c]]) c++;
    // No whitespace before the colon, no obs-fold (a line starting with SP/HTAB has no name).
    if (c == i || c == e || b[c] != ':') return false;
    size_t vs = c + 1;
    size_t ve = e;
    for (size_t k = vs; k < ve; k++) {
      if (!ValueByte(b[k])) return false;
    }
    while (vs < ve && (b[vs] == SP || b[vs] == HTAB)) vs++;
    while (ve > vs && (b[ve - 1] == SP || b[ve - 1] == HTAB)) ve--;
    if (h->fields.size() >= max_fields) return false;
    h->fields.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(c - i), static_cast<uint32_t>(vs), static_cast<uint32_t>(ve - vs)});
    const uint8_t* name = b + i;
    const size_t name_len = c - i;
    // By length first: most fields are none of the four framing decides by.
    switch (name_len) {
      case 14:
        if (NameIs(name, name_len, "content-length", 14)) {
          const int64_t v = Digits(b + vs, ve - vs);
          if (v < 0 || (h->content_length >= 0 && h->content_length != v)) return false;
          h->content_length = v;
        }
        break;
      case 17:
        if (NameIs(name, name_len, "transfer-encoding", 17)) h->transfer_encoding = true;
        break;
      case 7:
        if (NameIs(name, name_len, "upgrade", 7)) h->upgrade = true;
        break;
      case 16:
        if (NameIs(name, name_len, "content-encoding", 16)) h->content_encoding = true;
        break;
      default:
        break;
    }
    i = e + 2;
  }
}

}  // namespace socktap
