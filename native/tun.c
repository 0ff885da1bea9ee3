/*
 * synack's Linux TUN/TAP addon (N-API, C). Small on purpose: it opens a device, and moves packets
 * in and out in batches. Everything else (framing, ARP, IP, TCP) is TypeScript.
 *
 *   open(name, mode, multiQueue, offload, offloadFlags) -> { fd, name, vnetHdr, offload, offloadFlags }
 *                                  mode: 0 = TUN (IFF_TUN), 1 = TAP (IFF_TAP)
 *   startReading(fd, arrayBuffer, lengths, onBatch, vnetHdr, info, handOver) -> handle
 *       packets are read back to back into `arrayBuffer`; lengths[i] holds packet i's size and
 *       info[i] what its virtio-net header said (RX_* below); onBatch(count, errno, owned) is
 *       called once per batch from the event loop. With handOver > 0, a packet of handOver bytes
 *       or more is not in `arrayBuffer` but is the next of `owned` (an array of ArrayBuffers JS
 *       keeps for good; RX_OWNED in its info): see "Hand-over" below
 *   setCompleteChecksums(handle, mode)  which partial checksums to complete before JS sees them:
 *                                  COMPLETE_ALL (default), COMPLETE_EXCEPT_TCP, COMPLETE_NONE
 *   stopReading(handle)                 stop polling and close the handle (the fd stays open)
 *   ref(handle) / unref(handle)         keep the event loop alive while reading, or not
 *   writeBatch(fd, arrayBuffer, lengths, count, vnetHdr, info) -> written + 65536 * errno of the last failure
 *   close(fd)
 *
 * Reading: why uv_poll and not a reader thread. The device fd is non-blocking and pollable, so the
 * event loop's own epoll tells us when packets are queued; we then read() until EAGAIN or the batch
 * is full, straight into a buffer the JS side owns, and make ONE call into JS per batch. No thread,
 * no locking, no copy between threads, no queue to bound: if JS is slow, packets wait in the
 * kernel's tun queue (txqueuelen) and the kernel drops the excess, which is exactly what a NIC
 * does. A reader thread with a threadsafe function would add a copy, a queue and a wake-up per
 * batch for nothing, since a tun read never blocks once poll says it is readable. Stopping the
 * batch at a bound (and returning to epoll, which is level-triggered) keeps timers and other I/O
 * fair under load.
 *
 * Offload (TUN only, when asked): IFF_VNET_HDR puts a 10-byte struct virtio_net_hdr
 * (include/uapi/linux/virtio_net.h) before every packet, both ways, and TUNSETOFFLOAD(CSUM|TSO4|
 * TSO6) says we accept what a virtio NIC would: the kernel then hands us its TCP segments
 * unsegmented, up to 64 KiB each, with the checksum left to us (drivers/net/tun.c, tun_put_user ->
 * virtio_net_hdr_from_skb: CHECKSUM_PARTIAL -> VIRTIO_NET_HDR_F_NEEDS_CSUM with csum_start/
 * csum_offset, the field holding the pseudo-header sum; CHECKSUM_UNNECESSARY -> DATA_VALID; a GSO
 * skb -> gso_type TCPV4/TCPV6 and gso_size). On reads the header goes to a stack variable (readv)
 * and what it says goes to info[i]: RX_PARTIAL (a packet of the local kernel's own, checksum not
 * computed), RX_VALID (checked by the kernel or a NIC), or 0 (verify it yourself), with gso_size in
 * the high 16 bits. By default a partial checksum is completed here before JS sees it, so the
 * packets are ordinary valid IP packets (just larger than the MTU, as a GRO'd packet in a capture
 * taken on a Linux host) and reported RX_VALID; a consumer that trusts the flag (attachTun with a
 * stack that skips TCP verification) leaves TCP's partial (COMPLETE_EXCEPT_TCP) and saves a pass
 * over every byte.
 * On writes, info[i] asks the kernel for the same services (tun_get_user -> virtio_net_hdr_to_skb):
 * TX_NEEDS_CSUM (the TCP/UDP checksum field holds the pseudo-header sum; the kernel completes it,
 * or never computes it at all when the packet stays on this host, as on loopback) and a gso_size in
 * the high 16 bits (a TCP super-segment the kernel splits into gso_size-byte segments, each with
 * its own headers and checksum, exactly as TSO would). csum_start, csum_offset and hdr_len are
 * read from the packet's own headers here. If the kernel refuses TUNSETOFFLOAD, the device is
 * reopened without IFF_VNET_HDR: plain mode, one bare IP packet per read and write.
 *
 * Writing: one call per batch of packets. A tun write is one packet per write(2) (writev would
 * gather several buffers into ONE packet; with the vnet header the header and the packet are the
 * two pieces of that one packet), so the batch saves the JS -> C crossings, not syscalls.
 * The fd is non-blocking; a packet the kernel will not take (EAGAIN, ENOBUFS, EIO while the link is
 * down) is dropped and reported, as IP allows.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include "vnet.h"
#endif

/* A read needs this much room: the kernel truncates a packet silently. An IPv6 packet may carry
 * 65535 bytes after its 40-byte header, and an offloaded segment is at most that. */
