#pragma once

/* spec_schema_json: the NUL-terminated compose-spec JSON schema text. */
extern const char spec_schema_json[];
