import CHedge
import HedgeCore   // its out-of-line string interpolation (Support/StringOutOfLine.swift)

/// `hedge run --user NAME`: start as root (netlink sockets, raw probe sockets, port 179, the
/// root-only key files), then become NAME keeping only the capabilities the agent uses at run time,
/// the way bgpd and bird -u do. The kernel checks each later netlink change against CAP_NET_ADMIN.
public enum Privileges {
    public static let netBindService: UInt64 = 1 << 10   // CAP_NET_BIND_SERVICE: a new BGP listener on 179
    public static let netAdmin: UInt64 = 1 << 12         // CAP_NET_ADMIN: routes, nexthops, XFRM, SO_MARK
    public static let netRaw: UInt64 = 1 << 13           // CAP_NET_RAW: ICMP probes, SO_BINDTODEVICE

    /// Set once the agent runs as somebody else: root-only files can no longer be opened.
    nonisolated(unsafe) public private(set) static var dropped = false

    public static func lookup(user: String) throws(SystemError) -> (uid: UInt32, gid: UInt32) {
        var uid: UInt32 = 0, gid: UInt32 = 0
        if hedge_lookup_user(user, &uid, &gid) != 0 { throw SystemError("getpwnam", object: "user \(user)") }
        return (uid, gid)
    }

    /// Gives the user the files it must write after the drop (the control socket's directory, the
    /// event spool), then drops. On failure the process is in an unknown state: the caller exits.
    public static func drop(to user: String, keep: UInt64, handOver paths: [String]) throws(SystemError) {
        let (uid, gid) = try lookup(user: user)
        for p in paths where chown(p, uid, gid) != 0 && hedge_errno() != ENOENT {
            throw SystemError("chown", object: p)
        }
        let step = hedge_drop_privileges(uid, gid, keep)
        if step != 0 {
            let calls = ["", "prctl(PR_CAPBSET_DROP)", "setgroups", "setresgid", "prctl(PR_SET_KEEPCAPS)",
                         "setresuid", "capset", "prctl(PR_SET_NO_NEW_PRIVS)"]
            throw SystemError(Int(step) < calls.count ? calls[Int(step)] : "drop", object: "user \(user)")
        }
        dropped = true
    }

    /// CAP_* names of a capability mask, for the log line that says what was kept.
    public static func names(_ mask: UInt64) -> String {
        var out: [String] = []
        if mask & netBindService != 0 { out.append("CAP_NET_BIND_SERVICE") }
        if mask & netAdmin != 0 { out.append("CAP_NET_ADMIN") }
        if mask & netRaw != 0 { out.append("CAP_NET_RAW") }
        return out.isEmpty ? "none" : out.joined(separator: " ")
    }
}
