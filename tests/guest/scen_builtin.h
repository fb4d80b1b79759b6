/*
 * scen_builtin.h - the scenarios built into the image: every
 * tests/scenarios/NAME.scn, turned into a C string at build time by
 * host/scripts/embed-scenarios.sh (build/gen/scen_builtin.c).
 */
#ifndef PINPRICK_SCEN_BUILTIN_H
#define PINPRICK_SCEN_BUILTIN_H

#include <stddef.h>

struct scen_builtin {
	const char *name; /* NAME: what scenario= selects */
	const char *file; /* tests/scenarios/NAME.scn, for error messages */
	const char *text;
	size_t len;
};

extern const struct scen_builtin scen_builtins[];
extern const unsigned scen_nr_builtins;

#endif
