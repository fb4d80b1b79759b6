/*
 * vmw_proto.h - the numbers of the VMware balloon protocol.
 *
 * Commands (ECX), status codes (EAX), capability bits and the batch-page
 * entry layout, shared by the guest driver (drivers/vmware/) and the host
 * reference model (host/vmw/). Sources and caveats for each value:
 * ../shared/reference/vmware-balloon.md sections 2-5.
 */
#ifndef PINPRICK_VMW_PROTO_H
#define PINPRICK_VMW_PROTO_H

/* Balloon commands (ECX) and status codes (EAX). */
enum vmw_cmd {
	VMW_CMD_START = 0,
	VMW_CMD_GET_TARGET = 1,
	VMW_CMD_LOCK = 2,
	VMW_CMD_UNLOCK = 3,
	VMW_CMD_GUEST_ID = 4,
	VMW_CMD_BATCHED_LOCK = 6,
	VMW_CMD_BATCHED_UNLOCK = 7,
	VMW_CMD_BATCHED_2M_LOCK = 8,
	VMW_CMD_BATCHED_2M_UNLOCK = 9,
	VMW_CMD_VMCI_DOORBELL_SET = 10,
	VMW_CMD_NR = 11,
};

enum vmw_status {
	VMW_OK = 0,
	VMW_ERROR_CMD_INVALID = 1,
	VMW_ERROR_PPN_INVALID = 2,
	VMW_ERROR_PPN_LOCKED = 3,
	VMW_ERROR_PPN_UNLOCKED = 4,
	VMW_ERROR_PPN_PINNED = 5,
	VMW_ERROR_PPN_NOTNEEDED = 6,
	VMW_ERROR_RESET = 7,
	VMW_ERROR_BUSY = 8,
	VMW_SUCCESS_WITH_CAPABILITIES = 0x03000000,
};

/* Capabilities (START argument and result). */
#define VMW_CAP_BASIC (1u << 1)
#define VMW_CAP_BATCHED (1u << 2)
#define VMW_CAP_BATCHED_2M (1u << 3)
#define VMW_CAP_SIGNALLED_WAKEUP (1u << 4)
#define VMW_CAP_64_BIT_TARGET (1u << 5)

#define VMW_BATCH_MAX 512	    /* entries in one batch page */
#define VMW_BATCH_STATUS_MASK 0x1full /* bits 4..0, written by the host */
#define VMW_BATCH_RSVD_MASK 0xfe0ull  /* bits 11..5, must be 0 */
#define VMW_2M_FRAMES 512

#endif
