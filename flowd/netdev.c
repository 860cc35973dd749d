#include "flowd/netdev.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/log.h"

/* <net/if.h> (needed for struct ifreq) and <linux/if.h> (which has this) do not mix. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

int netdev_socks_open(struct netdev_socks *s)
{
    s->nl_seq = 0;
    s->ioctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    s->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s->ioctl_fd < 0 || s->nl_fd < 0) {
        vlog_err("cannot open interface control sockets: %s", strerror(errno));
        netdev_socks_close(s);
        return -1;
    }
    /* A reply that never comes must not hang the daemon's only thread. */
    struct timeval tv = { .tv_sec = 1 };
    setsockopt(s->nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return 0;
}

void netdev_socks_close(struct netdev_socks *s)
{
    if (s->ioctl_fd >= 0)
        close(s->ioctl_fd);
    if (s->nl_fd >= 0)
        close(s->nl_fd);
    s->ioctl_fd = s->nl_fd = -1;
}

static void ifreq_init(struct ifreq *ifr, const char *name)
{
    memset(ifr, 0, sizeof *ifr);
    strncpy(ifr->ifr_name, name, IFNAMSIZ - 1);
}

int netdev_ifindex(const struct netdev_socks *s, const char *name)
{
    struct ifreq ifr;
    ifreq_init(&ifr, name);
    if (ioctl(s->ioctl_fd, SIOCGIFINDEX, &ifr) < 0)
        return -1;
    return ifr.ifr_ifindex;
}

int netdev_set_mtu(const struct netdev_socks *s, const char *name, uint32_t mtu)
{
    struct ifreq ifr;
    ifreq_init(&ifr, name);
    ifr.ifr_mtu = (int)mtu;
    return ioctl(s->ioctl_fd, SIOCSIFMTU, &ifr);
}

int netdev_get_mtu(const struct netdev_socks *s, const char *name, uint32_t *mtu)
{
    struct ifreq ifr;
    ifreq_init(&ifr, name);
    if (ioctl(s->ioctl_fd, SIOCGIFMTU, &ifr) < 0)
        return -1;
    *mtu = (uint32_t)ifr.ifr_mtu;
    return 0;
}

int netdev_get_mac(const struct netdev_socks *s, const char *name, uint8_t *mac)
{
    struct ifreq ifr;
    ifreq_init(&ifr, name);
    if (ioctl(s->ioctl_fd, SIOCGIFHWADDR, &ifr) < 0)
        return -1;
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return 0;
}

static void parse_link_attrs(const struct ifinfomsg *ifi, size_t len, struct netdev_status *st)
{
    st->admin_up = ifi->ifi_flags & IFF_UP;
    st->link_up = ifi->ifi_flags & IFF_LOWER_UP;
    size_t attrs_len = len - NLMSG_ALIGN(sizeof *ifi);
    for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, attrs_len);
         a = RTA_NEXT(a, attrs_len)) {
        size_t payload = RTA_PAYLOAD(a);
        if (a->rta_type == IFLA_IFALIAS && payload > 0) {
            size_t n = payload < sizeof st->alias ? payload : sizeof st->alias - 1;
            memcpy(st->alias, RTA_DATA(a), n);
            st->alias[n] = '\0';
        } else if (a->rta_type == IFLA_IFNAME && payload > 0) {
            size_t n = payload < sizeof st->name ? payload : sizeof st->name - 1;
            memcpy(st->name, RTA_DATA(a), n);
            st->name[n] = '\0';
        } else if (a->rta_type == IFLA_MTU && payload >= sizeof(uint32_t)) {
            memcpy(&st->mtu, RTA_DATA(a), sizeof st->mtu);
        } else if (a->rta_type == IFLA_ADDRESS && payload >= 6) {
            memcpy(st->mac, RTA_DATA(a), 6);
        } else if (a->rta_type == IFLA_STATS64 && payload >= sizeof(struct rtnl_link_stats64)) {
            struct rtnl_link_stats64 k;
            memcpy(&k, RTA_DATA(a), sizeof k);
            st->stats = (struct netdev_stats){ k.rx_packets, k.tx_packets, k.rx_bytes,
                                               k.tx_bytes, k.rx_errors, k.tx_errors,
                                               k.rx_dropped, k.tx_dropped };
        }
    }
}

/* Sends `req` and hands each message of its answer to `on_message` (may be NULL) until the
 * answer ends: an NLMSG_ERROR (an acknowledgement if its error is 0), NLMSG_DONE (the end of a
 * dump), or `on_message` returning true. Returns 0, or -1 with errno set. */
