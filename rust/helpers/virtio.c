// SPDX-License-Identifier: GPL-2.0

#include <linux/virtio.h>
#include <linux/virtio_config.h>

/*
 * The virtio core is only reachable from the kernel image when it is built in;
 * rust/kernel/virtio.rs is compiled under the same condition.
 */
#ifdef CONFIG_VIRTIO

__rust_helper bool rust_helper___virtio_test_bit(const struct virtio_device *vdev,
						 unsigned int fbit)
{
	return __virtio_test_bit(vdev, fbit);
}

__rust_helper u8 rust_helper_virtio_cread8(struct virtio_device *vdev,
					   unsigned int offset)
{
	return virtio_cread8(vdev, offset);
}

__rust_helper u16 rust_helper_virtio_cread16(struct virtio_device *vdev,
					     unsigned int offset)
{
	return virtio_cread16(vdev, offset);
}

__rust_helper u32 rust_helper_virtio_cread32(struct virtio_device *vdev,
					     unsigned int offset)
{
	return virtio_cread32(vdev, offset);
}

__rust_helper u64 rust_helper_virtio_cread64(struct virtio_device *vdev,
					     unsigned int offset)
{
	return virtio_cread64(vdev, offset);
}

__rust_helper int rust_helper_virtio_find_vqs(struct virtio_device *vdev,
					     unsigned int nvqs,
					     struct virtqueue *vqs[],
					     struct virtqueue_info vqs_info[],
					     struct irq_affinity *desc)
{
	return virtio_find_vqs(vdev, nvqs, vqs, vqs_info, desc);
}

/* The inverse of virtio_find_vqs(), which C drivers call through the config ops. */
__rust_helper void rust_helper_virtio_del_vqs(struct virtio_device *vdev)
{
	vdev->config->del_vqs(vdev);
}

__rust_helper void rust_helper_virtio_device_ready(struct virtio_device *vdev)
{
	virtio_device_ready(vdev);
}

#endif /* CONFIG_VIRTIO */
