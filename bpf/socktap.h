/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0) */
/*
 * The one layout shared by the BPF programs (socktap.bpf.c), the native addon (native/src) and,
 * through a test that compares offsets, the TypeScript decoder (agent/capture/layout.ts).
 *
 * Rules: fixed-width types only, no vmlinux.h, explicit padding so every struct has the same
 * layout on every compiler, the event type first in every record. Enums are wire values: do not
 * renumber, only append.
 */
#ifndef SOCKTAP_H
#define SOCKTAP_H

/* Compile-time ceiling of the per-event payload; the effective limit (max_payload_bytes, default
 * 16 KiB) is set in rodata before load and can only be lower. The scratch event lives in a per-CPU
 * map, whose values the kernel caps at 32 KiB, so header + payload must stay below that. */
#define SOCKTAP_PAYLOAD_CAP 16384
#define SOCKTAP_DEFAULT_PAYLOAD_BYTES 16384
/* Default cap on events per syscall: 256 x 16 KiB = 4 MiB captured per call, the rest reported
 * as a length-only event. */
#define SOCKTAP_DEFAULT_CHUNKS_PER_CALL 256
#define SOCKTAP_MAX_CHUNKS_PER_CALL 4096
/* sendmmsg/recvmmsg: messages walked per call (they are rare on TCP). */
#define SOCKTAP_MMSG_CAP 16
/* iovec entries walked per message (readv/writev/sendmsg/recvmsg). */
#define SOCKTAP_IOV_CAP 64
#define SOCKTAP_COMM_LEN 16

/* Record types. Do not renumber. */
enum socktap_event_type {
	SOCKTAP_EV_CONN_OPEN = 1,
	SOCKTAP_EV_CONN_CLOSE = 2,
	SOCKTAP_EV_DATA = 3,
};

/* Which side of the connection the traced process is. Do not renumber. */
enum socktap_role {
	SOCKTAP_ROLE_UNKNOWN = 0, /* picked up mid-stream: inferred in user space */
	SOCKTAP_ROLE_SERVER = 1,  /* the process accepted the connection */
	SOCKTAP_ROLE_CLIENT = 2,  /* the process connected */
};

/* How the connection became known. Do not renumber. */
enum socktap_conn_source {
	SOCKTAP_SRC_ACCEPT = 1,
	SOCKTAP_SRC_CONNECT = 2,
	SOCKTAP_SRC_FIRST_DATA = 3, /* existed before tracing (or before targeting) */
};

/* Byte direction, seen from the traced process. Do not renumber. */
enum socktap_direction {
	SOCKTAP_DIR_INGRESS = 0, /* bytes the process received */
	SOCKTAP_DIR_EGRESS = 1,  /* bytes the process sent */
};

/* Probed syscalls; also the index into the per-probe counters. Do not renumber. */
enum socktap_syscall {
	SOCKTAP_SC_ACCEPT = 0,
	SOCKTAP_SC_ACCEPT4 = 1,
	SOCKTAP_SC_CONNECT = 2,
	SOCKTAP_SC_CLOSE = 3,
	SOCKTAP_SC_READ = 4,
	SOCKTAP_SC_WRITE = 5,
	SOCKTAP_SC_READV = 6,
	SOCKTAP_SC_WRITEV = 7,
	SOCKTAP_SC_SENDTO = 8,
	SOCKTAP_SC_RECVFROM = 9,
	SOCKTAP_SC_SENDMSG = 10,
	SOCKTAP_SC_RECVMSG = 11,
	SOCKTAP_SC_SENDMMSG = 12,
	SOCKTAP_SC_RECVMMSG = 13,
	SOCKTAP_SC_SENDFILE = 14,
	/* OpenSSL uprobes (entry = uprobe, exit = uretprobe): plaintext of TLS connections. */
	SOCKTAP_SC_SSL_READ = 15,
	SOCKTAP_SC_SSL_WRITE = 16,
	SOCKTAP_SC_SSL_READ_EX = 17,
	SOCKTAP_SC_SSL_WRITE_EX = 18,
	SOCKTAP_SC_COUNT = 19,
};

/* Data event flags. */
#define SOCKTAP_DATA_F_NO_PAYLOAD 0x1   /* sendfile: the kernel moved the bytes, we saw a length */
#define SOCKTAP_DATA_F_TRUNCATED 0x2    /* per-call cap reached: this event is the uncaptured rest */
#define SOCKTAP_DATA_F_READ_FAILED 0x4  /* bpf_probe_read_user failed (page not present) */
#define SOCKTAP_DATA_F_TLS 0x8          /* plaintext from the TLS library (SSL_read/SSL_write), not the socket */

