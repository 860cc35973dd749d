/* Network namespaces, veth pairs and raw frames for data-plane tests. Everything a test creates
 * is removed by a destructor, so it goes away when the test fails too; names carry the test
 * process's pid, so runs never collide, and leftovers of a crashed run share a prefix that
 * RemoveLeftovers() clears. */
#ifndef VSW_TESTS_INTEGRATION_NETNS_H
#define VSW_TESTS_INTEGRATION_NETNS_H

#include <stdint.h>

#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using MacAddr = std::array<uint8_t, 6>;

std::string MacText(const MacAddr &mac);

// Deletes namespaces left by earlier runs (prefix "vswdt-") once they are older than any run
// (30 minutes), so that runs of the suite in parallel leave each other's alone.
void RemoveLeftovers();

// A unique short name: prefix + pid + counter, at most 12 characters (room for a suffix).
std::string UniqueName(const std::string &prefix);

// A network namespace; its processes are killed and it is deleted on destruction.
class Netns {
  public:
    Netns();
    ~Netns();
    Netns(const Netns &) = delete;
    Netns &operator=(const Netns &) = delete;
    const std::string &name() const { return name_; }
    // Runs a shell command inside the namespace.
    int Exec(const std::string &command, std::string *output = nullptr) const;
    // Runs `fn` on a thread that entered the namespace; returns when it is done.
    void Run(const std::function<void()> &fn) const;

  private:
    std::string name_;
};

// A veth pair: `host` stays in flowd's namespace (a switch port), `peer` goes into `ns` with
// `cidr` (may be empty), up, IPv6 off (no stray router solicitations in packet counts), and
// offloads left at the kernel's defaults.
class Veth {
  public:
    Veth(const Netns &ns, const std::string &cidr);
    ~Veth();
    Veth(const Veth &) = delete;
    Veth &operator=(const Veth &) = delete;
    const std::string &host() const { return host_; }
    const std::string &peer() const { return peer_; }
    MacAddr PeerMac() const;
    uint64_t PeerCounter(const std::string &stat) const;   // e.g. "rx_packets"

  private:
    const Netns &ns_;
    std::string host_, peer_;
};

// Frames captured on an interface of a namespace, from construction to Stop(), with the
// outer VLAN tag the kernel moved to auxdata put back in place.
class Capture {
  public:
    Capture(const Netns &ns, const std::string &ifname);
    ~Capture();
    // Stops and returns what was seen (only frames received, not sent, by the interface).
    std::vector<std::vector<uint8_t>> Stop();

  private:
    void Loop(int fd);
    std::atomic<bool> stop_{ false };
    std::atomic<bool> ready_{ false };
    std::thread thread_;
    std::mutex mutex_;
    std::vector<std::vector<uint8_t>> frames_;
};

// Sends raw frames out of an interface of a namespace, pausing 1 ms after every `burst` of
// them (a test measures the switch, not how deep its receive ring is). Returns how many were
// sent.
size_t SendFrames(const Netns &ns, const std::string &ifname,
                  const std::vector<std::vector<uint8_t>> &frames, size_t burst = 100);

// An Ethernet frame: dst, src, optional 802.1Q tag (vid > 0), ethertype 0x88b5 (local
// experimental), `payload` bytes.
std::vector<uint8_t> EthFrame(const MacAddr &dst, const MacAddr &src, int vid = -1,
                              size_t payload = 46);

// The outer 802.1Q VID of a captured frame, or -1 if untagged.
int FrameVid(const std::vector<uint8_t> &frame);

#endif
