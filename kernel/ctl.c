/*
 * ctl.c - send a request line on COM2 and wait, bounded, for its answer.
 *
 * Polled like the console: no interrupt handler, so a misbehaving runner
 * cannot wedge the kernel. Lines with another id, or that are not answers
 * at all, are skipped; an over-long line is discarded whole.
 */
#include "kernel/ctl.h"
#include "kernel/printf.h"
#include "kernel/serial.h"
#include "kernel/string.h"
#include "kernel/time.h"
#include "kernel/x86.h"

static uint32_t next_id = 1;
static enum { UNTRIED, CONNECTED, ABSENT } state;
static const char *absent_reason = "control channel not tried";
char ctl_peer[64];

const char *ctl_status_name(int status)
{
	switch (status) {
	case CTL_OK:
		return "ok";
	case CTL_ERR:
		return "refused";
	case CTL_TIMEOUT:
		return "timed out";
	case CTL_NO_CHANNEL:
		return "no control channel";
	default:
		return "bad reply";
	}
}

bool ctl_poll_line(struct ctl_rx *rx)
{
	int c;

	while ((c = uart_getc(&com2)) >= 0) {
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (rx->n + 1 < sizeof(rx->line))
				rx->line[rx->n++] = (char)c;
			else
				rx->overflow = true;
			continue;
		}
		rx->line[rx->n] = '\0';
		rx->n = 0;
		if (rx->overflow) { /* drop it, keep reading */
			rx->overflow = false;
			continue;
		}
		return true;
	}
	return false;
}

/* One whole line in rx before deadline; false on timeout. */
static bool read_line(struct ctl_rx *rx, uint64_t deadline)
{
	while (!ctl_poll_line(rx)) {
		if (time_ns() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

static int parse_answer(const char *line, uint32_t id, char *reply,
			size_t reply_len)
{
	char want[24];
	size_t wl = (size_t)ksnprintf(want, sizeof(want), "PP! %u ", id);
	const char *rest = line + wl;

	if (strncmp(line, want, wl))
		return 1; /* not ours */
	if (!strncmp(rest, "ok", 2) && (rest[2] == '\0' || rest[2] == ' ')) {
		if (reply)
			strlcpy(reply, rest[2] ? rest + 3 : "", reply_len);
		return CTL_OK;
	}
	if (!strncmp(rest, "err", 3) && (rest[3] == '\0' || rest[3] == ' ')) {
		if (reply)
			strlcpy(reply, rest[3] ? rest + 4 : "", reply_len);
		return CTL_ERR;
	}
	if (reply)
		strlcpy(reply, line, reply_len);
	return CTL_BAD_REPLY;
}

static int request(const char *verb, const char *args, char *reply,
		   size_t reply_len, uint64_t timeout_ns)
{
	char line[CTL_LINE_MAX];
	struct ctl_rx rx = {0};
	uint32_t id = next_id++;
	uint64_t deadline = time_ns() + timeout_ns;
	int n;

	n = ksnprintf(line, sizeof(line), "PP? %u %s%s%s\n", id, verb,
		      args && *args ? " " : "", args ? args : "");
	if (n >= (int)sizeof(line))
		return CTL_BAD_REPLY;
	while (uart_getc(&com2) >= 0) /* drop anything stale */
		;
	uart_write(&com2, line, (size_t)n);
	while (read_line(&rx, deadline)) {
		int rc = parse_answer(rx.line, id, reply, reply_len);

		if (rc <= 0)
			return rc;
	}
	return CTL_TIMEOUT;
}

bool ctl_connect(uint64_t timeout_ns)
{
	char reply[CTL_LINE_MAX];

	if (state != UNTRIED)
		return state == CONNECTED;
	state = ABSENT;
	if (!com2.present) {
		absent_reason = "no COM2 UART: no runner control channel";
		return false;
	}
	if (request("hello", "pinprick-guest", reply, sizeof(reply),
		    timeout_ns) != CTL_OK) {
		absent_reason = "no runner answered on COM2";
		return false;
	}
	strlcpy(ctl_peer, reply, sizeof(ctl_peer));
	state = CONNECTED;
	return true;
}

bool ctl_connected(void)
{
	return state == CONNECTED;
}

const char *ctl_unavailable_reason(void)
{
	return absent_reason;
}

int ctl_request(const char *verb, const char *args, char *reply,
		size_t reply_len, uint64_t timeout_ns)
{
	if (state != CONNECTED)
		return CTL_NO_CHANNEL;
	return request(verb, args, reply, reply_len, timeout_ns);
}
