// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0)
/*
 * socktap capture programs: syscall tracepoints only. kprobes and fentry are absent or locked on
 * hardened kernels; syscall tracepoints are stable ABI and never miss a return, so the entry/exit
 * pairing below needs no kretprobe bookkeeping.
 *
 * Flow per data syscall: enter -> is this task's process targeted (cached in task storage) -> is
 * the fd a tracked or pre-existing TCP socket -> remember the arguments in task storage; exit ->
 * copy what the kernel actually moved (ret bytes) into the ring buffer in slices, each tagged with
 * its stream position.
 *
 * Cost discipline (measured: hash updates, clock reads and ring queries per call showed up in a
 * busy nginx's profile): per-thread state lives in task-local storage, a pointer away from the
 * task, instead of a hash map written and deleted on every call; an untargeted task pays one
 * task-storage lookup per probe; one clock read per call; the ring fill is checked once per call.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "socktap.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define MSG_PEEK 0x2
#define EINPROGRESS 115

/* ---- settings fixed before load (rodata) ---- */
const volatile __u32 max_payload_bytes = SOCKTAP_DEFAULT_PAYLOAD_BYTES;
const volatile __u32 max_chunks_per_call = SOCKTAP_DEFAULT_CHUNKS_PER_CALL;
const volatile __u32 self_tgid = 0;           /* the agent never captures itself */
const volatile bool include_non_tcp = false;  /* UDP and unix stream sockets too */
const volatile __u64 wakeup_threshold_bytes = 1 << 20;

/* ---- settings user space changes at runtime (.bss is mmapped by the skeleton) ---- */
volatile __u32 capture_all = 0;
volatile __u32 filter_by_tgid = 0;     /* set while target_tgids has entries */
volatile __u32 filter_by_cgroup = 0;   /* set while target_cgroups has entries */
volatile __u32 filter_by_comm = 0;     /* set while target_comms has entries */
/* Connections kept only on target_ports (while it has entries): PORT_MATCH_LOCAL checks the local
 * port of connections a process accepted, PORT_MATCH_REMOTE the remote port of those it opened;
 * both for connections of unknown role. Others are remembered as ignored and never reported. */
volatile __u32 filter_by_port = 0;
#define PORT_MATCH_LOCAL 1
#define PORT_MATCH_REMOTE 2
volatile __u32 target_epoch = 1;       /* bumped by user space whenever the targets change */
/* Bumped by user space when it detaches SSL probes: a call entered before that may never see its
 * return probe, so every thread's SSL call stack from an older epoch is dropped. */
volatile __u32 tls_epoch = 0;
__u64 next_generation = 0;

struct conn_state {
	struct socktap_conn_id id;
	__u64 pos[2];   /* next stream position per direction; advanced atomically at syscall exit */
	__u32 role;
	__u32 ignored;  /* not on a target port: kept so later calls stop at one lookup, never reported */
	__u32 tls;      /* carries TLS records: the socket's bytes are never reported, only the SSL
	                 * probes' plaintext (so positions count plaintext bytes) */
	__u32 _pad;
	__u64 ssl;      /* the SSL* bound to this connection (0: none yet); one TLS session per socket */
};

/* Arguments of an in-flight syscall, kept from entry to exit. */
struct active_call {
	__u64 ptr;       /* buffer, iovec array, msghdr or mmsghdr array */
	__u64 count;     /* buffer length, iovcnt or vlen */
	__u32 fd;
	__u32 syscall;
};

#define NO_FD 0xffffffffu

/* An SSL_read/SSL_write (or _ex) in flight on this thread, from the uprobe to the uretprobe. */
struct ssl_call {
	__u64 ssl;        /* the SSL* */
	__u64 buf;        /* the plaintext buffer */
	__u64 len_ptr;    /* size_t *: where the _ex variants store the byte count; 0 otherwise */
	__u32 fd;         /* socket of the first data syscall made inside the call; NO_FD if none */
	__u16 fn;         /* enum socktap_syscall, SOCKTAP_SC_SSL_* */
	__u8 direction;
	__u8 shadow;      /* a wrapper's inner call on the same buffer: the outer one reports */
};

/* SSL calls in progress on one thread, innermost last. They nest for real: Node finishes a
 * handshake inside SSL_read, runs JavaScript from OpenSSL's callback, and that JavaScript's first
 * write is an SSL_write inside the SSL_read. Deeper calls are counted, not tracked. */
#define SSL_STACK 4

/* Per-thread state in task-local storage. The target decision is cached with the epoch and the
 * cgroup it was made for, so it is recomputed when the targets change or the task moves to
 * another cgroup (a container runtime moves its init process before exec). */