static int nl_request(struct netdev_socks *s, struct nlmsghdr *req,
                      bool (*on_message)(void *aux, const struct nlmsghdr *nh), void *aux)
{
    req->nlmsg_flags |= NLM_F_REQUEST;
    req->nlmsg_seq = ++s->nl_seq;
    if (send(s->nl_fd, req, req->nlmsg_len, 0) < 0)
        return -1;
    for (;;) {
        static char buf[32768];   /* a dump comes in parts of up to 32 KiB */
        ssize_t n = recv(s->nl_fd, buf, sizeof buf, 0);
        if (n < 0)
            return -1;
        for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
             nh = NLMSG_NEXT(nh, n)) {
            if (nh->nlmsg_seq != s->nl_seq)
                continue;   /* a late answer to an earlier request that timed out */
            if (nh->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(nh);
                if (!e->error)
                    return 0;
                errno = -e->error;
                return -1;
            }
            if (nh->nlmsg_type == NLMSG_DONE || (on_message && on_message(aux, nh)))
                return 0;
        }
    }
}

struct link_query {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
};

static bool take_status(void *aux, const struct nlmsghdr *nh)
{
    if (nh->nlmsg_type != RTM_NEWLINK)
        return false;
    parse_link_attrs(NLMSG_DATA(nh), nh->nlmsg_len - NLMSG_HDRLEN, aux);
    return true;
}

int netdev_get_status(struct netdev_socks *s, int ifindex, struct netdev_status *st)
{
    struct link_query req = { .nh = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK },
                              .ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex } };
    memset(st, 0, sizeof *st);
    return nl_request(s, &req.nh, take_status, st);
}

/* ---- deleting many interfaces at once ---- */

/* Interface groups vsw uses as a temporary mark for the interfaces it is about to delete. */
#define DELETE_GROUP_FIRST 0x76737701u   /* "vsw" 01 */
#define DELETE_GROUP_TRIES 64           /* bits of a uint64_t: see pick_delete_group() */

struct link_request {
    struct nlmsghdr nh;
    struct ifinfomsg ifi;
    struct rtattr group_attr;
    uint32_t group;
};

/* Sends `req` and waits for its acknowledgement. Returns 0, or -1 with errno set to the
 * kernel's error. */
static int nl_transact_ack(struct netdev_socks *s, struct nlmsghdr *req)
{
    req->nlmsg_flags |= NLM_F_ACK;
    return nl_request(s, req, NULL, NULL);
}

static void link_request_init(struct link_request *req, uint16_t type, int ifindex,
                              uint32_t group)
{
    memset(req, 0, sizeof *req);
    req->nh.nlmsg_len = sizeof *req;
    req->nh.nlmsg_type = type;
    req->ifi.ifi_family = AF_UNSPEC;
    req->ifi.ifi_index = ifindex;
    req->group_attr.rta_type = IFLA_GROUP;
    req->group_attr.rta_len = RTA_LENGTH(sizeof req->group);
    req->group = group;
}

struct link_visit {
    void (*visit)(void *aux, const struct ifinfomsg *ifi, int attrs_len);
    void *aux;
};

static bool visit_link(void *aux, const struct nlmsghdr *nh)
{
    const struct link_visit *v = aux;
    if (nh->nlmsg_type == RTM_NEWLINK)
        v->visit(v->aux, NLMSG_DATA(nh),
                 (int)(nh->nlmsg_len - NLMSG_LENGTH(sizeof(struct ifinfomsg))));
    return false;
}

/* Calls `visit` for every interface of the namespace (an RTM_GETLINK dump). Returns 0, or -1
 * with errno set. */
static int for_each_link(struct netdev_socks *s,
                         void (*visit)(void *aux, const struct ifinfomsg *ifi, int attrs_len),
                         void *aux)
{
    struct link_query req = { .nh = { .nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK,
                                      .nlmsg_flags = NLM_F_DUMP },
                              .ifi = { .ifi_family = AF_UNSPEC } };
    struct link_visit v = { visit, aux };
    return nl_request(s, &req.nh, visit_link, &v);
}

