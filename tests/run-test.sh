#!/bin/sh
# Runs one `make check` test program (LOG_COMPILER in tests/Makefile.am) under a time limit,
# which automake's harness does not give, and hands a corpus replay, fuzz/replay_NAME, its
# committed corpus fuzz/corpus/NAME. The TAP driver reads what the program prints.
#   EG_TEST_TIMEOUT  seconds one test program may take (default 180)
set -u
prog=$1; shift
limit=${EG_TEST_TIMEOUT:-180}
case ${prog##*/} in
  replay_*)
    name=${prog##*/replay_}
    set -- "$@" "${srcdir:-.}/fuzz/corpus/${name%.exe}" ;;
esac
# as ./scripts/test sets them, for a `make check` run on its own
: "${ASAN_OPTIONS=detect_leaks=1:abort_on_error=0}"
: "${UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1}"
export ASAN_OPTIONS UBSAN_OPTIONS
timeout -k 10 "$limit" "$prog" "$@"
rc=$?
# "Bail out!" makes the driver report why rather than only an exit status.
case $rc in
  124) echo "Bail out! ${prog##*/} timed out after ${limit}s (EG_TEST_TIMEOUT)" ;;
  137) echo "Bail out! ${prog##*/} was killed (SIGKILL): it outlived its ${limit}s, or ran out of memory" ;;
esac
exit "$rc"
