/* SPDX-License-Identifier: MIT */
/*
 * units.h - sizes for people.
 */
#ifndef PH_COMMON_UNITS_H
#define PH_COMMON_UNITS_H

#include <stdint.h>

/* Human-readable byte count ("512 B", "1.50 MiB", "12.3 GiB"): writes into buf, returns buf. */
const char *ph_human_bytes(uint64_t n, char buf[32]);

#endif
