// glibc's shape for the SOCK_* constants, over musl's <sys/socket.h> (musl builds only: board/build
// puts this directory first). glibc declares them as `enum __socket_type`, which Swift imports as a
// type with .rawValue, and hedge's sources are written against that; musl has plain macros, which
// Swift imports as Int32. Same values, captured from musl's own macros before they are replaced.
#include_next <sys/socket.h>
#ifndef HEDGE_MUSL_SOCKET_ENUM
#define HEDGE_MUSL_SOCKET_ENUM
enum {
    hedge_sock_stream = SOCK_STREAM, hedge_sock_dgram = SOCK_DGRAM, hedge_sock_raw = SOCK_RAW,
    hedge_sock_rdm = SOCK_RDM, hedge_sock_seqpacket = SOCK_SEQPACKET, hedge_sock_dccp = SOCK_DCCP,
    hedge_sock_packet = SOCK_PACKET, hedge_sock_cloexec = SOCK_CLOEXEC, hedge_sock_nonblock = SOCK_NONBLOCK,
};
#undef SOCK_STREAM
#undef SOCK_DGRAM
#undef SOCK_RAW
#undef SOCK_RDM
#undef SOCK_SEQPACKET
#undef SOCK_DCCP
#undef SOCK_PACKET
#undef SOCK_CLOEXEC
#undef SOCK_NONBLOCK
enum __socket_type {
    SOCK_STREAM = hedge_sock_stream, SOCK_DGRAM = hedge_sock_dgram, SOCK_RAW = hedge_sock_raw,
    SOCK_RDM = hedge_sock_rdm, SOCK_SEQPACKET = hedge_sock_seqpacket, SOCK_DCCP = hedge_sock_dccp,
    SOCK_PACKET = hedge_sock_packet, SOCK_CLOEXEC = hedge_sock_cloexec, SOCK_NONBLOCK = hedge_sock_nonblock,
};
#define SOCK_STREAM SOCK_STREAM
#define SOCK_DGRAM SOCK_DGRAM
#define SOCK_RAW SOCK_RAW
#define SOCK_RDM SOCK_RDM
#define SOCK_SEQPACKET SOCK_SEQPACKET
#define SOCK_DCCP SOCK_DCCP
#define SOCK_PACKET SOCK_PACKET
#define SOCK_CLOEXEC SOCK_CLOEXEC
#define SOCK_NONBLOCK SOCK_NONBLOCK
#endif
