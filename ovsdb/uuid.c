#include "ovsdb/uuid.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* splitmix64: spreads a weak fallback seed over the generator state. */
static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void uuid_generator_init(struct uuid_generator *gen)
{
    if (getrandom(gen->state, sizeof gen->state, GRND_NONBLOCK) == sizeof gen->state &&
        (gen->state[0] | gen->state[1] | gen->state[2] | gen->state[3]))
        return;
    /* No entropy yet (early boot): time and address still make collisions between two
     * databases unlikely, and uniqueness inside one database is checked on insert anyway. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t seed = ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) ^ (uintptr_t)gen;
    for (int i = 0; i < 4; i++)
        gen->state[i] = splitmix64(&seed);
}

/* xoshiro256** */
static uint64_t next64(struct uuid_generator *gen)
{
    uint64_t *s = gen->state;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

void uuid_generate(struct uuid_generator *gen, struct uuid *uuid)
{
    uint64_t a = next64(gen), b = next64(gen);
    memcpy(uuid->bytes, &a, 8);
    memcpy(uuid->bytes + 8, &b, 8);
    uuid->bytes[6] = (uint8_t)((uuid->bytes[6] & 0x0f) | 0x40);   /* version 4 */
    uuid->bytes[8] = (uint8_t)((uuid->bytes[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool uuid_from_string(struct uuid *uuid, const char *s)
{
    size_t pos = 0;
    for (int byte = 0; byte < 16; byte++) {
        if (pos == 8 || pos == 13 || pos == 18 || pos == 23) {
            if (s[pos] != '-')
                return false;
            pos++;
        }
        /* hex_value('\0') < 0 stops us at the end of a short string. */
        int hi = hex_value(s[pos]), lo = hi < 0 ? -1 : hex_value(s[pos + 1]);
        if (lo < 0)
            return false;
        uuid->bytes[byte] = (uint8_t)(hi << 4 | lo);
        pos += 2;
    }
    return s[pos] == '\0';
}

void uuid_to_string(const struct uuid *uuid, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[uuid->bytes[i] >> 4];
        *p++ = hex[uuid->bytes[i] & 15];
    }
    *p = '\0';
}

int uuid_compare(const struct uuid *a, const struct uuid *b)
{
    return memcmp(a->bytes, b->bytes, sizeof a->bytes);
}

bool uuid_equals(const struct uuid *a, const struct uuid *b)
{
    return !memcmp(a->bytes, b->bytes, sizeof a->bytes);
}

bool uuid_is_zero(const struct uuid *uuid)
{
    static const struct uuid zero;
    return uuid_equals(uuid, &zero);
}

static uint64_t hash_key;
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

static void make_hash_key(void)
{
    if (getrandom(&hash_key, sizeof hash_key, GRND_NONBLOCK) != sizeof hash_key)
        hash_key = (uintptr_t)&hash_key * 0x9e3779b97f4a7c15ull;
}

/* Clients may choose UUIDs ("uuid" in insert, change records), so the hash is keyed by a
 * per-process secret: nobody can pick UUIDs that all land in one bucket. */
size_t uuid_hash(const struct uuid *uuid)
{
    pthread_once(&hash_key_once, make_hash_key);
    uint64_t head, tail;
    memcpy(&head, uuid->bytes, sizeof head);
    memcpy(&tail, uuid->bytes + 8, sizeof tail);
    uint64_t h = (head ^ hash_key) * 0xff51afd7ed558ccdull;
    h = (h ^ (h >> 32) ^ tail) * 0xc4ceb9fe1a85ec53ull;
    return (size_t)(h ^ (h >> 29));
}