struct task_state {
	__u32 epoch;          /* target_epoch the decision was made in; 0 = never */
	__u8 targeted;
	__u8 in_call;         /* `call` holds the arguments of the syscall in progress */
	__u16 _pad;
	__u64 cgroup_id;      /* cgroup the decision was made for (cgroup filtering only) */
	struct active_call call;
	struct ssl_call ssl[SSL_STACK];
	__u32 ssl_depth;      /* SSL calls entered and not yet returned */
	__u32 ssl_epoch;      /* tls_epoch when the stack was started */
	/* The TLS socket this thread last read records from, and that connection's generation.
	 * Runtimes that feed OpenSSL through memory BIOs (Node) make no syscall inside SSL_read: the
	 * records they decrypt are the ones their event loop just read on this thread. */
	__u32 last_tls_fd;
	__u64 last_tls_generation;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* LRU: a process that exits closes its fds without close(2), so entries would otherwise leak. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* tgid << 32 | fd */
	__type(value, struct conn_state);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} target_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} target_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} target_ports SEC(".maps");

/* Process names (the thread group leader's comm, NUL-padded to 16 bytes), as in `--comm nginx`. */
struct comm_key {
	char name[SOCKTAP_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct comm_key);
	__type(value, __u8);
} target_comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct socktap_counters);
} counters SEC(".maps");

/* State of one walk over the bytes a syscall moved: a buffer, an iovec array, or (mmsg) an array
 * of messages each with its iovecs, cut into events of at most max_payload_bytes. One flat state
 * machine, stepped by bpf_loop. It lives in the per-CPU scratch map, not on the stack: the
 * verifier does not track map contents, so every step verifies as one state instead of one per
 * counter value (on the stack the exact lengths and indexes exhaust its budget). */
struct walk {
	struct socktap_conn_id id;
	__u64 ts_ns;
	__u64 wakeup;     /* ring-buffer flags for this call's events, decided once */
	__u64 mmsg;       /* user pointer to struct mmsghdr[], 0 otherwise */
	__u64 iov;        /* user pointer to struct iovec[], 0 for a single buffer */
	__u64 buf;        /* current segment */
	__u64 seg_left;   /* bytes left in the current segment */
	__u64 msg_left;   /* bytes left in the current message (the whole call when not mmsg) */
	__u64 left;       /* bytes of the call not yet reported */
	__u64 pos;        /* stream position of the next byte */
	__u32 iov_idx;
	__u32 iov_cnt;
	__u32 msg_idx;
	__u32 msg_cnt;
	__u32 chunks;     /* slices emitted for this call, against max_chunks_per_call */
	__u16 syscall;
	__u8 direction;
	__u8 flags;       /* SOCKTAP_DATA_F_* on every slice (TLS plaintext) */
};

/* Per-CPU scratch: the walk state and one data event (too large for the 512-byte BPF stack).
 * BPF programs do not migrate between CPUs while they run, so the slot is the program's own. */
struct data_scratch {
	struct walk walk;
	__u8 bytes[sizeof(struct socktap_data) + SOCKTAP_PAYLOAD_CAP];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct data_scratch);
} scratch SEC(".maps");

static __always_inline struct data_scratch *scratch_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch, &zero);
}

static __always_inline struct socktap_counters *counters_get(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline void count_probe(__u32 sc, int exit)
{
	struct socktap_counters *c = counters_get();
	if (c && sc < SOCKTAP_SC_COUNT)
		c->probe[sc][exit & 1]++;
}

static __always_inline bool is_target(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (capture_all)
		return true;
	/* Only one of the two filters is on in practice (pids standalone, cgroups in Kubernetes), so
	 * an untargeted process costs one lookup. */
	if (filter_by_tgid && bpf_map_lookup_elem(&target_tgids, &tgid))
		return true;
	if (filter_by_cgroup) {
		__u64 cg = bpf_get_current_cgroup_id();
		if (bpf_map_lookup_elem(&target_cgroups, &cg))
			return true;
	}
	if (filter_by_comm) {
		/* The process's name, not this thread's: runtimes name their threads ("libuv-worker").
		 * Read as a string into a zeroed key: older kernels do not pad comm after the NUL. */
		struct comm_key key = {};
		struct task_struct *leader = BPF_CORE_READ((struct task_struct *)bpf_get_current_task_btf(), group_leader);
		bpf_probe_read_kernel_str(key.name, sizeof(key.name), &leader->comm);
		if (bpf_map_lookup_elem(&target_comms, &key))
			return true;
	}
	return false;
}

/* exec gives the process a new name (and image): forget the cached target decision, so a shell
 * that forks and execs nginx is captured under `--comm nginx` from nginx's first call. */
SEC("tp/sched/sched_process_exec")
int on_exec(void *ctx)
{
	struct task_state *ts = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, 0);
	if (ts)
		ts->epoch = 0;
	return 0;
}

/* This thread's state, its target decision brought up to date. NULL when the thread is not
 * targeted (or storage is unavailable). One task-storage lookup for an untargeted thread. */
