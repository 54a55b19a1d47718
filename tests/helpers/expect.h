/* Comparing recorded signal lines against shell-style patterns. */
#pragma once

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* Fails the cmocka test unless the recorded lines match the patterns one by
 * one, in order, and there are no more lines than patterns. */
#define assert_lines(h, ...)                                                                                           \
        do {                                                                                                           \
                const char *_p[] = { __VA_ARGS__ };                                                                    \
                size_t _n = sizeof _p / sizeof *_p;                                                                    \
                bool _ok = (h)->n_lines == _n;                                                                         \
                for (size_t _i = 0; _ok && _i < _n; _i++)                                                              \
                        _ok = fnmatch(_p[_i], (h)->lines[_i], 0) == 0;                                                 \
                if (!_ok) {                                                                                            \
                        fprintf(stderr, "expected %zu lines:\n", _n);                                                  \
                        for (size_t _i = 0; _i < _n; _i++)                                                             \
                                fprintf(stderr, "  %s\n", _p[_i]);                                                     \
                        fprintf(stderr, "got %zu:\n%s\n", (h)->n_lines, harness_lines(h));                             \
                }                                                                                                      \
                assert_true(_ok);                                                                                      \
        } while (0)
