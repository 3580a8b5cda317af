/* utf8: the small slice of Unicode berth needs to behave like the Go code of docker, compose
 * and go-yaml (UTF-8 decoding with U+FFFD for bad bytes,
 * unicode.IsSpace, a letter/digit test for variable names, strconv.Quote for dumps).
 *
 * The letter, digit and printable tests are approximations: exact for ASCII, Latin-1 and the
 * common scripts, conservative elsewhere (Go uses the full Unicode tables). Nothing here
 * allocates except through the sbuf it is given.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sbuf.h"

#define UTF8_BAD 0xFFFDu

/* utf8_decode: decode the rune at s (n > 0 bytes available) into *ret and return
 * its length. An invalid or truncated sequence, an overlong form or a surrogate gives
 * U+FFFD and length 1, as Go's utf8.DecodeRune. */
size_t utf8_decode(const char *s, size_t n, uint32_t *ret);
/* utf8_valid: whether s[0..n) is valid UTF-8 (a real U+FFFD is fine, a bad byte is not). */
bool utf8_valid(const char *s, size_t n);
/* utf8_add: append r as UTF-8 (an invalid rune is written as U+FFFD). */
void utf8_add(struct sbuf *sb, uint32_t r);
/* utf8_runes: decode all of s into an owned array (*ret_n runes). A leading U+FEFF
 * is dropped when skip_bom (Go's text/scanner does so). */
uint32_t *utf8_runes(const char *s, size_t n, bool skip_bom, size_t *ret_n);

/* Go's unicode.IsSpace. */
bool utf8_isspace(uint32_t r);
/* Approximations of unicode.IsLetter, unicode.IsDigit and strconv.IsPrint (see above). */
bool utf8_isletter(uint32_t r);
bool utf8_isdigit(uint32_t r);
bool utf8_isprint(uint32_t r);

/* Byte-string trimming of Unicode white space (Go's strings.TrimSpace and friends):
 * the number of leading / trailing bytes that are white space. */
size_t utf8_lspace(const char *s, size_t n);
size_t utf8_rspace(const char *s, size_t n);

/* utf8_quote: append s as Go's strconv.Quote writes it. */
void utf8_quote(struct sbuf *sb, const char *s, size_t n);
