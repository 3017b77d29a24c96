/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The built-in price table, deploy/pricing/model_prices.json, as bytes in
 * the binary (user/pricing_data.c). Only pricing.c reads it.
 */
#ifndef BT_PRICING_DATA_H
#define BT_PRICING_DATA_H

#include <stddef.h>

/* The file's bytes followed by a NUL; bt_pricing_json_len excludes the NUL. */
extern const char bt_pricing_json[];
extern const size_t bt_pricing_json_len;

#endif