#define MAX_PACKET (65536 + 64)
#define MAX_BATCH 256     /* packets per call into JS */

#define CHECK(env, call)                                                     \
  do {                                                                       \
    if ((call) != napi_ok) {                                                 \
      const napi_extended_error_info* info_ = NULL;                          \
      napi_get_last_error_info((env), &info_);                               \
      bool pending_ = false;                                                 \
      napi_is_exception_pending((env), &pending_);                           \
      if (!pending_)                                                         \
        napi_throw_error((env), "ERR_TUN_NATIVE",                            \
                         info_ && info_->error_message ? info_->error_message \
                                                       : "N-API call failed"); \
      return NULL;                                                           \
    }                                                                        \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char* syscall, const char* what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, what, strerror(err));
  napi_value m, e, code, sys, no;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  const char* name = err == EPERM ? "EPERM" : err == EACCES ? "EACCES" : err == ENOENT ? "ENOENT"
                   : err == EBUSY ? "EBUSY" : err == EINVAL ? "EINVAL" : err == ENODEV ? "ENODEV"
                   : err == EBADF ? "EBADF" : "ERR_TUN_SYSCALL";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_create_int32(env, -err, &no);
  napi_set_named_property(env, e, "code", code);
  napi_set_named_property(env, e, "syscall", sys);
  napi_set_named_property(env, e, "errno", no);
  napi_throw(env, e);
  return NULL;
}

static bool get_int(napi_env env, napi_value v, int32_t* out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

/* A typed array or ArrayBuffer argument: its bytes and length. */
static bool get_bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is;
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    void* p;
    if (napi_get_arraybuffer_info(env, v, &p, len) != napi_ok) return false;
    *data = p;
    return true;
  }
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t n, off;
    void* p;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &type, &n, &p, &ab, &off) != napi_ok) return false;
    size_t elem = type == napi_uint32_array || type == napi_int32_array || type == napi_float32_array ? 4
                : type == napi_uint16_array || type == napi_int16_array ? 2
                : type == napi_float64_array || type == napi_bigint64_array || type == napi_biguint64_array ? 8 : 1;
    *data = p;
    *len = n * elem;
    return true;
  }
  return false;
}

/* ===================== open / close ===================== */

#ifdef __linux__
/* TUNSETIFF on a fresh fd: returns the fd or -errno. */
static int attach_device(const char* name, size_t nlen, short flags, char* out_name, const char** failed) {
  *failed = "open";
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -errno;
  *failed = "ioctl(TUNSETIFF)";
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = flags;
  memcpy(ifr.ifr_name, name, nlen);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return -err;
  }
  memcpy(out_name, ifr.ifr_name, IFNAMSIZ);
  return fd;
}
#endif

