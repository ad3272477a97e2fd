/* SPDX-License-Identifier: (Apache-2.0 OR GPL-2.0) */
/*
 * The layout shared by floor.bpf.c and its loader floor.c. Fixed-width types only, no vmlinux.h.
 */
#ifndef FLOOR_H
#define FLOOR_H

/* Payload bytes copied per call at most: socktap's default slice (SOCKTAP_PAYLOAD_CAP). A power
 * of two, so the verifier can be shown the bound with a mask. */
#define FLOOR_PAYLOAD_CAP 16384

/* One ring-buffer record: this header, then len_bytes of payload. */
struct floor_record {
	__u32 len_bytes; /* payload bytes that follow */
	__u32 fd;        /* the syscall's fd, as passed: no connection tracking */
};

/* Per-CPU: records the ring buffer had no room for. */
struct floor_counters {
	__u64 lost_records;
	__u64 lost_bytes; /* payload bytes of those records */
};

#endif /* FLOOR_H */