/* Marks in `aux` (a uint64_t, bit i for DELETE_GROUP_FIRST + i) the candidate groups in use. */
static void note_candidate_group(void *aux, const struct ifinfomsg *ifi, int len)
{
    uint64_t *used = aux;
    for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type != IFLA_GROUP || RTA_PAYLOAD(a) < sizeof(uint32_t))
            continue;
        uint32_t group = *(const uint32_t *)RTA_DATA(a);
        if (group >= DELETE_GROUP_FIRST && group - DELETE_GROUP_FIRST < DELETE_GROUP_TRIES)
            *used |= 1ull << (group - DELETE_GROUP_FIRST);
    }
}

/* The first candidate group no interface is in, found with one dump of the interfaces. */
static int pick_delete_group(struct netdev_socks *s, uint32_t *group)
{
    uint64_t used = 0;
    if (for_each_link(s, note_candidate_group, &used) < 0)
        return -1;
    for (uint32_t i = 0; i < DELETE_GROUP_TRIES; i++) {
        if (!(used & (1ull << i))) {
            *group = DELETE_GROUP_FIRST + i;
            return 0;
        }
    }
    errno = EBUSY;
    return -1;
}

int netdev_delete_batch(struct netdev_socks *s, const int *ifindexes, size_t n)
{
    uint32_t group;
    if (pick_delete_group(s, &group) < 0) {
        vlog_warn("cannot delete %zu interfaces at once: no free interface group: %s", n,
                  strerror(errno));
        return -1;
    }
    struct link_request req;
    for (size_t i = 0; i < n; i++) {
        link_request_init(&req, RTM_SETLINK, ifindexes[i], group);
        if (nl_transact_ack(s, &req.nh) < 0) {
            vlog_warn("cannot mark interface %d for deletion: %s", ifindexes[i],
                      strerror(errno));
            return -1;
        }
    }
    link_request_init(&req, RTM_DELLINK, 0, group);
    if (nl_transact_ack(s, &req.nh) < 0) {
        vlog_warn("cannot delete interface group %#x (%zu interfaces): %s", group, n,
                  strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- marking interfaces ---- */

int netdev_set_alias(struct netdev_socks *s, int ifindex, const char *alias)
{
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
        struct rtattr attr;
        char alias[NETDEV_ALIAS_MAX + 1];
    } req;
    size_t len = strlen(alias);
    if (len > NETDEV_ALIAS_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&req, 0, sizeof req);
    req.ifi.ifi_family = AF_UNSPEC;
    req.ifi.ifi_index = ifindex;
    req.attr.rta_type = IFLA_IFALIAS;
    req.attr.rta_len = (unsigned short)RTA_LENGTH(len + 1);
    memcpy(req.alias, alias, len);
    req.nh.nlmsg_type = RTM_SETLINK;
    req.nh.nlmsg_len =
        (uint32_t)(NLMSG_ALIGN(NLMSG_LENGTH(sizeof req.ifi)) + RTA_ALIGN(req.attr.rta_len));
    return nl_transact_ack(s, &req.nh);
}

struct alias_search {
    const char *alias;
    struct netdev_link *links;
    size_t n, allocated;
    bool failed;
};

static void note_alias(void *aux, const struct ifinfomsg *ifi, int len)
{
    struct alias_search *a = aux;
    const char *name = NULL, *alias = NULL;
    for (const struct rtattr *r = IFLA_RTA(ifi); RTA_OK(r, len); r = RTA_NEXT(r, len)) {
        if (r->rta_type == IFLA_IFNAME)
            name = RTA_DATA(r);
        else if (r->rta_type == IFLA_IFALIAS)
            alias = RTA_DATA(r);
    }
    if (!name || !alias || strcmp(alias, a->alias) != 0 || a->failed)
        return;
    if (a->n == a->allocated) {
        size_t allocated = a->allocated ? 2 * a->allocated : 16;
        struct netdev_link *links = realloc(a->links, allocated * sizeof *links);
        if (!links) {
            a->failed = true;
            return;
        }
        a->links = links;
        a->allocated = allocated;
    }
    a->links[a->n].ifindex = ifi->ifi_index;
    snprintf(a->links[a->n].name, sizeof a->links[a->n].name, "%s", name);
    a->n++;
}

int netdev_list_by_alias(struct netdev_socks *s, const char *alias, struct netdev_link **links,
                         size_t *n)
{
    struct alias_search a = { alias, NULL, 0, 0, false };
    if (for_each_link(s, note_alias, &a) < 0 || a.failed) {
        int saved = a.failed ? ENOMEM : errno;
        free(a.links);
        errno = saved;
        return -1;
    }
    *links = a.links;
    *n = a.n;
    return 0;
}
