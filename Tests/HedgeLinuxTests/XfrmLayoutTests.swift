import XCTest
import CHedge
import HedgeCore

/// HedgeCore restates <linux/xfrm.h> (it cannot import C: the fuzzers build it alone). Here the
/// restatement meets the header as this target's compiler lays it out: sizes, offsets, numbers,
/// and the bytes of C structs filled field by field against XfrmCodec's encoding.
final class XfrmLayoutTests: XCTestCase {
    func testStructSizes() {
        XCTAssertEqual(MemoryLayout<xfrm_address_t>.size, XfrmLayout.addressSize)
        XCTAssertEqual(MemoryLayout<xfrm_selector>.size, XfrmLayout.selectorSize)
        XCTAssertEqual(MemoryLayout<xfrm_id>.size, XfrmLayout.idSize)
        XCTAssertEqual(MemoryLayout<xfrm_lifetime_cfg>.size, XfrmLayout.lifetimeCfgSize)
        XCTAssertEqual(MemoryLayout<xfrm_lifetime_cur>.size, XfrmLayout.lifetimeCurSize)
        XCTAssertEqual(MemoryLayout<xfrm_replay_state>.size, XfrmLayout.replayStateSize)
        XCTAssertEqual(MemoryLayout<xfrm_replay_state_esn>.size, XfrmLayout.replayStateESNSize)
        XCTAssertEqual(MemoryLayout<xfrm_stats>.size, XfrmLayout.statsSize)
        XCTAssertEqual(MemoryLayout<xfrm_usersa_info>.size, XfrmLayout.usersaInfoSize)
        XCTAssertEqual(MemoryLayout<xfrm_usersa_id>.size, XfrmLayout.usersaIDSize)
        XCTAssertEqual(MemoryLayout<xfrm_userpolicy_info>.size, XfrmLayout.userpolicyInfoSize)
        XCTAssertEqual(MemoryLayout<xfrm_userpolicy_id>.size, XfrmLayout.userpolicyIDSize)
        XCTAssertEqual(MemoryLayout<xfrm_userpolicy_type>.size, XfrmLayout.userpolicyTypeSize)
        XCTAssertEqual(MemoryLayout<xfrm_user_tmpl>.size, XfrmLayout.userTmplSize)
        XCTAssertEqual(MemoryLayout<xfrm_user_expire>.size, XfrmLayout.userExpireSize)
        XCTAssertEqual(MemoryLayout<xfrm_user_polexpire>.size, XfrmLayout.userPolexpireSize)
        XCTAssertEqual(MemoryLayout<xfrm_algo>.size, XfrmLayout.algoSize)
        XCTAssertEqual(MemoryLayout<xfrm_algo_auth>.size, XfrmLayout.algoAuthSize)
        XCTAssertEqual(MemoryLayout<xfrm_algo_aead>.size, XfrmLayout.algoAEADSize)
        XCTAssertEqual(MemoryLayout<xfrm_mark>.size, XfrmLayout.markSize)
        XCTAssertEqual(MemoryLayout.size(ofValue: xfrm_algo().alg_name), XfrmLayout.algNameSize)
    }

