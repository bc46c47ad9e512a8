/*
 * source_afpacket.c — live capture from one interface with an AF_PACKET TPACKET_V3 ring.
 *
 * The kernel fills fixed-size blocks of a ring mapped into our memory and hands a block over
 * (TP_STATUS_USER) when it is full or when the retire timeout (10 ms) runs out. next() walks
 * the frames of the current block; the block goes back to the kernel (TP_STATUS_KERNEL) only
 * at the next() call after its last frame, so the caller has wiped every frame by then
 * (DESIGN.md rule 1: pl_run_source and the sensor clear each frame after pl_frame). Frames
 * we do not hand out (our own outgoing packets) are wiped here. On close the socket goes
 * first, then the whole ring is cleared, then unmapped; the ring is also kept out of core
 * dumps (MADV_DONTDUMP).
 *
 * The socket joins a PACKET_FANOUT group (flow hash, IPv4 defragmentation before hashing, so
 * that all fragments of a datagram reach one worker). The first socket of the process on an
 * interface asks the kernel for a unique group id; later sockets on the same interface join
 * it. Note what DEFRAG implies: untagged and single-tagged IPv4 fragments are reassembled by
 * the kernel and arrive as one packet.
 *
 * The kernel moves an outer VLAN tag into the frame's metadata; it is put back into the frame
 * (in the PACKET_RESERVE headroom before the MAC header) so that the decoder sees the frame
 * as it was on the wire. Ring offsets come from the kernel but are still checked against the
 * block before use.
 *
 * next() polls with a 100 ms timeout and returns SRC_END once source_stop_flag is set.
 */
#include "packet/source.h"

#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pcap/dlt.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

#define RING_BLOCK_SIZE (1u << 20)      /* 1 MiB per block */
#define RING_BLOCK_NR 8u                /* 8 MiB ring */
#define RING_FRAME_SIZE 2048u           /* nominal; V3 packs frames of any size into blocks */
#define RING_RETIRE_MS 10u
#define POLL_MS 100
#define VLAN_TAG_LEN 4u

volatile sig_atomic_t source_stop_flag;

struct live_source {
	struct source base;     /* first: a struct source * is a struct live_source * */
	int fd;
	char ifname[IF_NAMESIZE];
	uint8_t *ring;
	size_t ring_len;
	unsigned block;          /* current block */
	unsigned left;           /* frames of the current block not yet handed out */
	uint32_t next_off;       /* offset in the block of the next frame */
	int holding;             /* the current block is ours and must go back */
	uint64_t frames;         /* frames handed out */
	int opened;              /* fully set up: report the drops on close */
};

/* The fanout group of this process, per interface (later workers join it). */
static pthread_mutex_t fanout_lock = PTHREAD_MUTEX_INITIALIZER;
static int fanout_ifindex = -1;
static int fanout_id = -1;

static struct tpacket_block_desc *block_at(struct live_source *ls, unsigned i)
{
	return (struct tpacket_block_desc *)(ls->ring + (size_t)i * RING_BLOCK_SIZE);
}

static void block_release(struct live_source *ls)
{
	struct tpacket_block_desc *bd = block_at(ls, ls->block);

	__atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
	ls->holding = 0;
	ls->left = 0;
	ls->block = (ls->block + 1) % RING_BLOCK_NR;
}

