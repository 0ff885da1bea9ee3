/*
 * The virtio-net header's arithmetic for the TUN addon (tun.c): completing a partial checksum the
 * kernel left to us, and building the header that asks the kernel to checksum or segment what we
 * send. Field meanings: include/uapi/linux/virtio_net.h; how the kernel reads them:
 * include/linux/virtio_net.h (virtio_net_hdr_to_skb), drivers/net/tun.c (tun_get_user).
 */
#ifdef __linux__
#include "vnet.h"
#include <string.h>

/* RFC 1071's one's-complement sum over p[0..len), folded to 16 bits: 32-bit big-endian words
 * added into 64 bits (RFC 1071 §2(C): deferred carries), then the odd tail. */
uint32_t vnet_csum_add(const uint8_t* p, size_t len, uint32_t sum) {
  uint64_t s = sum;
  size_t i = 0;
  for (; i + 4 <= len; i += 4) s += (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 | p[i + 3];
  for (; i + 1 < len; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (i < len) s += (uint32_t)(p[i] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint32_t)s;
}

/* A packet with CHECKSUM_PARTIAL: the field at csum_start + csum_offset holds the pseudo-header
 * sum; summing from csum_start to the end and complementing completes it (as skb_checksum_help). */
void vnet_complete_checksum(uint8_t* pkt, size_t len, size_t start, size_t offset) {
  size_t at = start + offset;
  if (start >= len || at + 2 > len) return;
  uint16_t c = (uint16_t)~vnet_csum_add(pkt + start, len - start, 0);
  /* UDP: a computed zero is sent as all ones (RFC 768 "If the computed checksum is zero") */
  if (c == 0 && offset == 6) c = 0xffff;
  pkt[at] = (uint8_t)(c >> 8);
  pkt[at + 1] = (uint8_t)c;
}

/* Where an outgoing packet's transport header starts, and its checksum field's offset in it:
 * IPv4 (IHL) or IPv6 without extension headers, carrying TCP or UDP. 0 when it is neither. */
static size_t transport_start(const uint8_t* pkt, size_t len, size_t* csum_offset, bool* v6, size_t* l4_hdr) {
  if (len < 20) return 0;
  size_t start;
  uint8_t proto;
  if (pkt[0] >> 4 == 4) {
    start = (size_t)(pkt[0] & 15) * 4;
    proto = pkt[9];
    *v6 = false;
  } else if (pkt[0] >> 4 == 6 && len >= 40) {
    start = 40;
    proto = pkt[6];
    *v6 = true;
  } else {
    return 0;
  }
  if (proto == 6 && len >= start + 20) {
    *csum_offset = 16;
    *l4_hdr = (size_t)(pkt[start + 12] >> 4) * 4;
  } else if (proto == 17 && len >= start + 8) {
    *csum_offset = 6;
    *l4_hdr = 8;
  } else {
    return 0;
  }
  return start;
}

/* The virtio-net header asking the kernel for what info (TX_*) says, from the packet's own
 * headers: csum_start at the transport header, csum_offset at its checksum field, and for a
 * super-segment gso_type by IP version and hdr_len covering IP + TCP headers (what
 * virtio_net_hdr_to_skb expects). False when the packet is not TCP/UDP over IPv4/IPv6. */
bool vnet_tx_header(const uint8_t* pkt, size_t n, uint32_t what, struct virtio_net_hdr* vh) {
  memset(vh, 0, sizeof *vh); /* GSO_NONE, checksum complete: nothing asked of the kernel */
  if (what == 0) return true;
  size_t off = 0, l4 = 0;
  bool v6 = false;
  size_t start = transport_start(pkt, n, &off, &v6, &l4);
  if (start == 0) return false;
  if (what & TX_NEEDS_CSUM) {
    vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh->csum_start = (uint16_t)start;
    vh->csum_offset = (uint16_t)off;
  }
  uint32_t gso = what >> 16;
  if (gso != 0 && off == 16 && n > start + l4 + gso) {
    if (!(what & TX_NEEDS_CSUM)) return false; /* the kernel computes each segment's checksum */
    vh->gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    vh->gso_size = (uint16_t)gso;
    vh->hdr_len = (uint16_t)(start + l4);
  }
  return true;
}
#endif
