/*
 * ctl.c - control-channel requests from the guest (see ctl.h): strict
 * parsing, a table of verbs, a rate limit and a length limit, so that a
 * confused or hostile guest gets "err" answers rather than host work.
 */
#include "host/runner/ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/runner/ctl_verbs.h"
#include "host/runner/qmp.h"
#include "host/runner/util.h"
#include "host/runner/vmw_bridge.h"

static const char *ctl_hello(struct ctl *c, const struct ctl_req *r,
			     char *payload, size_t size)
{
	if (r->argc)
		util_strlcpy(c->guest_version, r->argv[0],
			     sizeof(c->guest_version));
	snprintf(payload, size, "%s", CTL_VERSION);
	return NULL;
}

/* ---- the VMware balloon model (vmw_bridge.c), with vmware = model ---- */

static const char *ctl_vmw_target(struct ctl *c, const struct ctl_req *r,
				  char *payload, size_t size)
{
	unsigned long frames;

	if (!c->vmw)
		return "no-vmware-model";
	if (!util_parse_uint(r->argv[0], 0, ~0ul, &frames))
		return "bad-args";
	vmw_model_set_target(c->vmw->model, frames);
	snprintf(payload, size, "%llu",
		 (unsigned long long)vmw_model_target(c->vmw->model));
	return NULL;
}

static const char *ctl_vmw_state(struct ctl *c, const struct ctl_req *r,
				 char *payload, size_t size)
{
	if (!c->vmw)
		return "no-vmware-model";
	vmwb_state_line(c->vmw, payload, size);
	return NULL;
}

static const char *ctl_vmw_finding(struct ctl *c, const struct ctl_req *r,
				   char *payload, size_t size)
{
	const char *text;
	unsigned long i;

	if (!c->vmw)
		return "no-vmware-model";
	if (!util_parse_uint(r->argv[0], 0, ~0u, &i))
		return "bad-args";
	text = vmw_model_finding(c->vmw->model, (unsigned)i);
	if (!text)
		return "no-such-finding";
	util_sanitize(payload, size, text, strlen(text));
	return NULL;
}

static const char *ctl_vmw_faults(struct ctl *c, const struct ctl_req *r,
				  char *payload, size_t size)
{
	char err[160];

	if (!c->vmw)
		return "no-vmware-model";
	/* No argument: say what is injected now, so a guest can restore it. */
	if (r->argc == 0) {
		struct vmw_faults f;

		vmw_model_get_faults(c->vmw->model, &f);
		vmwb_format_faults(&f, payload, size);
		return NULL;
	}
	if (vmwb_set_faults(c->vmw, r->argv[0], err, sizeof(err)))
		return "bad-faults";
	return NULL;
}

struct qmp *ctl_qmp(struct ctl *c)
{
	return c->qmp ? *c->qmp : NULL;
}

const char *ctl_qmp_call(struct qmp *q, const char *cmd, json_t *args,
			 json_t **reply, char *payload, size_t size)
{
	char *text = NULL;
	const char *desc;

	if (args) {
		text = json_dumps(args, JSON_COMPACT);
		json_decref(args);
		if (!text) {
			snprintf(payload, size, "cannot encode the arguments");
			return "qmp-error";
		}
	}
	if (qmp_execute(q, cmd, text, CTL_QMP_MS, reply) == QMP_OK) {
		free(text);
		return NULL;
	}
	free(text);
	desc = qmp_last_error(q)->desc;
	util_sanitize(payload, size, desc, strlen(desc));
	return "qmp-error";
}

/*
 * balloon <bytes>: QMP "balloon", which takes the size the GUEST should
 * have, not the balloon's (QEMU turns it into num_pages = (RAM - N) / 4K).
 */
