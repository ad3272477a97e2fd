// Long ASCII bodies into JSON lines (see json-bytes.cc). JS thread only.
#pragma once
#include <node_api.h>

namespace socktap {

// Adds jsonTables and jsonAscii to the module's exports.
void InitJsonBytes(napi_env env, napi_value exports);

}  // namespace socktap
