#ifndef HEDGE_SHIM_H
#define HEDGE_SHIM_H
// No _GNU_SOURCE: it renames fields of libc structs (fd_set's fds_bits), and Foundation's modules,
// built without it, then clash with ours in any target that imports both (the tests). The few GNU
// functions hedge needs are declared below instead.
// The C surface hedge uses: libc, libmnl, libnl-3 (headers; see README "libnl-3"), kernel uapi.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <syslog.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <poll.h>
#include <sched.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/nexthop.h>
#include <linux/fib_rules.h>
#include <linux/xfrm.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>

// GNU extensions, declared here rather than through _GNU_SOURCE (see the top).
extern int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
extern int setns(int fd, int nstype);
extern int unshare(int flags);
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif
struct hedge_ucred { pid_t pid; uid_t uid; gid_t gid; };   // struct ucred of <sys/socket.h>

// glibc's malloc raises its mmap threshold each time it frees a large block, so the tables of a
// learned BGP table (hundreds of KB each, regrown as routes arrive) end up in the heap, where their
// freed predecessors stay resident. A fixed threshold keeps every large block in its own mapping,
// returned to the kernel when freed. musl's allocator returns large blocks anyway.
#ifdef __GLIBC__
#include <malloc.h>
static inline void hedge_malloc_fixed_mmap_threshold(void) { mallopt(M_MMAP_THRESHOLD, 64 * 1024); }
#else
static inline void hedge_malloc_fixed_mmap_threshold(void) {}
#endif

// Macros and thread-locals Swift cannot import, as tiny inlines.
static inline int hedge_open(const char *p, int flags, unsigned mode) { return open(p, flags, mode); }
// _GNU_SOURCE turns sockaddr arguments into transparent unions Swift cannot pass: plain wrappers.
static inline int hedge_bind(int fd, const void *a, socklen_t l) { return bind(fd, (const struct sockaddr *)a, l); }
static inline int hedge_connect(int fd, const void *a, socklen_t l) { return connect(fd, (const struct sockaddr *)a, l); }
static inline ssize_t hedge_sendto(int fd, const void *b, size_t n, int f, const void *a, socklen_t l) {
    return sendto(fd, b, n, f, (const struct sockaddr *)a, l);
}
static inline ssize_t hedge_recvfrom(int fd, void *b, size_t n, int f, void *a, socklen_t *l) {
    return recvfrom(fd, b, n, f, (struct sockaddr *)a, l);
}
static inline int hedge_accept(int fd) { return accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK); }
// Back to blocking with send/receive timeouts: for the short exchanges of the control socket.
static inline int hedge_set_blocking_timeout(int fd, int ms) {
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}
static inline int hedge_setns_net(int fd) { return setns(fd, CLONE_NEWNET); }
static inline void hedge_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }
// recvmsg with the received TTL (IP_RECVTTL) and the source address: BFD checks TTL 255 (GTSM).
static inline ssize_t hedge_recv_ttl(int fd, void *buf, size_t len, int *ttl, struct sockaddr_in *from) {
    char control[64];
    struct iovec iov = { buf, len };
    struct msghdr m = { 0 };
    m.msg_name = from; m.msg_namelen = sizeof *from;
    m.msg_iov = &iov; m.msg_iovlen = 1;
    m.msg_control = control; m.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
    *ttl = -1;
    if (n < 0) return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) *ttl = *(int *)CMSG_DATA(c);
    return n;
}
static inline int hedge_getrandom(void *buf, size_t len) { return (int)getentropy(buf, len); }
// Sleeps up to `ms`, waking early for SIGINT/SIGTERM (blocked beforehand): the drill client's
// poll interval, which must still restore ExpressRoute when interrupted. Returns the signal or 0.
static inline int hedge_block_stop_signals(void) {
    sigset_t s; sigemptyset(&s); sigaddset(&s, SIGINT); sigaddset(&s, SIGTERM);
    return sigprocmask(SIG_BLOCK, &s, NULL);
}
static inline int hedge_wait_stop_signal(int ms) {
    sigset_t s; sigemptyset(&s); sigaddset(&s, SIGINT); sigaddset(&s, SIGTERM);
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
    int r = sigtimedwait(&s, NULL, &t);
    return r < 0 ? 0 : r;
}
static inline int hedge_errno(void) { return errno; }
static inline void hedge_set_errno(int e) { errno = e; }
static inline struct nlmsghdr *hedge_mnl_nlmsg_next(const struct nlmsghdr *n, int *len) {
    return mnl_nlmsg_next(n, len);
}
static inline int hedge_sigset_for(sigset_t *s, const int *sigs, int n) {
    sigemptyset(s);
    for (int i = 0; i < n; i++) sigaddset(s, sigs[i]);
    return sigprocmask(SIG_BLOCK, s, NULL);
}
static inline uint64_t hedge_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
static inline uint64_t hedge_realtime_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000ull + (uint64_t)ts.tv_nsec / 1000000ull;
}
static inline int hedge_fcntl_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL, 0);
    return fl < 0 ? fl : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}