static __always_inline struct task_state *task_targeted(__u32 tgid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_state *ts = bpf_task_storage_get(&tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts)
		return NULL;
	__u32 epoch = target_epoch;
	if (ts->epoch != epoch || (filter_by_cgroup && ts->cgroup_id != bpf_get_current_cgroup_id())) {
		ts->targeted = is_target(tgid);
		ts->epoch = epoch;
		ts->cgroup_id = filter_by_cgroup ? bpf_get_current_cgroup_id() : 0;
	}
	return ts->targeted ? ts : NULL;
}

/* Batch wakeups: waking the reader per event costs a busy server 30-40 % of its throughput. The
 * reader consumes on a timer; a filling ring wakes it early, but only the events just past the
 * threshold do so: above it every event would otherwise send a wakeup until the reader catches up. */
#define WAKEUP_WINDOW_BYTES (64 << 10)
static __always_inline __u64 wakeup_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	if (avail >= wakeup_threshold_bytes && avail < wakeup_threshold_bytes + WAKEUP_WINDOW_BYTES)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline __u64 conn_key(__u32 tgid, __u32 fd)
{
	return ((__u64)tgid << 32) | fd;
}

/* fd -> struct socket of the current task, or NULL when the fd is not a socket. */
static __always_inline struct socket *fd_to_socket(__u32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return NULL;
	if (fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return NULL;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	return (struct socket *)BPF_CORE_READ(file, private_data);
}

struct sock_facts {
	__u16 family;
	__u16 protocol;
	__u16 local_port;
	__u16 remote_port;
	__u8 local_addr[16];
	__u8 remote_addr[16];
};

/* Reads family and addresses from the kernel socket; false when it is not one we capture. */
static __always_inline bool read_sock(struct socket *sock, struct sock_facts *f)
{
	if (!sock)
		return false;
	short type = BPF_CORE_READ(sock, type);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return false;
	f->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (f->family == AF_INET || f->family == AF_INET6) {
		if (type == SOCK_STREAM)
			f->protocol = IPPROTO_TCP;
		else if (type == SOCK_DGRAM && include_non_tcp)
			f->protocol = IPPROTO_UDP;
		else
			return false;
	} else if (f->family == AF_UNIX && include_non_tcp && type == SOCK_STREAM) {
		f->protocol = 0;
		return true;
	} else {
		return false;
	}
	f->local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
	f->remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (f->family == AF_INET) {
		__u32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(f->local_addr, &l, 4);
		__builtin_memcpy(f->remote_addr, &r, 4);
	} else {
		BPF_CORE_READ_INTO(&f->local_addr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&f->remote_addr, sk, __sk_common.skc_v6_daddr);
	}
	return true;
}

static __always_inline bool port_wanted(__u32 role, struct sock_facts *f)
{
	__u32 match = filter_by_port;
	if (!match)
		return true;
	__u16 local = f->local_port, remote = f->remote_port;
	if ((match & PORT_MATCH_LOCAL) && role != SOCKTAP_ROLE_CLIENT && bpf_map_lookup_elem(&target_ports, &local))
		return true;
	if ((match & PORT_MATCH_REMOTE) && role != SOCKTAP_ROLE_SERVER && bpf_map_lookup_elem(&target_ports, &remote))
		return true;
	return false;
}

/* Records a new connection for {tgid, fd} (replacing a stale one) and reports it, unless it is
 * not on a target port: then it is remembered as ignored, silently. */
static __always_inline struct conn_state *conn_create(__u32 tgid, __u32 fd, __u32 role, __u32 source,
						       struct sock_facts *f)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct conn_state st = {};
	st.id.tgid = tgid;
	st.id.fd = fd;
	st.id.generation = __sync_fetch_and_add(&next_generation, 1) + 1;
	st.id.proc_start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	st.role = role;
	st.ignored = !port_wanted(role, f);
	__u64 key = conn_key(tgid, fd);
	if (bpf_map_update_elem(&conns, &key, &st, BPF_ANY))
		return NULL;
	if (st.ignored)
		return NULL;

	struct socktap_counters *c = counters_get();
	struct socktap_conn_open ev = {};
	ev.type = SOCKTAP_EV_CONN_OPEN;
	ev.role = role;
	ev.ts_ns = bpf_ktime_get_ns();
	ev.id = st.id;
	ev.family = f->family;
	ev.protocol = f->protocol;
	ev.local_port = f->local_port;
	ev.remote_port = f->remote_port;
	__builtin_memcpy(ev.local_addr, f->local_addr, 16);
	__builtin_memcpy(ev.remote_addr, f->remote_addr, 16);
	ev.source = source;
	ev.tid = (__u32)bpf_get_current_pid_tgid();
	bpf_get_current_comm(ev.comm, sizeof(ev.comm));
	/* Lets user space name the pod of a process too short-lived for a /proc scan to see. */
	ev.cgroup_id = bpf_get_current_cgroup_id();
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), wakeup_flags())) {
		if (c)
			c->lost_events++;
	}
	if (c)
		c->conns_opened++;
	return bpf_map_lookup_elem(&conns, &key);
}

