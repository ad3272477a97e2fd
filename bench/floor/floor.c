// SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0)
/*
 * Loader of the floor programs (floor.bpf.c), for bench/overhead.ts:
 *
 *   floor empty          empty programs on socktap's 30 syscall tracepoints
 *   floor rawtp          two empty programs on the raw_syscalls sys_enter/sys_exit tracepoints
 *   floor copy <tgid>    the minimal capture of <tgid>'s payloads, consumed and discarded
 *
 * Prints "attached" once the programs are attached. In copy mode it drains the ring buffer every
 * 50 ms with ring_buffer__consume (the programs never wake it: that is the batched-wakeup design
 * whose cost is measured), counting records and payload bytes. On SIGINT or SIGTERM it drains once
 * more, prints {"records":N,"bytes":N,"lost":N} and exits 0. Errors go to stderr, exit 1; usage
 * errors exit 2.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.h"
#include "floor.skel.h"

#define POLL_NS (50 * 1000 * 1000L)

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

struct totals {
	__u64 records;
	__u64 bytes;
};

/* Runs on the main thread, inside ring_buffer__consume. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct totals *t = ctx;
	const struct floor_record *r = data;
	if (size < sizeof(*r))
		return 0;
	t->records++;
	t->bytes += r->len_bytes;
	return 0;
}

/* libbpf's warnings and errors (a verifier log among them) on stderr; its chatter dropped. */
static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, args);
}

static int usage(void)
{
	fprintf(stderr, "usage: floor empty | floor rawtp | floor copy <tgid>\n");
	return 2;
}

/* Sum of the per-CPU lost counters. */
static int lost_records(struct floor_bpf *skel, __u64 *out)
{
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return ncpus;
	struct floor_counters *per_cpu = calloc(ncpus, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	__u32 zero = 0;
	int err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &zero, per_cpu);
	*out = 0;
	for (int i = 0; !err && i < ncpus; i++)
		*out += per_cpu[i].lost_records;
	free(per_cpu);
	return err ? -errno : 0;
}

int main(int argc, char **argv)
{
	const char *prefix;
	unsigned long tgid = 0;
	if (argc == 2 && strcmp(argv[1], "empty") == 0) {
		prefix = "empty_";
	} else if (argc == 2 && strcmp(argv[1], "rawtp") == 0) {
		prefix = "rawtp_";
	} else if (argc == 3 && strcmp(argv[1], "copy") == 0) {
		char *end;
		errno = 0;
		tgid = strtoul(argv[2], &end, 10);
		if (errno || *end || end == argv[2] || tgid == 0 || tgid > 0x7fffffff)
			return usage();
		prefix = "copy_";
	} else {
		return usage();
	}
	bool copy = tgid != 0;

	libbpf_set_print(print_libbpf);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct floor_bpf *skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		return 1;
	}
	struct ring_buffer *rb = NULL;
	struct totals totals = { 0 };
	int err;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, strncmp(bpf_program__name(prog), prefix, strlen(prefix)) == 0);
	skel->rodata->target_tgid = (__u32)tgid;

	err = floor_bpf__load(skel);
	if (err) {
		fprintf(stderr, "floor: cannot load the BPF programs (root or CAP_BPF + CAP_PERFMON needed): %s\n", strerror(-err));
		goto out;
	}
	err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: cannot attach the tracepoints (is tracefs mounted?): %s\n", strerror(-err));
		goto out;
	}
	if (copy) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.records), on_record, &totals, NULL);
		if (!rb) {
			err = -errno;
			fprintf(stderr, "floor: cannot map the ring buffer: %s\n", strerror(errno));
			goto out;
		}
	}
	printf("attached\n");
	fflush(stdout);

	while (!stopping) {
		if (rb && ring_buffer__consume(rb) < 0 && !stopping) {
			err = -errno;
			fprintf(stderr, "floor: ring_buffer__consume failed: %s\n", strerror(errno));
			goto out;
		}
		struct timespec ts = { 0, POLL_NS };
		nanosleep(&ts, NULL); /* a signal cuts it short */
	}
	if (rb)
		ring_buffer__consume(rb);

	__u64 lost = 0;
	err = lost_records(skel, &lost);
	if (err) {
		fprintf(stderr, "floor: cannot read the lost counters: %s\n", strerror(-err));
		goto out;
	}
	printf("{\"records\":%llu,\"bytes\":%llu,\"lost\":%llu}\n", (unsigned long long)totals.records,
	       (unsigned long long)totals.bytes, (unsigned long long)lost);
	fflush(stdout);
out:
	ring_buffer__free(rb);
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
}
