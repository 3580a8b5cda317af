/* sha256: SHA-256 as specified by FIPS 180-4 (section 6.2), written for berth.
 *
 * Two block functions compute the same thing: a portable one (the message schedule and 64
 * rounds of section 6.2.2) and, on x86-64 CPUs that have them, one built on the SHA
 * extensions (SHA256RNDS2/SHA256MSG1/SHA256MSG2), which hashes a build context several times
 * faster. The choice is made per context at sha256_init() from CPUID, so no global state.
 */
#include "sha256.h"

#include <string.h>

#if defined(__x86_64__)
#        include <cpuid.h>
#        include <immintrin.h>
#        define SHA256_HAVE_X86 1
#else
#        define SHA256_HAVE_X86 0
#endif

static const uint32_t K[64] = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
};

static inline uint32_t
ror32(uint32_t x, unsigned n)
{
        return (x >> n) | (x << (32 - n));
}

static inline uint32_t
load_be32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
store_be32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)(v >> 24);
        p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);
        p[3] = (uint8_t)v;
}

/* FIPS 180-4 6.2.2: one 512-bit block into the hash state. */
static void
compress_portable(uint32_t h[8], const uint8_t *block, size_t nblocks)
{
        uint32_t w[64];

        for (; nblocks > 0; nblocks--, block += SHA256_BLOCK_SIZE) {
                uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
                uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];

                for (int t = 0; t < 16; t++)
                        w[t] = load_be32(block + 4 * t);
                for (int t = 16; t < 64; t++) {
                        uint32_t s0 = ror32(w[t - 15], 7) ^ ror32(w[t - 15], 18) ^ (w[t - 15] >> 3);
                        uint32_t s1 = ror32(w[t - 2], 17) ^ ror32(w[t - 2], 19) ^ (w[t - 2] >> 10);
                        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
                }
                for (int t = 0; t < 64; t++) {
                        uint32_t S1 = ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25);
                        uint32_t ch = (e & f) ^ (~e & g);
                        uint32_t t1 = hh + S1 + ch + K[t] + w[t];
                        uint32_t S0 = ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22);
                        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
                        uint32_t t2 = S0 + maj;

                        hh = g;
                        g = f;
                        f = e;
                        e = d + t1;
                        d = c;
                        c = b;
                        b = a;
                        a = t1 + t2;
                }
                h[0] += a;
                h[1] += b;
                h[2] += c;
                h[3] += d;
                h[4] += e;
                h[5] += f;
                h[6] += g;
                h[7] += hh;
        }
}

#if SHA256_HAVE_X86
/* CPUID: leaf 7 EBX bit 29 = SHA, leaf 1 ECX bit 19 = SSE4.1, bit 9 = SSSE3. */
static bool
cpu_has_sha(void)
{
        unsigned a, b, c, d;

        if (!__get_cpuid(1, &a, &b, &c, &d))
                return false;
        if (!(c & (1u << 19)) || !(c & (1u << 9)))
                return false;
        if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
                return false;
        return (b & (1u << 29)) != 0;
}

/* The SHA extensions keep the state as two registers, ABEF and CDGH; each SHA256RNDS2 does
 * two rounds with W+K of the low two lanes. Message words for rounds 16..63 come from
 * SHA256MSG1 (sigma0 part), an add of W[t-7] and SHA256MSG2 (sigma1 part). */