/* The tracked connection on fd, picking up a TCP socket that existed before tracing. */
static __always_inline struct conn_state *conn_lookup_or_adopt(__u32 tgid, __u32 fd)
{
	__u64 key = conn_key(tgid, fd);
	struct conn_state *st = bpf_map_lookup_elem(&conns, &key);
	if (st)
		return st->ignored ? NULL : st;
	struct sock_facts f = {};
	if (!read_sock(fd_to_socket(fd), &f))
		return NULL;
	return conn_create(tgid, fd, SOCKTAP_ROLE_UNKNOWN, SOCKTAP_SRC_FIRST_DATA, &f);
}

/* ---------------- connection lifecycle ---------------- */

static __always_inline void remember(struct task_state *ts, __u32 sc, __u32 fd, __u64 ptr, __u64 count)
{
	count_probe(sc, 0);
	ts->call.ptr = ptr;
	ts->call.count = count;
	ts->call.fd = fd;
	ts->call.syscall = sc;
	ts->in_call = 1;
}

static __always_inline int enter_remember(__u32 sc, __u32 fd, __u64 ptr, __u64 count)
{
	struct task_state *ts = task_targeted(bpf_get_current_pid_tgid() >> 32);
	if (ts)
		remember(ts, sc, fd, ptr, count);
	return 0;
}

/* Takes the in-flight call of this thread, counting the exit; NULL when there is none. No
 * storage is created here: a thread that never entered a targeted call has none, and costs one
 * lookup. */
static __always_inline struct task_state *exit_take(struct active_call *out)
{
	struct task_state *ts = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, 0);
	if (!ts || !ts->in_call)
		return NULL;
	ts->in_call = 0;
	*out = ts->call;
	count_probe(out->syscall, 1);
	return ts;
}

static __always_inline int exit_new_conn(long ret, __u32 role, __u32 source)
{
	struct active_call call;
	if (!exit_take(&call))
		return 0;
	__u32 fd;
	if (role == SOCKTAP_ROLE_SERVER) {
		if (ret < 0)
			return 0;
		fd = (__u32)ret;
	} else {
		if (ret < 0 && ret != -EINPROGRESS)
			return 0;
		fd = call.fd;
	}
	struct sock_facts f = {};
	if (!read_sock(fd_to_socket(fd), &f))
		return 0;
	conn_create(bpf_get_current_pid_tgid() >> 32, fd, role, source, &f);
	return 0;
}

/* accept, accept4, connect: remember the call at entry; at exit read the new socket's addresses.
 * accept returns the new fd; connect's fd is its first argument (EINPROGRESS counts: the local
 * address is already bound). */
#define CONN_PROBES(name, sc, role, source)                                                \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                         \
	int tp_enter_##name(struct trace_event_raw_sys_enter *ctx)                           \
	{                                                                                    \
		return enter_remember(sc, (__u32)ctx->args[0], 0, 0);                        \
	}                                                                                    \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                          \
	int tp_exit_##name(struct trace_event_raw_sys_exit *ctx)                             \
	{                                                                                    \
		return exit_new_conn(ctx->ret, role, source);                                \
	}

CONN_PROBES(accept, SOCKTAP_SC_ACCEPT, SOCKTAP_ROLE_SERVER, SOCKTAP_SRC_ACCEPT)
CONN_PROBES(accept4, SOCKTAP_SC_ACCEPT4, SOCKTAP_ROLE_SERVER, SOCKTAP_SRC_ACCEPT)
CONN_PROBES(connect, SOCKTAP_SC_CONNECT, SOCKTAP_ROLE_CLIENT, SOCKTAP_SRC_CONNECT)

/* close: looked up by {tgid, fd} whether or not the process is still targeted, so a connection
 * tracked before a target change is still closed (one lookup for everyone else). */
