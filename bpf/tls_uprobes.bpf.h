/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0) */
/*
 * TLS plaintext: uprobes and uretprobes on OpenSSL's SSL_read, SSL_write, SSL_read_ex and
 * SSL_write_ex. Included at the end of socktap.bpf.c: it shares the connection table, the task
 * storage and the emitters, and is one object so that user space loads one skeleton.
 *
 * The SSL* is tied to its socket without OpenSSL struct offsets (they change between versions):
 *  - a socket BIO (nginx, curl, Python) reads and writes the socket inside the SSL call, so the
 *    first data syscall made during the call names the fd (exit_conn records it);
 *  - a memory BIO (Node's TLSWrap) never touches the socket inside the call; its event loop just
 *    read the records on the same thread, so the last TLS socket this thread read is the one;
 *  - the binding SSL* -> {fd, connection generation} is remembered, so a call that moves no
 *    socket bytes (plaintext already decrypted and buffered) still finds its connection, and a
 *    stale binding (fd closed and reused) is recognised by its generation.
 * SSL calls nest (see SSL_STACK): each entry pushes a call on the thread's stack, each return
 * pops the innermost, and a syscall belongs to the innermost call in progress.
 * The programs carry no attach target: user space attaches them per library file (pid -1), to
 * every libssl and every executable exporting these symbols that targeted processes map.
 */
#ifndef SOCKTAP_TLS_UPROBES_BPF_H
#define SOCKTAP_TLS_UPROBES_BPF_H

struct ssl_key {
	__u64 ssl;    /* the SSL* (an address in the process) */
	__u32 tgid;
	__u32 _pad;
};

struct ssl_binding {
	__u32 fd;
	__u32 _pad;
	__u64 generation; /* conn_state id.generation when bound */
};

/* LRU: SSL objects are freed without a probe telling us; stale entries are evicted. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ssl_key);
	__type(value, struct ssl_binding);
} ssl_conns SEC(".maps");

static __always_inline int ssl_enter(__u32 fn, __u8 dir, __u64 ssl, __u64 buf, __u64 len_ptr)
{
	struct task_state *ts = task_targeted(bpf_get_current_pid_tgid() >> 32);
	if (!ts)
		return 0;
	__u32 d = ts->ssl_depth;
	if (ts->ssl_epoch != tls_epoch) {
		d = 0;
		ts->ssl_epoch = tls_epoch;
	}
	ts->ssl_depth = d + 1;
	if (d >= SSL_STACK)
		return 0;
	struct ssl_call *c = &ts->ssl[d & (SSL_STACK - 1)];
	/* A library whose SSL_write_ex wraps SSL_write (or the reverse) would report the bytes twice:
	 * an inner call on the same SSL*, direction and buffer is its outer call's shadow. */
	__u8 shadow = 0;
	if (d > 0) {
		struct ssl_call *outer = &ts->ssl[(d - 1) & (SSL_STACK - 1)];
		shadow = outer->ssl == ssl && outer->direction == dir && outer->buf == buf;
	}
	c->ssl = ssl;
	c->buf = buf;
	c->len_ptr = len_ptr;
	c->fd = NO_FD;
	c->fn = (__u16)fn;
	c->direction = dir;
	c->shadow = shadow;
	if (!shadow)
		count_probe(fn, 0);
	return 0;
}

/* The live connection `fd` of this process, if it is still the one of `generation`. */
static __always_inline struct conn_state *conn_if_same(__u32 tgid, __u32 fd, __u64 generation)
{
	__u64 key = conn_key(tgid, fd);
	struct conn_state *st = bpf_map_lookup_elem(&conns, &key);
	if (!st || st->id.generation != generation)
		return NULL;
	return st;
}

