/// Return-path steering: when traffic fails over onto a path whose far side picks its way back by
/// BGP (Azure's VPN gateway), the far side must move its return traffic too, and at once. Azure
/// prefers the longest prefix whatever the path, so announcing the on-prem prefixes' more-specific
/// halves over that path moves the return direction there in the same step as the forward one;
/// withdrawing them at failback moves it back. Nothing waits for the far side to notice the failure.
public enum ReturnSteering {
    /// Prefixes Azure's VPN gateway accepts from one BGP peer: past this it drops the session.
    public static let vpnGatewayLimit = 4000

    /// True when `path` carries a group that prefers another member: the group was failed over onto
    /// it. `groups`: each group's members in order of preference, and its active path.
    /// `samePriority`: whether two paths share a priority; a path of the preferred one's (the
    /// circuit's other link, carrying alone while one link is down) was not failed over onto.
    public static func steers(path: Int, groups: [(preference: [Int], active: Int?)],
                              samePriority: (Int, Int) -> Bool = { $0 == $1 }) -> Bool {
        for g in groups where g.active == path {
            if let first = g.preference.first, !samePriority(first, path) { return true }
        }
        return false
    }

    /// The two halves of a prefix, one bit longer; a host prefix (/32, /128) as it is, since it
    /// cannot be split and already wins over anything shorter.
    public static func halves(_ p: IPPrefix) -> [IPPrefix] {
        guard !p.isHost, let low = IPPrefix(address: p.address, length: p.length + 1) else { return [p] }
        let high: IPAddress
        switch p.address {
        case .v4(let v): high = .v4(v | (UInt32(1) << UInt32(31 - Int(p.length))))
        case .v6(let hi, let lo):
            high = p.length < 64 ? .v6(hi | (UInt64(1) << UInt64(63 - Int(p.length))), lo)
                                 : .v6(hi, lo | (UInt64(1) << UInt64(127 - Int(p.length))))
        }
        guard let h = IPPrefix(address: high, length: p.length + 1) else { return [p] }
        return [low, h]
    }

    public struct Announcements: Equatable {
        /// What the session announces: the path's own prefixes, then the halves.
        public var prefixes: [IPPrefix]
        /// How many of `prefixes` are steering halves.
        public var moreSpecifics: Int
        /// Prefixes whose halves did not fit within the limit (they return at the far side's pace).
        public var unsteered: Int
    }

    /// The session's announcements: `base` always; while `steering`, also the halves of each base
    /// prefix (a host prefix adds nothing: it is announced already), as many as fit in `limit`.
    /// A prefix is steered whole or not at all: one half alone would move only half its traffic.
    public static func announcements(base: [IPPrefix], steering: Bool, limit: Int) -> Announcements {
        var out = Announcements(prefixes: base, moreSpecifics: 0, unsteered: 0)
        guard steering else { return out }
        var seen = HashSet<IPPrefix>()
        for p in base { seen.insert(p) }
        for p in base where !p.isHost {
            let hs = halves(p).filter { !seen.contains($0) }
            if out.prefixes.count + hs.count > limit { out.unsteered += 1; continue }
            for h in hs { seen.insert(h); out.prefixes.append(h) }
            out.moreSpecifics += hs.count
        }
        return out
    }
}
