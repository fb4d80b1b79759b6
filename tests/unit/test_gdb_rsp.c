/*
 * test_gdb_rsp.c - unit tests for the runner's gdb remote serial protocol
 * layer (gdb_rsp*.c).
 *
 * The runner plays the VMware balloon's host side by talking to QEMU's
 * gdbstub, so every register read and breakpoint goes through this code.
 * Covered here: packet framing, escapes and checksums, scanning a byte
 * stream with junk, partial packets and false starts, run-length
 * decoding, hex, stop replies, and the packet layer against a scripted
 * peer over a socketpair (naks and retransmission, a corrupt answer, a
 * peer that naks forever or stays silent, a packet that never ends,
 * no-ack mode).
 *
 * ELF lookup, profile keys and QEMU's arguments are in
 * test_gdb_rsp_setup.c; the bridge itself in test_gdb_rsp_bridge.c.
 */
#include "tests/unit/ut.h"

#include <sys/socket.h>
#include <unistd.h>

#include "host/runner/gdb_rsp.h"
#include "host/runner/util.h"

/* ---- framing, scanning, hex, stop replies ------------------------------- */

static enum rsp_tok scan(const char *s, size_t *used, char *out, size_t size)
{
	size_t len;

	return rsp_scan(s, strlen(s), used, out, size, &len);
}

/* "$data#cs" with the right checksum of the raw (encoded) data. */
static const char *pkt(const char *raw)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "$%s#%02x", raw,
		 rsp_checksum(raw, strlen(raw)));
	return buf;
}