/* The connection an SSL call spoke on, binding the SSL* to it. NULL when unknown or ignored. */
static __always_inline struct conn_state *ssl_conn(struct task_state *ts, struct ssl_call *c, __u32 tgid)
{
	struct ssl_key k = { .ssl = c->ssl, .tgid = tgid };
	struct ssl_binding *b = bpf_map_lookup_elem(&ssl_conns, &k);
	struct conn_state *st = NULL;
	if (c->fd != NO_FD) {
		st = conn_lookup_or_adopt(tgid, c->fd);
	} else {
		if (b)
			st = conn_if_same(tgid, b->fd, b->generation);
		/* The memory-BIO guess: the socket this thread last read records from, unless another
		 * SSL* already owns it (a process that is client and server on one thread calls SSL
		 * functions of a new connection before that connection has read anything). */
		if (!st && ts->last_tls_generation) {
			struct conn_state *guess = conn_if_same(tgid, ts->last_tls_fd, ts->last_tls_generation);
			if (guess && (!guess->ssl || guess->ssl == c->ssl))
				st = guess;
		}
	}
	if (!st || st->ignored)
		return NULL;
	st->tls = 1;
	st->ssl = c->ssl;
	if (!b || b->fd != st->id.fd || b->generation != st->id.generation) {
		struct ssl_binding nb = { .fd = st->id.fd, .generation = st->id.generation };
		bpf_map_update_elem(&ssl_conns, &k, &nb, BPF_ANY);
	}
	return st;
}

static __always_inline int ssl_exit(long ret)
{
	struct task_state *ts = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, 0);
	if (!ts || !ts->ssl_depth)
		return 0;
	if (ts->ssl_epoch != tls_epoch) {
		ts->ssl_depth = 0;
		return 0;
	}
	/* Return probes fire innermost first: this exit is the top of the stack. */
	__u32 d = --ts->ssl_depth;
	if (d >= SSL_STACK)
		return 0;
	struct ssl_call c = ts->ssl[d & (SSL_STACK - 1)];
	if (c.shadow)
		return 0;
	count_probe(c.fn, 1);
	/* SSL_read/SSL_write return the byte count; the _ex variants return 1 and store it. */
	__u64 n = 0;
	if (c.len_ptr) {
		if (ret == 1)
			bpf_probe_read_user(&n, sizeof(n), (void *)c.len_ptr);
	} else if (ret > 0) {
		n = (__u64)ret;
	}
	/* Bind even when nothing moved: a handshake driven by SSL_read is often the first call. */
	struct conn_state *st = ssl_conn(ts, &c, bpf_get_current_pid_tgid() >> 32);
	if (!st || n == 0)
		return 0;
	struct active_call call = { .ptr = c.buf, .count = n, .fd = st->id.fd, .syscall = c.fn };
	emit_buffer(st, &call, c.direction, n, SOCKTAP_DATA_F_TLS);
	return 0;
}

/* int SSL_read(SSL *ssl, void *buf, int num) */
SEC("uprobe")
int BPF_KPROBE(ssl_read_enter, void *ssl, void *buf)
{
	return ssl_enter(SOCKTAP_SC_SSL_READ, SOCKTAP_DIR_INGRESS, (__u64)ssl, (__u64)buf, 0);
}

/* int SSL_write(SSL *ssl, const void *buf, int num) */
SEC("uprobe")
int BPF_KPROBE(ssl_write_enter, void *ssl, void *buf)
{
	return ssl_enter(SOCKTAP_SC_SSL_WRITE, SOCKTAP_DIR_EGRESS, (__u64)ssl, (__u64)buf, 0);
}

/* int SSL_read_ex(SSL *ssl, void *buf, size_t num, size_t *readbytes) */
SEC("uprobe")
int BPF_KPROBE(ssl_read_ex_enter, void *ssl, void *buf, __u64 num, void *readbytes)
{
	return ssl_enter(SOCKTAP_SC_SSL_READ_EX, SOCKTAP_DIR_INGRESS, (__u64)ssl, (__u64)buf, (__u64)readbytes);
}

/* int SSL_write_ex(SSL *ssl, const void *buf, size_t num, size_t *written) */
SEC("uprobe")
int BPF_KPROBE(ssl_write_ex_enter, void *ssl, void *buf, __u64 num, void *written)
{
	return ssl_enter(SOCKTAP_SC_SSL_WRITE_EX, SOCKTAP_DIR_EGRESS, (__u64)ssl, (__u64)buf, (__u64)written);
}

/* One return probe serves all four: the entry recorded which function it was. */
SEC("uretprobe")
int BPF_KRETPROBE(ssl_return, int ret)
{
	return ssl_exit(ret); /* int: the upper half of the return register is not part of it */
}

#endif /* SOCKTAP_TLS_UPROBES_BPF_H */
