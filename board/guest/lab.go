package main

// The ESP lab of lab/esp.sh, built over netlink: five namespaces, veth pairs with an ifindex of their
// own on each end (netns.sh explains why), addresses, routes, forwarding.
//
//   onprem  er0 192.168.10.1/30 ── edge onprem0 192.168.10.2/30        (ExpressRoute)
//           wan0 198.51.100.1/30 ── internet onprem0 198.51.100.2/30    (Internet underlay)
//           lan0 172.16.0.1/32, 172.16.255.1/32; vpn0 is hedge's
//   edge    azure0 10.255.1.1/30 ── azure edge0 10.255.1.2/30
//   internet vpngw0 203.0.113.1/30 ── vpngw wan0 203.0.113.2/30
//   vpngw   ipsec0 (xfrm if_id 42 over wan0); azure0 10.255.2.1/30 ── azure vpngw0 10.255.2.2/30
//   azure   vnet0 10.200.0.4/24

import (
	"fmt"
	"net"
	"os"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

type ns struct {
	name string
	fd   netns.NsHandle
	h    *netlink.Handle
}

type lab struct {
	root                              netns.NsHandle
	onprem, edge, internet, vpngw, az *ns
}

// inNS runs fn on this OS thread switched into n (sockets, sysctls and children made there stay there).
func (l *lab) inNS(n *ns, fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := netns.Set(n.fd); err != nil {
		return err
	}
	defer netns.Set(l.root)
	return fn()
}

func newLab() (*lab, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	root, err := netns.Get()
	if err != nil {
		return nil, err
	}
	l := &lab{root: root}
	mk := func(name string) *ns {
		if err != nil {
			return nil
		}
		var fd netns.NsHandle
		if fd, err = netns.New(); err != nil {
			return nil
		}
		var h *netlink.Handle
		if h, err = netlink.NewHandleAt(fd, unix.NETLINK_ROUTE, unix.NETLINK_XFRM); err != nil {
			err = fmt.Errorf("%s: netlink: %v", name, err)
			return nil
		}
		return &ns{name: name, fd: fd, h: h}
	}
	l.onprem, l.edge, l.internet, l.vpngw, l.az = mk("onprem"), mk("edge"), mk("internet"), mk("vpngw"), mk("azure")
	if e := netns.Set(root); e != nil && err == nil {
		err = e
	}
	return l, err
}

// veth makes a pair NAME(index)@a -- PEER(pindex)@b. The library sets no peer ifindex, so the
// request is built here.
func (l *lab) veth(a *ns, name string, index int32, b *ns, peer string, pindex int32) error {
	return l.inNS(a, func() error {
		req := nl.NewNetlinkRequest(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
		msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
		msg.Index = index
		req.AddData(msg)
		req.AddData(nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)))
		info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
		info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
		data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
		p := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
		pm := nl.NewIfInfomsgChild(p, unix.AF_UNSPEC)
		pm.Index = pindex
		p.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(peer))
		if b != a {
			p.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(b.fd)))
		}
		req.AddData(info)
		if _, err := req.Execute(unix.NETLINK_ROUTE, 0); err != nil {
			return fmt.Errorf("%s: veth %s/%s: %v", a.name, name, peer, err)
		}
		return nil
	})
}

func cidr(s string) *net.IPNet {
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(s)
	}
	n.IP = ip
	return n
}

func (n *ns) link(name string) (netlink.Link, error) {
	lk, err := n.h.LinkByName(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %v", n.name, name, err)
	}
	return lk, nil
}

func (n *ns) index(name string) int {
	lk, err := n.link(name)
	if err != nil {
		return 0
	}
	return lk.Attrs().Index
}

// setup: "dev addr/len" pairs, every named link up, lo up.
func (n *ns) up(addrs [][2]string, links ...string) error {
	for _, a := range addrs {
		lk, err := n.link(a[0])
		if err != nil {
			return err
		}
		if err := n.h.AddrAdd(lk, &netlink.Addr{IPNet: cidr(a[1])}); err != nil {
			return fmt.Errorf("%s: addr %s %s: %v", n.name, a[0], a[1], err)
		}
	}
	for _, name := range append([]string{"lo"}, links...) {
		lk, err := n.link(name)
		if err != nil {
			return err
		}
		if err := n.h.LinkSetUp(lk); err != nil {
			return fmt.Errorf("%s: up %s: %v", n.name, name, err)
		}
	}
	return nil
}

// route: "via" empty = on-link; metric 0 = none; replace, so it also restores.
func (n *ns) route(dst, via, dev string, metric int) error {
	r := &netlink.Route{Dst: cidr(dst), Priority: metric}
	if dev != "" {
		if r.LinkIndex = n.index(dev); r.LinkIndex == 0 {
			return fmt.Errorf("%s: no %s", n.name, dev)
		}
	}
	if via != "" {
		r.Gw = net.ParseIP(via)
	}
	if err := n.h.RouteReplace(r); err != nil {
		return fmt.Errorf("%s: route %s via %q dev %s: %v", n.name, dst, via, dev, err)
	}
	return nil
}

func (l *lab) sysctls(n *ns, devs ...string) error {
	return l.inNS(n, func() error {
		kv := [][2]string{{"net/ipv4/ip_forward", "1"}, {"net/ipv4/conf/all/rp_filter", "0"}, {"net/ipv4/conf/default/rp_filter", "0"}}
		for _, d := range devs {
			kv = append(kv, [2]string{"net/ipv4/conf/" + d + "/rp_filter", "0"})
		}
		for _, e := range kv {
			if err := os.WriteFile("/proc/sys/"+e[0], []byte(e[1]), 0); err != nil {
				return fmt.Errorf("%s: sysctl %s: %v", n.name, e[0], err)
			}
		}
		return nil
	})
}