static void test_frame_and_scan(void)
{
	char out[128], framed[64];
	const char data[] = "a#b$c}d*e";
	size_t used, n;

	UT_CHECK_EQ(rsp_checksum("OK", 2), 0x9a);
	UT_CHECK_EQ(rsp_frame(framed, sizeof(framed), "OK", 2), 6);
	UT_CHECK_STR(framed, "$OK#9a");
	n = rsp_frame(framed, sizeof(framed), data, sizeof(data) - 1);
	UT_CHECK(n > 0 && !strchr(framed + 1, '$'));
	UT_CHECK_EQ(scan(framed, &used, out, sizeof(out)), RSP_TOK_PACKET);
	UT_CHECK_EQ(used, n);
	UT_CHECK_STR(out, data);		       /* escapes undone */
	UT_CHECK_EQ(rsp_frame(framed, 6, "OK", 2), 0); /* no room for NUL */
	UT_CHECK_EQ(rsp_frame(framed, 7, "OK", 2), 6);

	UT_CHECK_EQ(scan("+", &used, out, sizeof(out)), RSP_TOK_ACK);
	UT_CHECK_EQ(scan("xyz-", &used, out, sizeof(out)), RSP_TOK_NAK);
	UT_CHECK_EQ(used, 4);
	UT_CHECK_EQ(scan("junk", &used, out, sizeof(out)), RSP_TOK_NONE);
	UT_CHECK_EQ(used, 4); /* junk is dropped */
	UT_CHECK_EQ(scan("$OK#9", &used, out, sizeof(out)), RSP_TOK_NONE);
	UT_CHECK_EQ(used, 0); /* kept until the rest arrives */
	UT_CHECK_EQ(scan("$OK#9A", &used, out, sizeof(out)), RSP_TOK_PACKET);
	UT_CHECK_EQ(scan("$OK#00", &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(used, 6);
	UT_CHECK_EQ(scan("$OK#zz", &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan("$ab$OK#9a", &used, out, sizeof(out)), RSP_TOK_NONE);
	UT_CHECK_EQ(used, 3); /* a restart: the first '$' was noise */
	UT_CHECK_EQ(scan("%Stop:T05#00", &used, out, sizeof(out)),
		    RSP_TOK_NOTIFY);

	/* run-length encoding: "0* " is 0 and 3 more */
	UT_CHECK_EQ(scan(pkt("0* 1"), &used, out, sizeof(out)), RSP_TOK_PACKET);
	UT_CHECK_STR(out, "00001");
	UT_CHECK_EQ(scan(pkt("x*~"), &used, out, 98), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("x*~"), &used, out, 99), RSP_TOK_PACKET);
	UT_CHECK_EQ(strlen(out), 98); /* '~' = 126: 97 more */
	UT_CHECK_EQ(scan(pkt("*  "), &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("a*\x1f"), &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("a*"), &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("a}"), &used, out, sizeof(out)), RSP_TOK_BAD);
	UT_CHECK_EQ(scan(pkt("abcd"), &used, out, 4), RSP_TOK_BAD);
}

static void test_hex(void)
{
	uint8_t b[8] = {0x01, 0xab, 0, 0xff}, d[8];
	char h[17];

	rsp_hex_encode(h, b, 4);
	UT_CHECK_STR(h, "01ab00ff");
	UT_CHECK_EQ(rsp_hex_decode(d, sizeof(d), "01AB00ff", 8), 4);
	UT_CHECK(!memcmp(b, d, 4));
	UT_CHECK_EQ(rsp_hex_decode(d, sizeof(d), "xx01", 4), 2);
	UT_CHECK_EQ(d[0], 0);
	UT_CHECK_EQ(rsp_hex_decode(d, sizeof(d), "012", 3), -1);
	UT_CHECK_EQ(rsp_hex_decode(d, sizeof(d), "0g", 2), -1);
	UT_CHECK_EQ(rsp_hex_decode(d, 1, "0102", 4), -1);
	UT_CHECK_EQ(rsp_hex_byte("7f"), 0x7f);
	UT_CHECK_EQ(rsp_hex_byte("7"), -1);
	rsp_put_le64(d, 0x1122334455667788ull);
	UT_CHECK_EQ(d[0], 0x88);
	UT_CHECK(rsp_le64(d) == 0x1122334455667788ull);
	UT_CHECK_EQ(rsp_reply_rc("", 0), RSP_ERR_UNSUPPORTED);
	UT_CHECK_EQ(rsp_reply_rc("E14", 3), RSP_ERR_STUB);
	UT_CHECK_EQ(rsp_reply_rc("OK", 2), RSP_OK);
	UT_CHECK_EQ(rsp_reply_rc("Exyz", 4), RSP_OK);
}

static int stop(const char *s, struct rsp_stop *st)
{
	return rsp_parse_stop(s, strlen(s), st);
}

static void test_stop_replies(void)
{
	struct rsp_stop st;
	char big[80];

	UT_CHECK_EQ(stop("S05", &st), 0);
	UT_CHECK(st.kind == 'S' && st.code == 5);
	UT_CHECK_EQ(stop("T05thread:p01.01;swbreak:;", &st), 0);
	UT_CHECK(st.kind == 'T' && st.code == 5);
	UT_CHECK_STR(st.thread, "p01.01");
	UT_CHECK_STR(st.reason, "swbreak");
	UT_CHECK_EQ(stop("T0206:0000000000000000;07:10;thread:01;", &st), 0);
	UT_CHECK(st.code == 2 && !strcmp(st.thread, "01") && !st.reason[0]);
	UT_CHECK_EQ(stop("T05", &st), 0);
	UT_CHECK_EQ(stop("W00", &st), 0);
	UT_CHECK(st.kind == 'W' && st.code == 0);
	UT_CHECK_EQ(stop("W01;process:42", &st), 0);
	UT_CHECK_EQ(stop("X09", &st), 0);
	UT_CHECK(st.kind == 'X' && st.code == 9);
	UT_CHECK_EQ(stop("O48690a", &st), 1); /* console output */
	UT_CHECK_EQ(stop("OK", &st), -1);
	UT_CHECK_EQ(stop("T5", &st), -1);
	UT_CHECK_EQ(stop("Q05", &st), -1);
	UT_CHECK_EQ(stop("S05x", &st), -1);
	UT_CHECK_EQ(stop("W00x", &st), -1);
	UT_CHECK_EQ(stop("T05thread", &st), -1);
	UT_CHECK_EQ(stop("T05;a:b", &st), -1);
	snprintf(big, sizeof(big), "T05thread:%060d;", 1);
	UT_CHECK_EQ(stop(big, &st), -1);
}

/* ---- the packet layer against a scripted peer --------------------------- */

static int pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
}

static void put(int fd, const char *s)
{
	UT_CHECK_EQ(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void test_rsp_io(void)
{
	static struct rsp r;
	char got[64] = "";
	int sv[2];

	UT_CHECK_EQ(pair(sv), 0);
	rsp_init(&r, sv[0]);
	/* a NAK, then an ack and the answer: retransmitted once */
	put(sv[1], "-+$OK#9a");
	UT_CHECK_EQ(rsp_cmd(&r, "Hg0", util_now_ms() + 500), RSP_OK);
	UT_CHECK_STR(r.pkt, "OK");
	UT_CHECK_EQ(r.retransmits, 1);
	UT_CHECK(read(sv[1], got, sizeof(got) - 1) > 0);
	UT_CHECK(strstr(got, "$Hg0#") && strstr(strstr(got, "#") + 1, "$Hg0#"));
	UT_CHECK(strchr(got, '+') != NULL); /* the answer was acked */
	/* a corrupt answer is refused ('-'), the retransmission taken */
	put(sv[1], "+$OK#00$OK#9a");
	UT_CHECK_EQ(rsp_cmd(&r, "?", util_now_ms() + 500), RSP_OK);
	UT_CHECK_EQ(r.bad_packets, 1);
	/* NAKed forever: bounded */
	put(sv[1], "----------");
	UT_CHECK_EQ(rsp_send(&r, "g", 1, util_now_ms() + 500), RSP_ERR_PROTO);
	/* silence: the deadline */
	UT_CHECK_EQ(rsp_recv(&r, util_now_ms() + 50), RSP_ERR_TIMEOUT);
	UT_CHECK_EQ(rsp_poll(&r), 0);
	/* a packet that never ends cannot overflow the buffer */
	{
		static char flood[RSP_IN_MAX + 64];

		memset(flood, 'a', sizeof(flood) - 1);
		flood[0] = '$';
		put(sv[1], flood);
		UT_CHECK_EQ(rsp_recv(&r, util_now_ms() + 500), RSP_ERR_PROTO);
	}
	close(sv[1]);
	rsp_init(&r, sv[0]);
	UT_CHECK_EQ(rsp_recv(&r, util_now_ms() + 500), RSP_ERR_IO);
	close(sv[0]);

	/* after QStartNoAckMode: no acks either way, no second chances */
	UT_CHECK_EQ(pair(sv), 0);
	rsp_init(&r, sv[0]);
	r.noack = true;
	put(sv[1], "$OK#9a");
	UT_CHECK_EQ(rsp_cmd(&r, "Hg0", util_now_ms() + 500), RSP_OK);
	memset(got, 0, sizeof(got));
	UT_CHECK(read(sv[1], got, sizeof(got) - 1) > 0);
	UT_CHECK_STR(got, "$Hg0#df");
	put(sv[1], "$OK#00");
	UT_CHECK_EQ(rsp_cmd(&r, "?", util_now_ms() + 500), RSP_ERR_PROTO);
	close(sv[0]);
	close(sv[1]);
}

UT_MAIN(UT_TEST(test_frame_and_scan), UT_TEST(test_hex),
	UT_TEST(test_stop_replies), UT_TEST(test_rsp_io))