/* Wait until the current block is ours. Returns 1 when it is, 0 on stop, -1 on error. */
static int block_wait(struct live_source *ls)
{
	struct tpacket_block_desc *bd = block_at(ls, ls->block);
	struct pollfd pfd = { .fd = ls->fd, .events = POLLIN | POLLERR };

	for (;;) {
		if (source_stop_flag)
			return 0;
		if (__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)
			break;
		int rc = poll(&pfd, 1, POLL_MS);
		if (rc < 0 && errno != EINTR) {
			snprintf(ls->base.error, sizeof(ls->base.error), "%s: poll: %s", ls->ifname,
				 strerror(errno));
			return -1;
		}
		if (rc > 0 && (pfd.revents & (POLLERR | POLLNVAL)) &&
		    !(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
			int e = 0;
			socklen_t el = sizeof(e);
			getsockopt(ls->fd, SOL_SOCKET, SO_ERROR, &e, &el);
			snprintf(ls->base.error, sizeof(ls->base.error), "%s: capture socket: %s",
				 ls->ifname, e ? strerror(e) : "error");
			return -1;
		}
	}
	ls->holding = 1;
	ls->left = bd->hdr.bh1.num_pkts;
	ls->next_off = bd->hdr.bh1.offset_to_first_pkt;
	return 1;
}

static enum src_status live_next(struct source *s, struct frame *f)
{
	struct live_source *ls = (struct live_source *)s;

	for (;;) {
		if (ls->holding && ls->left == 0)
			block_release(ls);    /* every frame of it was handed out and wiped */
		if (!ls->holding) {
			int rc = block_wait(ls);
			if (rc <= 0)
				return rc == 0 ? SRC_END : SRC_ERROR;
			continue;
		}
		if (source_stop_flag)
			return SRC_END;

		uint8_t *blk = (uint8_t *)block_at(ls, ls->block);
		size_t hlen = TPACKET_ALIGN(sizeof(struct tpacket3_hdr));
		uint32_t off = ls->next_off;

		if (off < sizeof(struct tpacket_block_desc) || off > RING_BLOCK_SIZE - hlen) {
			ls->left = 0;      /* a kernel offset out of the block: drop the rest */
			continue;
		}
		struct tpacket3_hdr *h = (struct tpacket3_hdr *)(blk + off);
		ls->left--;
		ls->next_off = off + h->tp_next_offset;
		if (ls->left && h->tp_next_offset == 0)
			ls->left = 0;

		uint32_t mac = h->tp_mac, snap = h->tp_snaplen;
		if (mac < hlen + sizeof(struct sockaddr_ll) || mac > RING_BLOCK_SIZE - off ||
		    snap > RING_BLOCK_SIZE - off - mac)
			continue;
		uint8_t *data = blk + off + mac;
		const struct sockaddr_ll *sll = (const struct sockaddr_ll *)(blk + off + hlen);

		if (sll->sll_pkttype == PACKET_OUTGOING) {
			memset(data, 0, snap);   /* not ours to read: cleared at once */
			continue;
		}
		uint32_t caplen = snap, wirelen = h->tp_len;
		if ((h->tp_status & TP_STATUS_VLAN_VALID) && snap >= 2 * ETH_ALEN &&
		    mac >= hlen + sizeof(struct sockaddr_ll) + VLAN_TAG_LEN) {
			/* put the outer tag back where it was: dst, src, TPID, TCI, ... */
			uint16_t tpid = (h->tp_status & TP_STATUS_VLAN_TPID_VALID) && h->hv1.tp_vlan_tpid ?
					h->hv1.tp_vlan_tpid : ETH_P_8021Q;
			uint16_t tci = h->hv1.tp_vlan_tci;
			memmove(data - VLAN_TAG_LEN, data, 2 * ETH_ALEN);
			data -= VLAN_TAG_LEN;
			data[12] = (uint8_t)(tpid >> 8);
			data[13] = (uint8_t)tpid;
			data[14] = (uint8_t)(tci >> 8);
			data[15] = (uint8_t)tci;
			caplen += VLAN_TAG_LEN;
			wirelen += VLAN_TAG_LEN;
		}
		f->ts_us = (uint64_t)h->tp_sec * 1000000u + h->tp_nsec / 1000u;
		f->caplen = caplen;
		f->wirelen = wirelen;
		f->data = data;
		ls->frames++;
		return SRC_FRAME;
	}
}

static int live_linktype(struct source *s)
{
	return DLT_EN10MB;
}

static void live_close(struct source *s)
{
	struct live_source *ls = (struct live_source *)s;
	struct tpacket_stats_v3 st;
	socklen_t len = sizeof(st);

	if (ls->fd >= 0) {
		memset(&st, 0, sizeof(st));
		if (ls->opened && getsockopt(ls->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
			log_info("%s: kernel dropped %u packets (ring full); %llu frames captured",
				 ls->ifname, st.tp_drops, (unsigned long long)ls->frames);
		close(ls->fd);   /* the kernel writes no more into the ring */
	}
	if (ls->ring && ls->ring != MAP_FAILED) {
		memset(ls->ring, 0, ls->ring_len);   /* frames never handed out (rule 1) */
		munmap(ls->ring, ls->ring_len);
	}
	free(ls);
}

static const struct source_ops live_ops = {
	.name = "afpacket",
	.next = live_next,
	.linktype = live_linktype,
	.close = live_close,
};

/* Join this process's fanout group on ifindex, creating it (unique id) if there is none. */
static int join_fanout(int fd, int ifindex)
{
	const uint32_t mode = PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG;
	uint32_t val;
	int rc = -1;
	socklen_t len = sizeof(val);

	pthread_mutex_lock(&fanout_lock);
	if (fanout_ifindex == ifindex && fanout_id >= 0) {
		val = (uint32_t)fanout_id | (mode << 16);
		rc = setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof(val));
		goto out;
	}
	val = (mode | PACKET_FANOUT_FLAG_UNIQUEID) << 16;   /* id 0: the kernel picks one */
	if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, sizeof(val)) < 0)
		goto out;
	if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, &len) < 0)
		goto out;
	fanout_ifindex = ifindex;
	fanout_id = (int)(val & 0xffff);
	rc = 0;
