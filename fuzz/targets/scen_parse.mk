# The scenario parser (kernel/scen_parse.c, scen_text.c) on arbitrary text.
FUZZ_TARGETS += scen_parse
FUZZ_SRC_scen_parse := kernel/scen_parse.c kernel/scen_text.c \
	kernel/printf.c kernel/string.c
FUZZ_MAXLEN_scen_parse := 8192
