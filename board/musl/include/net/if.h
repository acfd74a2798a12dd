// musl's <net/if.h> without the three interface flags glibc's lacks (IFF_LOWER_UP, IFF_DORMANT,
// IFF_ECHO; musl builds only, see sys/socket.h here). As on glibc, <linux/if.h> then supplies them as
// `enum net_device_flags`, which Swift imports with the .rawValue hedge's sources use; musl's macros
// would import as plain integers. musl tells linux/libc-compat.h it has them: undo just that part.
#include_next <net/if.h>
#ifdef __UAPI_DEF_IF_NET_DEVICE_FLAGS_LOWER_UP_DORMANT_ECHO
#undef IFF_LOWER_UP
#undef IFF_DORMANT
#undef IFF_ECHO
#undef __UAPI_DEF_IF_NET_DEVICE_FLAGS_LOWER_UP_DORMANT_ECHO
#define __UAPI_DEF_IF_NET_DEVICE_FLAGS_LOWER_UP_DORMANT_ECHO 1
#endif
