// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0)
/*
 * Floors of the capture cost, for bench/overhead.ts. Two sets of programs in one object, on the
 * 30 syscall tracepoints socktap attaches (bpf/socktap.bpf.c); the loader (floor.c) loads one set:
 *
 * - empty_*: return 0. What the hook mechanism alone costs the traced syscalls.
 * - rawtp_*: return 0, on raw_syscalls sys_enter/sys_exit: the syscall tracing path alone.
 * - copy_*: the least a capture can do. One compare on the tgid; at entry the buffer (or iovec
 *   array, or msghdr) pointer and the fd in task storage; at exit min(ret, 16 KiB) bytes of the
 *   buffer, or of the first iovec segment, copied through a per-CPU scratch record into the ring
 *   buffer without waking the reader (it polls). No connection tracking, no socket checks, no
 *   stream positions, no open/close events: what socktap does on top of this is its own cost.
 *
 * Task storage, not a hash map keyed by pid_tgid, for the entry state: a hash update at entry and
 * a delete at exit per syscall is measurably dearer (socktap's own profile showed it), and a floor
 * should be the cheapest reasonable design.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "floor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The process whose payloads are copied (copy set only); set by the loader before load. */
const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* socktap's size */
} records SEC(".maps");

/* What the exit program needs to find the bytes. */
enum floor_kind {
	FLOOR_NONE = 0, /* no call in flight */
	FLOOR_BUF = 1,  /* ptr: the buffer */
	FLOOR_IOV = 2,  /* ptr: struct iovec[] */
	FLOOR_MSG = 3,  /* ptr: struct user_msghdr */
};

struct call {
	__u64 ptr;
	__u32 fd;
	__u32 kind; /* enum floor_kind */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct call);
} calls SEC(".maps");

/* One record, too large for the 512-byte stack. Programs do not migrate while they run. */
struct scratch {
	struct floor_record hdr;
	__u8 payload[FLOOR_PAYLOAD_CAP];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct floor_counters);
} counters SEC(".maps");

static __always_inline bool targeted(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

static __always_inline int enter(__u64 fd, __u64 ptr, __u32 kind)
{
	if (!targeted())
		return 0;
	struct call *c = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0,
					      BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (c) {
		c->ptr = ptr;
		c->fd = (__u32)fd;
		c->kind = kind;
	}
	return 0;
}

static __always_inline int exit_copy(long ret)
{
	if (!targeted())
		return 0;
	struct call *c = bpf_task_storage_get(&calls, bpf_get_current_task_btf(), 0, 0);
	if (!c || c->kind == FLOOR_NONE)
		return 0;
	__u32 kind = c->kind;
	__u64 ptr = c->ptr;
	__u32 fd = c->fd;
	c->kind = FLOOR_NONE;
	if (ret <= 0)
		return 0;

	__u64 len = (__u64)ret;
	if (kind == FLOOR_MSG) {
		struct user_msghdr mh;
		if (bpf_probe_read_user(&mh, sizeof(mh), (void *)ptr))
			return 0;
		ptr = (__u64)mh.msg_iov;
		kind = FLOOR_IOV;
	}
	if (kind == FLOOR_IOV) {
		/* The first segment only. nginx (sendfile on) writes a response's head as one
		 * segment and the body with sendfile, so here that is every byte in user memory. */
		struct iovec iov;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)ptr))
			return 0;
		ptr = (__u64)iov.iov_base;
		if (len > iov.iov_len)
			len = iov.iov_len;
	}
	if (len > FLOOR_PAYLOAD_CAP)
		len = FLOOR_PAYLOAD_CAP;

	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return 0;
	__u32 n = (__u32)len;
	s->hdr.len_bytes = n;
	s->hdr.fd = fd;
	if (bpf_probe_read_user(s->payload, n, (void *)ptr))
		return 0;
	if (bpf_ringbuf_output(&records, s, sizeof(s->hdr) + n, BPF_RB_NO_WAKEUP)) {
		struct floor_counters *k = bpf_map_lookup_elem(&counters, &zero);
		if (k) {
			k->lost_records++;
			k->lost_bytes += n;
		}
	}
	return 0;
}

/* ---- empty: the hook alone ---- */
#define EMPTY(name)                                                                           \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                           \
	int empty_enter_##name(void *ctx) { return 0; }                                        \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                            \
	int empty_exit_##name(void *ctx) { return 0; }

EMPTY(accept)
EMPTY(accept4)
EMPTY(connect)
EMPTY(close)
EMPTY(read)
EMPTY(write)
EMPTY(readv)
EMPTY(writev)
EMPTY(sendto)
EMPTY(recvfrom)
EMPTY(sendmsg)
EMPTY(recvmsg)
EMPTY(sendmmsg)
EMPTY(recvmmsg)
EMPTY(sendfile64)

/* ---- rawtp: two empty programs on raw_syscalls, the cheapest way to see every syscall ---- */
/* Not a design socktap could use as is (they run for every syscall of every process), but the
 * floor under any syscall-tracepoint design: enabling syscall tracing at all sends every syscall
 * through the kernel's tracing entry and exit path. */
SEC("raw_tp/sys_enter")
int rawtp_enter(void *ctx) { return 0; }
SEC("raw_tp/sys_exit")
int rawtp_exit(void *ctx) { return 0; }

/* ---- copy: the minimal capture ---- */

/* Syscalls whose payload the floor does not copy (connection set-up and teardown, sendfile's
 * file bytes that never pass through user memory, mmsg): present on the same tracepoints, the
 * tgid compare and nothing else. */
#define COPY_PASS(name)                                                                       \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                           \
	int copy_enter_##name(void *ctx) { targeted(); return 0; }                             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                            \
	int copy_exit_##name(void *ctx) { targeted(); return 0; }

/* fd is args[0]; the buffer, iovec array or msghdr is args[1] for every data syscall here. */
#define COPY_DATA(name, kind)                                                                 \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                           \
	int copy_enter_##name(struct trace_event_raw_sys_enter *ctx)                           \
	{                                                                                     \
		return enter(ctx->args[0], ctx->args[1], kind);                               \
	}                                                                                     \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                            \
	int copy_exit_##name(struct trace_event_raw_sys_exit *ctx)                             \
	{                                                                                     \
		return exit_copy(ctx->ret);                                                   \
	}

COPY_PASS(accept)
COPY_PASS(accept4)
COPY_PASS(connect)
COPY_PASS(close)
COPY_PASS(sendmmsg)
COPY_PASS(recvmmsg)
COPY_PASS(sendfile64)
COPY_DATA(read, FLOOR_BUF)
COPY_DATA(write, FLOOR_BUF)
COPY_DATA(recvfrom, FLOOR_BUF)
COPY_DATA(sendto, FLOOR_BUF)
COPY_DATA(readv, FLOOR_IOV)
COPY_DATA(writev, FLOOR_IOV)
COPY_DATA(recvmsg, FLOOR_MSG)
COPY_DATA(sendmsg, FLOOR_MSG)
