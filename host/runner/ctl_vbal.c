/*
 * ctl_vbal.c - control verbs for the guest's virtio-balloon suites: what
 * only the host can see (QEMU's resident guest RAM, the statistics QEMU
 * received, the BALLOON_CHANGE events it sent) and the one knob the guest
 * cannot turn itself (the statistics polling interval).
 *
 * QEMU keeps both statistics properties on the balloon device's QOM
 * object. Its path depends on how the profile created the device, so it
 * is looked up once and cached (see ctl_balloon_find).
 */
#include <stdio.h>
#include <string.h>

#include "host/runner/ctl_verbs.h"
#include "host/runner/qmp.h"
#include "host/runner/smaps.h"
#include "host/runner/util.h"

/* What the profiles write: -device virtio-balloon-pci,id=balloon0. */
#define CTL_BALLOON_BY_ID "/machine/peripheral/balloon0"

/*
 * qom-get (value NULL), qom-set (value consumed) or, with prop NULL,
 * qom-list of path. As ctl_qmp_call.
 */
static const char *ctl_qom(struct qmp *q, const char *path, const char *prop,
			   json_t *value, json_t **reply, char *payload,
			   size_t size)
{
	const char *cmd = "qom-get";
	json_t *args;

	if (!prop) {
		cmd = "qom-list";
		args = json_pack("{s:s}", "path", path);
	} else if (!value) {
		args = json_pack("{s:s, s:s}", "path", path, "property", prop);
	} else {
		cmd = "qom-set";
		args = json_pack("{s:s, s:s, s:o}", "path", path, "property",
				 prop, "value", value);
	}
	if (!args) {
		snprintf(payload, size, "cannot encode the arguments");
		return "qmp-error";
	}
	return ctl_qmp_call(q, cmd, args, reply, payload, size);
}

/*
 * Finds the balloon's QOM path: the id the profiles give it, which one
 * qom-get both finds and proves to be a balloon (only the balloon has the
 * property); else the first child of /machine/peripheral (devices with an
 * id) or /machine/peripheral-anon (without, as "device[N]") whose type is
 * child<virtio-balloon-pci>, child<virtio-balloon-device> or a variant.
 * Measured on QEMU 7.2: pc and q35 profiles give the first path, microvm
 * ones /machine/peripheral-anon/device[0].
 */
static const char *ctl_balloon_find(struct ctl *c, struct qmp *q, char *payload,
				    size_t size)
{
	static const char *const parents[] = {"/machine/peripheral",
					      "/machine/peripheral-anon"};
	const char *reason;
	json_t *list, *child;
	size_t i;

	if (c->balloon_path[0])
		return NULL;
	if (!ctl_qom(q, CTL_BALLOON_BY_ID, "guest-stats-polling-interval", NULL,
		     NULL, payload, size)) {
		util_strlcpy(c->balloon_path, CTL_BALLOON_BY_ID,
			     sizeof(c->balloon_path));
		return NULL;
	}
	/* QEMU said no (it has no such device): look further. No answer at
	 * all: more commands would only make the guest wait longer. */
	if (!qmp_last_error(q)->cls[0])
		return "qmp-error";
	payload[0] = '\0';
	for (size_t p = 0; p < ARRAY_SIZE(parents); p++) {
		reason = ctl_qom(q, parents[p], NULL, NULL, &list, payload,
				 size);
		if (reason)
			return reason;
		json_array_foreach(list, i, child)
		{
			const char *name, *type;
			int n;

			name = json_string_value(
				json_object_get(child, "name"));
			type = json_string_value(
				json_object_get(child, "type"));
			if (!name || !type ||
			    strncmp(type, "child<virtio-balloon", 20))
				continue;
			n = snprintf(c->balloon_path, sizeof(c->balloon_path),
				     "%s/%s", parents[p], name);
			if (n > 0 && (size_t)n < sizeof(c->balloon_path)) {
				json_decref(list);
				return NULL;
			}
			c->balloon_path[0] = '\0';
		}
		json_decref(list);
	}
	return "no-balloon";
}

/*
 * host-rss: "rss=N size=N anon=N" in bytes for the guest-RAM mapping of
 * QEMU (smaps.c), plus "vmas=N" if RAM was found split. No QMP needed.
 */
const char *ctl_host_rss(struct ctl *c, const struct ctl_req *r, char *payload,
			 size_t size)
{
	struct smaps_ram m;
	int rc;

	if (c->qemu_pid <= 0 || !c->ram_bytes)
		return "no-qemu";
	rc = smaps_read(c->qemu_pid, c->ram_bytes, &m);
	if (rc == SMAPS_ERR_READ)
		return "smaps-unreadable";
	if (rc)
		return "no-ram-mapping";
	snprintf(payload, size, "rss=%llu size=%llu anon=%llu",
		 (unsigned long long)m.rss, (unsigned long long)m.size,
		 (unsigned long long)m.anon);
	if (m.vmas > 1)
		util_appendf(payload, size, " vmas=%u", m.vmas);
	return NULL;
}

/* Drops the cached path after a failure on it: the next request looks
 * again rather than failing the same way for ever. */
static const char *ctl_balloon_failed(struct ctl *c, const char *reason)
{
	c->balloon_path[0] = '\0';
	return reason;
}