out:
	pthread_mutex_unlock(&fanout_lock);
	return rc;
}

struct source *source_open_live(const char *ifname, char *err, size_t errlen)
{
	struct live_source *ls;
	struct tpacket_req3 req;
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	struct ifreq ifr;
	const char *what = NULL;
	int ifindex, val;

	if (!ifname || !*ifname || strlen(ifname) >= IF_NAMESIZE) {
		snprintf(err, errlen, "%s: not an interface name", ifname ? ifname : "(null)");
		return NULL;
	}
	ifindex = (int)if_nametoindex(ifname);
	if (ifindex == 0) {
		snprintf(err, errlen, "%s: no such interface", ifname);
		return NULL;
	}
	ls = calloc(1, sizeof(*ls));
	if (!ls) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ls->base.ops = &live_ops;
	ls->ring = MAP_FAILED;
	snprintf(ls->ifname, sizeof(ls->ifname), "%s", ifname);

	ls->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (ls->fd < 0) {
		what = "socket(AF_PACKET)";
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ls->ifname, sizeof(ls->ifname));
	if (ioctl(ls->fd, SIOCGIFHWADDR, &ifr) < 0) {
		what = "SIOCGIFHWADDR";
		goto fail;
	}
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER && ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK) {
		snprintf(err, errlen, "%s: not an Ethernet interface", ifname);
		goto fail_msg;
	}
	val = TPACKET_V3;
	if (setsockopt(ls->fd, SOL_PACKET, PACKET_VERSION, &val, sizeof(val)) < 0) {
		what = "TPACKET_V3";
		goto fail;
	}
	val = VLAN_TAG_LEN;   /* room to put an outer VLAN tag back */
	if (setsockopt(ls->fd, SOL_PACKET, PACKET_RESERVE, &val, sizeof(val)) < 0) {
		what = "PACKET_RESERVE";
		goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.tp_block_size = RING_BLOCK_SIZE;
	req.tp_block_nr = RING_BLOCK_NR;
	req.tp_frame_size = RING_FRAME_SIZE;
	req.tp_frame_nr = RING_BLOCK_SIZE / RING_FRAME_SIZE * RING_BLOCK_NR;
	req.tp_retire_blk_tov = RING_RETIRE_MS;
	if (setsockopt(ls->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) < 0) {
		what = "PACKET_RX_RING";
		goto fail;
	}
	ls->ring_len = (size_t)RING_BLOCK_SIZE * RING_BLOCK_NR;
	ls->ring = mmap(NULL, ls->ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, ls->fd, 0);
	if (ls->ring == MAP_FAILED) {
		what = "mmap";
		goto fail;
	}
	madvise(ls->ring, ls->ring_len, MADV_DONTDUMP);   /* never in a core file (rule 1) */

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(ls->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		what = "bind";
		goto fail;
	}
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = ifindex;
	mr.mr_type = PACKET_MR_PROMISC;   /* dropped by the kernel when the socket closes */
	if (setsockopt(ls->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) {
		what = "promiscuous mode";
		goto fail;
	}
	if (join_fanout(ls->fd, ifindex) < 0) {
		what = "PACKET_FANOUT";
		goto fail;
	}
	ls->opened = 1;
	return &ls->base;
fail:
	snprintf(err, errlen, "%s: %s: %s", ifname, what, strerror(errno));
fail_msg:
	live_close(&ls->base);
	return NULL;
}
