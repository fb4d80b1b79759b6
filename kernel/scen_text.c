/*
 * scen_text.c - scenario statements back as text (check names, the
 * docs' examples) and small queries over a parsed program. Kept apart
 * from the parser so that each file holds one idea.
 */
#include "kernel/printf.h"
#include "kernel/scen.h"

static const char *const what_names[] = {
	[SE_SIZE] = "size",	    [SE_TARGET] = "target",
	[SE_ALIVE] = "alive",	    [SE_RESERVE] = "reserve",
	[SE_INTACT] = "intact",	    [SE_SHORTFALL] = "shortfall",
	[SE_RSS_DROP] = "rss-drop",
};

const char *scen_what_name(unsigned what)
{
	return what <= SE_RSS_DROP ? what_names[what] : "?";
}

bool scen_uses(const struct scen_prog *p, unsigned kind, int what)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->ops[i].kind == kind &&
		    (what < 0 || p->ops[i].what == what))
			return true;
	return false;
}

static int amount_text(const struct scen_amount *a, char *buf, size_t len)
{
	static const char *const unit[] = {"", "M", "%", ""};

	if (a->unit == SU_ALL)
		return ksnprintf(buf, len, "all");
	return ksnprintf(buf, len, "%llu%s", (unsigned long long)a->value,
			 unit[a->unit]);
}

void scen_op_text(const struct scen_op *op, char *buf, size_t len)
{
	static const char *const cmp[] = {"", ">= ", "<= "};
	char a[32], t[24];

	amount_text(&op->amount, a, sizeof(a));
	ksnprintf(t, sizeof(t), "%llu%s",
		  (unsigned long long)(op->ms % 1000 ? op->ms : op->ms / 1000),
		  op->ms % 1000 ? "ms" : "s");
	switch (op->kind) {
	case SO_AWAIT_TARGET:
		ksnprintf(buf, len, "await target %s within %s", a, t);
		break;
	case SO_WAIT_SIZE:
		ksnprintf(buf, len, "wait size %s within %s", a, t);
		break;
	case SO_WAIT_SETTLED:
		ksnprintf(buf, len, "wait settled within %s", t);
		break;
	case SO_SLEEP:
		ksnprintf(buf, len, "sleep %s", t);
		break;
	case SO_EXPECT:
		if (op->what == SE_SIZE || op->what == SE_TARGET)
			ksnprintf(buf, len, "expect %s %s%s",
				  what_names[op->what], cmp[op->cmp], a);
		else if (op->what == SE_RSS_DROP)
			ksnprintf(buf, len, "expect rss-drop %s", a);
		else
			ksnprintf(buf, len, "expect %s", what_names[op->what]);
		break;
	case SO_REPEAT:
		ksnprintf(buf, len, "repeat %u {", op->count);
		break;
	case SO_END:
		ksnprintf(buf, len, "}");
		break;
	case SO_CHURN:
		ksnprintf(buf, len, "churn seed=%llu steps=%llu",
			  (unsigned long long)op->seed,
			  (unsigned long long)op->steps);
		break;
	default:
		ksnprintf(buf, len, "%s %s", scen_kind_name(op->kind), a);
	}
}