static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1] = {0};
  size_t nlen = 0;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &nlen) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "open(name, mode, multiQueue): name must be a string");
    return NULL;
  }
  if (nlen >= IFNAMSIZ) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "interface name too long (at most 15 bytes)");
    return NULL;
  }
  int32_t mode = 0;
  uint32_t offload_flags = 0;
  bool mq = false, want_offload = false;
  get_int(env, argv[1], &mode);
  if (argc > 2) napi_get_value_bool(env, argv[2], &mq);
  if (argc > 3) napi_get_value_bool(env, argv[3], &want_offload);
  if (argc > 4) napi_get_value_uint32(env, argv[4], &offload_flags);
  if (mode == 1) want_offload = false; /* TAP: frames stay as they are */
#ifdef __linux__
  /* IFF_NO_PI: no 4-byte packet-information prefix; each read is one bare IP packet (TUN) or
   * one Ethernet frame without FCS (TAP). TUNSETIFF attaches to the device by name, creating it
   * if it does not exist (which needs CAP_NET_ADMIN). */
  short flags = (short)((mode == 1 ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
#ifdef IFF_MULTI_QUEUE
  if (mq) flags |= IFF_MULTI_QUEUE;
#endif
  char got[IFNAMSIZ + 1] = {0};
  const char* failed = "open";
  bool vnet = false;
  int fd = -1;
  if (want_offload) {
    fd = attach_device(name, nlen, (short)(flags | IFF_VNET_HDR), got, &failed);
    if (fd >= 0) {
      /* the header is sizeof(struct virtio_net_hdr) = 10 bytes by default; say so anyway. Then
       * the offloads we accept (tun.c, set_offload: anything but the TUN_F_* bits is EINVAL) */
      int hdr = sizeof(struct virtio_net_hdr);
      if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) == 0 && ioctl(fd, TUNSETOFFLOAD, (unsigned long)offload_flags) == 0) {
        vnet = true;
      } else {
        /* refused: close, and attach again without the header (plain mode) */
        close(fd);
        fd = -1;
      }
    } else if (fd != -EINVAL) {
      /* EINVAL: a kernel without IFF_VNET_HDR; try plain. Anything else fails plain too. */
      return throw_errno(env, -fd, failed, strcmp(failed, "open") == 0 ? "/dev/net/tun" : name);
    }
  }
  if (fd < 0) {
    fd = attach_device(name, nlen, flags, got, &failed);
    if (fd < 0) return throw_errno(env, -fd, failed, strcmp(failed, "open") == 0 ? "/dev/net/tun" : name);
  }
  napi_value out, vfd, vname, voff, vhdr, vflags;
  CHECK(env, napi_create_object(env, &out));
  CHECK(env, napi_get_boolean(env, vnet && (offload_flags & (TUN_F_TSO4 | TUN_F_TSO6)) != 0, &voff));
  CHECK(env, napi_get_boolean(env, vnet, &vhdr));
  CHECK(env, napi_create_uint32(env, vnet ? offload_flags : 0, &vflags));
  napi_set_named_property(env, out, "offload", voff);
  napi_set_named_property(env, out, "vnetHdr", vhdr);
  napi_set_named_property(env, out, "offloadFlags", vflags);
  CHECK(env, napi_create_int32(env, fd, &vfd));
  CHECK(env, napi_create_string_utf8(env, got, strnlen(got, IFNAMSIZ), &vname));
  napi_set_named_property(env, out, "fd", vfd);
  napi_set_named_property(env, out, "name", vname);
  return out;
#else
  (void)mode;
  (void)mq;
  (void)want_offload;
  (void)offload_flags;
  napi_throw_error(env, "ERR_TUN_UNAVAILABLE", "TUN/TAP devices are supported on Linux only");
  return NULL;
