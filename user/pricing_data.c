// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Compiles deploy/pricing/model_prices.json into the binary, so the
 * observer prices calls with no file to install and the table cannot
 * drift from the build. .incbin takes the path relative to the directory
 * the compiler runs in: the Makefile and tests/fuzz/run.sh both run it
 * from the repository root. The Makefile lists the JSON as a prerequisite
 * of this object, so editing the table rebuilds it.
 */
#include "pricing_data.h"

/* a size_t of the target: directive and bytes */
#if __SIZEOF_SIZE_T__ == 8
#define BT_ASM_SIZE_T ".quad"
#define BT_ASM_SIZE_BYTES "8"
#else
#define BT_ASM_SIZE_T ".long"
#define BT_ASM_SIZE_BYTES "4"
#endif

__asm__(".pushsection .rodata\n"
	".balign 16\n"
	".globl bt_pricing_json\n"
	".type bt_pricing_json, %object\n"
	"bt_pricing_json:\n"
	".incbin \"deploy/pricing/model_prices.json\"\n"
	".byte 0\n"
	".Lbt_pricing_json_end:\n"
	".size bt_pricing_json, .Lbt_pricing_json_end - bt_pricing_json\n"
	".balign " BT_ASM_SIZE_BYTES "\n"
	".globl bt_pricing_json_len\n"
	".type bt_pricing_json_len, %object\n"
	"bt_pricing_json_len:\n" BT_ASM_SIZE_T " .Lbt_pricing_json_end - bt_pricing_json - 1\n"
	".size bt_pricing_json_len, " BT_ASM_SIZE_BYTES "\n"
	".popsection\n");
