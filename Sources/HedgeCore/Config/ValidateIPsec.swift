/// The `ipsec` block of a path: an XFRM interface, its tunnel's outer addresses, and how its SAs are
/// keyed. The key file itself is not read here: `hedge check` may run unprivileged, and the agent
/// reads it (root, mode 0600) and hands it to `IPsecKeyFile.parse`.

extension Validator {
    /// What earlier paths' `ipsec` blocks took: if-ids and devices, each with the path that holds it.
    struct IPsecOwners {
        var ifIDs = HashMap<UInt64, Located<String>>()
        var devices = HashMap<String, Located<String>>()
    }

    static let maxSPI = UInt64(UInt32.max)
    /// RFC 4303 §2.1: SPIs 1–255 are reserved by IANA, and 0 never goes on the wire.
    static let minSPI: UInt64 = 256

    static func hex(_ v: UInt64) -> String {
        let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
        var s = "", x = v
        repeat { s = String(digits[Int(x & 15)]) + s; x >>= 4 } while x != 0
        return "0x" + s
    }

    mutating func validateIPsec(_ x: DraftIPsec, path p: DraftPath, owners: inout IPsecOwners) -> IPsecConfig? {
        var ok = true
        let name = p.name.value
        let dev = p.device?.value ?? "its device"

        // Routes over an XFRM interface name the device alone: the interface has no link layer and
        // no neighbour, whatever address a gateway would give.
        for g in [p.gateway, p.gateway6] {
            guard let g else { continue }
            let which = g.value.isV4 ? "gateway" : "gateway6"
            error(g.at, "path '\(name)' has 'ipsec': \(dev) is an XFRM interface, point-to-point, so routes over it take no next hop; remove '\(which)'")
            ok = false
        }

        if let id = x.ifID {
            if id.value == 0 || id.value > UInt64(UInt32.max) {
                error(id.at, "if-id must be 1–4294967295 (the kernel refuses an XFRM interface with if_id 0)"); ok = false
            } else if let other = owners.ifIDs[id.value] {
                error(id.at, "if-id \(id.value) is already used by path '\(other.value)' (line \(other.at.line)); each XFRM interface needs an if-id of its own")
                ok = false
            } else {
                owners.ifIDs[id.value] = Located(name, id.at)
            }
        } else if !x.seen.contains("if-id") {
            error(x.at, "'ipsec' needs 'if-id NUMBER;' (the XFRM interface's id, 1–4294967295)"); ok = false
        }
        if let d = p.device {
            if let other = owners.devices[d.value] {
                error(d.at, "device \(d.value) is already the XFRM interface of path '\(other.value)' (line \(other.at.line))"); ok = false
            } else {
                owners.devices[d.value] = Located(name, d.at)
            }
        }

        for (v, which) in [(x.local, "local"), (x.remote, "remote")] {
            if let v {
                if !isUnicast(v.value) { error(v.at, "ipsec \(which) must be a unicast address, not \(v.value)"); ok = false }
            } else if !x.seen.contains(which) {
                error(x.at, "'ipsec' needs '\(which) ADDRESS;' (the tunnel's \(which) outer address)"); ok = false
            }
        }
        if let l = x.local, let r = x.remote {
            if l.value.isV4 != r.value.isV4 {
                error(r.at, "ipsec remote \(r.value) and local \(l.value) are of different address families"); ok = false
            } else if l.value == r.value {
                error(r.at, "ipsec remote is the same address as local (\(l.value))"); ok = false
            }
        }
        if let u = x.underlay {
            if !Values.isInterfaceName(u.value) {
                error(u.at, "invalid underlay device name '\(u.value)' (1–15 characters, no '/', ':' or spaces)"); ok = false
            } else if u.value == p.device?.value {
                error(u.at, "underlay \(u.value) is the tunnel's own device; name the interface the encrypted packets leave by"); ok = false
            }
        }

        if let g = x.underlayGateway, let r = x.remote, g.value.isV4 != r.value.isV4 {
            error(g.at, "underlay gateway \(g.value) and remote \(r.value) are of different address families"); ok = false
        }

        var keying: IPsecKeying? = nil
        switch (x.manual, x.strongswan) {
        case (let m?, let s?):
            let staticFirst = (m.at.line, m.at.column) < (s.at.line, s.at.column)
            let (first, second) = staticFirst ? (("static", m.at), s.at) : (("strongswan", s.at), m.at)
            error(second, "an 'ipsec' block takes one keying, 'static' or 'strongswan', not both ('\(first.0)' at line \(first.1.line))")
            ok = false
            _ = validateStatic(m)
            _ = validateStrongSwan(s)
        case (let m?, nil):
            if let c = validateStatic(m) { keying = .manual(c) } else { ok = false }
        case (nil, let s?):
            if let c = validateStrongSwan(s) { keying = .strongswan(c) } else { ok = false }
        case (nil, nil):
            if !x.seen.contains("static") && !x.seen.contains("strongswan") {
                error(x.at, "'ipsec' needs its keying: 'static { ... }' (hedge installs the SAs from a key file) or 'strongswan { ... }' (IKEv2 by charon)")
            }
            ok = false
        }

        // RFC 879's floor for IPv4 (536) up to what a 1500-byte path could carry; a tunnel below
        // IPv6's minimum MTU (1280) could not carry IPv6 at all.
        if let m = x.mss, m.value != 0, !range(m, 536, 1460, "mss must be 536–1460 or off") { ok = false }
        if !range(x.mtu, 1280, 9000, "mtu must be 1280–9000") { ok = false }
        if let m = x.mss, m.value == 0 {
            warning(m.at, "'mss off' on path '\(name)': TCP through the tunnel stalls after the handshake wherever ICMP \"fragmentation needed\" is filtered; Azure asks for MSS \(IPsecConfig.azureMSS)")
        }
        if p.probe == nil && p.bfd == nil {
            warning(x.at, "path '\(name)' has 'ipsec' but no probe: nothing tells a dead tunnel from a live one but the SA; add a probe through the tunnel")
        }

        guard ok, let keying, let id = x.ifID, let l = x.local, let r = x.remote else { return nil }
        return IPsecConfig(ifID: UInt32(id.value), local: l.value, remote: r.value, underlay: x.underlay?.value,
                           underlayGateway: x.underlayGateway?.value,
                           keying: keying, mss: x.mss.map { $0.value == 0 ? nil : UInt16($0.value) } ?? IPsecConfig.azureMSS,
                           mtu: x.mtu.map { UInt32($0.value) } ?? IPsecConfig.azureMTU, location: x.at)
    }

