/*
 * gdb_rsp.c - the packet layer of the GDB Remote Serial Protocol client
 * (see gdb_rsp.h). The bytes from the stub go into one bounded buffer and
 * are cut into tokens by rsp_scan(), a pure function the unit tests feed
 * directly; everything that waits goes through rsp_fill()/rsp_write(),
 * which poll() against a deadline on the monotonic clock.
 */
#include "host/runner/gdb_rsp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "host/runner/util.h"

#define RSP_NAKED 1 /* rsp_wait_ack: the stub asked for the packet again */
#define RSP_AGAIN 2 /* rsp_fill without waiting: nothing there yet */

int rsp_fail(struct rsp *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- pure helpers ------------------------------------------------------- */

uint8_t rsp_checksum(const char *data, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + (uint8_t)data[i]);
	return sum;
}

static int rsp_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int rsp_hex_byte(const char *s)
{
	int hi = rsp_hexval(s[0]), lo = hi < 0 ? -1 : rsp_hexval(s[1]);

	return lo < 0 ? -1 : hi << 4 | lo;
}

size_t rsp_frame(char *out, size_t size, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	uint8_t sum;

	if (size < 5)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		bool esc = c == '$' || c == '#' || c == '}' || c == '*';

		if (o + (esc ? 2 : 1) + 4 > size)
			return 0;
		if (esc) {
			out[o++] = '}';
			c ^= 0x20;
		}
		out[o++] = c;
	}
	sum = rsp_checksum(out + 1, o - 1);
	out[o++] = '#';
	out[o++] = hex[sum >> 4];
	out[o++] = hex[sum & 15];
	out[o] = '\0';
	return o;
}

