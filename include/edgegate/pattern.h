/* CloudFront path patterns: '*' matches any run of characters (including none and '/'),
 * '?' exactly one character, everything else itself, case-sensitively. Called by the policy
 * worker for every request, in behavior order. */
#ifndef EDGEGATE_PATTERN_H
#define EDGEGATE_PATTERN_H

#include <stddef.h>

/* 1 when path (length len, no query string) matches pattern. A pattern without a leading
 * '/' matches as if it had one. Runs in O(len * pattern length) at worst, never backtracks
 * exponentially. */
int eg_pattern_match(const char *pattern, const char *path, size_t len);

/* 1 when pattern a matches every path pattern b matches (so a behavior with b, evaluated
 * after one with a, is never chosen), else 0. Never answers 1 wrongly; a run of wildcards is
 * compared by what it matches ("*?" as "?*"), and a rare cover that needs a's wildcards
 * split across b's differently may answer 0 (a missed warning, never a false one).
 * O(|a| * |b|). */
int eg_pattern_covers(const char *a, const char *b);

#endif
