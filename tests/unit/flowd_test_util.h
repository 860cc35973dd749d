// Frames for flowd's unit tests: built byte by byte, so tests state exactly what is on the wire.
#ifndef VSW_TESTS_UNIT_FLOWD_TEST_UTIL_H
#define VSW_TESTS_UNIT_FLOWD_TEST_UTIL_H

#include <stdint.h>
#include <string.h>

#include <array>
#include <vector>

using Mac = std::array<uint8_t, 6>;

inline Mac MacN(uint32_t n)
{
    return { 0x02, 0x00, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
}

inline const Mac kBroadcast = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

inline void Put16(std::vector<uint8_t> &f, uint16_t v)
{
    f.push_back((uint8_t)(v >> 8));
    f.push_back((uint8_t)v);
}

struct Tag {
    uint16_t tpid;
    uint16_t tci;
};

// dst, src, the tags in order, ethertype, then `payload` bytes of 0xab.
inline std::vector<uint8_t> Frame(const Mac &dst, const Mac &src, std::vector<Tag> tags,
                                  uint16_t type, size_t payload = 46)
{
    std::vector<uint8_t> f(dst.begin(), dst.end());
    f.insert(f.end(), src.begin(), src.end());
    for (const Tag &t : tags) {
        Put16(f, t.tpid);
        Put16(f, t.tci);
    }
    Put16(f, type);
    f.insert(f.end(), payload, 0xab);
    return f;
}

#endif