func (l *lab) build() error {
	on, ed, it, vg, az := l.onprem, l.edge, l.internet, l.vpngw, l.az
	steps := []func() error{
		func() error { return l.veth(on, "er0", 10, ed, "onprem0", 11) },
		func() error { return l.veth(on, "wan0", 20, it, "onprem0", 21) },
		func() error { return l.veth(on, "lan0", 0, on, "lan0p", 0) },
		func() error { return l.veth(ed, "azure0", 12, az, "edge0", 13) },
		func() error { return l.veth(it, "vpngw0", 30, vg, "wan0", 31) },
		func() error { return l.veth(vg, "azure0", 22, az, "vpngw0", 23) },
		func() error { return l.veth(az, "vnet0", 0, az, "vnet0p", 0) },
		func() error { return l.sysctls(on, "er0", "wan0", "lan0") },
		func() error { return l.sysctls(ed, "onprem0", "azure0") },
		func() error { return l.sysctls(it, "onprem0", "vpngw0") },
		func() error { return l.sysctls(vg, "wan0", "azure0") },
		func() error { return l.sysctls(az, "edge0", "vpngw0", "vnet0") },
		func() error {
			return on.up([][2]string{{"er0", "192.168.10.1/30"}, {"wan0", "198.51.100.1/30"}, {"lan0", "172.16.0.1/32"}, {"lan0", "172.16.255.1/32"}},
				"er0", "wan0", "lan0", "lan0p")
		},
		func() error { return on.route("203.0.113.0/30", "198.51.100.2", "wan0", 0) },
		func() error {
			return ed.up([][2]string{{"onprem0", "192.168.10.2/30"}, {"azure0", "10.255.1.1/30"}}, "onprem0", "azure0")
		},
		func() error { return l.edgeRoutes() },
		func() error {
			return it.up([][2]string{{"onprem0", "198.51.100.2/30"}, {"vpngw0", "203.0.113.1/30"}}, "onprem0", "vpngw0")
		},
		func() error {
			return vg.up([][2]string{{"wan0", "203.0.113.2/30"}, {"azure0", "10.255.2.1/30"}}, "wan0", "azure0")
		},
		func() error { return vg.route("198.51.100.0/30", "203.0.113.1", "wan0", 0) },
		func() error { return vg.route("10.200.0.0/16", "10.255.2.2", "azure0", 0) },
		func() error {
			return az.up([][2]string{{"edge0", "10.255.1.2/30"}, {"vpngw0", "10.255.2.2/30"}, {"vnet0", "10.200.0.4/24"}},
				"edge0", "vpngw0", "vnet0", "vnet0p")
		},
		// Azure: the LAN over ER while it is up (metric 10), else over the VPN gateway (20); the VPN
		// probe's source only ever over the VPN gateway.
		func() error { return az.route("192.168.10.0/30", "10.255.1.1", "edge0", 0) },
		func() error { return az.route("172.16.0.0/16", "10.255.1.1", "edge0", 10) },
		func() error { return az.route("172.16.0.0/16", "10.255.2.1", "vpngw0", 20) },
		func() error { return az.route("172.16.255.1/32", "10.255.2.1", "vpngw0", 0) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

func (l *lab) edgeRoutes() error {
	if err := l.edge.route("10.200.0.0/16", "10.255.1.2", "azure0", 0); err != nil {
		return err
	}
	return l.edge.route("172.16.0.0/16", "192.168.10.1", "onprem0", 0)
}

// failFar: ExpressRoute dies beyond the on-prem router (er0 keeps its carrier): the edge drops what
// it would forward either way (blackhole routes: silent, like lab_fail_far's nft drop) and Azure
// stops sending the LAN's traffic over ER (esp_fail_er's convergence).
func (l *lab) failFar() error {
	for _, d := range []string{"10.200.0.0/16", "172.16.0.0/16"} {
		if err := l.edge.h.RouteReplace(&netlink.Route{Dst: cidr(d), Type: unix.RTN_BLACKHOLE}); err != nil {
			return fmt.Errorf("edge: blackhole %s: %v", d, err)
		}
	}
	return l.az.h.RouteDel(&netlink.Route{Dst: cidr("172.16.0.0/16"), Gw: net.ParseIP("10.255.1.1"),
		LinkIndex: l.az.index("edge0"), Priority: 10})
}

func (l *lab) restoreFar() error {
	if err := l.edgeRoutes(); err != nil {
		return err
	}
	return l.az.route("172.16.0.0/16", "10.255.1.1", "edge0", 10)
}

// pathOf: which on-prem link the kernel picks for 172.16.0.1 -> 10.200.0.4 now ("er0", "vpn0", "none").
func (l *lab) pathOf() string {
	rs, err := l.onprem.h.RouteGetWithOptions(net.ParseIP("10.200.0.4"), &netlink.RouteGetOptions{SrcAddr: net.ParseIP("172.16.0.1")})
	if err != nil || len(rs) == 0 {
		return "none"
	}
	lk, err := l.onprem.h.LinkByIndex(rs[0].LinkIndex)
	if err != nil {
		return "none"
	}
	return lk.Attrs().Name
}
