/*
 * gdb_rsp_cmd.c - the RSP commands the runner uses (see gdb_rsp.h), on top
 * of the packet layer in gdb_rsp.c: the handshake, the target description,
 * registers, memory in chunks that fit the stub's PacketSize, breakpoints,
 * continue, and parsing stop replies. Every answer is checked before use.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/runner/gdb_rsp.h"
#include "host/runner/util.h"

static const char *const rsp_reasons[] = {
	"watch", "rwatch", "awatch", "swbreak",	  "hwbreak", "library",
	"fork",	 "vfork",  "exec",   "replaylog", "create",  "vforkdone",
};

/* T's "n:r;" pairs: registers (ignored), thread, and a stop reason. */
static int rsp_parse_pairs(const char *s, const char *end, struct rsp_stop *st)
{
	while (s < end) {
		const char *semi = memchr(s, ';', (size_t)(end - s));
		const char *colon = memchr(s, ':', (size_t)(end - s));
		size_t klen, vlen;

		if (!semi)
			semi = end;
		if (!colon || colon > semi)
			return -1;
		klen = (size_t)(colon - s);
		vlen = (size_t)(semi - colon - 1);
		if (klen == 6 && !memcmp(s, "thread", 6)) {
			if (vlen >= sizeof(st->thread))
				return -1;
			memcpy(st->thread, colon + 1, vlen);
			st->thread[vlen] = '\0';
		}
		for (size_t i = 0; i < ARRAY_SIZE(rsp_reasons); i++)
			if (!st->reason[0] && klen == strlen(rsp_reasons[i]) &&
			    !memcmp(s, rsp_reasons[i], klen))
				util_strlcpy(st->reason, rsp_reasons[i],
					     sizeof(st->reason));
		s = semi + 1;
	}
	return 0;
}

int rsp_parse_stop(const char *pkt, size_t len, struct rsp_stop *st)
{
	int code;

	memset(st, 0, sizeof(*st));
	if (len >= 3 && pkt[0] == 'O' && len % 2) {
		for (size_t i = 1; i < len; i++)
			if (!isxdigit((unsigned char)pkt[i]))
				return -1;
		return 1;
	}
	if (len < 3 || !strchr("STWX", pkt[0] ? pkt[0] : 'x'))
		return -1;
	code = rsp_hex_byte(pkt + 1);
	if (code < 0)
		return -1;
	st->kind = pkt[0];
	st->code = (unsigned)code;
	if (pkt[0] == 'T')
		return rsp_parse_pairs(pkt + 3, pkt + len, st);
	/* S has nothing more; W and X may add ";process:pid" */
	return len == 3 || (pkt[0] != 'S' && pkt[3] == ';') ? 0 : -1;
}

/* A command whose only good answer is "OK". */
static int rsp_cmd_ok(struct rsp *r, const char *cmd, uint64_t deadline)
{
	int rc = rsp_cmd(r, cmd, deadline);

	if (rc)
		return rc;
	rc = rsp_reply_rc(r->pkt, r->pkt_len);
	if (rc || strcmp(r->pkt, "OK"))
		return rsp_fail(r, rc ? rc : RSP_ERR_PROTO,
				"'%.20s' answered '%.20s'", cmd, r->pkt);
	return RSP_OK;
}

int rsp_handshake(struct rsp *r, struct rsp_stop *st, uint64_t deadline)
{
	bool noack = false;
	int rc = rsp_cmd(r, "qSupported:swbreak+;hwbreak+", deadline);

	if (rc)
		return rc;
	for (char *save = NULL, *f = strtok_r(r->pkt, ";", &save); f;
	     f = strtok_r(NULL, ";", &save)) {
		unsigned long v;
		char *end;

		if (!strncmp(f, "PacketSize=", 11)) {
			errno = 0;
			v = strtoul(f + 11, &end, 16);
			if (!errno && !*end && v >= RSP_PACKET_MIN)
				r->packet_size =
					v > RSP_DATA_MAX ? RSP_DATA_MAX : v;
		}
		noack |= !strcmp(f, "QStartNoAckMode+");
	}
	if (noack && !rsp_cmd_ok(r, "QStartNoAckMode", deadline))
		r->noack = true;
	rc = rsp_cmd(r, "?", deadline);
	if (rc)
		return rc;
	if (rsp_parse_stop(r->pkt, r->pkt_len, st))
		return rsp_fail(r, RSP_ERR_PROTO, "bad stop reply '%.40s'",
				r->pkt);
	return RSP_OK;
}

int rsp_read_features(struct rsp *r, const char *annex, char *buf, size_t size,
		      uint64_t deadline)
{
	size_t have = 0;
	char cmd[128];
	int rc;

	buf[0] = '\0';
	for (;;) {
		snprintf(cmd, sizeof(cmd), "qXfer:features:read:%.64s:%zx,%zx",
			 annex, have, r->packet_size - 8);
		rc = rsp_cmd(r, cmd, deadline);
		if (!rc && (rc = rsp_reply_rc(r->pkt, r->pkt_len)))
			rsp_fail(r, rc, "'%.40s' answered '%.20s'", cmd,
				 r->pkt);
		if (rc)
			return rc;
		if (r->pkt[0] != 'm' && r->pkt[0] != 'l')
			return rsp_fail(r, RSP_ERR_PROTO, "bad qXfer answer");
		if (r->pkt_len > 1 && have + 1 < size) {
			size_t n = r->pkt_len - 1;

			if (n > size - 1 - have)
				n = size - 1 - have;
			memcpy(buf + have, r->pkt + 1, n);
			buf[have += n] = '\0';
		}
		if (r->pkt[0] == 'l' || r->pkt_len == 1 || have + 1 >= size)
			return RSP_OK;
	}
}

