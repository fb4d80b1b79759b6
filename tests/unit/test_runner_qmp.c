/*
 * test_runner_qmp.c - unit tests for the runner's QMP client
 * (host/runner/qmp.c) against a fake QMP server in a child process:
 * a whole session (greeting, capabilities, commands and their errors,
 * timeouts with a late answer, events, quit) and servers that misbehave
 * (a bad greeting, silence, hanging up, refusing the capabilities, no
 * socket). The fake keeps the tests independent of a real QEMU.
 */
#include "tests/unit/runner_rig.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "host/runner/qmp.h"

/* ---- QMP client against a fake server --------------------------------- */

/* One '\n'-terminated line from fd, in the fake server; -1 at EOF. */
static int srv_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char ch;

	while (read(fd, &ch, 1) == 1) {
		if (ch == '\n') {
			buf[n] = '\0';
			return 0;
		}
		if (n + 1 < size)
			buf[n++] = ch;
	}
	return -1;
}

static long srv_id(const char *line)
{
	const char *p = strstr(line, "\"id\":");

	return p ? strtol(p + 5, NULL, 10) : -1;
}

static void srv_send(int fd, const char *text)
{
	if (util_write_all(fd, text, strlen(text)))
		_exit(2);
}

static void srv_sendf(int fd, const char *fmt, long id)
{
	char buf[512];

	snprintf(buf, sizeof(buf), fmt, id);
	srv_send(fd, buf);
}

#define GREETING                                                               \
	"{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, "                 \
	"\"capabilities\": []}}\r\n"

enum { SRV_FULL, SRV_BAD_GREETING, SRV_SILENT, SRV_HANGUP, SRV_CAPS_ERROR };

/* The fake QEMU: a script of answers, one per expected command. */
static void fake_qmp(int fd, int scenario)
{
	char line[4096];
	long id, slow_id = -1;
	char *big;

	switch (scenario) {
	case SRV_BAD_GREETING:
		srv_send(fd, "hello, I am not QEMU\r\n");
		break;
	case SRV_HANGUP:
		_exit(0);
	case SRV_CAPS_ERROR:
		srv_send(fd, GREETING);
		if (!srv_line(fd, line, sizeof(line)))
			srv_sendf(fd,
				  "{\"error\": {\"class\": \"GenericError\", "
				  "\"desc\": \"no\"}, \"id\": %ld}\r\n",
				  srv_id(line));
		break;
	case SRV_FULL:
		srv_send(fd, GREETING);
		while (!srv_line(fd, line, sizeof(line))) {
			id = srv_id(line);
			if (strstr(line, "qmp_capabilities")) {
				srv_sendf(fd,
					  "{\"return\": {}, \"id\": %ld}\r\n",
					  id);
			} else if (strstr(line, "query-status")) {
				srv_send(fd, "{\"timestamp\": {\"seconds\": 1, "
					     "\"microseconds\": 2}, \"event\": "
					     "\"STOP\"}\r\n");
				srv_sendf(
					fd,
					"{\"return\": {\"status\": \"paused\", "
					"\"running\": false}, \"id\": %ld}\r\n",
					id);
			} else if (strstr(line, "bogus")) {
				srv_sendf(fd,
					  "{\"id\": %ld, \"error\": "
					  "{\"class\": \"CommandNotFound\", "
					  "\"desc\": \"The command bogus has "
					  "not been found\"}}\r\n",
					  id);
			} else if (strstr(line, "malformed")) {
				srv_send(fd, "{\"return\": {not json\r\n");
			} else if (strstr(line, "\"slow\"")) {
				if (!strstr(line, "\"arguments\":{\"a\":1}"))
					_exit(3);
				slow_id = id; /* answered late, below */
			} else if (strstr(line, "after")) {
				srv_sendf(fd,
					  "{\"return\": {\"late\": true}, "
					  "\"id\": %ld}\r\n",
					  slow_id);
				srv_sendf(fd,
					  "{\"return\": {\"fine\": true}, "
					  "\"id\": %ld}\r\n",
					  id);
			} else if (strstr(line, "flood")) {
				for (int i = 0; i < 100; i++)
					srv_sendf(fd,
						  "{\"event\": \"E%ld\"}\r\n",
						  i);
				srv_sendf(fd,
					  "{\"return\": {}, \"id\": %ld}\r\n",
					  id);
			} else if (strstr(line, "big")) {
				big = malloc(QMP_MAX_MSG + 100);
				memset(big, 'x', QMP_MAX_MSG + 99);
				big[QMP_MAX_MSG + 99] = '\0';
				srv_send(fd, "{\"return\": \"");
				srv_send(fd, big);
				srv_sendf(fd, "\", \"id\": %ld}\r\n", id);
				free(big);
			} else if (strstr(line, "quit")) {
				srv_sendf(fd,
					  "{\"return\": {}, \"id\": %ld}\r\n",
					  id);
				srv_send(
					fd,
					"{\"event\": \"SHUTDOWN\", \"data\": "
					"{\"reason\": \"host-qmp-quit\"}}\r\n");
				_exit(0);
			}
		}
		_exit(0);
	}
	/* SRV_SILENT and the rest: wait for the client to hang up */
	while (!srv_line(fd, line, sizeof(line)))
		;
	_exit(0);
}

static pid_t fake_start(int scenario, int *client_fd)
{
	int sv[2];
	pid_t pid;

	UT_CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		fake_qmp(sv[1], scenario);
	}
	close(sv[1]);
	*client_fd = sv[0];
	return pid;
}