/*
 * Identity of one connection. {tgid, fd} alone is reused by the kernel; the process start time
 * separates pid reuse and the generation (a counter bumped for every connection the programs
 * see) separates fd reuse, so two connections never share an id.
 */
struct socktap_conn_id {
	__u32 tgid;           /* process id (thread group id) */
	__u32 fd;             /* file descriptor number in that process */
	__u64 generation;     /* unique per connection for the life of the loaded programs */
	__u64 proc_start_ns;  /* process start time, ns since boot (task->start_boottime) */
}; /* 24 bytes */

/* SOCKTAP_EV_CONN_OPEN: a connection became known. 112 bytes. */
struct socktap_conn_open {
	__u32 type;                 /* SOCKTAP_EV_CONN_OPEN */
	__u32 role;                 /* enum socktap_role */
	__u64 ts_ns;                /* CLOCK_MONOTONIC ns at the syscall exit that revealed it */
	struct socktap_conn_id id;
	__u16 family;               /* AF_INET (2), AF_INET6 (10), AF_UNIX (1) */
	__u16 protocol;             /* IPPROTO_TCP (6) or IPPROTO_UDP (17); 0 for unix */
	__u16 local_port;           /* host byte order */
	__u16 remote_port;          /* host byte order */
	__u8 local_addr[16];        /* IPv4 in the first 4 bytes, network order; IPv6 all 16 */
	__u8 remote_addr[16];
	__u32 source;               /* enum socktap_conn_source */
	__u32 tid;                  /* thread that made the call */
	char comm[SOCKTAP_COMM_LEN];/* thread name at the time (task->comm) */
	__u64 cgroup_id;            /* cgroup v2 id of the process at the time (Kubernetes: its container) */
};

/* SOCKTAP_EV_CONN_CLOSE: the process closed the fd. 56 bytes. */
struct socktap_conn_close {
	__u32 type;                 /* SOCKTAP_EV_CONN_CLOSE */
	__u32 _pad0;
	__u64 ts_ns;                /* CLOCK_MONOTONIC ns at close entry */
	struct socktap_conn_id id;
	__u64 ingress_bytes;        /* final stream positions: every byte ever reported per direction */
	__u64 egress_bytes;
};

/*
 * SOCKTAP_EV_DATA: a slice of one direction's byte stream. The header is followed by
 * captured_bytes of payload. `pos` is where payload[0] sits in the direction's stream, so user
 * space orders events from different CPUs and sees gaps; len_bytes may exceed captured_bytes
 * (sendfile, per-call cap, failed read), and then the stream has a known hole of that size.
 * 56-byte header.
 */
struct socktap_data {
	__u32 type;                 /* SOCKTAP_EV_DATA */
	__u16 syscall;              /* enum socktap_syscall */
	__u8 direction;             /* enum socktap_direction */
	__u8 flags;                 /* SOCKTAP_DATA_F_* */
	__u64 ts_ns;                /* CLOCK_MONOTONIC ns at syscall exit: one clock read per call, shared
	                             * by all of its slices (the exit is when the bytes moved) */
	struct socktap_conn_id id;
	__u64 pos;                  /* stream position of payload[0] in this direction */
	__u32 len_bytes;            /* stream bytes this event covers */
	__u32 captured_bytes;       /* payload bytes that follow the header */
	__u8 payload[];             /* SOCKTAP_PAYLOAD_CAP at most */
};

/* Counters, one copy per CPU (summed in user space). */
struct socktap_counters {
	__u64 probe[SOCKTAP_SC_COUNT][2]; /* [syscall or SSL function][0 = entry, 1 = exit], targeted calls */
	__u64 lost_events;                /* ring buffer full: bpf_ringbuf_output failed */
	__u64 lost_bytes;                 /* stream bytes those lost events covered */
	__u64 truncated_calls;            /* calls that hit the per-call event cap */
	__u64 truncated_bytes;            /* bytes reported as length only because of the cap */
	__u64 read_failures;              /* bpf_probe_read_user failures */
	__u64 conns_opened;
	__u64 conns_closed;
	__u64 cipher_bytes;               /* TLS record bytes of TLS connections, never reported (the
	                                   * plaintext comes from the SSL probes, or not at all) */
};

#endif /* SOCKTAP_H */
