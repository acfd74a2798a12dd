/// What hedge needs from the kernel: `hedge check --kernel` tests each of these (board/README.md
/// lists them for board builders). A feature is named by what hedge asks the kernel for, with the
/// options that provide it, so that a missing one says which option to turn on.
public enum KernelFeature: UInt8, CaseIterable, Sendable {
    case routes, rules, nexthops, xfrmPolicies, xfrmInterfaces, esp, aesGCM, icmpProbes, bfd
    case ipv6, esp6, aesCBC, tcpMD5, mssClamp

    public var title: String {
        switch self {
        case .routes: return "routes (RTM_NEWROUTE)"
        case .rules: return "policy routing rules (RTM_NEWRULE fwmark)"
        case .nexthops: return "nexthop objects (RTM_NEWNEXTHOP)"
        case .xfrmPolicies: return "XFRM policies (XFRM_MSG_UPDPOLICY)"
        case .xfrmInterfaces: return "XFRM interfaces (RTM_NEWLINK kind xfrm)"
        case .esp: return "ESP states (XFRM_MSG_NEWSA)"
        case .aesGCM: return "AES-GCM for ESP (rfc4106(gcm(aes)))"
        case .icmpProbes: return "ICMP probes (raw socket, SO_MARK)"
        case .bfd: return "BFD/GTSM sockets (IP_RECVTTL, IP_MINTTL)"
        case .ipv6: return "IPv6 routes and rules"
        case .esp6: return "ESP over IPv6"
        case .aesCBC: return "AES-CBC + HMAC-SHA256 for ESP"
        case .tcpMD5: return "TCP MD5 signatures (TCP_MD5SIG)"
        case .mssClamp: return "nftables TCP MSS clamp (table inet, tcp option maxseg set)"
        }
    }

    /// The options (space separated) that must be y or m; nexthop objects have none, only a version.
    public var options: String {
        switch self {
        case .routes, .icmpProbes, .bfd: return "CONFIG_INET"
        case .rules: return "CONFIG_IP_MULTIPLE_TABLES"
        case .nexthops: return ""
        case .xfrmPolicies: return "CONFIG_XFRM_USER"
        case .xfrmInterfaces: return "CONFIG_XFRM_INTERFACE"
        case .esp: return "CONFIG_INET_ESP"
        // ESP wraps rfc4106 in seqiv(); GCM brings CTR and GHASH along.
        case .aesGCM: return "CONFIG_CRYPTO_GCM CONFIG_CRYPTO_SEQIV CONFIG_CRYPTO_AES"
        case .ipv6: return "CONFIG_IPV6 CONFIG_IPV6_MULTIPLE_TABLES"
        case .esp6: return "CONFIG_INET6_ESP"
        // ESP builds echainiv(authenc(hmac(sha256),cbc(aes))) for it.
        case .aesCBC: return "CONFIG_CRYPTO_CBC CONFIG_CRYPTO_HMAC CONFIG_CRYPTO_SHA256 CONFIG_CRYPTO_AUTHENC CONFIG_CRYPTO_ECHAINIV"
        case .tcpMD5: return "CONFIG_TCP_MD5SIG"
        // meta, cmp, payload, bitwise, immediate and exthdr are all built into nf_tables.
        case .mssClamp: return "CONFIG_NF_TABLES CONFIG_NF_TABLES_INET"
        }
    }

    /// The first kernel that has it (major, minor), where that is the whole requirement.
    public var minimumKernel: (Int, Int)? {
        switch self {
        case .nexthops: return (5, 3)
        case .xfrmInterfaces: return (4, 19)
        default: return nil
        }
    }

    /// Options, or the version for a feature without one: what a board builder has to act on.
    public var needs: String { self == .nexthops ? "Linux 5.3+" : options }

    /// Optional features degrade one thing; a missing required one breaks failover or the VPN path.
    public var required: Bool {
        switch self {
        case .nexthops, .ipv6, .esp6, .aesCBC, .tcpMD5: return false
        default: return true
        }
    }

    public var why: String {
        switch self {
        case .routes: return "the failover itself: hedge replaces the prefixes' routes"
        case .rules: return "fwmark rules pin each path's probes to that path"
        case .nexthops: return "one message moves every route of a group; without them hedge replaces route by route"
        case .xfrmPolicies: return "the static-key tunnel's policies; IKEv2 via strongSwan needs them too"
        case .xfrmInterfaces: return "the route-based VPN path's device, matched by if_id"
        case .esp: return "the VPN path's encryption over IPv4"
        case .aesCBC: return "only for cipher aes256-sha256"
        case .aesGCM: return "cipher aes256gcm16, Azure's GCMAES256"
        case .icmpProbes: return "probe icmp on each path"
        case .bfd: return "BFD to the MSEE (RFC 5881) and BGP with GTSM"
        case .ipv6: return "IPv6 prefixes and probes"
        case .esp6: return "a tunnel with IPv6 outer addresses"
        case .tcpMD5: return "BGP sessions with a password"
        case .mssClamp: return "TCP through the VPN tunnel; without it, it stalls where ICMP \"fragmentation needed\" is filtered"
        }
    }
}

