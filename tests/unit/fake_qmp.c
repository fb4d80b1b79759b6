/*
 * fake_qmp.c - the scripted fake QEMU of fake_qmp.h. It reads the
 * client's commands byte by byte (they are short) and takes the id out of
 * the text with strstr, so nothing of the runner's own JSON handling is
 * used to check the runner.
 */
#include "tests/unit/fake_qmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_GREETING                                                          \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, "    \
	"\"major\": 7}, \"package\": \"fake\"}, \"capabilities\": "            \
	"[\"oob\"]}}\r\n"

/* One command line into buf; false at EOF. */
static bool fake_read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	char ch;

	while (read(fd, &ch, 1) == 1) {
		if (ch == '\n') {
			buf[n] = '\0';
			return true;
		}
		if (n + 1 < size)
			buf[n++] = ch;
	}
	return false;
}

static void fake_write(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			_exit(6);
		p += w;
		n -= (size_t)w;
	}
}

/* A scripted reply, its "%ld" (if any) replaced by the id. */
static void fake_send(int fd, const char *fmt, long id)
{
	char buf[8192];
	int n = snprintf(buf, sizeof(buf), fmt, id);

	if (n < 0 || (size_t)n >= sizeof(buf))
		_exit(5);
	fake_write(fd, buf, (size_t)n);
}

static long fake_id(const char *line)
{
	const char *p = strstr(line, "\"id\":");

	return p ? strtol(p + 5, NULL, 10) : -1;
}

static bool fake_matches(const struct fake_step *s, const char *line)
{
	return strstr(line, s->expect) &&
	       (!s->expect2 || strstr(line, s->expect2));
}

static void fake_serve(int fd, const struct fake_step *steps, size_t n)
{
	char line[8192];
	size_t i = 0;

	fake_write(fd, FAKE_GREETING, strlen(FAKE_GREETING));
	if (!fake_read_line(fd, line, sizeof(line)) ||
	    !strstr(line, "qmp_capabilities"))
		_exit(2);
	fake_send(fd, "{\"return\": {}, \"id\": %ld}\r\n", fake_id(line));
	while (fake_read_line(fd, line, sizeof(line))) {
		if (i && steps[i - 1].repeat &&
		    fake_matches(&steps[i - 1], line)) {
			fake_send(fd, steps[i - 1].reply, fake_id(line));
			continue;
		}
		if (i == n || !fake_matches(&steps[i], line)) {
			fprintf(stderr, "fake qmp: step %zu: unexpected %s\n",
				i, line);
			_exit(3);
		}
		fake_send(fd, steps[i++].reply, fake_id(line));
	}
	if (i != n)
		fprintf(stderr, "fake qmp: only %zu of %zu steps ran\n", i, n);
	_exit(i == n ? 0 : 4);
}

pid_t fake_qmp_start(const struct fake_step *steps, size_t n, struct qmp **q)
{
	struct qmp_error err;
	int sv[2];
	pid_t pid;

	*q = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		fake_serve(sv[1], steps, n);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	if (qmp_open(q, sv[0], 2000, &err) != QMP_OK)
		fprintf(stderr, "fake qmp: %s\n", err.desc);
	return pid;
}

bool fake_qmp_end(pid_t pid, struct qmp *q)
{
	int st = 0;

	qmp_close(q);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}
