/* ipam_json: the on-disk form of a network's IPAM record (private to net/). */
#pragma once

#include <stddef.h>

#include "base/err.h"
#include "base/sbuf.h"
#include "net/ipam.h"

#define IPAM_FILE_MAX (16u << 20) /* bytes of one network's record */

/* ipam_json_encode: n as pretty JSON (object members in a fixed order). */
void ipam_json_encode(const struct ipam_network *n, struct sbuf *out);
/* ipam_json_decode: parse a record; what names the input in errors. *ret owned. */
int ipam_json_decode(const char *buf, size_t len, const char *what, struct ipam_network **ret,
                     struct err *err);