/* Sends cmd and hex-decodes the answer into buf. */
static int rsp_cmd_hex(struct rsp *r, const char *cmd, uint8_t *buf,
		       size_t size, size_t *len, uint64_t deadline)
{
	int rc = rsp_cmd(r, cmd, deadline);
	long n;

	if (!rc && (rc = rsp_reply_rc(r->pkt, r->pkt_len)))
		return rsp_fail(r, rc, "'%.20s' answered '%.20s'", cmd, r->pkt);
	if (rc)
		return rc;
	n = rsp_hex_decode(buf, size, r->pkt, r->pkt_len);
	if (n <= 0)
		return rsp_fail(r, RSP_ERR_PROTO, "bad answer to '%.20s'", cmd);
	*len = (size_t)n;
	return RSP_OK;
}

int rsp_read_regs(struct rsp *r, uint8_t *buf, size_t size, size_t *len,
		  uint64_t deadline)
{
	return rsp_cmd_hex(r, "g", buf, size, len, deadline);
}

/* cmd (a prefix) followed by the hex of buf[0..len) must get "OK". */
static int rsp_cmd_hex_ok(struct rsp *r, const char *prefix, const uint8_t *buf,
			  size_t len, uint64_t deadline)
{
	char cmd[RSP_DATA_MAX];
	size_t p = strlen(prefix);

	if (p + 2 * len + 1 > sizeof(cmd) || p + 2 * len > r->packet_size)
		return rsp_fail(r, RSP_ERR_PROTO, "'%s' packet too large",
				prefix);
	memcpy(cmd, prefix, p);
	rsp_hex_encode(cmd + p, buf, len);
	return rsp_cmd_ok(r, cmd, deadline);
}

int rsp_write_regs(struct rsp *r, const uint8_t *buf, size_t len,
		   uint64_t deadline)
{
	return rsp_cmd_hex_ok(r, "G", buf, len, deadline);
}

int rsp_read_reg(struct rsp *r, unsigned n, uint8_t *buf, size_t size,
		 size_t *len, uint64_t deadline)
{
	char cmd[16];

	snprintf(cmd, sizeof(cmd), "p%x", n);
	return rsp_cmd_hex(r, cmd, buf, size, len, deadline);
}

int rsp_write_reg(struct rsp *r, unsigned n, const uint8_t *buf, size_t len,
		  uint64_t deadline)
{
	char prefix[16];

	snprintf(prefix, sizeof(prefix), "P%x=", n);
	return rsp_cmd_hex_ok(r, prefix, buf, len, deadline);
}

int rsp_read_mem(struct rsp *r, uint64_t addr, void *buf, size_t len,
		 uint64_t deadline)
{
	size_t chunk = r->packet_size / 2, got;
	uint8_t *p = buf;
	char cmd[48];
	int rc;

	if (addr + len < addr)
		return rsp_fail(r, RSP_ERR_PROTO, "address range wraps");
	while (len) {
		size_t n = len < chunk ? len : chunk;

		snprintf(cmd, sizeof(cmd), "m%llx,%zx",
			 (unsigned long long)addr, n);
		rc = rsp_cmd_hex(r, cmd, p, n, &got, deadline);
		if (rc)
			return rc;
		addr += got; /* a stub may answer short: ask for the rest */
		p += got;
		len -= got;
	}
	return RSP_OK;
}

int rsp_write_mem(struct rsp *r, uint64_t addr, const void *buf, size_t len,
		  uint64_t deadline)
{
	size_t chunk = (r->packet_size - 32) / 2; /* room for "Maddr,len:" */
	const uint8_t *p = buf;
	char prefix[48];
	int rc;

	if (addr + len < addr)
		return rsp_fail(r, RSP_ERR_PROTO, "address range wraps");
	while (len) {
		size_t n = len < chunk ? len : chunk;

		snprintf(prefix, sizeof(prefix),
			 "M%llx,%zx:", (unsigned long long)addr, n);
		rc = rsp_cmd_hex_ok(r, prefix, p, n, deadline);
		if (rc)
			return rc;
		addr += n;
		p += n;
		len -= n;
	}
	return RSP_OK;
}

int rsp_breakpoint(struct rsp *r, bool insert, unsigned type, uint64_t addr,
		   unsigned kind, uint64_t deadline)
{
	char cmd[48];

	snprintf(cmd, sizeof(cmd), "%c%u,%llx,%x", insert ? 'Z' : 'z', type,
		 (unsigned long long)addr, kind);
	return rsp_cmd_ok(r, cmd, deadline);
}

int rsp_continue(struct rsp *r, uint64_t deadline)
{
	return rsp_send(r, "c", 1, deadline);
}
