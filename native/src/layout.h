#pragma once
#include <napi.h>

namespace socktap {
// JS thread: { conn_id, conn_open, conn_close, data: { size, <field>: offset }, constants }.
Napi::Value Layout(const Napi::CallbackInfo& info);
}  // namespace socktap
