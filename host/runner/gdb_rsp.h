/*
 * gdb_rsp.h - a small client for the GDB Remote Serial Protocol, enough to
 * drive QEMU's gdbstub from the runner: packet framing and checksums, acks
 * with bounded retransmission, run-length decoding (gdb_rsp.c); registers,
 * memory, breakpoints, continue and stop replies (gdb_rsp_cmd.c). The stub
 * is not trusted: every buffer is bounded and every wait has a deadline.
 */
#ifndef PINPRICK_RUNNER_GDB_RSP_H
#define PINPRICK_RUNNER_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSP_DATA_MAX   16384 /* decoded bytes of one packet we accept */
#define RSP_IN_MAX     (2 * RSP_DATA_MAX + 64) /* raw bytes buffered */
#define RSP_RETRIES    3		       /* retransmissions after a '-' */
#define RSP_BAD_MAX    3   /* corrupt packets in a row before giving up */
#define RSP_PACKET_DEF 400 /* PacketSize when the stub names none */
#define RSP_PACKET_MIN 64

enum rsp_rc {
	RSP_OK = 0,
	RSP_ERR_IO = -1,	  /* read/write failed, or the stub hung up */
	RSP_ERR_TIMEOUT = -2,	  /* the deadline passed */
	RSP_ERR_PROTO = -3,	  /* malformed, oversized or corrupt packets */
	RSP_ERR_STUB = -4,	  /* the stub answered "Exx" */
	RSP_ERR_UNSUPPORTED = -5, /* the stub answered "" */
};

/* What rsp_scan found at the start of a buffer. */
enum rsp_tok {
	RSP_TOK_NONE,	/* nothing complete yet */
	RSP_TOK_ACK,	/* '+' */
	RSP_TOK_NAK,	/* '-' */
	RSP_TOK_PACKET, /* "$data#cs" with a good checksum, decoded */
	RSP_TOK_BAD,	/* a packet with a bad checksum or encoding */
	RSP_TOK_NOTIFY, /* "%notification#cs": ignored */
};

struct rsp {
	int fd;
	bool noack;	    /* QStartNoAckMode accepted */
	size_t packet_size; /* the stub's PacketSize */
	char in[RSP_IN_MAX];
	size_t in_len;
	bool have_pkt;		    /* pkt arrived while waiting for an ack */
	char pkt[RSP_DATA_MAX + 1]; /* last packet, decoded, terminated */
	size_t pkt_len;
	char out[2 * RSP_DATA_MAX + 8]; /* last packet sent, framed */
	size_t out_len;
	unsigned long sent, received, retransmits, bad_packets;
	char err[160];
};

/* A stop reply (S, T, W or X). */
struct rsp_stop {
	char kind;	 /* 'S', 'T' (stopped), 'W' (exited), 'X' (killed) */
	unsigned code;	 /* signal, or W's exit status */
	char reason[16]; /* T: "swbreak", "hwbreak", "watch", ... or "" */
	char thread[32]; /* T: "thread:" value, or "" */
};

/* ---- pure helpers (no I/O) ---------------------------------------------- */

uint8_t rsp_checksum(const char *data, size_t len);

/* Two hex digits at s: 0..255, or -1. */
int rsp_hex_byte(const char *s);

/* "$data#cs" with '$', '#', '}' and '*' escaped; length, or 0 if too big. */
size_t rsp_frame(char *out, size_t size, const char *data, size_t len);

/*
 * Looks at buf[0..len): skips junk, then reports one token and how many
 * bytes it used (*used; may be > 0 with RSP_TOK_NONE for skipped junk).
 * A packet's data is unescaped and run-length decoded into out (size
 * bytes, terminated), its length in *out_len.
 */
enum rsp_tok rsp_scan(const char *buf, size_t len, size_t *used, char *out,
		      size_t out_size, size_t *out_len);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void rsp_hex_encode(char *out, const uint8_t *in, size_t n);

/* Decodes hex_len digits ("xx" means unavailable: 0); bytes or -1. */
long rsp_hex_decode(uint8_t *out, size_t size, const char *hex, size_t hex_len);

uint64_t rsp_le64(const uint8_t *p);
void rsp_put_le64(uint8_t *p, uint64_t v);

/* Parses a stop reply; 0, 1 for "O" console output, -1 if malformed. */
int rsp_parse_stop(const char *pkt, size_t len, struct rsp_stop *st);

/* "Exx" -> RSP_ERR_STUB, "" -> RSP_ERR_UNSUPPORTED, else RSP_OK. */
int rsp_reply_rc(const char *pkt, size_t len);

/* ---- the connection ----------------------------------------------------- */

/* Records "what" in r->err and returns rc (for gdb_rsp_cmd.c too). */
int rsp_fail(struct rsp *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fd: a connected stream socket (made non-blocking here). */
void rsp_init(struct rsp *r, int fd);

/* Sends one packet and waits for its ack (retransmits on '-'). */
int rsp_send(struct rsp *r, const char *data, size_t len, uint64_t deadline);

/* Receives one packet into r->pkt (acks it). */
int rsp_recv(struct rsp *r, uint64_t deadline);

/* Without waiting: reads what is there; 1 if a packet is in r->pkt. */
int rsp_poll(struct rsp *r);

/* rsp_send + rsp_recv; the reply is in r->pkt. */
int rsp_cmd(struct rsp *r, const char *cmd, uint64_t deadline);

/* qSupported (PacketSize, QStartNoAckMode), then "?" into *st. */
int rsp_handshake(struct rsp *r, struct rsp_stop *st, uint64_t deadline);

/*
 * qXfer:features:read of annex (e.g. "target.xml") into buf, terminated,
 * cut at size - 1 bytes. QEMU answers 'p'/'P' only after a client has
 * read its target description.
 */
int rsp_read_features(struct rsp *r, const char *annex, char *buf, size_t size,
		      uint64_t deadline);

/* g / G: all registers as the stub lays them out. */
int rsp_read_regs(struct rsp *r, uint8_t *buf, size_t size, size_t *len,
		  uint64_t deadline);
int rsp_write_regs(struct rsp *r, const uint8_t *buf, size_t len,
		   uint64_t deadline);

/* p / P: register n. */
int rsp_read_reg(struct rsp *r, unsigned n, uint8_t *buf, size_t size,
		 size_t *len, uint64_t deadline);
int rsp_write_reg(struct rsp *r, unsigned n, const uint8_t *buf, size_t len,
		  uint64_t deadline);

/* m / M, in chunks that fit the stub's PacketSize. */
int rsp_read_mem(struct rsp *r, uint64_t addr, void *buf, size_t len,
		 uint64_t deadline);
int rsp_write_mem(struct rsp *r, uint64_t addr, const void *buf, size_t len,
		  uint64_t deadline);

/* Z / z: type 0 software, 1 hardware breakpoint; kind = length. */
int rsp_breakpoint(struct rsp *r, bool insert, unsigned type, uint64_t addr,
		   unsigned kind, uint64_t deadline);

/* "c": resumes; the stop reply comes later (rsp_poll / rsp_recv). */
int rsp_continue(struct rsp *r, uint64_t deadline);

/* Ctrl-C (0x03): asks a running target to stop. */
int rsp_interrupt(struct rsp *r, uint64_t deadline);

#endif