#endif
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || !get_int(env, argv[0], &fd) || fd < 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "close(fd): fd must be a non-negative integer");
    return NULL;
  }
#ifdef __linux__
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, errno, "close", "tun fd");
#endif
  return NULL;
}

/* ===================== reading: uv_poll on the fd ===================== */

/*
 * Hand-over of large packets. A packet read into the shared batch buffer is valid only until the
 * batch ends, so a consumer that keeps its bytes (a TCP receive queue) must copy them out, and in
 * JavaScript that copy is a fresh zero-filled ArrayBuffer per packet: calloc, memset and, since
 * glibc returns freed memory above its trim threshold to the kernel, page faults on every 64 KiB.
 * Node's own socket reads avoid it by reading into a fresh malloc'd 64 KiB buffer each time and
 * handing it to JS. We do the same for packets of `hand_over` bytes or more (the kernel's 64 KiB
 * TSO segments): each read lands in a slot of MAX_PACKET bytes; a large packet's slot becomes an
 * external ArrayBuffer that JS owns (freed by the GC through pool_release, never written again by
 * us), and the reader takes another slot. Freed slots go back to a small free list, so the memory
 * is reused without zeroing and without page faults. A packet under half a slot is handed
 * over as a malloc'd copy of its own size instead (not zeroed either), and one under `hand_over`
 * is copied from the slot into the shared buffer (no more than the bytes read), as before.
 * The pool outlives the reader when JS still holds slots: it is freed with the last of them. Every
 * finalizer runs on the JS thread (N-API's contract), so the pool needs no lock.
 */
#define POOL_MAX 64 /* free slots kept: 4 MiB, the default read buffer's size */
/* A slot is MAX_PACKET bytes for the packet and a trailer holding the length JS was given, so that
 * pool_release can give V8 back the bytes hand_over took off its external-memory count. */
#define SLOT_BYTES (MAX_PACKET + sizeof(uint32_t))

typedef struct {
  uint8_t* free[POOL_MAX];
  size_t nfree;
  size_t outstanding; /* slots JS holds */
  bool closed;        /* the reader stopped: slots coming back are freed, the pool with the last */
} SlotPool;

static uint8_t* pool_get(SlotPool* p) {
  return p->nfree > 0 ? p->free[--p->nfree] : malloc(SLOT_BYTES);
}

/* napi_finalize of a handed-over slot: JS no longer holds it */
static void pool_release(napi_env env, void* data, void* hint) {
  SlotPool* p = (SlotPool*)hint;
  uint32_t given;
  memcpy(&given, (uint8_t*)data + MAX_PACKET, sizeof given);
  int64_t ignored;
  /* V8 took the buffer's bytes off its count when it freed the ArrayBuffer: restore the balance
   * (see hand_over) */
  napi_adjust_external_memory(env, (int64_t)given, &ignored);
  p->outstanding--;
  if (!p->closed && p->nfree < POOL_MAX) p->free[p->nfree++] = data;
  else free(data);
  if (p->closed && p->outstanding == 0) free(p);
}

static void pool_close(SlotPool* p) {
  p->closed = true;
  while (p->nfree > 0) free(p->free[--p->nfree]);
  if (p->outstanding == 0) free(p);
}

typedef struct {
  uv_poll_t poll;
  napi_env env;
  int fd;
  uint8_t* buf;
  size_t cap;
  uint32_t* lengths;
  uint32_t* info;
  size_t max_count;
  napi_ref buf_ref;
  napi_ref len_ref;
  napi_ref info_ref;
  napi_ref cb_ref;
  napi_async_context async;
  bool stopped;
  bool vnet_hdr;
  int complete; /* COMPLETE_* */
  /* hand-over (hand_over > 0): each read lands in `slot`; a packet of hand_over bytes or more is
   * given to JS with its slot (see SlotPool), anything smaller is copied into `buf` */
  uint32_t hand_over;
  uint8_t* slot;
  SlotPool* pool;
} Reader;

