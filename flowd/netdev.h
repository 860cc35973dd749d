/* Linux network interfaces as flowd needs them: index, MTU, address, state and counters, via
 * ioctl(2) on a datagram socket and rtnetlink (RTM_GETLINK). Both sockets are opened once at
 * start-up, before the sandbox. */
#ifndef VSW_FLOWD_NETDEV_H
#define VSW_FLOWD_NETDEV_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct netdev_socks {
    int ioctl_fd;   /* AF_UNIX datagram socket: interface ioctls */
    int nl_fd;      /* NETLINK_ROUTE */
    uint32_t nl_seq;
};

struct netdev_stats {
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_errors, tx_errors, rx_dropped, tx_dropped;
};

#define NETDEV_ALIAS_MAX 255

struct netdev_status {
    char name[IF_NAMESIZE];
    char alias[NETDEV_ALIAS_MAX + 1];   /* "" if none */
    bool admin_up;
    bool link_up;
    uint32_t mtu;
    uint8_t mac[6];
    struct netdev_stats stats;
};

/* Returns 0, or -1 (logged). */
int netdev_socks_open(struct netdev_socks *s);
void netdev_socks_close(struct netdev_socks *s);

/* The interface index of `name` in flowd's namespace, or -1 with errno set. */
int netdev_ifindex(const struct netdev_socks *s, const char *name);
int netdev_set_mtu(const struct netdev_socks *s, const char *name, uint32_t mtu);
int netdev_get_mtu(const struct netdev_socks *s, const char *name, uint32_t *mtu);
int netdev_get_mac(const struct netdev_socks *s, const char *name, uint8_t *mac);

/* Everything about interface `ifindex` in one RTM_GETLINK. Returns 0, or -1 with errno set. */
int netdev_get_status(struct netdev_socks *s, int ifindex, struct netdev_status *st);

/* Interface aliases (IFLA_IFALIAS, what `ip link` shows as "alias") mark the devices flowd
 * made, so that a later flowd finds them. */

struct netdev_link {
    int ifindex;
    char name[IF_NAMESIZE];
};

/* Returns 0, or -1 with errno set. */
int netdev_set_alias(struct netdev_socks *s, int ifindex, const char *alias);
/* Every interface whose alias is `alias`, in *links (malloc'd, *n of them). Returns 0, or -1
 * with errno set. */
int netdev_list_by_alias(struct netdev_socks *s, const char *alias, struct netdev_link **links,
                         size_t *n);

/* Deletes the interfaces `ifindexes` in one batch. The kernel pays a few RCU grace periods per
 * unregistration; deleting interfaces one by one (closing a tap's descriptor does that) costs
 * about 16 ms each, so 1000 taps take 16 s, while one batch takes milliseconds. The batch is an
 * RTM_DELLINK of an interface group: the interfaces are first moved to a group no other
 * interface of the namespace is in. Returns 0, or -1 (logged) with errno set; after a failure
 * the caller deletes the interfaces one by one. */
int netdev_delete_batch(struct netdev_socks *s, const int *ifindexes, size_t n);

#endif
