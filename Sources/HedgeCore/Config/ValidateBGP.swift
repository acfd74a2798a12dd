/// A path's `bgp` block.
extension Validator {
    /// eBGP toward the path's neighbour: the MSEE at AS 12076 on ExpressRoute private peering.
    mutating func validateBGP(_ b: DraftBGP, path p: DraftPath, localAS: Located<UInt64>?, routerID: Located<IPAddress>?,
                              bfd: BFDConfig?) -> BGPConfig? {
        guard let n = b.neighbor else { return nil }
        var ok = true
        if !isUnicast(n.value) { error(n.at, "BGP neighbor must be a unicast address, not \(n.value)"); ok = false }
        if localAS == nil { error(b.at, "a 'bgp' session needs 'local-as NUMBER;' at top level"); ok = false }
        if routerID == nil { error(b.at, "a 'bgp' session needs 'router-id IPV4;' at top level (the BGP identifier)"); ok = false }
        guard let ras = b.remoteAS else {
            error(b.at, "'bgp \(n.value)' needs 'remote-as NUMBER;' (12076 for the ExpressRoute edge)")
            return nil
        }
        if ras.value == 0 || ras.value == 23456 || ras.value > UInt64(UInt32.max) {
            error(ras.at, "remote-as must be 1–4294967295 and not 23456 (AS_TRANS)"); ok = false
        } else if ras.value == 12076 && p.ipsec != nil {
            error(ras.at, "remote-as 12076 is the ExpressRoute edge (MSEE), reached over the circuit, not through this path's IPsec tunnel (Azure's VPN gateway is AS 65515)"); ok = false
        } else if ras.value == 65515 && p.ipsec == nil {
            warning(ras.at, "remote-as 65515 is Azure's VPN gateway: its BGP session runs through the IPsec tunnel, on a path with an 'ipsec' block")
        } else if ras.value != 12076 && ras.value != 65515 {
            warning(ras.at, "remote-as \(ras.value): the ExpressRoute edge peers from AS 12076 (private peering), Azure's VPN gateway from 65515")
        }
        if let h = b.holdTime, h.value != 0 && (h.value < 3 || h.value > 65535) {
            error(h.at, "hold-time must be 0 or 3–65535 seconds (RFC 4271 §4.2)"); ok = false
        }
        if !range(b.connectRetry, 100, 3_600_000, "connect-retry must be 100ms–1h") { ok = false }
        if !range(b.maxPrefix, 1, 10_000_000, "max-prefix must be 1–10000000") { ok = false }
        if !range(b.prepend, 0, 16, "prepend must be 0–16") { ok = false }
        if ras.value == 65515 && b.source == nil {
            warning(b.at, "Azure's VPN gateway peers only with the BGP address its local network gateway names: set 'source ADDRESS;' to it (an APIPA address on the tunnel)")
        }
        if let s = b.source, s.value.isV4 != n.value.isV4 {
            error(s.at, "BGP source \(s.value) and neighbor \(n.value) are of different address families"); ok = false
        }
        if let k = b.md5KeyFile, k.value.isEmpty { error(k.at, "md5-key-file needs a path"); ok = false }
        if let f = bfd, f.neighbor != n.value {
            warning(n.at, "BFD neighbor \(f.neighbor) differs from BGP neighbor \(n.value): BFD Down resets this BGP session anyway (RFC 5882)")
        }
        guard ok else { return nil }
        return BGPConfig(neighbor: n.value, remoteAS: UInt32(ras.value), holdTime: UInt16(b.holdTime?.value ?? 90),
                         connectRetryMs: b.connectRetry?.value ?? 5_000, passive: b.passive, gtsm: b.gtsm,
                         md5KeyFile: b.md5KeyFile?.value, maxPrefix: b.maxPrefix.map { Int($0.value) },
                         prepend: Int(b.prepend?.value ?? 0), source: b.source?.value,
                         returnSteering: b.returnSteering, location: b.at)
    }
}