#define COMPLETE_ALL 0
#define COMPLETE_EXCEPT_TCP 1
#define COMPLETE_NONE 2
/* offsetof(struct tcphdr, check): TCP's csum_offset, unlike UDP's 6 or ICMP's 2 */
#define TCP_CSUM_OFFSET 16


static void on_closed(uv_handle_t* h) {
  Reader* r = (Reader*)h->data;
  free(r->slot);
  if (r->pool) pool_close(r->pool);
  free(r);
}

static void reader_release(Reader* r) {
  napi_env env = r->env;
  if (r->buf_ref) napi_delete_reference(env, r->buf_ref);
  if (r->len_ref) napi_delete_reference(env, r->len_ref);
  if (r->info_ref) napi_delete_reference(env, r->info_ref);
  if (r->cb_ref) napi_delete_reference(env, r->cb_ref);
  if (r->async) napi_async_destroy(env, r->async);
  r->buf_ref = r->len_ref = r->info_ref = r->cb_ref = NULL;
  r->async = NULL;
}

/* free() as a napi_finalize: a handed-over buffer of its own size (hand_over) */
static void free_release(napi_env env, void* data, void* hint) {
  free(data);
}

/* JS takes the n bytes read into r->slot as an external ArrayBuffer appended to *owned (created on
 * first use): the slot itself when the packet fills at least half of it (the reader takes a fresh
 * slot), else a malloc'd copy of the packet's own size, so that a kept packet never pins more than
 * twice its bytes. False (nothing changed) if the memory or the buffer cannot be had: the caller
 * copies the packet into the batch buffer instead. */
static bool hand_over(napi_env env, Reader* r, size_t n, napi_value* owned, uint32_t* nowned) {
  if (*owned == NULL && napi_create_array(env, owned) != napi_ok) {
    *owned = NULL;
    return false;
  }
  bool whole = n >= MAX_PACKET / 2;
  uint8_t* mem = whole ? pool_get(r->pool) : malloc(n);
  if (mem == NULL) return false;
  if (!whole) memcpy(mem, r->slot, n);
  napi_value ab;
  napi_status st = whole ? napi_create_external_arraybuffer(env, r->slot, n, pool_release, r->pool, &ab)
                         : napi_create_external_arraybuffer(env, mem, n, free_release, NULL, &ab);
  if (st != napi_ok) {
    /* a runtime without external buffers (napi_no_external_buffers_allowed): copy from now on */
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
    }
    r->hand_over = 0;
    if (whole && r->pool->nfree < POOL_MAX) r->pool->free[r->pool->nfree++] = mem;
    else free(mem);
    return false;
  }
  if (whole) {
    r->pool->outstanding++; /* the ArrayBuffer's now, whatever follows */
    /* The slot is the pool's memory, allocated once and reused, not new memory; but V8 counts every
     * ArrayBuffer's bytes as external memory allocated since its last mark-compact and, once the old
     * generation is past its activation threshold (8 MB), starts incremental marking whenever that
     * count eats the old generation's slack (Heap::IncrementalMarkingLimitReached via
     * OldGenerationSpaceAvailable). At gigabytes per second the slots in flight between two
     * scavenges reach the 32 MB young backing-store trigger, so a receiver with a 9 MB heap marked
     * every ~25 ms. Take the slot's bytes off the count here; pool_release puts them back once V8
     * has freed the ArrayBuffer (and taken them off again itself). The young backing-store bytes
     * that schedule the scavenges which free the slots are counted apart and stay as they are. */
    uint32_t given = (uint32_t)n;
    memcpy(r->slot + MAX_PACKET, &given, sizeof given);
    int64_t ignored;
    napi_adjust_external_memory(env, -(int64_t)n, &ignored);
    r->slot = mem;
  }
  /* should this fail, the caller copies the packet (still valid: the ArrayBuffer holds it) */
  if (napi_set_element(env, *owned, *nowned, ab) != napi_ok) return false;
  (*nowned)++;
  return true;
}