__attribute__((target("sha,sse4.1,ssse3"))) static void
compress_x86(uint32_t h[8], const uint8_t *block, size_t nblocks)
{
        const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
        __m128i dcba = _mm_loadu_si128((const __m128i *)&h[0]);
        __m128i hgfe = _mm_loadu_si128((const __m128i *)&h[4]);
        __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
        __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
        __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
        __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

        for (; nblocks > 0; nblocks--, block += SHA256_BLOCK_SIZE) {
                __m128i abef0 = abef, cdgh0 = cdgh, m[4];

                for (int g = 0; g < 16; g++) {
                        __m128i w, wk;

                        if (g < 4) {
                                w = _mm_loadu_si128((const __m128i *)(block + 16 * g));
                                w = _mm_shuffle_epi8(w, bswap);
                        } else {
                                w = _mm_sha256msg1_epu32(m[(g - 4) & 3], m[(g - 3) & 3]);
                                w = _mm_add_epi32(
                                        w, _mm_alignr_epi8(m[(g - 1) & 3], m[(g - 2) & 3], 4));
                                w = _mm_sha256msg2_epu32(w, m[(g - 1) & 3]);
                        }
                        m[g & 3] = w;
                        wk = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * g]));
                        cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
                        wk = _mm_shuffle_epi32(wk, 0x0E);
                        abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
                }
                abef = _mm_add_epi32(abef, abef0);
                cdgh = _mm_add_epi32(cdgh, cdgh0);
        }

        __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
        __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
        _mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
        _mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}
#endif

static void
compress(struct sha256 *c, const uint8_t *block, size_t nblocks)
{
#if SHA256_HAVE_X86
        if (c->hw) {
                compress_x86(c->h, block, nblocks);
                return;
        }
#endif
        compress_portable(c->h, block, nblocks);
}

void
sha256_reset(struct sha256 *c)
{
        /* FIPS 180-4 5.3.3 */
        static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

        memcpy(c->h, iv, sizeof(iv));
        c->len = 0;
        c->nbuf = 0;
}

void
sha256_init(struct sha256 *c)
{
        sha256_reset(c);
#if SHA256_HAVE_X86
        c->hw = cpu_has_sha();
#else
        c->hw = false;
#endif
}

void
sha256_force_portable(struct sha256 *c)
{
        c->hw = false;
}

void
sha256_update(struct sha256 *c, const void *data, size_t n)
{
        const uint8_t *p = data;

        c->len += n;
        if (c->nbuf > 0) {
                size_t take = SHA256_BLOCK_SIZE - c->nbuf;

                if (take > n)
                        take = n;
                memcpy(c->buf + c->nbuf, p, take);
                c->nbuf += take;
                p += take;
                n -= take;
                if (c->nbuf < SHA256_BLOCK_SIZE)
                        return;
                compress(c, c->buf, 1);
                c->nbuf = 0;
        }
        if (n >= SHA256_BLOCK_SIZE) {
                size_t blocks = n / SHA256_BLOCK_SIZE;

                compress(c, p, blocks);
                p += blocks * SHA256_BLOCK_SIZE;
                n -= blocks * SHA256_BLOCK_SIZE;
        }
        if (n > 0) {
                memcpy(c->buf, p, n);
                c->nbuf = n;
        }
}

/* FIPS 180-4 5.1.1: a 1 bit, zeros to 56 mod 64, then the bit length big-endian. */
void
sha256_final(struct sha256 *c, uint8_t out[SHA256_DIGEST_SIZE])
{
        uint64_t bits = c->len * 8;
        uint8_t pad[SHA256_BLOCK_SIZE + 8] = { 0x80 };
        size_t padlen = (c->nbuf < 56) ? 56 - c->nbuf : 120 - c->nbuf;

        for (int i = 0; i < 8; i++)
                pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
        sha256_update(c, pad, padlen + 8);
        for (int i = 0; i < 8; i++)
                store_be32(out + 4 * i, c->h[i]);
}

void
sha256_buf(const void *data, size_t n, uint8_t out[SHA256_DIGEST_SIZE])
{
        struct sha256 c;

        sha256_init(&c);
        sha256_update(&c, data, n);
        sha256_final(&c, out);
}

void
sha256_hex(const uint8_t d[SHA256_DIGEST_SIZE], char out[SHA256_HEX_SIZE])
{
        static const char hex[] = "0123456789abcdef";

        for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
                out[2 * i] = hex[d[i] >> 4];
                out[2 * i + 1] = hex[d[i] & 15];
        }
        out[2 * SHA256_DIGEST_SIZE] = '\0';
}
