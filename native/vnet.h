/* The virtio-net header helpers of the TUN addon (vnet.c). Linux only. */
#ifndef SYNACK_VNET_H
#define SYNACK_VNET_H
#include <linux/virtio_net.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* info[i] on reads (low byte: the virtio-net header's flags as the kernel set them, but a partial
 * checksum completed here is reported RX_VALID; high 16 bits: gso_size, nonzero for a packet the
 * kernel did not segment). On writes: TX_NEEDS_CSUM in the low byte, gso_size in the high 16 bits. */
#define RX_PARTIAL 1 /* = VIRTIO_NET_HDR_F_NEEDS_CSUM */
#define RX_VALID 2   /* = VIRTIO_NET_HDR_F_DATA_VALID */
#define RX_OWNED 0x80 /* not the header's: the packet is the batch's next handed-over buffer (tun.c) */
#define TX_NEEDS_CSUM 1

/* RFC 1071's sum over p[0..len) added to `sum`, folded to 16 bits (not complemented). */
uint32_t vnet_csum_add(const uint8_t* p, size_t len, uint32_t sum);
/* Complete a CHECKSUM_PARTIAL packet's checksum in place (csum_start/csum_offset from its header). */
void vnet_complete_checksum(uint8_t* pkt, size_t len, size_t start, size_t offset);
/* The header for a packet we send, asking what `what` (TX_*) says; false if it cannot apply. */
bool vnet_tx_header(const uint8_t* pkt, size_t n, uint32_t what, struct virtio_net_hdr* vh);

#endif
