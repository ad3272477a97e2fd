// Long ASCII bodies written into a JSON line (agent/pipeline/record-json.ts) as a JSON string
// literal, straight from their bytes. Runs on the JS thread, called synchronously by the writer.
//
// Why native, and only for long bodies: in JavaScript the loop costs 1.2-1.7 ns per byte (a
// load, a table lookup, a compare and a store per byte, with bounds checks); here about 0.35 ns,
// but a call costs about 50 ns (argument checks, handle scope). Measured on the replayed nginx
// traffic, moving the header fields' shorter runs here (a call per head) made lines slower, so
// the writer calls this only past a length where it pays (NATIVE_BODY_BYTES there). What is
// escaped is decided in record-json.ts: its tables are handed over once (`jsonTables`).
//
// Raw N-API rather than node-addon-api's wrappers: the call's overhead is what decides where this
// pays, and the wrappers add an object per argument.
#include "json-bytes.h"

#include <cstdint>
#include <cstring>

namespace socktap {
namespace {

// By byte, its JSON (the byte, a two-character or a \u escape; nothing for a byte that is not
// ASCII) in the low bytes and that output's length in the top one: built by jsonTables from
// record-json.ts's tables.
uint64_t g_out[256];
bool g_tables_set = false;

constexpr char kHex[] = "0123456789abcdef";
// The most a byte becomes: a \u escape; and what the last byte's whole-word write may pass it by.
constexpr size_t kMaxBytesPerByte = 6;
constexpr size_t kSlack = kJsonSlack;
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "g_out's words are laid out for a little-endian store");

// `b[0, n)` as a JSON string literal at `o`, or nullptr when a byte is not ASCII. The caller made
// room for the worst case (6 bytes a byte, the quotes) and kSlack more.
//
// Branch-free per byte: JSON bodies have a quote every few bytes, so any test on the bytes
// (a word without marks, or a switch on the byte's kind) is mispredicted that often and costs
// more than the copy. Each byte's output is stored as a whole word whose top byte is its length
// (written past the output, then overwritten by the next byte's or left in the slack): a load
// of the input and one of the table per byte, which is what bounds the loop.
inline uint8_t* Put(uint8_t* o, uint8_t c) {
  const uint64_t w = g_out[c];
  std::memcpy(o, &w, 8);
  return o + (w >> 56);
}

uint8_t* QuotedAscii(uint8_t* o, const uint8_t* b, size_t n) {
  *o++ = '"';
  uint64_t high = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, b + i, 8);
    high |= w;
    for (int k = 0; k < 8; k++) o = Put(o, static_cast<uint8_t>(b[i + k]));
  }
  for (; i < n; i++) {
    high |= b[i];
    o = Put(o, b[i]);
  }
  if (high & 0x8080808080808080ULL) return nullptr;
  *o++ = '"';
  return o;
}

napi_value Throw(napi_env env, bool type_error, const char* message) {
  if (type_error) {
    napi_throw_type_error(env, "SOCKTAP_INVALID_ARGUMENT", message);
  } else {
    napi_throw_range_error(env, "SOCKTAP_INVALID_ARGUMENT", message);
  }
  return nullptr;
}

napi_value Int(napi_env env, int64_t v) {
  napi_value r;
  napi_create_int64(env, v, &r);
  return r;
}

bool Bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  void* p = nullptr;
  if (napi_get_buffer_info(env, v, &p, len) != napi_ok) return false;
  *data = static_cast<uint8_t*>(p);
  return true;
}

bool Index(napi_env env, napi_value v, int64_t* out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

// The call's arguments, up to N, into `argv`; returns how many were given.
template <size_t N>
size_t Args(napi_env env, napi_callback_info info, napi_value (&argv)[N]) {
  size_t argc = N;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  return argc;
}

// jsonTables(asciiOut: Uint8Array(256), shortEscapes: Uint8Array(128)): the writer's escape tables.
napi_value JsonTables(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint8_t *out, *esc;
  size_t out_len = 0, esc_len = 0;
  if (Args(env, info, argv) < 2 || !Bytes(env, argv[0], &out, &out_len) || !Bytes(env, argv[1], &esc, &esc_len) ||
      out_len != 256 || esc_len != 128) {
    return Throw(env, true, "jsonTables(asciiOut, shortEscapes) takes a Uint8Array of 256 and one of 128 bytes");
  }
  // Built aside and kept only whole: a bad table leaves the one in use as it was.
  uint64_t table[256];
  for (int c = 0; c < 256; c++) {
    uint8_t text[8] = {0};
    uint8_t len = 0;
    const uint8_t kind = out[c];
    if (kind == 1) {
      text[len++] = static_cast<uint8_t>(c);
    } else if (kind == 2 && c < 128 && esc[c] != 0) {
      text[len++] = '\\';
      text[len++] = esc[c];
    } else if (kind == 6) {
      const uint8_t escape[6] = {'\\', 'u', '0', '0', static_cast<uint8_t>(kHex[c >> 4]), static_cast<uint8_t>(kHex[c & 15])};
      std::memcpy(text, escape, 6);
      len = 6;
    } else if (kind != 0 || c < 128) {
      return Throw(env, false, "jsonTables: asciiOut must be 1, 2 (with a shortEscapes letter) or 6 for each ASCII byte and 0 above");
    }
    text[7] = len;
    std::memcpy(&table[c], text, 8);
  }
  std::memcpy(g_out, table, sizeof table);
  g_tables_set = true;
  return nullptr;
}

// jsonAscii(out, at, bytes): `bytes` as a JSON string literal at out[at] if every byte is ASCII;
// returns the offset after it, or -1 (what was written is then garbage the caller writes over).
napi_value JsonAscii(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  uint8_t *out, *bytes;
  size_t out_len = 0, bytes_len = 0;
  int64_t at = 0;
  if (Args(env, info, argv) < 3 || !Bytes(env, argv[0], &out, &out_len) || !Index(env, argv[1], &at) ||
      !Bytes(env, argv[2], &bytes, &bytes_len)) {
    return Throw(env, true, "jsonAscii(out, at, bytes) takes a Buffer, an offset and a Buffer");
  }
  if (!g_tables_set) return Throw(env, false, "jsonAscii: jsonTables was not called");
  if (at < 0 || static_cast<uint64_t>(at) > out_len || 2 + kMaxBytesPerByte * bytes_len + kSlack > out_len - at) {
    return Throw(env, false, "jsonAscii: offset out of range or no room in the output buffer");
  }
  uint8_t* o = QuotedAscii(out + at, bytes, bytes_len);
  return Int(env, o == nullptr ? -1 : o - out);
}

void Define(napi_env env, napi_value exports, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  napi_set_named_property(env, exports, name, fn);
}

}  // namespace

uint8_t* JsonQuotedAscii(uint8_t* o, const uint8_t* b, size_t n) { return QuotedAscii(o, b, n); }

bool JsonTablesSet() { return g_tables_set; }

void InitJsonBytes(napi_env env, napi_value exports) {
  Define(env, exports, "jsonTables", JsonTables);
  Define(env, exports, "jsonAscii", JsonAscii);
}

}  // namespace socktap
