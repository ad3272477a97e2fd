// layout(): sizes and offsets of the shared records as this compiler laid them out, so a test can
// hold the TypeScript decoder (agent/capture/layout.ts) to the C header.
#include "layout.h"

#include <cstddef>

#include "fast-lines.h"

extern "C" {
#include <linux/types.h>
#include "socktap.h"
}

namespace socktap {

#define FIELD(obj, type, f) obj.Set(#f, Napi::Number::New(env, offsetof(type, f)))

Napi::Value Layout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);

  Napi::Object id = Napi::Object::New(env);
  id.Set("size", Napi::Number::New(env, sizeof(socktap_conn_id)));
  FIELD(id, socktap_conn_id, tgid);
  FIELD(id, socktap_conn_id, fd);
  FIELD(id, socktap_conn_id, generation);
  FIELD(id, socktap_conn_id, proc_start_ns);
  out.Set("conn_id", id);

  Napi::Object open = Napi::Object::New(env);
  open.Set("size", Napi::Number::New(env, sizeof(socktap_conn_open)));
  FIELD(open, socktap_conn_open, type);
  FIELD(open, socktap_conn_open, role);
  FIELD(open, socktap_conn_open, ts_ns);
  FIELD(open, socktap_conn_open, id);
  FIELD(open, socktap_conn_open, family);
  FIELD(open, socktap_conn_open, protocol);
  FIELD(open, socktap_conn_open, local_port);
  FIELD(open, socktap_conn_open, remote_port);
  FIELD(open, socktap_conn_open, local_addr);
  FIELD(open, socktap_conn_open, remote_addr);
  FIELD(open, socktap_conn_open, source);
  FIELD(open, socktap_conn_open, tid);
  FIELD(open, socktap_conn_open, comm);
  FIELD(open, socktap_conn_open, cgroup_id);
  out.Set("conn_open", open);

  Napi::Object close = Napi::Object::New(env);
  close.Set("size", Napi::Number::New(env, sizeof(socktap_conn_close)));
  FIELD(close, socktap_conn_close, type);
  FIELD(close, socktap_conn_close, ts_ns);
  FIELD(close, socktap_conn_close, id);
  FIELD(close, socktap_conn_close, ingress_bytes);
  FIELD(close, socktap_conn_close, egress_bytes);
  out.Set("conn_close", close);

  Napi::Object data = Napi::Object::New(env);
  data.Set("size", Napi::Number::New(env, sizeof(socktap_data)));
  FIELD(data, socktap_data, type);
  FIELD(data, socktap_data, syscall);
  FIELD(data, socktap_data, direction);
  FIELD(data, socktap_data, flags);
  FIELD(data, socktap_data, ts_ns);
  FIELD(data, socktap_data, id);
  FIELD(data, socktap_data, pos);
  FIELD(data, socktap_data, len_bytes);
  FIELD(data, socktap_data, captured_bytes);
  FIELD(data, socktap_data, payload);
  out.Set("data", data);

  Napi::Object k = Napi::Object::New(env);
  k.Set("EV_CONN_OPEN", Napi::Number::New(env, SOCKTAP_EV_CONN_OPEN));
  k.Set("EV_CONN_CLOSE", Napi::Number::New(env, SOCKTAP_EV_CONN_CLOSE));
  k.Set("EV_DATA", Napi::Number::New(env, SOCKTAP_EV_DATA));
  k.Set("PAYLOAD_CAP", Napi::Number::New(env, SOCKTAP_PAYLOAD_CAP));
  k.Set("DEFAULT_PAYLOAD_BYTES", Napi::Number::New(env, SOCKTAP_DEFAULT_PAYLOAD_BYTES));
  k.Set("DEFAULT_CHUNKS_PER_CALL", Napi::Number::New(env, SOCKTAP_DEFAULT_CHUNKS_PER_CALL));
  k.Set("MAX_CHUNKS_PER_CALL", Napi::Number::New(env, SOCKTAP_MAX_CHUNKS_PER_CALL));
  k.Set("DATA_F_NO_PAYLOAD", Napi::Number::New(env, SOCKTAP_DATA_F_NO_PAYLOAD));
  k.Set("DATA_F_TRUNCATED", Napi::Number::New(env, SOCKTAP_DATA_F_TRUNCATED));
  k.Set("DATA_F_READ_FAILED", Napi::Number::New(env, SOCKTAP_DATA_F_READ_FAILED));
  k.Set("DATA_F_TLS", Napi::Number::New(env, SOCKTAP_DATA_F_TLS));
  k.Set("SC_SSL_READ", Napi::Number::New(env, SOCKTAP_SC_SSL_READ));
  k.Set("SC_SSL_WRITE_EX", Napi::Number::New(env, SOCKTAP_SC_SSL_WRITE_EX));
  k.Set("SC_COUNT", Napi::Number::New(env, SOCKTAP_SC_COUNT));
  k.Set("SC_SENDFILE", Napi::Number::New(env, SOCKTAP_SC_SENDFILE));
  k.Set("SC_RECVMMSG", Napi::Number::New(env, SOCKTAP_SC_RECVMMSG));
  k.Set("ROLE_SERVER", Napi::Number::New(env, SOCKTAP_ROLE_SERVER));
  k.Set("ROLE_CLIENT", Napi::Number::New(env, SOCKTAP_ROLE_CLIENT));
  k.Set("SRC_FIRST_DATA", Napi::Number::New(env, SOCKTAP_SRC_FIRST_DATA));
  k.Set("DIR_EGRESS", Napi::Number::New(env, SOCKTAP_DIR_EGRESS));
  k.Set("EV_CONN_RESUME", Napi::Number::New(env, kEvConnResume));
  out.Set("constants", k);
  return out;
}

}  // namespace socktap