/// The outcome for one feature: present or not, and what the kernel (or its config) said.
public struct KernelFinding: Sendable {
    public var feature: KernelFeature
    public var present: Bool
    public var detail: String
    /// The options known to be off (from a config); nil when probed: then any of the feature's.
    public var unset: String?
    public init(_ feature: KernelFeature, present: Bool, detail: String = "", unset: String? = nil) {
        self.feature = feature; self.present = present; self.detail = detail; self.unset = unset
    }
}

/// `hedge check --kernel`'s answer: one line per feature, then what to enable.
public struct KernelReport: Sendable {
    /// The kernel release (uname -r).
    public var release: String
    /// How it was found out ("probed in a private network namespace", "read from ...").
    public var method: String
    public var findings: [KernelFinding]
    /// Set when nothing could be checked at all.
    public var failure: String?

    public init(release: String, method: String, findings: [KernelFinding], failure: String? = nil) {
        self.release = release; self.method = method; self.findings = findings; self.failure = failure
    }

    public var missingRequired: [KernelFeature] { missing(required: true) }
    public var missingOptional: [KernelFeature] { missing(required: false) }

    func missing(required: Bool) -> [KernelFeature] {
        var out: [KernelFeature] = []
        for f in findings where !f.present && f.feature.required == required { out.append(f.feature) }
        return out
    }

    /// 0: everything required is there; 1: something required is missing; 2: could not check.
    public var exitCode: Int32 { failure != nil ? 2 : missingRequired.isEmpty ? 0 : 1 }

    public var text: String {
        var s = "kernel " + release + ": " + method + "\n"
        if let f = failure { return s + "cannot check the kernel: " + f + "\n" }
        var required = "", optional = "", options = ""
        var missing = 0
        for f in findings {
            let x = f.feature
            s += (f.present ? "ok      " : x.required ? "MISSING " : "WARN    ") + x.title + " [" + x.needs + "]"
            if !f.detail.isEmpty { s += ": " + f.detail }
            if !f.present {
                s += (x.required ? " (needed for " : " (optional: ") + x.why + ")"
                if x.required {
                    required += (required.isEmpty ? "" : ", ") + x.title
                    missing += 1
                } else {
                    optional += (optional.isEmpty ? "" : ", ") + x.title
                }
                let o = f.unset ?? x.options
                if !o.isEmpty { options += " " + o }
            }
            s += "\n"
        }
        var all = 0
        for x in KernelFeature.allCases where x.required { all += 1 }
        s += missing == 0 ? "all \(all) required features present"
                          : "\(missing) of \(all) required features missing: " + required
        s += (optional.isEmpty ? "" : "; optional missing: " + optional) + "\n"
        if !options.isEmpty { s += "kernel options behind what is missing (y or m):" + options + "\n" }
        return s
    }

    /// Findings from a kernel's build configuration (/boot/config-*, /proc/config.gz), for when the
    /// features cannot be probed: every option y or m (modules load on demand), and the version.
    public static func findings(config: String, release: String) -> [KernelFinding] {
        // Byte-wise: a config is some 10,000 lines of ASCII.
        var enabled: [String] = []
        for line in config.utf8.split(separator: 10) where line.count > 2 && line[line.index(line.endIndex, offsetBy: -2)] == 61 {
            let v = line[line.index(before: line.endIndex)]
            if v == 121 || v == 109 { enabled.append(String(Substring(line.dropLast(2)))) }
        }
        let version = kernelVersion(release)
        var out: [KernelFinding] = []
        for f in KernelFeature.allCases {
            var unset = ""
            for o in f.options.split(separator: " ") where !enabled.contains(String(o)) { unset += (unset.isEmpty ? "" : " ") + o }
            var detail = unset.isEmpty ? "" : unset + " not set"
            if let (major, minor) = f.minimumKernel, let (vmaj, vmin) = version, (vmaj, vmin) < (major, minor) {
                detail += (detail.isEmpty ? "" : "; ") + "Linux \(vmaj).\(vmin) is older than \(major).\(minor)"
            }
            out.append(KernelFinding(f, present: detail.isEmpty, detail: detail, unset: unset))
        }
        return out
    }

    /// "6.1.0-50-amd64" → (6, 1).
    public static func kernelVersion(_ release: String) -> (Int, Int)? {
        var v = (0, 0), part = 0, digits = 0
        for b in release.utf8 {
            if b >= 48 && b <= 57 {
                if part == 0 { v.0 = v.0 * 10 + Int(b - 48) } else { v.1 = v.1 * 10 + Int(b - 48) }
                digits += 1
            } else if b == 46 && part == 0 && digits > 0 {
                part = 1; digits = 0
            } else {
                break
            }
        }
        return part == 1 && digits > 0 ? v : nil
    }
}