    mutating func validateStatic(_ k: DraftStaticKeying) -> StaticKeyingConfig? {
        var ok = true
        let spiRange = "must be 256–4294967295 (0x100–0xffffffff; RFC 4303 reserves 1–255, and 0 is never sent)"
        for (v, which, what) in [(k.spiOut, "spi-out", "the SA toward the peer"), (k.spiIn, "spi-in", "the SA from the peer")] {
            if v == nil && !k.seen.contains(which) {
                error(k.at, "'static' needs '\(which) NUMBER;' (the SPI of \(what))"); ok = false
            } else if !range(v, Self.minSPI, Self.maxSPI, "\(which) \(spiRange)") {
                ok = false
            }
        }
        if let o = k.spiOut, let i = k.spiIn, o.value == i.value {
            error(i.at, "spi-in equals spi-out (\(Self.hex(i.value))): the inbound and outbound SAs need SPIs of their own"); ok = false
        }
        if k.cipher == nil && !k.seen.contains("cipher") {
            error(k.at, "'static' needs 'cipher aes256gcm16|aes256-sha256;' (the same as the peer's)"); ok = false
        }
        if let f = k.keyFile {
            if f.value.isEmpty {
                error(f.at, "key-file needs a path"); ok = false
            } else if f.value.utf8.first != 47 {    // '/'
                warning(f.at, "key-file \"\(f.value)\" is a relative path: it is opened from hedge's working directory")
            }
        } else if !k.seen.contains("key-file") {
            error(k.at, "'static' needs 'key-file \"PATH\";' (the ESP keys: root-owned, mode 0600)"); ok = false
        }
        if !range(k.replayWindow, 0, 255, "replay-window must be 0–255 packets") { ok = false }
        if let c = k.cipher, c.value == .aes256gcm16 {
            // A manual SA is never rekeyed, and every reinstall (each restart) starts its sequence
            // numbers again under the same key: GCM loses both secrecy and integrity the first time
            // a nonce repeats under one key.
            warning(c.at, "aes256gcm16 with static keys: GCM breaks if a nonce ever repeats under one key, and manual SAs are never rekeyed; prefer 'strongswan' keying, or replace the keys regularly")
        }
        guard ok, let o = k.spiOut, let i = k.spiIn, let c = k.cipher, let f = k.keyFile else { return nil }
        return StaticKeyingConfig(spiOut: UInt32(o.value), spiIn: UInt32(i.value), cipher: c.value, keyFile: f.value,
                                  replayWindow: UInt8(k.replayWindow?.value ?? 32), location: k.at)
    }

    static let unixScheme = "unix://"

    mutating func validateStrongSwan(_ w: DraftStrongSwan) -> StrongSwanKeyingConfig? {
        var ok = true
        if let c = w.connection {
            if c.value.isEmpty { error(c.at, "connection needs a name (the IKE connection in swanctl.conf)"); ok = false }
        } else if !w.seen.contains("connection") {
            error(w.at, "'strongswan' needs 'connection NAME;' (the IKE connection in swanctl.conf)"); ok = false
        }
        if let c = w.child, c.value.isEmpty { error(c.at, "child needs a name (the CHILD_SA in swanctl.conf)"); ok = false }
        var vici = StrongSwanKeyingConfig.defaultVici
        if let v = w.vici {
            var path = v.value
            let scheme = Array(Self.unixScheme.utf8)
            if Array(path.utf8.prefix(scheme.count)) == scheme {
                path = String(decoding: Array(path.utf8.dropFirst(scheme.count)), as: UTF8.self)
            }
            let bytes = path.utf8.count
            if let colon = path.utf8.firstIndex(of: 58), path.utf8.first != 47 {    // "tcp://..." and the like
                let other = String(decoding: Array(path.utf8[..<colon]), as: UTF8.self)
                error(v.at, "vici: hedge reaches charon over its unix socket only, not '\(other)' (use \"/var/run/charon.vici\" or \"unix:///var/run/charon.vici\")")
                ok = false
            } else if path.utf8.first != 47 {
                error(v.at, "vici must be an absolute socket path, such as \"/var/run/charon.vici\""); ok = false
            } else if bytes > 107 {
                error(v.at, "vici socket path is \(bytes) bytes; a unix socket path holds at most 107"); ok = false
            }
            vici = path
        }
        let (proposal, proposalOK) = validateProposal(w)
        if !proposalOK { ok = false }
        guard ok, let c = w.connection else { return nil }
        return StrongSwanKeyingConfig(connection: c.value, child: w.child?.value, vici: vici,
                                      initiate: w.initiate ?? true, proposal: proposal, location: w.at)
    }
}