static inline int hedge_is_socket_mode(unsigned int m) { return S_ISSOCK(m); }
static inline int hedge_wifexited(int s) { return WIFEXITED(s); }
static inline int hedge_wexitstatus(int s) { return WEXITSTATUS(s); }
// ucred of a unix-socket peer: the control socket serves root only.
static inline int hedge_peer_uid(int fd) {
    struct hedge_ucred c; socklen_t l = sizeof c;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &l) != 0) return -1;
    return (int)c.uid;
}
// BGP transport (HedgeLinux/BGP): TCP MD5 (RFC 2385), GTSM (RFC 5082), connect completion.
#include <netinet/tcp.h>
// TCP_MD5SIG for one peer address (sockaddr_in/in6, port ignored); keylen 0 removes the key.
static inline int hedge_tcp_md5sig(int fd, const void *peer, socklen_t peerlen, const uint8_t *key, int keylen) {
    struct tcp_md5sig m;
    memset(&m, 0, sizeof m);
    if (peerlen > sizeof m.tcpm_addr || keylen < 0 || keylen > TCP_MD5SIG_MAXKEYLEN) { errno = EINVAL; return -1; }
    memcpy(&m.tcpm_addr, peer, peerlen);
    m.tcpm_keylen = (uint16_t)keylen;
    if (keylen > 0) memcpy(m.tcpm_key, key, (size_t)keylen);
    return setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &m, sizeof m);
}
// GTSM: send with TTL/hop limit 255 and drop what arrives with less than `minttl`.
static inline int hedge_gtsm(int fd, int v6, int minttl) {
    int ttl = 255;
    if (v6) {
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl) != 0) return -1;
        return setsockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, &minttl, sizeof minttl);
    }
    if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl) != 0) return -1;
    return setsockopt(fd, IPPROTO_IP, IP_MINTTL, &minttl, sizeof minttl);
}
// The pending error of a non-blocking connect (0: connected).
static inline int hedge_so_error(int fd) {
    int e = 0; socklen_t l = sizeof e;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) != 0) return errno;
    return e;
}
static inline int hedge_getpeername(int fd, void *a, socklen_t *l) { return getpeername(fd, (struct sockaddr *)a, l); }
static inline int hedge_getsockname(int fd, void *a, socklen_t *l) { return getsockname(fd, (struct sockaddr *)a, l); }
static inline int hedge_fstat_mode_uid(int fd, unsigned *mode, unsigned *uid) {
    struct stat st;
    if (fstat(fd, &st) != 0) return -1;
    *mode = (unsigned)st.st_mode; *uid = (unsigned)st.st_uid;
    return 0;
}
static inline int hedge_s_isreg(unsigned m) { return S_ISREG(m); }
#endif
