// Long ASCII bodies into JSON lines (see json-bytes.cc). JS thread only.
#pragma once
#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace socktap {

// Adds jsonTables and jsonAscii to the module's exports.
void InitJsonBytes(napi_env env, napi_value exports);

// For the fast path (fast-lines.cc), with the same tables: `b[0, n)` as a JSON string literal at
// `o`, or nullptr when a byte is not ASCII. Room: 6 bytes a byte, 2 quotes and kJsonSlack more.
uint8_t* JsonQuotedAscii(uint8_t* o, const uint8_t* b, size_t n);
constexpr size_t kJsonSlack = 8;
// jsonTables was called (the tables above are record-json.ts's).
bool JsonTablesSet();

}  // namespace socktap
