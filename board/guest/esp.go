package main

// The Azure VPN gateway stand-in (vpngw): ipsec0 and the route-based SA/policy set of lab/esp.sh
// (_esp_keyed), with the mirror of the static keys hedge reads from its key file.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/vishvananda/netlink"
)

var native = nl.NativeEndian()

const (
	ifID      = 42
	onpremWAN = "198.51.100.1"
	vpngwWAN  = "203.0.113.2"
	spiOut    = 0x1001 // onprem -> vpngw
	spiIn     = 0x2001 // vpngw -> onprem
	aead      = "rfc4106(gcm(aes))"
)

type keys struct{ out, in []byte } // onprem's view; 32-byte AES key + 4-byte salt each

func newKeys(file string) (keys, error) {
	k := keys{make([]byte, 36), make([]byte, 36)}
	if _, err := rand.Read(k.out); err != nil {
		return k, err
	}
	if _, err := rand.Read(k.in); err != nil {
		return k, err
	}
	text := "out 0x" + hex.EncodeToString(k.out) + "\nin 0x" + hex.EncodeToString(k.in) + "\n"
	return k, os.WriteFile(file, []byte(text), 0o600)
}

func (l *lab) vpngwKeyed(k keys) error {
	vg := l.vpngw
	x := &netlink.Xfrmi{LinkAttrs: netlink.LinkAttrs{Name: "ipsec0", MTU: 1400, ParentIndex: vg.index("wan0")}, Ifid: ifID}
	if err := vg.h.LinkAdd(x); err != nil {
		return fmt.Errorf("vpngw: xfrm interface ipsec0: %v", err)
	}
	if err := vg.up(nil, "ipsec0"); err != nil {
		return err
	}
	if err := vg.route("172.16.0.0/16", "", "ipsec0", 0); err != nil {
		return err
	}
	local, remote := net.ParseIP(vpngwWAN), net.ParseIP(onpremWAN)
	all := cidr("0.0.0.0/0")
	tmpl := func(src, dst net.IP) []netlink.XfrmPolicyTmpl {
		return []netlink.XfrmPolicyTmpl{{Src: src, Dst: dst, Proto: netlink.XFRM_PROTO_ESP, Mode: netlink.XFRM_MODE_TUNNEL, Reqid: 1}}
	}
	for _, p := range []netlink.XfrmPolicy{
		{Src: all, Dst: all, Dir: netlink.XFRM_DIR_OUT, Ifid: ifID, Tmpls: tmpl(local, remote)},
		{Src: all, Dst: all, Dir: netlink.XFRM_DIR_IN, Ifid: ifID, Tmpls: tmpl(remote, local)},
		{Src: all, Dst: all, Dir: netlink.XFRM_DIR_FWD, Ifid: ifID, Tmpls: tmpl(remote, local)},
	} {
		p := p
		if err := vg.h.XfrmPolicyAdd(&p); err != nil {
			return fmt.Errorf("vpngw: xfrm policy %v: %v", p.Dir, err)
		}
	}
	// vpngw sends with onprem's "in" key on spi-in and receives with "out" on spi-out.
	for _, s := range []struct {
		src, dst net.IP
		spi      int
		key      []byte
	}{{local, remote, spiIn, k.in}, {remote, local, spiOut, k.out}} {
		st := &netlink.XfrmState{Src: s.src, Dst: s.dst, Proto: netlink.XFRM_PROTO_ESP, Mode: netlink.XFRM_MODE_TUNNEL,
			Spi: s.spi, Reqid: 1, ReplayWindow: 32, Ifid: ifID, Aead: &netlink.XfrmStateAlgo{Name: aead, Key: s.key, ICVLen: 128}}
		if err := xfrmStateAdd(vg, st); err != nil {
			return fmt.Errorf("vpngw: xfrm state spi 0x%x: %v", s.spi, err)
		}
	}
	return nil
}

// saPackets: packets counted by n's ESP SAs src -> dst with our if_id (summed; a rekey leaves two).
// found says whether any such SA exists.
func saPackets(n *ns, src, dst string) (packets uint64, found bool) {
	sts, err := n.h.XfrmStateList(netlink.FAMILY_V4)
	if err != nil {
		return 0, false
	}
	for _, s := range sts {
		if s.Proto == netlink.XFRM_PROTO_ESP && s.Ifid == ifID && s.Src.String() == src && s.Dst.String() == dst {
			packets += s.Statistics.Packets
			found = true
		}
	}
	return
}

// xfrmStateAdd is the library's XfrmStateAdd with the kernel's extended ack: the reason a request
// failed, in words, when the errno alone ("no such file or directory") does not say which part.
func xfrmStateAdd(n *ns, st *netlink.XfrmState) error {
	msg := &nl.XfrmUsersaInfo{Family: unix.AF_INET, Mode: uint8(st.Mode), Reqid: uint32(st.Reqid), ReplayWindow: uint8(st.ReplayWindow)}
	msg.Id.Daddr.FromIP(st.Dst)
	msg.Saddr.FromIP(st.Src)
	msg.Id.Proto = uint8(st.Proto)
	msg.Id.Spi = nl.Swap32(uint32(st.Spi))
	msg.Lft.SoftByteLimit, msg.Lft.HardByteLimit = nl.XFRM_INF, nl.XFRM_INF
	msg.Lft.SoftPacketLimit, msg.Lft.HardPacketLimit = nl.XFRM_INF, nl.XFRM_INF
	req := nl.NewNetlinkRequest(nl.XFRM_MSG_NEWSA, unix.NLM_F_CREATE|unix.NLM_F_EXCL|unix.NLM_F_ACK)
	req.AddData(msg)
	algo := nl.XfrmAlgoAEAD{AlgKeyLen: uint32(len(st.Aead.Key) * 8), AlgICVLen: uint32(st.Aead.ICVLen), AlgKey: st.Aead.Key}
	copy(algo.AlgName[:63], st.Aead.Name)
	req.AddData(nl.NewRtAttr(nl.XFRMA_ALG_AEAD, algo.Serialize()))
	req.AddData(nl.NewRtAttr(nl.XFRMA_IF_ID, nl.Uint32Attr(uint32(st.Ifid))))
	return execAck(n, unix.NETLINK_XFRM, req)
}

func execAck(n *ns, proto int, req *nl.NetlinkRequest) error {
	s, err := nl.GetNetlinkSocketAt(n.fd, netns.None(), proto)
	if err != nil {
		return err
	}
	defer s.Close()
	_ = unix.SetsockoptInt(s.GetFd(), unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	if err := s.Send(req); err != nil {
		return err
	}
	msgs, _, err := s.Receive()
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4+unix.SizeofNlMsghdr {
			continue
		}
		errno := -int32(native.Uint32(m.Data[0:4]))
		if errno == 0 {
			return nil
		}
		e := error(unix.Errno(errno))
		off := 4 + unix.SizeofNlMsghdr
		if m.Header.Flags&unix.NLM_F_CAPPED == 0 {
			off = 4 + int(native.Uint32(m.Data[4:8]))
		}
		for off+4 <= len(m.Data) {
			l, t := int(native.Uint16(m.Data[off:])), native.Uint16(m.Data[off+2:])
			if l < 4 || off+l > len(m.Data) {
				break
			}
			if t == unix.NLMSGERR_ATTR_MSG {
				e = fmt.Errorf("%v: %s", e, strings.TrimRight(string(m.Data[off+4:off+l]), "\x00"))
			}
			off += (l + 3) &^ 3
		}
		return e
	}
	return fmt.Errorf("no ack")
}