static void fake_end(pid_t pid)
{
	int st = -1;

	UT_CHECK_EQ(waitpid(pid, &st, 0), pid);
	UT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_qmp_session(void)
{
	struct qmp *q;
	struct qmp_error err = {"", ""};
	json_t *r = NULL, *ev;
	uint64_t t0;
	int fd, events = 0;
	pid_t pid = fake_start(SRV_FULL, &fd);

	UT_CHECK_EQ(qmp_open(&q, fd, 2000, &err), QMP_OK);
	if (!q)
		return;
	UT_CHECK_EQ(qmp_execute(q, "query-status", NULL, 2000, &r), QMP_OK);
	UT_CHECK_STR(json_string_value(json_object_get(r, "status")) ?: "",
		     "paused");
	UT_CHECK(json_is_false(json_object_get(r, "running")));
	json_decref(r);
	ev = qmp_pop_event(q);
	UT_CHECK_STR(json_string_value(json_object_get(ev, "event")) ?: "",
		     "STOP");
	json_decref(ev);
	UT_CHECK(qmp_pop_event(q) == NULL);

	UT_CHECK_EQ(qmp_execute(q, "bogus", NULL, 2000, &r), QMP_ERR_REMOTE);
	UT_CHECK(r == NULL);
	UT_CHECK_STR(qmp_last_error(q)->cls, "CommandNotFound");
	UT_CHECK_STR(qmp_last_error(q)->desc,
		     "The command bogus has not been found");

	UT_CHECK_EQ(qmp_execute(q, "malformed", NULL, 2000, &r), QMP_ERR_PROTO);
	UT_CHECK(strstr(qmp_last_error(q)->desc, "malformed message") != NULL);

	t0 = util_now_ms();
	UT_CHECK_EQ(qmp_execute(q, "slow", "{\"a\": 1}", 200, &r),
		    QMP_ERR_TIMEOUT);
	UT_CHECK(util_now_ms() - t0 >= 195 && util_now_ms() - t0 < 1500);
	/* the late answer to "slow" must not be taken for this one's */
	UT_CHECK_EQ(qmp_execute(q, "after", NULL, 2000, &r), QMP_OK);
	UT_CHECK(json_is_true(json_object_get(r, "fine")));
	UT_CHECK(json_object_get(r, "late") == NULL);
	json_decref(r);

	UT_CHECK_EQ(qmp_execute(q, "flood", NULL, 2000, NULL), QMP_OK);
	while ((ev = qmp_pop_event(q))) {
		if (!events)
			UT_CHECK_STR(
				json_string_value(json_object_get(ev, "event"))
					?: "",
				"E36");
		events++;
		json_decref(ev);
	}
	UT_CHECK_EQ(events, QMP_MAX_EVENTS);
	UT_CHECK_EQ(qmp_events_dropped(q), 100 - QMP_MAX_EVENTS);

	UT_CHECK_EQ(qmp_execute(q, "x", "[1]", 2000, &r), QMP_ERR_PROTO);
	UT_CHECK_EQ(qmp_execute(q, "x", "{bad", 2000, &r), QMP_ERR_PROTO);
	UT_CHECK_EQ(qmp_execute(q, "big", NULL, 5000, &r), QMP_ERR_PROTO);
	UT_CHECK(strstr(qmp_last_error(q)->desc, "longer than") != NULL);

	/* quit: answered, then an event, then the socket closes */
	UT_CHECK_EQ(qmp_execute(q, "quit", NULL, 2000, NULL), QMP_OK);
	fake_end(pid);
	UT_CHECK_EQ(qmp_pump(q), QMP_ERR_IO);
	ev = qmp_pop_event(q);
	UT_CHECK_STR(json_string_value(json_object_get(ev, "event")) ?: "",
		     "SHUTDOWN");
	json_decref(ev);
	UT_CHECK_EQ(qmp_execute(q, "query-status", NULL, 2000, &r), QMP_ERR_IO);
	qmp_close(q);
}

static void test_qmp_bad_servers(void)
{
	struct qmp *q = (struct qmp *)1;
	struct qmp_error err;
	uint64_t t0;
	int fd;
	pid_t pid;

	pid = fake_start(SRV_BAD_GREETING, &fd);
	UT_CHECK_EQ(qmp_open(&q, fd, 2000, &err), QMP_ERR_PROTO);
	UT_CHECK(q == NULL);
	UT_CHECK(strstr(err.desc, "malformed") != NULL);
	fake_end(pid);

	pid = fake_start(SRV_SILENT, &fd);
	t0 = util_now_ms();
	UT_CHECK_EQ(qmp_open(&q, fd, 150, &err), QMP_ERR_TIMEOUT);
	UT_CHECK(util_now_ms() - t0 >= 145);
	fake_end(pid);

	pid = fake_start(SRV_HANGUP, &fd);
	UT_CHECK_EQ(qmp_open(&q, fd, 2000, &err), QMP_ERR_IO);
	fake_end(pid);

	pid = fake_start(SRV_CAPS_ERROR, &fd);
	UT_CHECK_EQ(qmp_open(&q, fd, 2000, &err), QMP_ERR_REMOTE);
	UT_CHECK_STR(err.cls, "GenericError");
	fake_end(pid);

	UT_CHECK_EQ(qmp_connect(&q, "/nonexistent/qmp.sock", 100, &err),
		    QMP_ERR_IO);
	UT_CHECK(strstr(err.desc, "No such file") != NULL);
}

UT_MAIN(UT_TEST(test_qmp_session), UT_TEST(test_qmp_bad_servers))