/* Unescapes '}' and expands "c*n" runs (n - 29 more copies of c). */
static int rsp_decode(const char *s, size_t n, char *out, size_t size,
		      size_t *out_len)
{
	size_t o = 0;

	if (!size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '*') {
			unsigned reps;

			if (!o || ++i == n || s[i] < 32 || s[i] > 126)
				return -1;
			reps = (unsigned)(s[i] - 29);
			if (o + reps >= size)
				return -1;
			memset(out + o, out[o - 1], reps);
			o += reps;
			continue;
		}
		if (c == '}') {
			if (++i == n)
				return -1;
			c = (char)(s[i] ^ 0x20);
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	*out_len = o;
	return 0;
}

enum rsp_tok rsp_scan(const char *buf, size_t len, size_t *used, char *out,
		      size_t out_size, size_t *out_len)
{
	size_t i = 0, start, end;
	const char *hash;
	int cs;

	*out_len = 0;
	while (i < len && !strchr("$%+-", buf[i] ? buf[i] : 'x'))
		i++;
	*used = i;
	if (i == len)
		return RSP_TOK_NONE;
	*used = i + 1;
	if (buf[i] == '+')
		return RSP_TOK_ACK;
	if (buf[i] == '-')
		return RSP_TOK_NAK;
	start = i + 1;
	/* A second '$' before the '#': the first start was noise. */
	for (end = start; end < len && buf[end] != '#'; end++) {
		if (buf[end] == '$') {
			*used = end;
			return RSP_TOK_NONE;
		}
	}
	hash = end < len ? buf + end : NULL;
	if (!hash || end + 2 >= len) {
		*used = i;
		return RSP_TOK_NONE;
	}
	*used = end + 3;
	if (buf[i] == '%')
		return RSP_TOK_NOTIFY;
	cs = rsp_hex_byte(hash + 1);
	if (cs < 0 || cs != rsp_checksum(buf + start, end - start) ||
	    rsp_decode(buf + start, end - start, out, out_size, out_len))
		return RSP_TOK_BAD;
	return RSP_TOK_PACKET;
}

void rsp_hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

long rsp_hex_decode(uint8_t *out, size_t size, const char *hex, size_t hex_len)
{
	size_t n = hex_len / 2;

	if (hex_len % 2 || n > size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = rsp_hex_byte(hex + 2 * i);

		if (v < 0 && hex[2 * i] == 'x' && hex[2 * i + 1] == 'x')
			v = 0; /* register not available */
		if (v < 0)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)n;
}

uint64_t rsp_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void rsp_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

int rsp_reply_rc(const char *pkt, size_t len)
{
	if (!len)
		return RSP_ERR_UNSUPPORTED;
	if (len == 3 && pkt[0] == 'E' && rsp_hex_byte(pkt + 1) >= 0)
		return RSP_ERR_STUB;
	return RSP_OK;
}

/* ---- the connection ----------------------------------------------------- */

void rsp_init(struct rsp *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->packet_size = RSP_PACKET_DEF;
	if (fd >= 0)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Waits for fd to be ready for events; RSP_OK or RSP_ERR_TIMEOUT/IO. */
static int rsp_wait(struct rsp *r, short events, uint64_t deadline)
{
	struct pollfd p = {.fd = r->fd, .events = events};
	uint64_t now = util_now_ms();
	int n;

	if (now >= deadline)
		return rsp_fail(r, RSP_ERR_TIMEOUT, "no answer from the stub");
	n = poll(&p, 1, (int)(deadline - now > 1000 ? 1000 : deadline - now));
	if (n < 0 && errno != EINTR)
		return rsp_fail(r, RSP_ERR_IO, "poll: %s", strerror(errno));
	return RSP_OK;
}

static int rsp_write(struct rsp *r, const char *buf, size_t len,
		     uint64_t deadline)
{
	while (len) {
		ssize_t n = send(r->fd, buf, len, MSG_NOSIGNAL);
		int rc;

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			return rsp_fail(r, RSP_ERR_IO, "send: %s",
					strerror(errno));
		rc = rsp_wait(r, POLLOUT, deadline);
		if (rc)
			return rc;
	}
	return RSP_OK;
}

/* Reads what is there; if nothing is, waits until deadline, or returns
 * RSP_AGAIN at once when deadline is 0. */
static int rsp_fill(struct rsp *r, uint64_t deadline)
{
	if (r->in_len == sizeof(r->in))
		return rsp_fail(r, RSP_ERR_PROTO,
				"packet longer than %d bytes from the stub",
				RSP_IN_MAX);
	for (;;) {
		ssize_t n = read(r->fd, r->in + r->in_len,
				 sizeof(r->in) - r->in_len);
		int rc;

		if (n > 0) {
			r->in_len += (size_t)n;
			return RSP_OK;
		}
		if (n == 0)
			return rsp_fail(r, RSP_ERR_IO,
					"the stub closed the connection");
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return rsp_fail(r, RSP_ERR_IO, "read: %s",
					strerror(errno));
		if (errno == EINTR)
			continue;
		if (!deadline)
			return RSP_AGAIN;
		rc = rsp_wait(r, POLLIN, deadline);
		if (rc)
			return rc;
	}
}

static enum rsp_tok rsp_next(struct rsp *r, char *out, size_t size, size_t *len)
{
	enum rsp_tok t;
	size_t used;

	do { /* skipped noise may hide a whole token behind it */
		t = rsp_scan(r->in, r->in_len, &used, out, size, len);
		memmove(r->in, r->in + used, r->in_len - used);
		r->in_len -= used;
	} while (t == RSP_TOK_NONE && used && r->in_len);
	if (t == RSP_TOK_PACKET)
		r->received++;
	else if (t == RSP_TOK_BAD)
		r->bad_packets++;
	return t;
}

/* Acks (or refuses) a packet we received, unless acks are off. */
static int rsp_ack(struct rsp *r, bool good, uint64_t deadline)
{
	return r->noack ? RSP_OK : rsp_write(r, good ? "+" : "-", 1, deadline);
}

/* After a send: RSP_OK on '+', RSP_NAKED on '-'. A packet that arrives
 * first is kept for rsp_recv. */
static int rsp_wait_ack(struct rsp *r, uint64_t deadline)
{
	unsigned bad = 0;
	char junk[8];
	size_t len;
	int rc;

	for (;;) {
		enum rsp_tok t =
			r->have_pkt ? rsp_next(r, junk, sizeof(junk), &len)
				    : rsp_next(r, r->pkt, sizeof(r->pkt), &len);

		switch (t) {
		case RSP_TOK_ACK:
			return RSP_OK;
		case RSP_TOK_NAK:
			return RSP_NAKED;
		case RSP_TOK_PACKET:
		case RSP_TOK_BAD:
			if (r->have_pkt || (t == RSP_TOK_BAD && ++bad > 1))
				return rsp_fail(r, RSP_ERR_PROTO,
						"unexpected packets before "
						"the ack");
			if (t == RSP_TOK_PACKET) {
				r->have_pkt = true;
				r->pkt_len = len;
			}
			rc = rsp_ack(r, t == RSP_TOK_PACKET, deadline);
			break;
		case RSP_TOK_NOTIFY:
			rc = RSP_OK;
			break;
		case RSP_TOK_NONE:
		default:
			rc = rsp_fill(r, deadline);
			break;
		}
		if (rc)
			return rc;
	}
}

int rsp_send(struct rsp *r, const char *data, size_t len, uint64_t deadline)
{
	unsigned tries = 0;
	int rc;

	r->out_len = rsp_frame(r->out, sizeof(r->out), data, len);
	if (!r->out_len)
		return rsp_fail(r, RSP_ERR_PROTO, "packet too large to send");
	for (;;) {
		rc = rsp_write(r, r->out, r->out_len, deadline);
		if (rc)
			return rc;
		r->sent++;
		if (r->noack)
			return RSP_OK;
		rc = rsp_wait_ack(r, deadline);
		if (rc != RSP_NAKED)
			return rc;
		if (++tries > RSP_RETRIES)
			return rsp_fail(r, RSP_ERR_PROTO,
					"the stub refused a packet %u times",
					tries);
		r->retransmits++;
	}
}

/* rsp_recv; wait false: RSP_AGAIN at once if no whole packet is there. */
static int rsp_recv_packet(struct rsp *r, bool wait, uint64_t deadline)
{
	unsigned bad = 0;
	size_t len;
	int rc;

	if (r->have_pkt) {
		r->have_pkt = false;
		return RSP_OK;
	}
	for (;;) {
		switch (rsp_next(r, r->pkt, sizeof(r->pkt), &len)) {
		case RSP_TOK_PACKET:
			r->pkt_len = len;
			return rsp_ack(r, true, deadline);
		case RSP_TOK_BAD:
			if (r->noack || ++bad > RSP_BAD_MAX)
				return rsp_fail(r, RSP_ERR_PROTO,
						"corrupt packets from the "
						"stub");
			rc = rsp_ack(r, false, deadline);
			break;
		case RSP_TOK_NONE:
			rc = rsp_fill(r, wait ? deadline : 0);
			break;
		default: /* stray acks, notifications */
			rc = RSP_OK;
			break;
		}
		if (rc)
			return rc;
	}
}

int rsp_recv(struct rsp *r, uint64_t deadline)
{
	return rsp_recv_packet(r, true, deadline);
}

int rsp_poll(struct rsp *r)
{
	/* never waits for input; an ack may take up to a second to send */
	int rc = rsp_recv_packet(r, false, util_now_ms() + 1000);

	return rc == RSP_OK ? 1 : rc == RSP_AGAIN ? 0 : rc;
}

int rsp_cmd(struct rsp *r, const char *cmd, uint64_t deadline)
{
	int rc = rsp_send(r, cmd, strlen(cmd), deadline);

	return rc ? rc : rsp_recv(r, deadline);
}

int rsp_interrupt(struct rsp *r, uint64_t deadline)
{
	return rsp_write(r, "\x03", 1, deadline);
}
