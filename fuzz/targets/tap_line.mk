# The runner's guest-output path: linebuf, TAP lexer, TAP state, JUnit cases.
FUZZ_TARGETS += tap_line
FUZZ_SRC_tap_line := host/runner/linebuf.c host/runner/tap_line.c \
	host/runner/tap_parse.c host/runner/tap_cases.c host/runner/util.c
FUZZ_MAXLEN_tap_line := 10000
