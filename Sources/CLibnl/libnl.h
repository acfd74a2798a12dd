#ifndef HEDGE_LIBNL_H
#define HEDGE_LIBNL_H
// libnl-3 (route and xfrm caches). The agent itself speaks netlink through libmnl (see README:
// libnl 3.7 has no nexthop objects and cannot set an XFRM if_id); libnl serves as an independent
// decoder in the tests, which hold hedge's own netlink parsing against it, and for the XFRM
// policy/SA caches of the VPN path.
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/sp.h>
#endif
