// See fast-json.h.
#include "fast-json.h"

#include <cstdio>
#include <ctime>

namespace socktap {

void JsonOut::Latin1(const uint8_t* b, size_t n) {
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

void IsoTime::Write(JsonOut& o, uint64_t mono_ns, int64_t offset_ns) {
  const int64_t wall = static_cast<int64_t>(mono_ns) + offset_ns;
  int64_t sec = wall / 1000000000;
  if (wall < 0 && sec * 1000000000 != wall) sec--;
  const int64_t frac = wall - sec * 1000000000;
  if (sec != sec_) {
    const time_t t = static_cast<time_t>(sec);
    struct tm tm;
    gmtime_r(&t, &tm);
    std::snprintf(prefix_, sizeof prefix_, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    sec_ = sec;
  }
  o.Put(prefix_, 19);
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

}  // namespace socktap
