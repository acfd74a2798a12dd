/// The `kernel` block: the routes' protocol, table and metric, and the kernel features hedge uses.
extension Validator {
    static let knownProtocols: HashMap<UInt64, String> = [
        8: "gated", 9: "ra", 10: "mrt", 11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk",
        16: "dhcp", 17: "mrouted", 18: "keepalived", 42: "babel", 99: "openr", 186: "bgp", 187: "isis",
        188: "ospf", 189: "rip", 192: "eigrp",
    ]

    mutating func validateKernel(_ d: DraftConfig, into config: inout HedgeConfig) {
        let k = d.kernel
        var out = KernelConfig()
        if let p = k.routeProtocol {
            if p.value <= 4 {
                error(p.at, "protocol \(p.value) is reserved by the kernel (0 unspec, 1 redirect, 2 kernel, 3 boot, 4 static); pick a value of hedge's own")
            } else if p.value > 255 {
                error(p.at, "protocol must be 5–255 (rtm_protocol is one byte)")
            } else {
                if let owner = Self.knownProtocols[p.value] {
                    warning(p.at, "protocol \(p.value) is '\(owner)' in /etc/iproute2/rt_protos; hedge would take that daemon's routes for its own")
                }
                out.routeProtocol = UInt8(p.value)
            }
        }
        if let t = k.table {
            if t.value == 0 || t.value > UInt64(UInt32.max) {
                error(t.at, "table must be 1–4294967295")
            } else if t.value == 255 {
                error(t.at, "table 255 is the kernel's local table")
            } else {
                out.table = UInt32(t.value)
            }
        }
        if range(k.metric, 0, UInt64(UInt32.max), "metric must be 0–4294967295"), let m = k.metric {
            out.metric = UInt32(m.value)
        }
        if let w = k.withdrawOnExit { out.withdrawOnExit = w }
        if let n = k.nexthopObjects { out.nexthopObjects = n }
        if range(k.netlinkReceiveBuffer, 4096, UInt64(Int32.max), "netlink-receive-buffer must be 4096–2147483647 bytes"),
           let b = k.netlinkReceiveBuffer {
            out.netlinkReceiveBuffer = Int(b.value)
        }
        if let base = k.probeTableBase {
            let n = UInt64(max(d.paths.count, 1))
            let last = base.value + n - 1
            if base.value == 0 || last > UInt64(UInt32.max) {
                error(base.at, "probe-table-base must be 1–\(UInt64(UInt32.max) - n + 1)")
            } else if (base.value...last).contains(UInt64(out.table)) || (base.value <= 255 && last >= 253) {
                error(base.at, "probe tables \(base.value)–\(last) (one per path) overlap table \(out.table) or the kernel's tables 253–255")
            } else {
                out.probeTableBase = UInt32(base.value)
            }
        }
        config.kernel = out
    }
}