SEC("tracepoint/syscalls/sys_enter_close")
int tp_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u64 key = conn_key(tgid, (__u32)ctx->args[0]);
	struct conn_state *st = bpf_map_lookup_elem(&conns, &key);
	if (!st)
		return 0;
	if (st->ignored) {
		bpf_map_delete_elem(&conns, &key);
		return 0;
	}
	count_probe(SOCKTAP_SC_CLOSE, 0);
	struct socktap_conn_close ev = {};
	ev.type = SOCKTAP_EV_CONN_CLOSE;
	ev.ts_ns = bpf_ktime_get_ns();
	ev.id = st->id;
	ev.ingress_bytes = st->pos[SOCKTAP_DIR_INGRESS];
	ev.egress_bytes = st->pos[SOCKTAP_DIR_EGRESS];
	bpf_map_delete_elem(&conns, &key);
	struct socktap_counters *c = counters_get();
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), wakeup_flags())) {
		if (c)
			c->lost_events++;
	}
	if (c)
		c->conns_closed++;
	struct task_state *ts = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0,
						     BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ts) {
		ts->call.syscall = SOCKTAP_SC_CLOSE;
		ts->in_call = 1;
	} else {
		count_probe(SOCKTAP_SC_CLOSE, 1); /* keep entry and exit counts paired */
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_close")
int tp_exit_close(struct trace_event_raw_sys_exit *ctx)
{
	struct active_call call;
	exit_take(&call);
	return 0;
}

/* ---------------- data ---------------- */

static __always_inline void count_lost(__u64 bytes)
{
	struct socktap_counters *c = counters_get();
	if (c) {
		c->lost_events++;
		c->lost_bytes += bytes;
	}
}

/* The per-CPU data event, its header filled from the walk. */
static __always_inline struct socktap_data *data_header(struct walk *w, __u8 flags)
{
	struct data_scratch *s = scratch_get();
	if (!s)
		return NULL;
	struct socktap_data *ev = (struct socktap_data *)s->bytes;
	ev->type = SOCKTAP_EV_DATA;
	ev->syscall = w->syscall;
	ev->direction = w->direction;
	ev->flags = flags | w->flags;
	ev->ts_ns = w->ts_ns;
	ev->id = w->id;
	ev->pos = w->pos;
	return ev;
}

/* Emits a length-only event covering `len` stream bytes (sendfile, or the rest past the cap). */
static __always_inline void emit_length_only(struct walk *w, __u64 len, __u8 flags)
{
	struct socktap_data *ev = data_header(w, flags);
	if (!ev)
		return;
	ev->len_bytes = (__u32)len;
	ev->captured_bytes = 0;
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), w->wakeup))
		count_lost(len);
	w->pos += len;
}

/* Copies n (<= SOCKTAP_PAYLOAD_CAP) bytes of user memory into the event's payload and sends it.
 * A failed copy still sends the header, flagged, so the stream keeps its length. */
static __always_inline void send_payload(struct socktap_data *ev, __u64 n, __u64 user_ptr, __u64 wakeup)
{
	if (n > SOCKTAP_PAYLOAD_CAP)
		n = SOCKTAP_PAYLOAD_CAP;
	ev->len_bytes = (__u32)n;
	__u64 captured = n;
	if (bpf_probe_read_user(ev->payload, n, (void *)user_ptr)) {
		captured = 0;
		ev->flags |= SOCKTAP_DATA_F_READ_FAILED;
		struct socktap_counters *c = counters_get();
		if (c)
			c->read_failures++;
	}
	ev->captured_bytes = (__u32)captured;
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev) + captured, wakeup))
		count_lost(n);
}

static long walk_step(__u64 index, void *ctx)
{
	struct data_scratch *s = scratch_get();
	if (!s)
		return 1;
	struct walk *w = &s->walk;
	if (w->left == 0 || w->chunks >= max_chunks_per_call)
		return 1;
	if (w->seg_left == 0) {
		/* Advance one iovec, or one message, per step: each step stays small for the verifier. */
		if (w->msg_left == 0 && w->mmsg && w->msg_idx < w->msg_cnt) {
			struct mmsghdr m = {};
			bpf_probe_read_user(&m, sizeof(m),
					    (void *)(w->mmsg + (__u64)w->msg_idx * sizeof(struct mmsghdr)));
			w->msg_idx++;
			w->iov = (__u64)m.msg_hdr.msg_iov;
			w->iov_cnt = (__u32)m.msg_hdr.msg_iovlen;
			w->iov_idx = 0;
			w->msg_left = m.msg_len < w->left ? m.msg_len : w->left;
			return 0;
		}
		/* More bytes than the iovecs we walk: stop; walk_run reports the rest as a length. */
		if (w->msg_left == 0 || !w->iov || w->iov_idx >= w->iov_cnt || w->iov_idx >= SOCKTAP_IOV_CAP)
			return 1;
		struct iovec v = {};
		bpf_probe_read_user(&v, sizeof(v), (void *)(w->iov + (__u64)w->iov_idx * sizeof(struct iovec)));
		w->iov_idx++;
		w->buf = (__u64)v.iov_base;
		w->seg_left = v.iov_len < w->msg_left ? v.iov_len : w->msg_left;
		return 0;
	}

	struct socktap_data *ev = data_header(w, w->flags);
	if (!ev)
		return 1;
	__u64 n = w->seg_left;
	if (n > max_payload_bytes)
		n = max_payload_bytes;
	if (n > SOCKTAP_PAYLOAD_CAP)
		n = SOCKTAP_PAYLOAD_CAP;
	send_payload(ev, n, w->buf, w->wakeup);
	w->buf += n;
	w->seg_left -= n;
	w->msg_left -= n;
	w->left -= n;
	w->pos += n;
	w->chunks++;
	return 0;
}

