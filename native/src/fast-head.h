// The fast path's HTTP/1.x head parser (see fast-lines.cc). JS thread only.
//
// Deliberately narrow: it accepts only heads whose every line is in the plainest form (CRLF
// line ends, a token method or HTTP/1.x status line, `name:value` fields of printable ASCII or
// HTAB, no obs-fold) and says "not mine" for anything else. The parser of record is
// agent/http (message-parser.ts and its parts): a head this one refuses is handed there with its
// connection, so every leniency, error code and resync stays decided in one place, and a head
// this one accepts is one that parser reads the same way (a test holds the two to equal lines).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace socktap {

struct FastField {
  uint32_t name_at, name_len, value_at, value_len;
};

struct FastHead {
  // Offsets into the head's bytes.
  uint32_t method_at = 0, method_len = 0, target_at = 0, target_len = 0;
  uint32_t reason_at = 0, reason_len = 0;
  int status = 0;
  bool http11 = true;
  std::vector<FastField> fields;
  // -1 none; the agreed value otherwise.
  int64_t content_length = -1;
  bool transfer_encoding = false;
  bool upgrade = false;
  bool content_encoding = false;
};

// Parses `b[0, n)`, which ends with the head's empty line (CRLF CRLF). False: not a head this
// parser takes (the caller hands the connection to the JavaScript parser). `max_fields` bounds
// the field count it takes.
bool ParseFastHead(const uint8_t* b, size_t n, bool request, size_t max_fields, FastHead* out);

// ASCII case-insensitive equality of b[0, n) with the lower-case `lower` of length n. Inline: it
// runs for every field of every head (framing and redaction).
inline bool NameIs(const uint8_t* b, size_t n, const char* lower, size_t lower_len) {
  if (n != lower_len) return false;
  for (size_t k = 0; k < n; k++) {
    uint8_t c = b[k];
    if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c + 0x20);
    if (c != static_cast<uint8_t>(lower[k])) return false;
  }
  return true;
}

}  // namespace socktap
