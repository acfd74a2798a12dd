/// Adj-RIB-Out (RFC 4271 §3.2): the routes we want the peer to have, what this session has sent
/// of them, and the UPDATEs that bring the peer from the one to the other. The owner sends the
/// messages `updates` returns, in order; they count as sent once returned.
public struct AdjRIBOut: Sendable {
    /// What we announce (IPv4 and IPv6 together).
    public private(set) var wanted: HashSet<IPPrefix> = []
    /// What the peer has of it in this session.
    public private(set) var sent: HashSet<IPPrefix> = []

    /// Prefixes per UPDATE, far below 4,096 octets: a /32 takes 5 octets, a /128 17.
    public static let chunkV4 = 500
    public static let chunkV6 = 150

    public init() {}

    /// How our routes are announced on one session.
    public struct Route: Sendable, Equatable {
        public var localAS: UInt32
        /// The AS the session negotiated with: equal to `localAS` means iBGP.
        public var peerAS: UInt32
        /// Extra copies of our AS in the AS_PATH to an external peer.
        public var prepend: Int
        /// The configured next hops; nil: our address on the connection, when of the family.
        public var nextHop: IPAddress?
        public var nextHopV6: IPAddress?
        /// Our address on the connection.
        public var local: IPAddress?

        public init(localAS: UInt32, peerAS: UInt32, prepend: Int = 0, nextHop: IPAddress? = nil,
                    nextHopV6: IPAddress? = nil, local: IPAddress? = nil) {
            self.localAS = localAS; self.peerAS = peerAS; self.prepend = prepend
            self.nextHop = nextHop; self.nextHopV6 = nextHopV6; self.local = local
        }

        /// The NEXT_HOP (or MP_REACH_NLRI next hop) of a family; nil: the family is not announced.
        public func nextHop(v6: Bool) -> IPAddress? {
            if v6 { return nextHopV6 ?? (local?.isV6 == true ? local : nil) }
            return nextHop ?? (local?.isV4 == true ? local : nil)
        }

        /// eBGP prepends our AS (RFC 4271 §5.1.2); iBGP sends an empty AS_PATH and LOCAL_PREF.
        public var attributes: PathAttributes {
            var attrs = PathAttributes(origin: .igp)
            let external = peerAS != localAS
            attrs.asPath = external ? [.sequence([UInt32](repeating: localAS, count: 1 + max(0, prepend)))] : []
            if !external { attrs.localPref = 100 }
            return attrs
        }
    }

    /// What `updates` decided.
    public struct Updates: Sendable, Equatable {
        /// In the order they must go out: per family (IPv4 first), withdrawals, then announcements.
        public var messages: [UpdateMessage] = []
        /// Families with prefixes to announce but no next hop, and how many prefixes wait.
        public var withoutNextHop: [Waiting] = []
    }

    public struct Waiting: Sendable, Equatable {
        public var family: AFISAFI
        public var count: Int
        public init(family: AFISAFI, count: Int) { self.family = family; self.count = count }
    }

    /// Sets what we announce; `updates` then sends the difference.
    public mutating func want(_ prefixes: [IPPrefix]) { wanted = HashSet(prefixes) }

    /// A new session, or its end: the peer has nothing of ours.
    public mutating func sessionReset() { sent = [] }

    /// ROUTE-REFRESH (RFC 2918): the peer asks for the whole family again.
    public mutating func refresh(_ family: AFISAFI) {
        sent = sent.filter { AFISAFI.unicast(v6: !$0.isV4) != family }
    }

    /// The UPDATEs that bring the peer from `sent` to `wanted`, for the families the session
    /// negotiated (`only` one of them, or all).
    public mutating func updates(families: [AFISAFI], only family: AFISAFI? = nil, route: Route) -> Updates {
        var out = Updates()
        for f in [AFISAFI.ipv4Unicast, .ipv6Unicast] where family == nil || family == f {
            guard families.contains(f) else { continue }
            let v6 = f == .ipv6Unicast
            let want = wanted.filter { $0.isV4 != v6 }
            let have = sent.filter { $0.isV4 != v6 }
            let add = want.subtracting(have).stableSorted()
            let del = have.subtracting(want).stableSorted()
            if add.isEmpty && del.isEmpty { continue }
            let nh = route.nextHop(v6: v6)
            if !add.isEmpty && nh == nil { out.withoutNextHop.append(Waiting(family: f, count: add.count)) }
            let size = v6 ? AdjRIBOut.chunkV6 : AdjRIBOut.chunkV4
            var k = 0
            while k < del.count {
                let chunk = Array(del[k..<min(k + size, del.count)])
                k += chunk.count
                var m = UpdateMessage()
                if v6 { m.attributes.mpUnreach = MPUnreachNLRI(family: f, withdrawn: chunk) } else { m.withdrawn = chunk }
                out.messages.append(m)
                for p in chunk { sent.remove(p) }
            }
            guard let nh else { continue }
            let attrs = route.attributes
            k = 0
            while k < add.count {
                let chunk = Array(add[k..<min(k + size, add.count)])
                k += chunk.count
                var m = UpdateMessage(attributes: attrs)
                if v6 { m.attributes.mpReach = MPReachNLRI(family: f, nextHop: nh, nlri: chunk) }
                else { m.attributes.nextHop = nh; m.nlri = chunk }
                out.messages.append(m)
                for p in chunk { sent.insert(p) }
            }
        }
        return out
    }
}