/* Reserves `len` bytes of the direction's stream and reports them: at most max_chunks_per_call
 * slices, and what the walk did not reach (the cap, or more bytes than the iovecs we walk) as a
 * length. The loop count only has to be large enough: one step per slice, iovec and message. */
static __always_inline void walk_run(struct walk *w, struct conn_state *st, __u64 len)
{
	w->left = len;
	if (!w->mmsg)
		w->msg_left = len;
	w->pos = __sync_fetch_and_add(&st->pos[w->direction & 1], len);
	__u32 steps = max_chunks_per_call;
	if (w->iov)
		steps += w->iov_cnt < SOCKTAP_IOV_CAP ? w->iov_cnt : SOCKTAP_IOV_CAP;
	if (w->mmsg)
		steps += (SOCKTAP_IOV_CAP + 1) * w->msg_cnt;
	bpf_loop(steps, walk_step, NULL, 0);
	if (w->left > 0) {
		struct socktap_counters *c = counters_get();
		if (c) {
			c->truncated_calls++;
			c->truncated_bytes += w->left;
		}
		emit_length_only(w, w->left, SOCKTAP_DATA_F_TRUNCATED);
		w->left = 0;
	}
}

/* The per-CPU walk, reset for a new call on `st`. */
static __always_inline struct walk *walk_init(struct conn_state *st, struct active_call *call, __u8 dir)
{
	struct data_scratch *s = scratch_get();
	if (!s)
		return NULL;
	struct walk *w = &s->walk;
	__builtin_memset(w, 0, sizeof(*w));
	w->id = st->id;
	w->ts_ns = bpf_ktime_get_ns();
	w->wakeup = wakeup_flags();
	w->syscall = (__u16)call->syscall;
	w->direction = dir;
	return w;
}

/* Entry of every data syscall: targeted process and a (tracked or pre-existing) socket. */
static __always_inline int enter_data(__u32 sc, __u32 fd, __u64 ptr, __u64 count)
{
	/* Entry only decides "targeted" and keeps the arguments: which fd is a socket is settled at
	 * exit, and only for calls that moved bytes (EAGAIN reads cost no connection lookup). Probe
	 * counts are then those of every call of targeted threads, entries and exits paired. */
	struct task_state *ts = task_targeted(bpf_get_current_pid_tgid() >> 32);
	if (ts)
		remember(ts, sc, fd, ptr, count);
	return 0;
}

/* The user pointer of the first bytes a call moved, for the TLS sniff (0: not looked at). */
static __always_inline __u64 first_segment(struct active_call *call)
{
	struct iovec v = {};
	switch (call->syscall) {
	case SOCKTAP_SC_READ:
	case SOCKTAP_SC_WRITE:
	case SOCKTAP_SC_SENDTO:
	case SOCKTAP_SC_RECVFROM:
		return call->ptr;
	case SOCKTAP_SC_READV:
	case SOCKTAP_SC_WRITEV:
		bpf_probe_read_user(&v, sizeof(v), (void *)call->ptr);
		return (__u64)v.iov_base;
	case SOCKTAP_SC_SENDMSG:
	case SOCKTAP_SC_RECVMSG: {
		struct user_msghdr mh = {};
		bpf_probe_read_user(&mh, sizeof(mh), (void *)call->ptr);
		bpf_probe_read_user(&v, sizeof(v), (void *)mh.msg_iov);
		return (__u64)v.iov_base;
	}
	}
	return 0;
}

/* A TLS record header opens the stream: content type 20..23 (change_cipher_spec, alert,
 * handshake, application data), version 3.0..3.4. An HTTP message starts with a letter, so the
 * two cannot be confused. Application data covers connections picked up mid-stream. */
static __always_inline bool starts_with_tls_record(struct active_call *call, long ret)
{
	__u8 h[3] = {};
	__u64 p = first_segment(call);
	if (ret < 3 || !p || bpf_probe_read_user(h, sizeof(h), (void *)p))
		return false;
	return h[0] >= 20 && h[0] <= 23 && h[1] == 3 && h[2] <= 4;
}

/* The connection whose bytes this data syscall moved, or NULL when nothing is to be reported.
 * TLS records are never reported: inside an SSL call they are the call's own I/O (its fd ties
 * the SSL* to the socket); outside one they belong to a connection the SSL probes speak for
 * (handshakes, alerts, or a runtime's event loop moving records for a memory BIO). */