    func testOffsets() {
        typealias Sel = xfrm_selector
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.daddr), XfrmLayout.selDaddr)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.saddr), XfrmLayout.selSaddr)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.dport), XfrmLayout.selDport)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.dport_mask), XfrmLayout.selDportMask)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.sport), XfrmLayout.selSport)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.sport_mask), XfrmLayout.selSportMask)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.family), XfrmLayout.selFamily)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.prefixlen_d), XfrmLayout.selPrefixlenD)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.prefixlen_s), XfrmLayout.selPrefixlenS)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.proto), XfrmLayout.selProto)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.ifindex), XfrmLayout.selIfindex)
        XCTAssertEqual(MemoryLayout<Sel>.offset(of: \.user), XfrmLayout.selUser)

        XCTAssertEqual(MemoryLayout<xfrm_id>.offset(of: \.daddr), XfrmLayout.idDaddr)
        XCTAssertEqual(MemoryLayout<xfrm_id>.offset(of: \.spi), XfrmLayout.idSpi)
        XCTAssertEqual(MemoryLayout<xfrm_id>.offset(of: \.proto), XfrmLayout.idProto)

        typealias SA = xfrm_usersa_info
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.sel), XfrmLayout.saSel)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.id), XfrmLayout.saID)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.saddr), XfrmLayout.saSaddr)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.lft), XfrmLayout.saLft)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.curlft), XfrmLayout.saCurlft)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.stats), XfrmLayout.saStats)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.seq), XfrmLayout.saSeq)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.reqid), XfrmLayout.saReqid)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.family), XfrmLayout.saFamily)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.mode), XfrmLayout.saMode)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.replay_window), XfrmLayout.saReplayWindow)
        XCTAssertEqual(MemoryLayout<SA>.offset(of: \.flags), XfrmLayout.saFlags)

        XCTAssertEqual(MemoryLayout<xfrm_usersa_id>.offset(of: \.daddr), XfrmLayout.saIDDaddr)
        XCTAssertEqual(MemoryLayout<xfrm_usersa_id>.offset(of: \.spi), XfrmLayout.saIDSpi)
        XCTAssertEqual(MemoryLayout<xfrm_usersa_id>.offset(of: \.family), XfrmLayout.saIDFamily)
        XCTAssertEqual(MemoryLayout<xfrm_usersa_id>.offset(of: \.proto), XfrmLayout.saIDProto)

        typealias Pol = xfrm_userpolicy_info
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.sel), XfrmLayout.polSel)
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.lft), XfrmLayout.polLft)
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.curlft), XfrmLayout.polCurlft)
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.priority), XfrmLayout.polPriority)
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.index), XfrmLayout.polIndex)
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.dir), XfrmLayout.polDir)
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.action), XfrmLayout.polAction)
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.flags), XfrmLayout.polFlags)
        XCTAssertEqual(MemoryLayout<Pol>.offset(of: \.share), XfrmLayout.polShare)

        XCTAssertEqual(MemoryLayout<xfrm_userpolicy_id>.offset(of: \.sel), XfrmLayout.polIDSel)
        XCTAssertEqual(MemoryLayout<xfrm_userpolicy_id>.offset(of: \.index), XfrmLayout.polIDIndex)
        XCTAssertEqual(MemoryLayout<xfrm_userpolicy_id>.offset(of: \.dir), XfrmLayout.polIDDir)

        typealias T = xfrm_user_tmpl
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.id), XfrmLayout.tmplID)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.family), XfrmLayout.tmplFamily)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.saddr), XfrmLayout.tmplSaddr)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.reqid), XfrmLayout.tmplReqid)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.mode), XfrmLayout.tmplMode)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.share), XfrmLayout.tmplShare)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.optional), XfrmLayout.tmplOptional)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.aalgos), XfrmLayout.tmplAalgos)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.ealgos), XfrmLayout.tmplEalgos)
        XCTAssertEqual(MemoryLayout<T>.offset(of: \.calgos), XfrmLayout.tmplCalgos)

        XCTAssertEqual(MemoryLayout<xfrm_user_expire>.offset(of: \.hard), XfrmLayout.expireHard)
        XCTAssertEqual(MemoryLayout<xfrm_user_polexpire>.offset(of: \.hard), XfrmLayout.polexpireHard)
        XCTAssertEqual(MemoryLayout<xfrm_algo_auth>.offset(of: \.alg_trunc_len), XfrmLayout.algoSize)
        XCTAssertEqual(MemoryLayout<xfrm_algo_aead>.offset(of: \.alg_icv_len), XfrmLayout.algoSize)
        XCTAssertEqual(MemoryLayout<xfrm_algo>.offset(of: \.alg_key_len), XfrmLayout.algNameSize)
        XCTAssertEqual(MemoryLayout<xfrm_replay_state_esn>.offset(of: \.replay_window), 20)
    }

    func testMessageTypes() {
        let pairs: [(XfrmMessageType, Int)] = [
            (.newSA, Int(XFRM_MSG_NEWSA)), (.delSA, Int(XFRM_MSG_DELSA)), (.getSA, Int(XFRM_MSG_GETSA)),
            (.newPolicy, Int(XFRM_MSG_NEWPOLICY)), (.delPolicy, Int(XFRM_MSG_DELPOLICY)),
            (.getPolicy, Int(XFRM_MSG_GETPOLICY)), (.allocSPI, Int(XFRM_MSG_ALLOCSPI)),
            (.acquire, Int(XFRM_MSG_ACQUIRE)), (.expire, Int(XFRM_MSG_EXPIRE)),
            (.updPolicy, Int(XFRM_MSG_UPDPOLICY)), (.updSA, Int(XFRM_MSG_UPDSA)),
            (.polExpire, Int(XFRM_MSG_POLEXPIRE)), (.flushSA, Int(XFRM_MSG_FLUSHSA)),
            (.flushPolicy, Int(XFRM_MSG_FLUSHPOLICY)),
        ]
        for (ours, theirs) in pairs { XCTAssertEqual(Int(ours.rawValue), theirs, "\(ours)") }
    }

    func testAttributeTypes() {
        let pairs: [(XfrmAttribute, xfrm_attr_type_t)] = [
            (.algAuth, XFRMA_ALG_AUTH), (.algCrypt, XFRMA_ALG_CRYPT), (.algComp, XFRMA_ALG_COMP),
            (.encap, XFRMA_ENCAP), (.tmpl, XFRMA_TMPL), (.sa, XFRMA_SA), (.policy, XFRMA_POLICY),
            (.secCtx, XFRMA_SEC_CTX), (.ltimeVal, XFRMA_LTIME_VAL), (.replayVal, XFRMA_REPLAY_VAL),
            (.replayThresh, XFRMA_REPLAY_THRESH), (.etimerThresh, XFRMA_ETIMER_THRESH),
            (.srcAddr, XFRMA_SRCADDR), (.coAddr, XFRMA_COADDR), (.lastUsed, XFRMA_LASTUSED),
            (.policyType, XFRMA_POLICY_TYPE), (.migrate, XFRMA_MIGRATE), (.algAEAD, XFRMA_ALG_AEAD),
            (.kmAddress, XFRMA_KMADDRESS), (.algAuthTrunc, XFRMA_ALG_AUTH_TRUNC), (.mark, XFRMA_MARK),
            (.tfcPad, XFRMA_TFCPAD), (.replayESNVal, XFRMA_REPLAY_ESN_VAL), (.saExtraFlags, XFRMA_SA_EXTRA_FLAGS),
            (.proto, XFRMA_PROTO), (.addressFilter, XFRMA_ADDRESS_FILTER), (.pad, XFRMA_PAD),
            (.offloadDev, XFRMA_OFFLOAD_DEV), (.setMark, XFRMA_SET_MARK), (.setMarkMask, XFRMA_SET_MARK_MASK),
            (.ifID, XFRMA_IF_ID), (.mtimerThresh, XFRMA_MTIMER_THRESH),
        ]
        for (ours, theirs) in pairs { XCTAssertEqual(UInt32(ours.rawValue), theirs.rawValue, "\(ours)") }
    }

    func testOtherConstants() {
        XCTAssertEqual(Int(XfrmPolicyDirection.in.rawValue), Int(XFRM_POLICY_IN))
        XCTAssertEqual(Int(XfrmPolicyDirection.out.rawValue), Int(XFRM_POLICY_OUT))
        XCTAssertEqual(Int(XfrmPolicyDirection.fwd.rawValue), Int(XFRM_POLICY_FWD))
        XCTAssertEqual(Int(XfrmPolicyAction.allow.rawValue), Int(XFRM_POLICY_ALLOW))
        XCTAssertEqual(Int(XfrmPolicyAction.block.rawValue), Int(XFRM_POLICY_BLOCK))
        XCTAssertEqual(Int(XfrmMode.transport.rawValue), Int(XFRM_MODE_TRANSPORT))
        XCTAssertEqual(Int(XfrmMode.tunnel.rawValue), Int(XFRM_MODE_TUNNEL))
        XCTAssertEqual(Int(XfrmMode.beet.rawValue), Int(XFRM_MODE_BEET))
        XCTAssertEqual(Int(XfrmProto.esp.rawValue), Int(IPPROTO_ESP))
        XCTAssertEqual(Int(XfrmProto.ah.rawValue), Int(IPPROTO_AH))
        XCTAssertEqual(Int(XfrmProto.comp.rawValue), Int(IPPROTO_COMP))
        XCTAssertEqual(Int(XfrmStateFlag.afUnspec), Int(XFRM_STATE_AF_UNSPEC))
        XCTAssertEqual(Int(XfrmStateFlag.esn), Int(XFRM_STATE_ESN))
        XCTAssertEqual(Int(XfrmStateFlag.noECN), Int(XFRM_STATE_NOECN))
        XCTAssertEqual(Int(AddressFamily.v4.rawValue), Int(AF_INET))
        XCTAssertEqual(Int(AddressFamily.v6.rawValue), Int(AF_INET6))
        XCTAssertEqual(XfrmLifetimeConfig.infinity, UInt64.max)   // XFRM_INF = ~(__u64)0
    }

    // MARK: the codec's header bytes == a C struct filled field by field

    func bytes<T>(of value: T) -> [UInt8] {
        var v = value
        return withUnsafeBytes(of: &v) { Array($0) }
    }

    func cAddress(_ a: IPAddress) -> xfrm_address_t {
        var x = xfrm_address_t()
        withUnsafeMutableBytes(of: &x) { raw in
            for (i, b) in a.bytes.enumerated() { raw[i] = b }
        }
        return x
    }

    func testUsersaInfoBytesMatchC() throws {
        var s = XfrmState(family: .v4, source: IPAddress("198.51.100.1")!, destination: IPAddress("203.0.113.1")!,
                          spi: 0x1000_c001, reqid: 0x0102_0304, replayWindow: 32, ifID: 42,
                          algorithm: .aead(key: Array(repeating: 1, count: 36)))
        var sel = XfrmSelector(family: .v4, destination: IPPrefix("10.2.0.0/16")!, source: IPPrefix("10.1.0.0/24")!)
        sel.destinationPort = 4500; sel.destinationPortMask = 0xffff; sel.sourcePort = 0x1234; sel.sourcePortMask = 0xff00
        sel.proto = 17; sel.ifindex = 7; sel.user = 0xabcd
        s.selector = sel
        s.flags = 0x21; s.seq = 0x11223344
        s.lifetime.softAddExpiresSeconds = 0x0102_0304_0506_0708
        s.current.packets = 0x99; s.statsReplay = 3

        var c = xfrm_usersa_info()
        c.sel.daddr = cAddress(IPAddress("10.2.0.0")!)
        c.sel.saddr = cAddress(IPAddress("10.1.0.0")!)
        c.sel.dport = UInt16(4500).bigEndian; c.sel.dport_mask = 0xffff
        c.sel.sport = UInt16(0x1234).bigEndian; c.sel.sport_mask = UInt16(0xff00).bigEndian
        c.sel.family = UInt16(AF_INET); c.sel.prefixlen_d = 16; c.sel.prefixlen_s = 24
        c.sel.proto = 17; c.sel.ifindex = 7; c.sel.user = 0xabcd
        c.id.daddr = cAddress(s.destination); c.id.spi = UInt32(0x1000_c001).bigEndian; c.id.proto = 50
        c.saddr = cAddress(s.source)
        c.lft.soft_byte_limit = .max; c.lft.hard_byte_limit = .max
        c.lft.soft_packet_limit = .max; c.lft.hard_packet_limit = .max
        c.lft.soft_add_expires_seconds = 0x0102_0304_0506_0708
        c.curlft.packets = 0x99; c.stats.replay = 3
        c.seq = 0x11223344; c.reqid = 0x0102_0304; c.family = UInt16(AF_INET); c.mode = 1
        c.replay_window = 32; c.flags = 0x21

        let ours = try XfrmCodec.encodeState(s)
        XCTAssertEqual(Array(ours[..<XfrmLayout.usersaInfoSize]), bytes(of: c))
    }

    func testUserpolicyInfoAndTemplateBytesMatchC() throws {
        let l = IPAddress("2001:db8::1")!, r = IPAddress("2001:db8::2")!
        var t = XfrmTemplate(family: .v6, source: l, destination: r, reqid: 5)
        t.spi = 0xdeadbeef; t.optional = true; t.encryptionAlgorithms = 0x10
        var p = XfrmPolicy(selector: .any(.v6), direction: .fwd, priority: 0x0a0b0c0d, action: .block, ifID: 42,
                           templates: [t])
        p.index = 0x1234; p.flags = 1; p.share = 3

        var c = xfrm_userpolicy_info()
        c.sel.family = UInt16(AF_INET6)
        c.lft.soft_byte_limit = .max; c.lft.hard_byte_limit = .max
        c.lft.soft_packet_limit = .max; c.lft.hard_packet_limit = .max
        c.priority = 0x0a0b0c0d; c.index = 0x1234; c.dir = 2; c.action = 1; c.flags = 1; c.share = 3
        var ct = xfrm_user_tmpl()
        ct.id.daddr = cAddress(r); ct.id.spi = UInt32(0xdeadbeef).bigEndian; ct.id.proto = 50
        ct.family = UInt16(AF_INET6); ct.saddr = cAddress(l); ct.reqid = 5; ct.mode = 1; ct.optional = 1
        ct.aalgos = .max; ct.ealgos = 0x10; ct.calgos = .max

        let ours = try XfrmCodec.encodePolicy(p)
        XCTAssertEqual(Array(ours[..<XfrmLayout.userpolicyInfoSize]), bytes(of: c))
        let tmplStart = XfrmLayout.userpolicyInfoSize + 4
        XCTAssertEqual(Array(ours[tmplStart..<tmplStart + XfrmLayout.userTmplSize]), bytes(of: ct))
    }

    func testIDBytesMatchC() throws {
        let id = XfrmSAID(family: .v4, destination: IPAddress("203.0.113.1")!, spi: 0x0a0b0c0d)
        var c = xfrm_usersa_id()
        c.daddr = cAddress(id.destination); c.spi = UInt32(0x0a0b0c0d).bigEndian
        c.family = UInt16(AF_INET); c.proto = 50
        XCTAssertEqual(try XfrmCodec.encodeSAID(id), bytes(of: c))

        let pid = XfrmPolicyID(selector: .any(.v4), direction: .in, index: 0x77)
        var cp = xfrm_userpolicy_id()
        cp.sel.family = UInt16(AF_INET); cp.index = 0x77; cp.dir = 0
        XCTAssertEqual(try XfrmCodec.encodePolicyID(pid), bytes(of: cp))
    }
}
