/*
 * vmw_balloon_int.h - what the two halves of the VMware balloon driver
 * share: vmw_balloon.c (the call, START, targets) and vmw_balloon_ops.c
 * (the inflate/deflate rounds and page tracking). Not for other users:
 * they see struct balloon (kernel/balloon.h) and vmw_balloon.h.
 */
#ifndef PINPRICK_VMW_BALLOON_INT_H
#define PINPRICK_VMW_BALLOON_INT_H

#include "drivers/vmware/vmw_balloon.h"

#define VMW_FRAMES(order) (1ull << (order))

/* The struct balloon ops; inflate, deflate, reset: vmw_balloon_ops.c. */
extern const struct balloon_ops vmw_balloon_ops;
int64_t vmw_inflate(struct balloon *b, uint64_t n);
int64_t vmw_deflate(struct balloon *b, uint64_t n);
int vmw_reset(struct balloon *b);

/*
 * One balloon command: fills the registers (§1), retries BUSY, adopts the
 * target on success (§8), flags RESET. Batched commands send vb->pend[].
 * Returns the final status; *result gets ECX for START, RBX otherwise.
 */
uint32_t vmw_cmd(struct vmw_balloon *vb, unsigned cmd, uint64_t arg1,
		 uint64_t arg2, uint64_t *result);
bool vmw_cmd_is_batched(unsigned cmd);

/* Count one protocol error in a vmw stat and in b.counters.errors. */
void vmw_note_error(struct vmw_balloon *vb, uint64_t *which);

/* Tracking slot i of one page size; free every page without UNLOCK. */
uint64_t *vmw_slot(struct vmw_balloon *vb, unsigned order, uint64_t i);
void vmw_drop_all(struct vmw_balloon *vb);

/* Every op: START first if needed; afterwards act on a RESET seen. */
int vmw_op_begin(struct vmw_balloon *vb);
int vmw_op_end(struct vmw_balloon *vb, int rc);

/* Refresh b.shortfall: blocked = the allocator or tracking said no. */
void vmw_note_shortfall(struct vmw_balloon *vb, bool blocked, uint64_t refused);

#endif
