/* The compose-spec JSON schema (compose-spec/compose-spec, schema/compose-spec.json, Apache-2.0),
 * embedded so that berth validates without any file beside the binary. */
#include "schema_data.h"

__asm__(".section .rodata\n"
        ".global spec_schema_json\n"
        ".type spec_schema_json, @object\n"
        "spec_schema_json:\n"
        ".incbin \"" COMPOSE_SCHEMA_PATH "\"\n"
        ".byte 0\n"
        ".previous\n");
