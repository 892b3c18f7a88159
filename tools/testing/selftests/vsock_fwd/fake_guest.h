/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fake_guest: a virtio-vsock guest driver and its VMM in one process.
 *
 * A fake guest opens /dev/vhost-vsock and plays both sides a real VM would
 * split between QEMU and the guest kernel: it owns the device, gives it an
 * identity memory table over one mmap'd arena that holds the split vrings
 * and all buffers, and then speaks the virtio-vsock protocol on those rings.
 * Tests can therefore produce every packet exactly, including misaddressed
 * and malformed ones, and check every packet the device delivers.
 *
 * Each started guest has a pump thread that drains its RX and TX used rings,
 * answers what a guest kernel answers by itself (RESPONSE to a REQUEST for a
 * listening port, RST for anything else unknown, CREDIT_UPDATE on request,
 * RST after the peer's full SHUTDOWN) and wakes API callers. Several guests
 * in one process are independent, so sibling guests can talk to each other
 * through the device while test threads block on either end.
 *
 * All functions return 0 (or a byte count) on success and a negative errno
 * on failure; none of them exits, so ABI tests can check every errno.
 * Timeouts are in milliseconds; a negative timeout waits forever.
 *
 * The library (libfake_guest.a) in parts: fake_guest_vmm.c (the rings and
 * the VMM side), fake_guest_conn.c (connections and credit),
 * fake_guest_host.c (the device's ioctls, host sockets, host state),
 * fake_guest_traffic.c (floods and transfers); fake_guest_pattern.h holds
 * the test data it shares with the guest tools.
 */
#ifndef FAKE_GUEST_H
#define FAKE_GUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/virtio_vsock.h>

/* Deterministic test data: fg_pattern(), fg_csum(). */
#include "fake_guest_pattern.h"

/*
 * How long a test waits for progress before it calls the wait a hang, in
 * ms: 10 s, times VSOCK_FWD_SLOWDOWN when that is set. check.sh sets it
 * on the debug kernel, where KASAN, lockdep and kmemleak make TCG about
 * three times slower. It bounds a hang, not speed.
 */
int fg_timeout_ms(void);
#define TIMEOUT_MS	fg_timeout_ms()

#define FG_DEV_PATH	"/dev/vhost-vsock"
#define FG_HOST_CID	2ULL
/* Receive buffer a guest advertises per connection (buf_alloc). */
#define FG_BUF_ALLOC	(256 * 1024)
/* Descriptors in each of a fake guest's rings. */
#define FG_RING		128
/* Largest payload of one packet the device accepts from a guest. */
#define FG_MAX_PKT_PAYLOAD	(64 * 1024)
/* Most descriptors one buffer may be split into (fg_config.chain). */
#define FG_MAX_CHAIN	16

/* A virtio_vsock_hdr in host byte order. */
struct fg_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
};

/* A packet the device delivered into a guest's RX queue. */
struct fg_pkt {
	struct fg_pkt *next;
	struct fg_hdr hdr;
	size_t len;		/* payload bytes actually received */
	unsigned char data[];
};

struct fg_guest;
struct fg_conn;

struct fg_config {
	/* 0: never VHOST_VSOCK_SET_GUEST_CID. */
	uint64_t cid;
	/* Features to leave out of what the device offers. */
	uint64_t features_clear;
	/* Do not set VHOST_VSOCK_SET_RUNNING (the device is left stopped). */
	bool no_running;
	/*
	 * Negotiate VIRTIO_F_ACCESS_PLATFORM with VHOST_BACKEND_F_IOTLB_MSG_V2
	 * and map the arena through the device IOTLB (identity), as a VMM
	 * with a vIOMMU does, instead of relying on the memory table.
	 */
	bool iotlb;
	/*
	 * Bytes of each RX buffer, header included (default: a header and
	 * the largest payload). Linux guests post 4 KiB: the device then
	 * splits larger packets, and SEQPACKET message ends, over buffers.
	 */
	uint32_t rx_buf;
	/*
	 * Split each buffer of both rings into up to this many descriptors
	 * (0 or 1: one each), at random points that may fall inside the
	 * header, as a driver may chain them; FG_MAX_CHAIN at most. The
	 * same chain_seed gives the same shapes.
	 */
	unsigned int chain;
	uint64_t chain_seed;
};

/*
 * Raw device access, for ABI tests: open the device (returns an fd or
 * -errno) and ioctls that return -errno instead of -1.
 */
int fg_dev_open(void);
int fg_ioctl(int fd, unsigned long req, void *arg);
/* The request of this thread's last fg_ioctl() that failed. */
extern __thread unsigned long fg_failed_ioctl;
int fg_set_cid(int fd, uint64_t cid);
int fg_set_running(int fd, int running);

/*
 * A CID for test n (0..3) of this process: tests run one after another in
 * processes of their own, so a CID derived from the pid cannot collide
 * with a device an earlier test left behind while it is being released.
 */
uint64_t fg_unique_cid(unsigned int n);

/*
 * Open and fully set up a guest: owner, features (all the device offers
 * that we implement, minus cfg->features_clear), memory table, both
 * vrings with buffers posted, guest CID, running; then start its pump.
 */
int fg_start(const struct fg_config *cfg, struct fg_guest **gp);
/*
 * Stop the pump and close the device (which resets every host socket that
 * was connected to this guest); frees all connections and packets.
 */
void fg_close(struct fg_guest *g);
/* fg_start() with everything default but the CID. */
int fg_start_cid(uint64_t cid, struct fg_guest **gp);
int fg_fd(const struct fg_guest *g);
/*
 * Packets the device put in this guest's RX ring addressed to another CID:
 * always 0 unless the device misroutes.
 */
unsigned int fg_misaddressed(struct fg_guest *g);
uint64_t fg_cid(const struct fg_guest *g);
uint64_t fg_features(const struct fg_guest *g);
/*
 * Device IOTLB (fg_config.iotlb): map the whole arena, or invalidate it so
 * that the device has to ask. fg_iotlb_wait_miss() reads the device's
 * VHOST_IOTLB_MISS messages until one is for virtqueue vq's rings or
 * buffers: 0, -EBADMSG for a message that is not a miss in the arena,
 * -ETIMEDOUT. The device retries only the misses that were read once
 * they are answered, as a VMM reads them all.
 */
int fg_iotlb_map(struct fg_guest *g);
int fg_iotlb_unmap(struct fg_guest *g);
int fg_iotlb_wait_miss(struct fg_guest *g, unsigned int vq, int timeout_ms);
/* Reply RST to packets that match no connection or listener (default on). */
void fg_set_auto_rst(struct fg_guest *g, bool on);
/*
 * Stop (or resume) taking packets off the RX ring, like a guest that does
 * not read: the device then has to hold what it wants to deliver.
 */
void fg_pause_rx(struct fg_guest *g, bool paused);

/*
 * Raw packets. hdr->len is sent as given, whatever len is; waits for a
 * free TX slot (the device may have paused the guest's TX).
 */
int fg_send_pkt(struct fg_guest *g, const struct fg_hdr *hdr,
		const void *payload, size_t len, int timeout_ms);
/*
 * The next received packet that belongs to no connection or listener, in
 * arrival order; -ETIMEDOUT if none came. Free it with free().
 */
int fg_recv_pkt(struct fg_guest *g, struct fg_pkt **pp, int timeout_ms);
/*
 * Send one buffer of exactly len bytes from buf (which may be shorter
 * than a header, or claim a longer payload than it has), chained as
 * fg_config.chain says, to test the device's validation of guest buffers.
 */
int fg_send_buf(struct fg_guest *g, const void *buf, size_t len);

/* Connections (STREAM or SEQPACKET, VIRTIO_VSOCK_TYPE_*). */
int fg_connect(struct fg_guest *g, uint16_t type, uint64_t cid,
	       uint32_t port, int timeout_ms, struct fg_conn **cp);
/* Answer REQUESTs of this type to port from now on. */
int fg_listen(struct fg_guest *g, uint16_t type, uint32_t port);
/* The next connection accepted on port. */
int fg_accept(struct fg_guest *g, uint32_t port, int timeout_ms,
	      struct fg_conn **cp);
/*
 * STREAM: send all of buf, within the peer's credit, in packets of at most
 * FG_MAX_PKT_PAYLOAD; returns len, or -ECONNRESET, -EPIPE, -ETIMEDOUT.
 */
ssize_t fg_send(struct fg_conn *c, const void *buf, size_t len,
		int timeout_ms);
/*
 * STREAM: receive what is there (at least one byte); 0 at the end of an
 * orderly stream, -ECONNRESET after the peer's RST (once the buffered data
 * is read), -ETIMEDOUT.
 */
ssize_t fg_recv(struct fg_conn *c, void *buf, size_t len, int timeout_ms);
/* fg_recv until len bytes came; -EPIPE if the stream ended before. */
ssize_t fg_recv_all(struct fg_conn *c, void *buf, size_t len,
		    int timeout_ms);
/*
 * SEQPACKET: send one message, split into packets as needed, the last one
 * with VIRTIO_VSOCK_SEQ_EOM (and VIRTIO_VSOCK_SEQ_EOR when eor).
 */
ssize_t fg_send_msg(struct fg_conn *c, const void *buf, size_t len, bool eor,
		    int timeout_ms);
/*
 * SEQPACKET: receive one whole message; returns its full length (it is
 * truncated to len) and its last packet's flags in *flags when not NULL.
 */
ssize_t fg_recv_msg(struct fg_conn *c, void *buf, size_t len,
		    uint32_t *flags, int timeout_ms);
/* Send SHUTDOWN with VIRTIO_VSOCK_SHUTDOWN_* flags. */
int fg_shutdown(struct fg_conn *c, uint32_t flags);
/* Send RST; the connection is closed. */
int fg_reset(struct fg_conn *c);
/*
 * Wait until the peer closed the connection: 0 after its RST (or full
 * SHUTDOWN), -ETIMEDOUT.
 */
int fg_wait_closed(struct fg_conn *c, int timeout_ms);
/* Forget the connection, sending RST first if it is still open. */
void fg_conn_free(struct fg_conn *c);
uint32_t fg_conn_local_port(const struct fg_conn *c);
uint64_t fg_conn_peer_cid(const struct fg_conn *c);
uint32_t fg_conn_peer_port(const struct fg_conn *c);
/* Whether the peer ended the connection with RST. */
bool fg_conn_was_reset(struct fg_conn *c);

/*
 * A flood: a thread sends count packets with header hdr and len bytes of
 * payload each (the pattern seeded by seed, packet i at offset i * len),
 * as fast as the device takes them, credit or not.
 */
struct fg_flood {
	struct fg_guest *g;
	struct fg_hdr hdr;
	unsigned int count;
	size_t len;
	uint64_t seed;
	/* Filled in: */
	unsigned int sent;
	int ret;
	pthread_t thread;
};

int fg_flood_start(struct fg_flood *f);
/*
 * Wait until the sender makes no progress for stall_ms (the device paused
 * it) or is done; returns the packets sent so far.
 */
unsigned int fg_flood_wait_stall(struct fg_flood *f, int stall_ms,
				 int timeout_ms);
/* Wait for the sender to finish; its first error or 0. */
int fg_flood_join(struct fg_flood *f);

/*
 * A counter ("unreachable_pkts"...) of the device with guest CID cid in the
 * caller's network namespace, from 'vsock-fwd -j show' run from the top of
 * the repository; -1 if there is none.
 */
long long fg_dev_counter(uint64_t cid, const char *name);
/* A /proc/meminfo value in kB ("Slab", "MemFree"...), -1 if not found. */
long fg_meminfo_kb(const char *key);
/*
 * Free pages still on the per-CPU lists, in kB: MemFree and MemAvailable
 * leave them out. -1 without /proc/zoneinfo.
 */
long fg_pcp_free_kb(void);
/* MemAvailable plus fg_pcp_free_kb(), in kB; -1 if either is missing. */
long fg_mem_available_kb(void);

/*
 * One end of a stream: a host socket (fd >= 0) or a fake guest's
 * connection, so that checks work the same whichever pair talks.
 */
struct fg_end {
	int fd;
	struct fg_conn *c;
};

#define FG_END_HOST(f)	((struct fg_end){ .fd = (f) })
#define FG_END_GUEST(cn)	((struct fg_end){ .fd = -1, .c = (cn) })

ssize_t fg_end_send(const struct fg_end *e, const void *buf, size_t len,
		    int timeout_ms);
/* At least one byte; 0 at end of stream. */
ssize_t fg_end_recv(const struct fg_end *e, void *buf, size_t len,
		    int timeout_ms);
/* SEQPACKET: one message, with MSG_EOR / VIRTIO_VSOCK_SEQ_EOR if eor. */
ssize_t fg_end_send_msg(const struct fg_end *e, const void *buf, size_t len,
			bool eor, int timeout_ms);
/* SEQPACKET: one message (truncated to len); its full length and EOR. */
ssize_t fg_end_recv_msg(const struct fg_end *e, void *buf, size_t len,
			bool *eor, int timeout_ms);
/*
 * Send n messages of the given sizes (at most FG_BUF_ALLOC each), every
 * other one with EOR, and check that each arrives alone, whole, with its
 * EOR: 0, -EBADMSG, or the first error.
 */
int fg_transfer_msgs(const struct fg_end *from, const struct fg_end *to,
		     const size_t *sizes, unsigned int n, int timeout_ms);
/*
 * Stream len bytes of the pattern seeded by seed from one end to the other
 * (the sender runs in its own thread, so any len works within the credit)
 * and compare checksums: 0, -EBADMSG on a mismatch, or the first error.
 * Host sockets need SO_RCVTIMEO/SO_SNDTIMEO (fg_host_timeouts()).
 */
int fg_transfer(const struct fg_end *from, const struct fg_end *to,
		size_t len, uint64_t seed, int timeout_ms);

/* Host side helpers (AF_VSOCK sockets in this process, the "host"). */
/* A listening socket on VMADDR_CID_ANY; *port gets the bound port. */
int fg_host_listen(int type, uint32_t *port);
/* The same on a given port. */
int fg_host_listen_on(int type, uint32_t port);
/* accept() with a timeout: -ETIMEDOUT when nothing came. */
int fg_host_accept(int lfd, int timeout_ms, uint64_t *peer_cid,
		   uint32_t *peer_port);
int fg_host_connect(int type, uint64_t cid, uint32_t port, int timeout_ms);
/* Wait until a host socket is readable (data, end or error): 0, -ETIMEDOUT. */
int fg_host_wait_readable(int fd, int timeout_ms);
/*
 * The error a host socket reports first once it is readable (e.g.
 * -ECONNRESET), 0 if it reads without one, -ETIMEDOUT.
 */
int fg_host_wait_error(int fd, int timeout_ms);
/* Give a host socket send/receive timeouts so that nothing hangs. */
int fg_host_timeouts(int fd, int timeout_ms);
/* Read or write exactly len bytes; -errno, or -EPIPE at end of stream. */
ssize_t fg_host_read_all(int fd, void *buf, size_t len);
ssize_t fg_host_write_all(int fd, const void *buf, size_t len);

#endif /* FAKE_GUEST_H */
