/* flowd's datapath plumbing: set up as root, watched from the event loop once sandboxed. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flowd/flowd.h"

#define EPOLL_EVENTS_MAX 64

static int alloc_batch(struct bridge_env *env)
{
    env->batch = calloc(1, sizeof *env->batch);
    if (!env->batch)
        return -1;
    /* One mapping for every receive buffer; pages are touched only as far as frames fill
     * them, so 64 KiB slots cost little for small packets. */
    size_t size = (size_t)DP_BATCH_MAX * DP_RX_BUF_SIZE;
    uint8_t *area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (area == MAP_FAILED)
        return -1;
    for (size_t i = 0; i < DP_BATCH_MAX; i++)
        env->batch->bufs[i] = area + i * DP_RX_BUF_SIZE;
    return 0;
}

int flowd_datapath_setup(struct flowd *flowd)
{
    struct bridge_env *env = &flowd->env;
    env->epoll_fd = -1;
    flowd->netdev.ioctl_fd = flowd->netdev.nl_fd = -1;
    if (tun_opener_start(&flowd->tun) < 0 || netdev_socks_open(&flowd->netdev) < 0)
        return -1;
    env->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (env->epoll_fd < 0) {
        vlog_err("cannot create the datapath's epoll set: %s", strerror(errno));
        return -1;
    }
    if (alloc_batch(env) < 0) {
        vlog_err("cannot allocate receive buffers: %s", strerror(errno));
        return -1;
    }
    env->dpif_env.tun = &flowd->tun;
    env->dpif_env.netdev = &flowd->netdev;
    /* A run directory is short (its socket paths fit in 108 bytes): nothing is cut here. */
    snprintf(flowd->tap_alias, sizeof flowd->tap_alias, "vsw-flowd %.200s",
             flowd->daemon.opts.rundir);
    env->dpif_env.tap_alias = flowd->tap_alias;
    return 0;
}

/* Some ports have packets waiting: switch them, one port after the other. */
static void on_datapath_readable(void *arg, int fd, short revents)
{
    (void)revents;
    struct epoll_event events[EPOLL_EVENTS_MAX];
    int n = epoll_wait(fd, events, EPOLL_EVENTS_MAX, 0);
    (void)arg;
    for (int i = 0; i < n; i++) {
        if (events[i].events & (EPOLLERR | EPOLLHUP))
            bridge_port_error(events[i].data.ptr);
        else
            bridge_port_input(events[i].data.ptr);
    }
}

static void on_periodic(void *arg)
{
    struct flowd *flowd = arg;
    uint64_t now = loop_now_ms();
    for (size_t i = 0; i < flowd->n_bridges; i++)
        bridge_run_periodic(flowd->bridges[i], now);
}

/* Deletes the taps of this run directory's flowd that no port of ours holds: those an earlier
 * flowd left when it died, which nobody claimed during the grace period (or by the time this
 * flowd stops). */
static void delete_unclaimed_taps(struct flowd *flowd)
{
    struct netdev_link *links;
    size_t n;
    if (netdev_list_by_alias(&flowd->netdev, flowd->tap_alias, &links, &n) < 0) {
        vlog_warn("cannot look for left-over internal ports: %s", strerror(errno));
        return;
    }
    int *unclaimed = malloc((n + 1) * sizeof *unclaimed);
    size_t n_unclaimed = 0;
    for (size_t i = 0; unclaimed && i < n; i++) {
        if (!flowd_port_owner(flowd, links[i].name))
            unclaimed[n_unclaimed++] = links[i].ifindex;
    }
    if (n_unclaimed && netdev_delete_batch(&flowd->netdev, unclaimed, n_unclaimed) == 0)
        vlog_info("deleted %zu internal ports left over by an earlier vsw-flowd", n_unclaimed);
    free(unclaimed);
    free(links);
}

static void on_leftover_timer(void *arg)
{
    delete_unclaimed_taps(arg);
}

int flowd_datapath_start(struct flowd *flowd)
{
    struct loop *loop = &flowd->daemon.loop;
    if (loop_watch_fd(loop, flowd->env.epoll_fd, POLLIN, on_datapath_readable, flowd) < 0 ||
        loop_add_timer(loop, FLOWD_PERIODIC_MS, FLOWD_PERIODIC_MS, on_periodic, flowd) < 0 ||
        loop_add_timer(loop, FLOWD_LEFTOVER_GRACE_MS, 0, on_leftover_timer, flowd) < 0)
        return -1;
    return 0;
}

void flowd_datapath_teardown(struct flowd *flowd)
{
    while (flowd->n_bridges)
        flowd_bridge_remove(flowd, flowd->bridges[flowd->n_bridges - 1]);
    if (flowd->netdev.nl_fd >= 0)
        delete_unclaimed_taps(flowd);   /* a clean stop leaves no device behind */
    free(flowd->bridges);
    flowd->bridges = NULL;
    if (flowd->env.epoll_fd >= 0)
        close(flowd->env.epoll_fd);
    flowd->env.epoll_fd = -1;
    netdev_socks_close(&flowd->netdev);
    tun_opener_stop(&flowd->tun);
}

struct bridge *flowd_bridge_find(const struct flowd *flowd, const char *name)
{
    for (size_t i = 0; i < flowd->n_bridges; i++) {
        if (!strcmp(flowd->bridges[i]->name, name))
            return flowd->bridges[i];
    }
    return NULL;
}

struct bridge *flowd_port_owner(const struct flowd *flowd, const char *name)
{
    for (size_t i = 0; i < flowd->n_bridges; i++) {
        if (bridge_port_find(flowd->bridges[i], name))
            return flowd->bridges[i];
    }
    return NULL;
}

int flowd_bridge_insert(struct flowd *flowd, struct bridge *br)
{
    struct bridge **bridges = realloc(flowd->bridges,
                                      (flowd->n_bridges + 1) * sizeof *bridges);
    if (!bridges)
        return -1;
    flowd->bridges = bridges;
    flowd->bridges[flowd->n_bridges++] = br;
    return 0;
}

void flowd_bridge_remove(struct flowd *flowd, struct bridge *br)
{
    for (size_t i = 0; i < flowd->n_bridges; i++) {
        if (flowd->bridges[i] != br)
            continue;
        memmove(&flowd->bridges[i], &flowd->bridges[i + 1],
                (flowd->n_bridges - i - 1) * sizeof br);
        flowd->n_bridges--;
        break;
    }
    bridge_destroy(br);
}
