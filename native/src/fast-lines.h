// The fast path: JSON lines for the common case, a batch per call (see fast-lines.cc). JS thread only.
#pragma once
#include <napi.h>

namespace socktap {

// The FastLines class for the module's exports.
Napi::Function InitFastLines(Napi::Env env);

// Type of the record the fast path writes for JavaScript when it hands a connection over: a
// connection open (socktap_conn_open's layout) followed by the two streams' positions to resume
// at (u64 ingress, u64 egress). User space only; the kernel's types are small numbers.
constexpr uint32_t kEvConnResume = 0x100;

}  // namespace socktap
