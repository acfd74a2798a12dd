// glibc's shape for the EPOLL* event bits, over musl's <sys/epoll.h> (musl builds only; see
// sys/socket.h here): glibc's `enum EPOLL_EVENTS` imports into Swift with .rawValue, musl's macros as
// plain integers (musl's EPOLL_EVENTS is an empty enum). Same values, taken from musl's macros.
#include_next <sys/epoll.h>
#ifndef HEDGE_MUSL_EPOLL_ENUM
#define HEDGE_MUSL_EPOLL_ENUM
enum {
    hedge_epollin = EPOLLIN, hedge_epollpri = EPOLLPRI, hedge_epollout = EPOLLOUT,
    hedge_epollrdnorm = EPOLLRDNORM, hedge_epollrdband = EPOLLRDBAND, hedge_epollwrnorm = EPOLLWRNORM,
    hedge_epollwrband = EPOLLWRBAND, hedge_epollmsg = EPOLLMSG, hedge_epollerr = EPOLLERR,
    hedge_epollhup = EPOLLHUP, hedge_epollrdhup = EPOLLRDHUP, hedge_epollnval = EPOLLNVAL,
};
#undef EPOLLIN
#undef EPOLLPRI
#undef EPOLLOUT
#undef EPOLLRDNORM
#undef EPOLLRDBAND
#undef EPOLLWRNORM
#undef EPOLLWRBAND
#undef EPOLLMSG
#undef EPOLLERR
#undef EPOLLHUP
#undef EPOLLRDHUP
#undef EPOLLNVAL
#undef EPOLLEXCLUSIVE
#undef EPOLLWAKEUP
#undef EPOLLONESHOT
#undef EPOLLET
// The top four bits as glibc spells them (1u << n), which makes the enum's type unsigned, as in glibc.
enum hedge_epoll_events {   // musl already has an empty enum EPOLL_EVENTS
    EPOLLIN = hedge_epollin, EPOLLPRI = hedge_epollpri, EPOLLOUT = hedge_epollout,
    EPOLLRDNORM = hedge_epollrdnorm, EPOLLRDBAND = hedge_epollrdband, EPOLLWRNORM = hedge_epollwrnorm,
    EPOLLWRBAND = hedge_epollwrband, EPOLLMSG = hedge_epollmsg, EPOLLERR = hedge_epollerr,
    EPOLLHUP = hedge_epollhup, EPOLLRDHUP = hedge_epollrdhup, EPOLLNVAL = hedge_epollnval,
    EPOLLEXCLUSIVE = 1u << 28, EPOLLWAKEUP = 1u << 29, EPOLLONESHOT = 1u << 30, EPOLLET = 1u << 31,
};
#define EPOLLIN EPOLLIN
#define EPOLLPRI EPOLLPRI
#define EPOLLOUT EPOLLOUT
#define EPOLLRDNORM EPOLLRDNORM
#define EPOLLRDBAND EPOLLRDBAND
#define EPOLLWRNORM EPOLLWRNORM
#define EPOLLWRBAND EPOLLWRBAND
#define EPOLLMSG EPOLLMSG
#define EPOLLERR EPOLLERR
#define EPOLLHUP EPOLLHUP
#define EPOLLRDHUP EPOLLRDHUP
#define EPOLLNVAL EPOLLNVAL
#define EPOLLEXCLUSIVE EPOLLEXCLUSIVE
#define EPOLLWAKEUP EPOLLWAKEUP
#define EPOLLONESHOT EPOLLONESHOT
#define EPOLLET EPOLLET
#endif