static const char *ctl_balloon(struct ctl *c, const struct ctl_req *r,
			       char *payload, size_t size)
{
	unsigned long bytes;
	char args[64];
	struct qmp *q = ctl_qmp(c);

	if (!q)
		return "no-qmp";
	if (!util_parse_uint(r->argv[0], 1, ~0ul, &bytes))
		return "bad-args";
	snprintf(args, sizeof(args), "{\"value\": %lu}", bytes);
	if (qmp_execute(q, "balloon", args, CTL_QMP_MS, NULL) != QMP_OK) {
		util_sanitize(payload, size, qmp_last_error(q)->desc,
			      strlen(qmp_last_error(q)->desc));
		return "qmp-error";
	}
	return NULL;
}

/* query-balloon: "actual=<bytes>", the guest size QEMU derives from the
 * driver's `actual` field. */
static const char *ctl_query_balloon(struct ctl *c, const struct ctl_req *r,
				     char *payload, size_t size)
{
	struct qmp *q = ctl_qmp(c);
	json_t *reply = NULL, *actual;

	if (!q)
		return "no-qmp";
	if (qmp_execute(q, "query-balloon", NULL, CTL_QMP_MS, &reply) !=
	    QMP_OK) {
		util_sanitize(payload, size, qmp_last_error(q)->desc,
			      strlen(qmp_last_error(q)->desc));
		return "qmp-error";
	}
	actual = json_object_get(reply, "actual");
	if (!json_is_integer(actual)) {
		json_decref(reply);
		return "bad-qmp-reply";
	}
	snprintf(payload, size, "actual=%lld",
		 (long long)json_integer_value(actual));
	json_decref(reply);
	return NULL;
}

static const struct ctl_verb ctl_verb_table[] = {
	{"hello", 0, 1, ctl_hello},
	{"vmw-target", 1, 1, ctl_vmw_target},
	{"vmw-state", 0, 0, ctl_vmw_state},
	{"vmw-finding", 1, 1, ctl_vmw_finding},
	{"vmw-faults", 0, 1, ctl_vmw_faults},
	{"balloon", 1, 1, ctl_balloon},
	{"query-balloon", 0, 0, ctl_query_balloon},
	{"host-rss", 0, 0, ctl_host_rss},
	{"stats-interval", 1, 1, ctl_stats_interval},
	{"guest-stats", 0, 0, ctl_guest_stats},
	{"balloon-events", 0, 0, ctl_balloon_events},
	{"migrate-start", 0, 0, ctl_migrate_start},
	{"migrate-status", 0, 0, ctl_migrate_status},
};

const struct ctl_verb *ctl_verbs(size_t *count)
{
	*count = ARRAY_SIZE(ctl_verb_table);
	return ctl_verb_table;
}

void ctl_init(struct ctl *c, void *user)
{
	memset(c, 0, sizeof(*c));
	c->user = user;
}

static bool ctl_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Reads a decimal id of at most 9 digits followed by a blank or the end. */
static const char *ctl_id(const char *s, unsigned long *id)
{
	unsigned long v = 0;
	int n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (n == 9)
			return NULL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (!n || (*s && !ctl_blank(*s)))
		return NULL;
	*id = v;
	return s;
}

int ctl_parse(const char *line, size_t len, struct ctl_req *r)
{
	char *s, *tok;

	memset(r, 0, sizeof(*r));
	if (len > CTL_MAX_LINE)
		len = CTL_MAX_LINE;
	memcpy(r->buf, line, len);
	r->buf[len] = '\0';
	if (len && r->buf[len - 1] == '\r')
		r->buf[--len] = '\0';
	if (strlen(r->buf) != len)
		return -1; /* NUL byte */
	if (strncmp(r->buf, "PP? ", 4))
		return -1;
	s = (char *)ctl_id(r->buf + 4, &r->id);
	if (!s)
		return -1;
	while (ctl_blank(*s))
		s++;
	tok = s;
	while ((*s >= 'a' && *s <= 'z') || *s == '-')
		s++;
	if (s == tok || (size_t)(s - tok) >= CTL_MAX_VERB ||
	    (*s && !ctl_blank(*s)))
		return -1;
	memcpy(r->verb, tok, (size_t)(s - tok));
	while (*s) {
		while (ctl_blank(*s))
			*s++ = '\0';
		if (!*s)
			break;
		if (r->argc == CTL_MAX_ARGS)
			return -1;
		r->argv[r->argc++] = s;
		while (*s && !ctl_blank(*s)) {
			if ((unsigned char)*s < 0x20 ||
			    (unsigned char)*s == 0x7f)
				return -1;
			s++;
		}
	}
	return 0;
}