/* stats-interval <0..3600>: how often QEMU asks for statistics; 0 stops. */
const char *ctl_stats_interval(struct ctl *c, const struct ctl_req *r,
			       char *payload, size_t size)
{
	struct qmp *q = ctl_qmp(c);
	unsigned long secs;
	const char *reason;
	char shown[sizeof(c->balloon_path)];

	if (!util_parse_uint(r->argv[0], 0, 3600, &secs))
		return "bad-args";
	if (!q)
		return "no-qmp";
	reason = ctl_balloon_find(c, q, payload, size);
	if (reason)
		return reason;
	reason = ctl_qom(q, c->balloon_path, "guest-stats-polling-interval",
			 json_integer((json_int_t)secs), NULL, payload, size);
	if (reason)
		return ctl_balloon_failed(c, reason);
	util_sanitize(shown, sizeof(shown), c->balloon_path,
		      strlen(c->balloon_path));
	snprintf(payload, size, "interval=%lu path=%s", secs, shown);
	return NULL;
}

static const struct {
	const char *qom, *key;
} ctl_stat_names[] = {
	{"stat-swap-in", "swap-in"},
	{"stat-swap-out", "swap-out"},
	{"stat-major-faults", "major-faults"},
	{"stat-minor-faults", "minor-faults"},
	{"stat-free-memory", "free-memory"},
	{"stat-total-memory", "total-memory"},
	{"stat-available-memory", "available-memory"},
	{"stat-disk-caches", "disk-caches"},
	{"stat-htlb-pgalloc", "htlb-pgalloc"},
	{"stat-htlb-pgfail", "htlb-pgfail"},
};

/* Appends " key=val" (no blank first) if it fits whole; false if not. */
static bool ctl_put(char *buf, size_t size, size_t *len, const char *key,
		    const char *val)
{
	int n = snprintf(buf + *len, size - *len, "%s%s=%s", *len ? " " : "",
			 key, val);

	if (n < 0 || (size_t)n >= size - *len) {
		buf[*len] = '\0';
		return false;
	}
	*len += (size_t)n;
	return true;
}

/* An integer as text; "-" for QEMU's "unset" (all ones), or no integer. */
static void ctl_stat_text(const json_t *v, bool is_unsigned, char *text,
			  size_t size)
{
	json_int_t i;

	if (!json_is_integer(v) || (i = json_integer_value(v)) == -1) {
		snprintf(text, size, "-");
		return;
	}
	if (is_unsigned) /* above INT64_MAX it arrives negative */
		snprintf(text, size, "%llu", (unsigned long long)(uint64_t)i);
	else
		snprintf(text, size, "%lld", (long long)i);
}

int ctl_format_guest_stats(const json_t *reply, char *buf, size_t size)
{
	const json_t *stats = json_object_get(reply, "stats");
	char text[24];
	size_t len = 0;

	if (!size)
		return -1;
	buf[0] = '\0';
	if (!json_is_object(reply))
		return -1;
	/* last-update is QEMU's time_t of the newest statistics, 0 = never */
	ctl_stat_text(json_object_get(reply, "last-update"), false, text,
		      sizeof(text));
	if (!ctl_put(buf, size, &len, "last-update", text))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(ctl_stat_names); i++) {
		ctl_stat_text(json_object_get(stats, ctl_stat_names[i].qom),
			      true, text, sizeof(text));
		if (!ctl_put(buf, size, &len, ctl_stat_names[i].key, text))
			return -1;
	}
	return 0;
}

/* guest-stats: the statistics QEMU last received, as
 * ctl_format_guest_stats writes them. */
const char *ctl_guest_stats(struct ctl *c, const struct ctl_req *r,
			    char *payload, size_t size)
{
	struct qmp *q = ctl_qmp(c);
	const char *reason;
	json_t *reply = NULL;

	if (!q)
		return "no-qmp";
	reason = ctl_balloon_find(c, q, payload, size);
	if (reason)
		return reason;
	reason = ctl_qom(q, c->balloon_path, "guest-stats", NULL, &reply,
			 payload, size);
	if (reason)
		return ctl_balloon_failed(c, reason);
	if (!json_is_object(reply)) {
		json_decref(reply);
		return "bad-qmp-reply";
	}
	/* ~360 bytes at most, within what the line can carry */
	ctl_format_guest_stats(
		reply, payload,
		size < CTL_PAYLOAD_MAX + 1 ? size : CTL_PAYLOAD_MAX + 1);
	json_decref(reply);
	return NULL;
}

/*
 * balloon-events: "count=N last=BYTES total=N", the BALLOON_CHANGE events
 * since the previous balloon-events ("last=-" if none). QEMU limits this
 * event to one a second and sends the newest value at the end of the
 * second, so count is not the number of changes; last is what matters.
 */
const char *ctl_balloon_events(struct ctl *c, const struct ctl_req *r,
			       char *payload, size_t size)
{
	char last[24] = "-";

	if (!ctl_qmp(c))
		return "no-qmp";
	if (c->sync_events)
		c->sync_events(c);
	if (c->bev.count && c->bev.last >= 0)
		snprintf(last, sizeof(last), "%lld", c->bev.last);
	snprintf(payload, size, "count=%lu last=%s total=%lu", c->bev.count,
		 last, c->bev.total);
	c->bev.count = 0;
	c->bev.last = -1;
	return NULL;
}

void ctl_qmp_event(struct ctl *c, const char *name, json_t *data)
{
	json_t *actual;

	if (!name)
		return;
	if (!strcmp(name, "BALLOON_CHANGE")) {
		/* "actual" is the guest's size, RAM minus the balloon */
		actual = json_object_get(data, "actual");
		c->bev.count++;
		c->bev.total++;
		c->bev.last = json_is_integer(actual) &&
					      json_integer_value(actual) >= 0
				      ? (long long)json_integer_value(actual)
				      : -1;
	} else if (!strcmp(name, "MIGRATION")) {
		ctl_mig_event(c, data);
	}
}
