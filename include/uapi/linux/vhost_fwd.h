/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vhost_vsock_fwd: CID forwarding for the host side of virtio-vsock.
 *
 * A guest that dials its parent at a fixed CID (an AWS Nitro Enclave dials
 * CID 3) has that traffic re-addressed to the host or to another guest, and
 * the replies are re-addressed so that the guest only ever sees the alias.
 * See Documentation/virt/vsock-fwd.rst.
 */
#ifndef _UAPI_LINUX_VHOST_FWD_H
#define _UAPI_LINUX_VHOST_FWD_H

#include <linux/types.h>
#include <linux/vhost.h>
/* The generic netlink family, generated from its YNL spec. */
#include <linux/vsock_fwd.h>

/**
 * struct vhost_vsock_forward - the forward of one vhost-vsock device
 * @alias_cid: CID the guest dials to reach its parent (3 for Nitro
 *	Enclaves). Must be > 2, < U32_MAX and not the guest's own CID.
 * @target_cid: where packets to @alias_cid really go: 2 (VMADDR_CID_HOST)
 *	delivers to host sockets, any other CID to that guest's device. Must
 *	not be 1, >= U32_MAX or the guest's own CID. 0 turns forwarding off;
 *	all other fields must then be 0. A target other than 2 requires
 *	CAP_NET_ADMIN of the caller, and the target guest's device must
 *	accept children (&struct vhost_vsock_parent). May equal @alias_cid (a
 *	parent that really has that CID).
 * @flags: VHOST_VSOCK_FORWARD_F_* flags; unknown bits are rejected.
 * @reserved: must be 0.
 *
 * Set with VHOST_VSOCK_SET_FORWARD at any time, before VHOST_SET_OWNER
 * included; it applies from the next packet. A forward that a rule of the
 * netlink family set may only be changed with CAP_NET_ADMIN (-EPERM).
 * VHOST_VSOCK_GET_FORWARD returns the forward in force.
 */
struct vhost_vsock_forward {
	__u64 alias_cid;
	__u64 target_cid;
	__u32 flags;
	__u32 reserved;
};

/*
 * The guest may talk to its parent only: packets to any other CID are
 * refused with a reset, and only the target may open connections to it.
 */
#define VHOST_VSOCK_FORWARD_F_STRICT	(1U << 0)
#define VHOST_VSOCK_FORWARD_F_ALL	VHOST_VSOCK_FORWARD_F_STRICT

#define VHOST_VSOCK_SET_FORWARD	_IOW(VHOST_VIRTIO, 0x62, struct vhost_vsock_forward)
#define VHOST_VSOCK_GET_FORWARD	_IOR(VHOST_VIRTIO, 0x63, struct vhost_vsock_forward)

/**
 * struct vhost_vsock_parent - whether a device may be other guests' parent
 * @flags: VHOST_VSOCK_PARENT_F_* flags; unknown bits are rejected.
 * @reserved: must be 0.
 *
 * Reachability between two guests needs consent on both ends: the child's
 * forward names the parent's CID (CAP_NET_ADMIN), and the parent's device
 * accepts children (this, also CAP_NET_ADMIN). The consent belongs to the
 * open device, not to its CID: a process that later takes the same CID on
 * another device is not a parent. Until a device accepts, its would-be
 * children's packets to it are answered with a reset and counted as
 * unreachable. Setting VHOST_VSOCK_PARENT_F_ACCEPT needs CAP_NET_ADMIN;
 * clearing it does not, and resets every connection with its children.
 * Set with VHOST_VSOCK_SET_PARENT at any time; VHOST_VSOCK_GET_PARENT
 * returns what is in force.
 */
struct vhost_vsock_parent {
	__u32 flags;
	__u32 reserved;
};

/* Guests whose forward targets this device's CID may reach it. */
#define VHOST_VSOCK_PARENT_F_ACCEPT	(1U << 0)
#define VHOST_VSOCK_PARENT_F_ALL	VHOST_VSOCK_PARENT_F_ACCEPT

#define VHOST_VSOCK_SET_PARENT	_IOW(VHOST_VIRTIO, 0x64, struct vhost_vsock_parent)
#define VHOST_VSOCK_GET_PARENT	_IOR(VHOST_VIRTIO, 0x65, struct vhost_vsock_parent)

#endif /* _UAPI_LINUX_VHOST_FWD_H */
