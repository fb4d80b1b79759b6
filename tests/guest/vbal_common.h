/*
 * vbal_common.h - what the virtio-balloon suites share: the one driver
 * instance, bring-up in each notification mode, the host's verbs over the
 * control channel, following a target, and the accounting cross-check.
 */
#ifndef PINPRICK_VBAL_COMMON_H
#define PINPRICK_VBAL_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/virtio/virtio_balloon.h"

#define VBT_CTL_WAIT (5 * 1000000000ull)

extern struct vbal vbt;
extern struct virtio_dev *vbt_dev; /* the balloon, or NULL */
extern uint32_t vbt_poison_val;	   /* for the next vbt_up; default 0 */

/* Find the balloon; false (after a skip naming what) if there is none. */
bool vbt_present(const char *what);
/* The default mode: a line interrupt when one is routable, else polling. */
enum virtio_irq_mode vbt_default_mode(void);
/* Bring the driver up; reports a failed check (naming why) on error. */
bool vbt_up(uint64_t features_off, enum virtio_irq_mode mode);
void vbt_down(void);

/* The host side. false (after a skip naming what) when unavailable. */
bool vbt_host(const char *what);
uint64_t vbt_ram(void); /* guest RAM as QEMU counts it, from query-balloon */
bool vbt_set_target(uint64_t pages); /* QMP balloon to RAM - pages */
bool vbt_query(uint64_t *guest_bytes);
bool vbt_rss(uint64_t *rss);
/* Any verb; the reply goes to reply. */
bool vbt_ask(const char *verb, const char *args, char *reply, unsigned len);
/* "key=N" out of a "k=v k=v" payload. */
bool vbt_kv(const char *s, const char *key, uint64_t *v);

/*
 * Service and step the balloon until num_pages == want and the balloon
 * has reached it (or stopped short at the reserve), or timeout. True when
 * it got there.
 */
bool vbt_follow(uint64_t want, uint64_t timeout_ns);

/* vbal_check(exclusive) as a check. */
void vbt_check_accounting(const char *when);

/* A workload takes every page above the reserve; release gives them back. */
uint64_t vbt_workload_take_all(uint64_t *pages);
void vbt_workload_release(uint64_t head);

/* Touch every page currently free (so the host has it resident). */
void vbt_dirty_free_memory(uint8_t pattern);

#endif