static __always_inline struct conn_state *exit_conn(struct active_call *call, long ret, __u8 dir)
{
	struct task_state *ts = exit_take(call);
	if (!ts)
		return NULL;
	__u32 depth = ts->ssl_depth;
	if (depth && ts->ssl_epoch != tls_epoch)
		depth = ts->ssl_depth = 0;
	if (depth) {
		/* The innermost SSL call made this syscall. Only a TCP socket names its connection (a
		 * runtime may also write a pipe or read a random device from inside the call). */
		if (depth <= SSL_STACK) {
			struct ssl_call *sc = &ts->ssl[(depth - 1) & (SSL_STACK - 1)];
			if (sc->fd == NO_FD && conn_lookup_or_adopt(bpf_get_current_pid_tgid() >> 32, call->fd))
				sc->fd = call->fd;
		}
		return NULL;
	}
	if (ret <= 0)
		return NULL;
	struct conn_state *st = conn_lookup_or_adopt(bpf_get_current_pid_tgid() >> 32, call->fd);
	if (!st)
		return NULL;
	/* Only the first bytes of each direction are sniffed: one 3-byte read per connection. */
	if (!st->tls && !(st->pos[dir & 1] == 0 && starts_with_tls_record(call, ret)))
		return st;
	st->tls = 1;
	if (dir == SOCKTAP_DIR_INGRESS) {
		ts->last_tls_fd = call->fd;
		ts->last_tls_generation = st->id.generation;
	}
	struct socktap_counters *c = counters_get();
	if (c)
		c->cipher_bytes += (__u64)ret;
	return NULL;
}

/* The common case of an HTTP read or write: one buffer that fits one event. Straight to the
 * ring, without the walk's state machine (measured: the loop and its bookkeeping were most of
 * the exit program's time for a small request). */
static __always_inline void emit_small(struct conn_state *st, struct active_call *call, __u8 dir, __u64 len,
				       __u8 flags)
{
	struct data_scratch *s = scratch_get();
	if (!s)
		return;
	struct socktap_data *ev = (struct socktap_data *)s->bytes;
	__u64 n = len;
	if (n > SOCKTAP_PAYLOAD_CAP)
		n = SOCKTAP_PAYLOAD_CAP;
	ev->type = SOCKTAP_EV_DATA;
	ev->syscall = (__u16)call->syscall;
	ev->direction = dir;
	ev->flags = flags;
	ev->ts_ns = bpf_ktime_get_ns();
	ev->id = st->id;
	ev->pos = __sync_fetch_and_add(&st->pos[dir & 1], n);
	send_payload(ev, n, call->ptr, wakeup_flags());
}

/* Reports `len` bytes of one user buffer: one event when it fits, else the walk. */
static __always_inline void emit_buffer(struct conn_state *st, struct active_call *call, __u8 dir, __u64 len,
					__u8 flags)
{
	if (len <= max_payload_bytes) {
		emit_small(st, call, dir, len, flags);
		return;
	}
	struct walk *w = walk_init(st, call, dir);
	if (!w)
		return;
	w->flags = flags;
	w->buf = call->ptr;
	w->seg_left = len;
	walk_run(w, st, len);
}

static __always_inline int exit_buf(long ret, __u8 dir)
{
	struct active_call call;
	struct conn_state *st = exit_conn(&call, ret, dir);
	if (st)
		emit_buffer(st, &call, dir, (__u64)ret, 0);
	return 0;
}

/* An iovec array: a single small segment goes the direct way, anything else through the walk. */
static __always_inline int emit_iov(struct conn_state *st, struct active_call *call, __u8 dir, long ret,
				    __u64 iov, __u32 iov_cnt)
{
	if (iov_cnt == 1 && (__u64)ret <= max_payload_bytes) {
		struct iovec v = {};
		bpf_probe_read_user(&v, sizeof(v), (void *)iov);
		call->ptr = (__u64)v.iov_base;
		emit_small(st, call, dir, (__u64)ret, 0);
		return 0;
	}
	struct walk *w = walk_init(st, call, dir);
	if (!w)
		return 0;
	w->iov = iov;
	w->iov_cnt = iov_cnt;
	walk_run(w, st, (__u64)ret);
	return 0;
}

static __always_inline int exit_iov(long ret, __u8 dir)
{
	struct active_call call;
	struct conn_state *st = exit_conn(&call, ret, dir);
	if (!st)
		return 0;
	return emit_iov(st, &call, dir, ret, call.ptr, (__u32)call.count);
}

static __always_inline int exit_msg(long ret, __u8 dir)
{
	struct active_call call;
	struct conn_state *st = exit_conn(&call, ret, dir);
	if (!st)
		return 0;
	struct user_msghdr mh = {};
	bpf_probe_read_user(&mh, sizeof(mh), (void *)call.ptr);
	return emit_iov(st, &call, dir, ret, (__u64)mh.msg_iov, (__u32)mh.msg_iovlen);
}

/* sendmmsg/recvmmsg: ret is a message count; each mmsghdr says how many bytes it carried. The
 * total is summed first so the stream range is reserved once. */
