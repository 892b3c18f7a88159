/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vhost_vsock_fwd: the kernel APIs of the newest kernel we build against,
 * for older ones. The code is written against the newest; Kbuild.include
 * tests what the headers contain and sets the COMPAT_* flags used here.
 * Include after the kernel headers whose functions it redefines.
 */
#ifndef _VHOST_VSOCK_FWD_COMPAT_H
#define _VHOST_VSOCK_FWD_COMPAT_H

#include <linux/netlink.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/virtio_vsock.h>
#include <net/af_vsock.h>
#include <net/net_namespace.h>

#include "vhost.h"

#ifdef COMPAT_NO_VHOST_CLEAR_DEVICE_IOTLB
/* Such trees leave the IOTLB in place when the feature is cleared. */
static inline void vhost_clear_device_iotlb(struct vhost_dev *d)
{
}
#endif

/* 6.17 renamed it once it applied to more than dumps. */
#ifndef NL_ASSERT_CTX_FITS
#define NL_ASSERT_CTX_FITS(type_name) NL_ASSERT_DUMP_CTX_FITS(type_name)
#endif

#ifdef COMPAT_NO_VSOCK_NETNS
/*
 * Before 7.0 vsock had one CID space for all network namespaces: every
 * device belongs to the initial one, whoever opens it, and so does the
 * netlink family. Every namespace reaches every device.
 */
#define VSOCK_FWD_NETNS false

static inline struct net *vsock_fwd_opener_net(void)
{
	return &init_net;
}

static inline bool vsock_net_check_mode(struct net *ns0, struct net *ns1)
{
	return true;
}

static inline void
compat_virtio_transport_recv_pkt(struct virtio_transport *t,
				 struct sk_buff *skb, struct net *net)
{
	virtio_transport_recv_pkt(t, skb);
}

#define virtio_transport_recv_pkt compat_virtio_transport_recv_pkt
#else
#define VSOCK_FWD_NETNS true

/* A device belongs to the network namespace of its opener. */
static inline struct net *vsock_fwd_opener_net(void)
{
	return current->nsproxy->net_ns;
}
#endif

#endif /* _VHOST_VSOCK_FWD_COMPAT_H */
