# The runner's coverage-dump receiver ("# gcov:" lines) and .gcda writer.
FUZZ_TARGETS += gcov_rec
FUZZ_SRC_gcov_rec := host/runner/gcov_rec.c host/runner/gcov_rec_fields.c host/runner/gcov_gcda.c \
	host/runner/util.c