static __always_inline int exit_mmsg(long ret, __u8 dir)
{
	struct active_call call;
	struct conn_state *st = exit_conn(&call, ret, dir);
	if (!st)
		return 0;
	__u32 cnt = ret < SOCKTAP_MMSG_CAP ? (__u32)ret : SOCKTAP_MMSG_CAP;
	__u64 total = 0;
	for (__u32 i = 0; i < SOCKTAP_MMSG_CAP; i++) {
		if (i >= cnt)
			break;
		__u32 len = 0;
		bpf_probe_read_user(&len, sizeof(len), (void *)(call.ptr + (__u64)i * sizeof(struct mmsghdr) +
							       offsetof(struct mmsghdr, msg_len)));
		total += len;
	}
	struct walk *w = walk_init(st, &call, dir);
	if (!w)
		return 0;
	w->mmsg = call.ptr;
	w->msg_cnt = cnt;
	walk_run(w, st, total);
	return 0;
}

/* Data syscalls: remember (fd, pointer, count) at entry, report what moved at exit. */
#define DATA_ENTER(name, sc, ptr_arg, count_arg)                                         \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                      \
	int tp_enter_##name(struct trace_event_raw_sys_enter *ctx)                        \
	{                                                                                 \
		return enter_data(sc, (__u32)ctx->args[0], ctx->args[ptr_arg], ctx->args[count_arg]); \
	}
#define DATA_EXIT(name, exit_fn, dir)                                                    \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                       \
	int tp_exit_##name(struct trace_event_raw_sys_exit *ctx)                          \
	{                                                                                 \
		return exit_fn(ctx->ret, dir);                                            \
	}
#define DATA_PROBES(name, sc, exit_fn, dir) DATA_ENTER(name, sc, 1, 2) DATA_EXIT(name, exit_fn, dir)

DATA_PROBES(read, SOCKTAP_SC_READ, exit_buf, SOCKTAP_DIR_INGRESS)
DATA_PROBES(write, SOCKTAP_SC_WRITE, exit_buf, SOCKTAP_DIR_EGRESS)
DATA_PROBES(sendto, SOCKTAP_SC_SENDTO, exit_buf, SOCKTAP_DIR_EGRESS)
DATA_PROBES(readv, SOCKTAP_SC_READV, exit_iov, SOCKTAP_DIR_INGRESS)
DATA_PROBES(writev, SOCKTAP_SC_WRITEV, exit_iov, SOCKTAP_DIR_EGRESS)
DATA_PROBES(sendmsg, SOCKTAP_SC_SENDMSG, exit_msg, SOCKTAP_DIR_EGRESS)
DATA_PROBES(sendmmsg, SOCKTAP_SC_SENDMMSG, exit_mmsg, SOCKTAP_DIR_EGRESS)
DATA_PROBES(recvmmsg, SOCKTAP_SC_RECVMMSG, exit_mmsg, SOCKTAP_DIR_INGRESS)
DATA_EXIT(recvfrom, exit_buf, SOCKTAP_DIR_INGRESS)
DATA_EXIT(recvmsg, exit_msg, SOCKTAP_DIR_INGRESS)

/* recvfrom/recvmsg with MSG_PEEK leave the bytes in the socket: reporting them would count them
 * twice in the stream. */
SEC("tracepoint/syscalls/sys_enter_recvfrom")
int tp_enter_recvfrom(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[3] & MSG_PEEK)
		return 0;
	return enter_data(SOCKTAP_SC_RECVFROM, (__u32)ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_enter_recvmsg")
int tp_enter_recvmsg(struct trace_event_raw_sys_enter *ctx)
{
	if (ctx->args[2] & MSG_PEEK)
		return 0;
	return enter_data(SOCKTAP_SC_RECVMSG, (__u32)ctx->args[0], ctx->args[1], 0);
}

/* sendfile64(out_fd, in_fd, offset, count): the payload never passes through user memory. */
SEC("tracepoint/syscalls/sys_enter_sendfile64")
int tp_enter_sendfile64(struct trace_event_raw_sys_enter *ctx)
{
	return enter_data(SOCKTAP_SC_SENDFILE, (__u32)ctx->args[0], 0, ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_exit_sendfile64")
int tp_exit_sendfile64(struct trace_event_raw_sys_exit *ctx)
{
	struct active_call call;
	struct conn_state *st = exit_conn(&call, ctx->ret, SOCKTAP_DIR_EGRESS);
	if (!st)
		return 0;
	struct walk *w = walk_init(st, &call, SOCKTAP_DIR_EGRESS);
	if (!w)
		return 0;
	w->pos = __sync_fetch_and_add(&st->pos[SOCKTAP_DIR_EGRESS], (__u64)ctx->ret);
	emit_length_only(w, (__u64)ctx->ret, SOCKTAP_DATA_F_NO_PAYLOAD);
	return 0;
}

#include "tls_uprobes.bpf.h"
