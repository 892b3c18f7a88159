# Devices of the minimal qemu-system-x86_64 that 'make qemu' builds
# (configure --without-default-devices --with-devices-x86_64=vsock-fwd):
# the nitro-enclave machine (which selects microvm, virtio-mmio, the serial
# port, virtio-nsm and vhost-user-vsock) and the in-kernel vhost-vsock device.
CONFIG_NITRO_ENCLAVE=y
CONFIG_MICROVM=y
CONFIG_VIRTIO_MMIO=y
CONFIG_VHOST_VSOCK=y
CONFIG_VHOST_USER_VSOCK=y