static const struct ctl_verb *ctl_find(const char *verb)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctl_verb_table); i++)
		if (!strcmp(ctl_verb_table[i].name, verb))
			return &ctl_verb_table[i];
	return NULL;
}

static bool ctl_rate_ok(struct ctl *c, uint64_t now_ms, char *note,
			size_t note_size)
{
	if (now_ms - c->window_start_ms >= 1000) {
		c->window_start_ms = now_ms;
		c->window_count = 0;
	}
	if (++c->window_count <= CTL_RATE_LIMIT)
		return true;
	if (c->window_count == CTL_RATE_LIMIT + 1)
		snprintf(note, note_size,
			 "control: more than %d requests per second, refusing",
			 CTL_RATE_LIMIT);
	return false;
}

size_t ctl_finish_answer(char *answer, size_t len, size_t answer_size,
			 const char *payload)
{
	size_t limit = answer_size - 2, plen = strlen(payload), room;

	if (limit > CTL_MAX_LINE - 1)
		limit = CTL_MAX_LINE - 1;
	if (len > limit)
		len = limit;
	room = len + 1 < limit ? limit - len - 1 : 0;
	if (plen > room) {
		size_t cut = room;

		while (cut && payload[cut] != ' ')
			cut--;
		plen = cut ? cut : room;
	}
	if (plen) {
		answer[len++] = ' ';
		memcpy(answer + len, payload, plen);
		len += plen;
	}
	answer[len++] = '\n';
	answer[len] = '\0';
	return len;
}

size_t ctl_handle(struct ctl *c, const char *line, size_t len, bool cut,
		  uint64_t now_ms, char *answer, size_t answer_size, char *note,
		  size_t note_size)
{
	struct ctl_req r;
	char payload[CTL_MAX_LINE];
	const struct ctl_verb *v;
	const char *reason = NULL;
	int n, bad;

	note[0] = '\0';
	payload[0] = '\0';
	if (!cut && (!len || (len == 1 && line[0] == '\r')))
		return 0;
	bad = ctl_parse(line, len, &r);
	if (!c->spoken && (bad || cut) &&
	    c->preboot_lines < CTL_PREBOOT_MAX) {
		c->preboot_lines++;
		return 0;
	}
	c->spoken = true;
	c->requests++;
	if (!ctl_rate_ok(c, now_ms, note, note_size)) {
		reason = "rate-limited";
	} else if (cut) {
		reason = "line-too-long";
		snprintf(note, note_size,
			 "control: request longer than %d bytes refused",
			 CTL_MAX_LINE);
	} else if (bad) {
		char shown[81];

		reason = "malformed";
		r.id = 0;
		util_sanitize(shown, sizeof(shown), line, len);
		snprintf(note, note_size, "control: malformed request '%s'",
			 shown);
	} else if (!(v = ctl_find(r.verb))) {
		reason = "unknown-verb";
	} else if (r.argc < v->min_args || r.argc > v->max_args) {
		reason = "bad-args";
	} else {
		reason = v->fn(c, &r, payload, sizeof(payload));
	}
	/* a guest that keeps sending garbage must not flood stdout */
	if (note[0] && ++c->notes > CTL_NOTES_MAX)
		note[0] = '\0';
	else if (note[0] && c->notes == CTL_NOTES_MAX)
		util_appendf(note, note_size,
			     " (%d notes; more are not shown)", CTL_NOTES_MAX);
	if (reason) {
		c->errors++;
		n = snprintf(answer, answer_size, "PP! %lu err %s", r.id,
			     reason);
	} else {
		n = snprintf(answer, answer_size, "PP! %lu ok", r.id);
	}
	if (n < 0 || answer_size < 2)
		return 0;
	return ctl_finish_answer(answer, (size_t)n, answer_size, payload);
}
