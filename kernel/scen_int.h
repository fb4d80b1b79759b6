/*
 * scen_int.h - what the interpreter's files (scen_run.c, scen_expect.c,
 * scen_churn.c) share and nothing else needs.
 */
#ifndef PINPRICK_SCEN_INT_H
#define PINPRICK_SCEN_INT_H

#include "kernel/scen.h"

void scen_diag(struct scen_state *s, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool scen_check(struct scen_state *s, bool ok, const char *clause,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void scen_info(struct scen_state *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Service the balloon once (and sample when due). */
void scen_pump(struct scen_state *s);
/* Milliseconds since the scenario started. */
uint64_t scen_ms(const struct scen_state *s);

void scen_expect(struct scen_state *s, const struct scen_op *op,
		 const char *text);
void scen_churn(struct scen_state *s, const struct scen_op *op,
		const char *text);
/* Diagnostics for a failed wl_verify (the first bad word). */
void scen_intact_diags(struct scen_state *s, uint64_t bad);

#endif