static void on_readable(uv_poll_t* h, int status, int events) {
  Reader* r = (Reader*)h->data;
  if (r->stopped) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value owned = NULL; /* the batch's handed-over packets, in order (RX_OWNED) */
  uint32_t nowned = 0;
  size_t count = 0, off = 0;
  int err = 0;
  if (status < 0) {
    err = -status;
  } else if (events & UV_READABLE) {
#ifdef __linux__
    while (count < r->max_count && r->cap - off >= MAX_PACKET) {
      ssize_t n;
      struct virtio_net_hdr vh;
      /* into the slot when handing over, else straight into the batch buffer */
      uint8_t* dst = r->hand_over ? r->slot : r->buf + off;
      if (r->vnet_hdr) {
        struct iovec iov[2] = {{&vh, sizeof vh}, {dst, MAX_PACKET}};
        n = readv(r->fd, iov, 2);
        if (n >= 0) n = n < (ssize_t)sizeof vh ? 0 : n - (ssize_t)sizeof vh; /* a bare header: nothing */
      } else {
        n = read(r->fd, dst, MAX_PACKET);
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
        break;
      }
      if (n <= 0) break; /* end of file, or a bare header: nothing to deliver; epoll tells us if more */
      uint32_t what = 0;
      if (r->vnet_hdr) {
        /* the header is in this host's byte order: tun_is_little_endian() is the host's unless
         * TUNSETVNETLE, which we never set (legacy virtio is guest-native) */
        what = (uint32_t)vh.gso_size << 16;
        if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
          if (r->complete == COMPLETE_ALL || (r->complete == COMPLETE_EXCEPT_TCP && vh.csum_offset != TCP_CSUM_OFFSET)) {
            vnet_complete_checksum(dst, (size_t)n, vh.csum_start, vh.csum_offset);
            what |= RX_VALID;
          } else {
            what |= RX_PARTIAL;
          }
        } else if (vh.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
          what |= RX_VALID;
        }
      }
      if (dst != r->buf + off) {
        if ((size_t)n >= r->hand_over && hand_over(env, r, (size_t)n, &owned, &nowned)) {
          what |= RX_OWNED;
        } else {
          memcpy(r->buf + off, dst, (size_t)n);
          off += (size_t)n;
        }
      } else {
        off += (size_t)n;
      }
      if (r->info) r->info[count] = what;
      r->lengths[count++] = (uint32_t)n;
    }
#endif
  }
  if (count == 0 && err == 0) {
    napi_close_handle_scope(env, scope);
    return;
  }
  napi_value cb, recv, argv[3], result;
  if (napi_get_reference_value(env, r->cb_ref, &cb) == napi_ok && cb != NULL) {
    napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
    napi_create_uint32(env, (uint32_t)count, &argv[0]);
    napi_create_int32(env, err, &argv[1]);
    if (owned != NULL) argv[2] = owned;
    else napi_get_undefined(env, &argv[2]);
    /* napi_make_callback: like any I/O callback, it runs process.nextTick and microtasks after */
    napi_status s = napi_make_callback(env, r->async, recv, cb, 3, argv, &result);
    if (s == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
  }
  napi_close_handle_scope(env, scope);
}

