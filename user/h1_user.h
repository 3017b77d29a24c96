/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The HTTP/1.x framer the BPF programs run (bpf/h1_parse.h), built for
 * userspace: the same code frames captured LLM messages and served
 * requests here, and is what the framer's unit tests and fuzzers test.
 * Its functions become static inline.
 */
#ifndef BIOTHINGS_H1_USER_H
#define BIOTHINGS_H1_USER_H

#include <linux/types.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define H1_FN static inline
#include "h1_parse.h"
#include "h1_boundary.h"

#endif
