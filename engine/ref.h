/* ref: image references, normalised the way docker does (distribution/reference).
 *
 * "busybox" is docker.io/library/busybox:latest, "me/app:1" is docker.io/me/app:1,
 * "localhost:5000/app" keeps its registry. The store keeps names in the full form and shows
 * them in the familiar one ("busybox:latest"), like docker.
 */
#pragma once

#include "base/err.h"

#define REF_NAME_MAX 255 /* docker's limit on the repository name (domain/path) */
#define REF_TAG_MAX  128

struct ref {
        char *domain; /* "docker.io", "localhost:5000", ... */
        char *path;   /* "library/busybox" */
        char *tag;    /* "latest" when neither tag nor digest was given; NULL with a digest only */
        char *digest; /* "sha256:<hex>" or NULL */
};

/* ref_parse: parse and normalise s into *ret (released by ref_release). Without a tag and
 * without a digest the tag is "latest". Errors: -EINVAL with docker's wording ("invalid
 * reference format: ..."). */
int ref_parse(const char *s, struct ref *ret, struct err *err);
void ref_release(struct ref *r);

/* ref_string: the full form, domain/path[:tag][@digest]. Owned. */
char *ref_string(const struct ref *r);
/* ref_repo: domain/path. Owned. */
char *ref_repo(const struct ref *r);
/* ref_familiar_repo: the repository as docker shows it ("busybox", "me/app",
 * "localhost:5000/app"). Owned. */
char *ref_familiar_repo(const struct ref *r);
/* ref_familiar: the familiar repository plus ":tag" and "@digest" when present. Owned. */
char *ref_familiar(const struct ref *r);

/* ref_familiar_name: the familiar form of an already-full name string (as the store keeps
 * it); a string that does not parse is returned unchanged. Owned. */
char *ref_familiar_name(const char *full);

/* ref_is_digest_hex: whether s is 64 lowercase hex digits (an image ID without "sha256:"). */
int ref_is_digest_hex(const char *s);