static napi_value StartReading(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  uint8_t* buf = NULL;
  size_t cap = 0;
  uint8_t* lens = NULL;
  size_t lens_bytes = 0;
  bool vnet = false;
  napi_valuetype t;
  if (argc < 4 || !get_int(env, argv[0], &fd) || fd < 0 || !get_bytes(env, argv[1], &buf, &cap) ||
      !get_bytes(env, argv[2], &lens, &lens_bytes) || napi_typeof(env, argv[3], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "startReading(fd, buffer, lengths: Uint32Array, onBatch)");
    return NULL;
  }
  if (cap < MAX_PACKET || lens_bytes < 4 || ((uintptr_t)lens & 3) != 0) {
    napi_throw_range_error(env, "ERR_INVALID_ARG_VALUE", "startReading: buffer must hold at least 65600 bytes and lengths one u32");
    return NULL;
  }
  if (argc > 4) napi_get_value_bool(env, argv[4], &vnet);
  uint8_t* infos = NULL;
  size_t info_bytes = 0;
  if (argc > 5 && (!get_bytes(env, argv[5], &infos, &info_bytes) || info_bytes < lens_bytes || ((uintptr_t)infos & 3) != 0)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "startReading: info must be a Uint32Array as long as lengths");
    return NULL;
  }
  uint32_t hand = 0;
  if (argc > 6) napi_get_value_uint32(env, argv[6], &hand);
  Reader* r = calloc(1, sizeof *r);
  if (!r) return throw_errno(env, ENOMEM, "calloc", "reader");
  if (hand > 0) {
    r->pool = calloc(1, sizeof *r->pool);
    r->slot = r->pool ? malloc(SLOT_BYTES) : NULL;
    if (!r->slot) {
      free(r->pool);
      free(r);
      return throw_errno(env, ENOMEM, "malloc", "read slot");
    }
    r->hand_over = hand;
  }
  r->env = env;
  r->fd = fd;
  r->vnet_hdr = vnet;
  r->buf = buf;
  r->cap = cap;
  r->lengths = (uint32_t*)lens;
  r->info = (uint32_t*)infos;
  r->complete = COMPLETE_ALL;
  r->max_count = lens_bytes / 4 < MAX_BATCH ? lens_bytes / 4 : MAX_BATCH;
  CHECK(env, napi_create_reference(env, argv[1], 1, &r->buf_ref));
  CHECK(env, napi_create_reference(env, argv[2], 1, &r->len_ref));
  if (infos) CHECK(env, napi_create_reference(env, argv[5], 1, &r->info_ref));
  CHECK(env, napi_create_reference(env, argv[3], 1, &r->cb_ref));
  napi_value res_name;
  CHECK(env, napi_create_string_utf8(env, "synack:tun", NAPI_AUTO_LENGTH, &res_name));
  CHECK(env, napi_async_init(env, NULL, res_name, &r->async));
  uv_loop_t* loop;
  CHECK(env, napi_get_uv_event_loop(env, &loop));
  int rc = uv_poll_init(loop, &r->poll, fd);
  if (rc < 0) {
    reader_release(r);
    free(r->slot);
    if (r->pool) pool_close(r->pool);
    free(r);
    return throw_errno(env, -rc, "uv_poll_init", "tun fd");
  }
  r->poll.data = r;
  rc = uv_poll_start(&r->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    reader_release(r);
    uv_close((uv_handle_t*)&r->poll, on_closed);
    return throw_errno(env, -rc, "uv_poll_start", "tun fd");
  }
  napi_value handle;
  CHECK(env, napi_create_external(env, r, NULL, NULL, &handle));
  return handle;
}

static Reader* get_reader(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "expected a reader handle");
    return NULL;
  }
  return (Reader*)p;
}

static napi_value StopReading(napi_env env, napi_callback_info info) {
  Reader* r = get_reader(env, info);
  if (!r || r->stopped) return NULL;
  r->stopped = true;
  uv_poll_stop(&r->poll);
  reader_release(r);
  uv_close((uv_handle_t*)&r->poll, on_closed);
  return NULL;
}

static napi_value Ref(napi_env env, napi_callback_info info) {
  Reader* r = get_reader(env, info);
  if (r && !r->stopped) uv_ref((uv_handle_t*)&r->poll);
  return NULL;
}

