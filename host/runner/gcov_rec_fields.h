/*
 * gcov_rec_fields.h - the field level of the coverage dump's grammar,
 * shared inside the receiver (gcov_rec.c, gcov_rec_fields.c; see
 * gcov_rec.h for the wire format). Not for other users: the runner
 * talks to the receiver through gcov_rec.h only (fuzz/fuzz_gcov_rec.c
 * borrows gcovr_unhex, to decode data lines exactly as the receiver does).
 *
 * A record after "# gcov: " is split at single blanks into fields; these
 * read one field each (a word, a decimal, "key=DECIMAL", lowercase hex,
 * a .gcda path under the coverage root) and quote guest text safely for
 * a reason. Every reader is strict: false means the line is damaged.
 */
#ifndef PINPRICK_RUNNER_GCOV_REC_FIELDS_H
#define PINPRICK_RUNNER_GCOV_REC_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/runner/gcov_rec.h"
#define GCOVR_MAX_FIELDS 6 /* one more than any record has */

struct gcovr_field {
	const char *p;
	size_t n;
};
/* Resolves "//", "." and ".." in an absolute path, in place. */
bool gcovr_normalise(char *path);

/* The record's fields: single blanks, no empty field, at most
 * GCOVR_MAX_FIELDS. */
bool gcovr_split(const char *s, size_t len, struct gcovr_field *f, int *nf);

/* One field: exactly word; a decimal up to max; "key=DECIMAL"; hex. */
bool gcovr_is(const struct gcovr_field *f, const char *word);
bool gcovr_dec(const char *p, size_t n, uint64_t max, uint64_t *out);
bool gcovr_keyed(const struct gcovr_field *f, const char *key, uint64_t max,
		 uint64_t *out);
bool gcovr_unhex(const char *p, size_t n, unsigned char *out);

/* Guest text made safe for a one-line reason, into buf. */
const char *gcovr_quote(const char *p, size_t n, char *buf, size_t size);

/* A .gcda path field, checked and resolved under g's root into out. */
bool gcovr_path_ok(const struct gcovr *g, const struct gcovr_field *f,
		   char *out, const char **err);

#endif
