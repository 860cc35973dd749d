#include "tests/integration/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

std::string MacText(const MacAddr &mac)
{
    char buf[18];
    snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
             mac[4], mac[5]);
    return buf;
}

void RemoveLeftovers()
{
    // Only namespaces older than any test run: another run may be using the younger ones. The
    // host ends of their veth pairs go with them.
    Shell("for n in $(ip netns list | awk '/^vswdt-/ {print $1}'); do "
          "[ -n \"$(find /run/netns/$n -maxdepth 0 -mmin +30 2>/dev/null)\" ] || continue; "
          "ip netns pids $n | xargs -r kill -9; ip netns del $n; done");
}

std::string UniqueName(const std::string &prefix)
{
    static std::atomic<int> counter{ 0 };
    char buf[16];
    snprintf(buf, sizeof buf, "%s%04d%02d", prefix.c_str(), getpid() % 10000,
             counter++ % 100);
    return buf;
}

Netns::Netns() : name_("vswdt-" + UniqueName(""))
{
    Shell("ip netns add " + name_);
    Exec("ip link set lo up");
}

Netns::~Netns()
{
    Shell("ip netns pids " + name_ + " | xargs -r kill -9; ip netns del " + name_);
}

int Netns::Exec(const std::string &command, std::string *output) const
{
    CommandResult r = Shell("ip netns exec " + name_ + " " + command);
    if (output)
        *output = r.output;
    return r.exit_code;
}

void Netns::Run(const std::function<void()> &fn) const
{
    std::thread t([&] {
        int fd = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
            perror("setns");
            return;
        }
        close(fd);
        fn();
    });
    t.join();
}

Veth::Veth(const Netns &ns, const std::string &cidr) : ns_(ns)
{
    host_ = UniqueName("vdt");
    peer_ = host_ + "p";
    Shell("ip link add " + host_ + " type veth peer name " + peer_);
    Shell("sysctl -qw net.ipv6.conf." + host_ + ".disable_ipv6=1");
    Shell("ip link set " + peer_ + " netns " + ns.name());
    ns.Exec("sysctl -qw net.ipv6.conf." + peer_ + ".disable_ipv6=1");
    if (!cidr.empty())
        ns.Exec("ip addr add " + cidr + " dev " + peer_);
    ns.Exec("ip link set " + peer_ + " up");
    Shell("ip link set " + host_ + " up");
}

Veth::~Veth()
{
    Shell("ip link del " + host_ + " 2>/dev/null");
}

MacAddr Veth::PeerMac() const
{
    std::string text;
    ns_.Exec("cat /sys/class/net/" + peer_ + "/address", &text);
    MacAddr mac{};
    unsigned v[6] = {};
    if (sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6) {
        for (int i = 0; i < 6; i++)
            mac[i] = (uint8_t)v[i];
    }
    return mac;
}

uint64_t Veth::PeerCounter(const std::string &stat) const
{
    std::string text;
    ns_.Exec("cat /sys/class/net/" + peer_ + "/statistics/" + stat, &text);
    return strtoull(text.c_str(), nullptr, 10);
}

static int open_packet_socket(const std::string &ifname)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        return -1;
    struct sockaddr_ll sll = {};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)if_nametoindex(ifname.c_str());
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

Capture::Capture(const Netns &ns, const std::string &ifname)
{
    thread_ = std::thread([this, &ns, ifname] {
        int nsfd = open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC);
        if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0) {
            ready_ = true;
            return;
        }
        close(nsfd);
        int fd = open_packet_socket(ifname);
        int one = 1;
        struct timeval tv = { 0, 50000 };
        if (fd >= 0) {
            setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
            int bytes = 8 << 20;
            setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes);
        }
        ready_ = true;
        if (fd >= 0) {
            Loop(fd);
            close(fd);
        }
    });
    while (!ready_)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void Capture::Loop(int fd)
{
    while (!stop_) {
        uint8_t buf[2048];
        union {
            char c[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
            struct cmsghdr align;
        } control;
        struct sockaddr_ll from = {};
        struct iovec iov = { buf, sizeof buf };
        struct msghdr msg = {};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.c;
        msg.msg_controllen = sizeof control.c;
        ssize_t n = recvmsg(fd, &msg, 0);
        if (n < 14 || from.sll_pkttype == PACKET_OUTGOING)
            continue;
        std::vector<uint8_t> frame(buf, buf + n);
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA)
                continue;
            struct tpacket_auxdata aux;
            memcpy(&aux, CMSG_DATA(c), sizeof aux);
            if (aux.tp_status & TP_STATUS_VLAN_VALID) {
                uint16_t tpid = aux.tp_status & TP_STATUS_VLAN_TPID_VALID ? aux.tp_vlan_tpid
                                                                          : 0x8100;
                uint8_t tag[4] = { (uint8_t)(tpid >> 8), (uint8_t)tpid,
                                   (uint8_t)(aux.tp_vlan_tci >> 8), (uint8_t)aux.tp_vlan_tci };
                frame.insert(frame.begin() + 12, tag, tag + 4);
            }
        }
        std::lock_guard<std::mutex> lock(mutex_);
        frames_.push_back(std::move(frame));
    }
}

std::vector<std::vector<uint8_t>> Capture::Stop()
{
    stop_ = true;
    if (thread_.joinable())
        thread_.join();
    std::lock_guard<std::mutex> lock(mutex_);
    return frames_;
}

Capture::~Capture()
{
    Stop();
}

size_t SendFrames(const Netns &ns, const std::string &ifname,
                  const std::vector<std::vector<uint8_t>> &frames, size_t burst)
{
    size_t sent = 0;
    ns.Run([&] {
        int fd = open_packet_socket(ifname);
        if (fd < 0)
            return;
        for (const auto &f : frames) {
            if (send(fd, f.data(), f.size(), 0) == (ssize_t)f.size())
                sent++;
            if (sent % burst == 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        close(fd);
    });
    return sent;
}

std::vector<uint8_t> EthFrame(const MacAddr &dst, const MacAddr &src, int vid, size_t payload)
{
    std::vector<uint8_t> f(dst.begin(), dst.end());
    f.insert(f.end(), src.begin(), src.end());
    if (vid > 0) {
        f.insert(f.end(), { 0x81, 0x00, (uint8_t)(vid >> 8), (uint8_t)vid });
    }
    f.insert(f.end(), { 0x88, 0xb5 });
    f.insert(f.end(), payload, 0x5a);
    return f;
}

int FrameVid(const std::vector<uint8_t> &frame)
{
    if (frame.size() < 18 || frame[12] != 0x81 || frame[13] != 0x00)
        return -1;
    return (frame[14] << 8 | frame[15]) & 0x0fff;
}