static napi_value Unref(napi_env env, napi_callback_info info) {
  Reader* r = get_reader(env, info);
  if (r && !r->stopped) uv_unref((uv_handle_t*)&r->poll);
  return NULL;
}

static napi_value SetCompleteChecksums(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void* p = NULL;
  int32_t mode = COMPLETE_ALL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL || !get_int(env, argv[1], &mode) ||
      mode < COMPLETE_ALL || mode > COMPLETE_NONE) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "setCompleteChecksums(handle, mode: 0 | 1 | 2)");
    return NULL;
  }
  ((Reader*)p)->complete = mode;
  return NULL;
}

/* ===================== writing ===================== */

static napi_value WriteBatch(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1, count = 0;
  bool vnet = false;
  uint8_t* buf = NULL;
  size_t cap = 0;
  uint8_t* lens = NULL;
  size_t lens_bytes = 0;
  uint8_t* infos = NULL;
  size_t info_bytes = 0;
  if (argc < 4 || !get_int(env, argv[0], &fd) || fd < 0 || !get_bytes(env, argv[1], &buf, &cap) ||
      !get_bytes(env, argv[2], &lens, &lens_bytes) || !get_int(env, argv[3], &count) || count < 0 ||
      (size_t)count > lens_bytes / 4 || ((uintptr_t)lens & 3) != 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "writeBatch(fd, buffer, lengths: Uint32Array, count)");
    return NULL;
  }
  if (argc > 4) napi_get_value_bool(env, argv[4], &vnet);
  if (argc > 5 && (!get_bytes(env, argv[5], &infos, &info_bytes) || (size_t)count > info_bytes / 4 || ((uintptr_t)infos & 3) != 0)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "writeBatch: info must be a Uint32Array of at least count entries");
    return NULL;
  }
  const uint32_t* l = (const uint32_t*)lens;
  const uint32_t* in = (const uint32_t*)infos;
  size_t off = 0;
  int32_t written = 0, last_err = 0;
  for (int32_t i = 0; i < count; i++) {
    size_t n = l[i];
    if (off + n > cap) {
      last_err = EINVAL;
      break;
    }
#ifdef __linux__
    ssize_t w;
    if (vnet) {
      struct virtio_net_hdr vh;
      if (!vnet_tx_header(buf + off, n, in ? in[i] : 0, &vh)) {
        last_err = EINVAL; /* an offload asked for a packet that cannot have it: dropped */
        off += n;
        continue;
      }
      struct iovec iov[2] = {{&vh, sizeof vh}, {buf + off, n}};
      do w = writev(fd, iov, 2);
      while (w < 0 && errno == EINTR);
    } else {
      do w = write(fd, buf + off, n);
      while (w < 0 && errno == EINTR);
    }
    if (w < 0) {
      last_err = errno;
      if (errno == EBADF) break;
    } else {
      written++;
    }
#endif
    off += n;
  }
  /* one number, no array to allocate per batch: written + 65536 * errno */
  napi_value out;
  CHECK(env, napi_create_double(env, (double)written + 65536.0 * (double)last_err, &out));
  return out;
}

/* V8's count of external memory (napi_adjust_external_memory by 0): what the hand-over's
 * accounting is checked against in the tests */
static napi_value ExternalMemory(napi_env env, napi_callback_info info) {
  int64_t amount = 0;
  napi_value out;
  CHECK(env, napi_adjust_external_memory(env, 0, &amount));
  CHECK(env, napi_create_double(env, (double)amount, &out));
  return out;
}

/* ===================== module ===================== */

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"startReading", NULL, StartReading, NULL, NULL, NULL, napi_enumerable, NULL},
      {"stopReading", NULL, StopReading, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ref", NULL, Ref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"unref", NULL, Unref, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setCompleteChecksums", NULL, SetCompleteChecksums, NULL, NULL, NULL, napi_enumerable, NULL},
      {"writeBatch", NULL, WriteBatch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"externalMemory", NULL, ExternalMemory, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
