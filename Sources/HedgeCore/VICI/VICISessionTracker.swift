/// The IKE_SA of one connection and its CHILD_SA of one name, as charon's VICI events tell them
/// (vici_query.c, strongSwan 5.9): what netlink cannot say — an IKE_SA still CONNECTING versus
/// none at all, and which CHILD_SA the kernel's SAs belong to.
///
/// Every IKE_SA and CHILD_SA is kept by its unique id, because charon may hold several at once: a
/// make-before-break reauthentication or a rekey overlaps old and new, and two peers initiating
/// together create duplicates until one is deleted. The view (`ikeState`, `childState`, SPIs)
/// is the best of them: an ESTABLISHED IKE_SA, an installed CHILD_SA, the newest on a tie.
///
/// Events read (the section names are the connection's; `ike-updown` and `child-updown` carry
/// `up = yes` only when up):
///   ike-updown   {up?, <ike>={uniqueid, state, remote-host, ...}}
///   ike-rekey    {<ike>={old={uniqueid, ...}, new={uniqueid, state, ...}}}
///   child-updown {up?, <ike>={..., child-sas={<child>-<uniqueid>={name, uniqueid, state, spi-in, spi-out, ...}}}}
///   child-rekey  {<ike>={..., child-sas={<child>={old={...}, new={...}}}}}   (5.9.8 keys this one by name only)
///   list-sa      {<ike>={..., child-sas={<child>-<uniqueid>={...}, ...}}}    (one event per IKE_SA)
///
/// Use: at connect, register the five events, `beginListing`, request `list-sas` {ike}, apply
/// every event as it arrives, `endListing` at the list-sas response; `reset` when the
/// connection is lost.
public struct VICISessionTracker: Hashable, Sendable {
    /// Connection (IKE_SA config) name and CHILD_SA config name watched.
    public let ike: String
    public let child: String

    struct IKEEntry: Hashable, Sendable {
        var state: String
        var remoteHost: String?
    }
    struct ChildEntry: Hashable, Sendable {
        var state: String
        var spiIn: String?
        var spiOut: String?
        /// Unique id of the IKE_SA it lives under: it dies with that IKE_SA.
        var ike: String?
    }

    /// The SAs known now, and, between `beginListing` and `endListing`, those the listing shows
    /// so far with the events that arrived since applied to them too (the socket's order is
    /// charon's order, so an event after a list-sa is newer than it).
    private var sas = SAs()
    private var listing: SAs?

    var ikes: HashMap<String, IKEEntry> { sas.ikes }
    var children: HashMap<String, ChildEntry> { sas.children }

    /// What changed last, and how many times the view changed.
    public private(set) var reason: String
    public private(set) var changes = 0

    public init(ike: String, child: String) {
        self.ike = ike; self.child = child
        reason = "no VICI event yet"
    }

    // MARK: the view

    /// The best IKE_SA: ESTABLISHED before any other state, then the newest.
    public var ikeUniqueID: String? { VICISessionTracker.best(ikes) { $0.state == "ESTABLISHED" } }
    /// nil: no IKE_SA of the connection. Otherwise charon's state name (ike_sa_state_names:
    /// CREATED, CONNECTING, ESTABLISHED, PASSIVE, REKEYING, REKEYED, DELETING, DESTROYING).
    public var ikeState: String? { ikeUniqueID.flatMap { ikes[$0]?.state } }
    public var ikeRemoteHost: String? { ikeUniqueID.flatMap { ikes[$0]?.remoteHost } }
    public var ikeEstablished: Bool { ikeState == "ESTABLISHED" }

    /// The best CHILD_SA: installed before any other state, then the newest.
    public var childUniqueID: String? { VICISessionTracker.best(children) { VICISessionTracker.installedStates.contains($0.state) } }
    /// nil: no CHILD_SA of that name. Otherwise charon's state name (child_sa_state_names:
    /// CREATED, ROUTED, INSTALLING, INSTALLED, UPDATING, REKEYING, REKEYED, RETRYING, DELETING, ...).
    public var childState: String? { childUniqueID.flatMap { children[$0]?.state } }
    /// SPIs as charon prints them (8 hex digits), only while the CHILD_SA has SAs.
    public var spiIn: String? { childUniqueID.flatMap { children[$0]?.spiIn } }
    public var spiOut: String? { childUniqueID.flatMap { children[$0]?.spiOut } }

    public var childStatus: VICIChildState {
        guard let s = childState else { return .absent }
        return VICISessionTracker.installedStates.contains(s) ? .installed : .other(s)
    }
    /// The CHILD_SA's SAs are in the kernel and current: INSTALLED, or REKEYING / UPDATING (a
    /// rekey or MOBIKE update under way; the SAs still carry traffic).
    public var childInstalled: Bool { childStatus == .installed }

    static let installedStates: HashSet<String> = ["INSTALLED", "REKEYING", "UPDATING"]

    public var summary: String {
        var s = ike + ": "
        if let id = ikeUniqueID, let e = ikes[id] {
            s += "IKE_SA #\(id) \(e.state)"
            if let h = e.remoteHost { s += " with \(h)" }
        } else {
            s += "no IKE_SA"
        }
        if let id = childUniqueID, let c = children[id] {
            s += ", CHILD_SA \(child) #\(id) \(c.state)"
            if let i = c.spiIn, let o = c.spiOut { s += " spi-in \(i) spi-out \(o)" }
        } else {
            s += ", no CHILD_SA \(child)"
        }
        return s
    }

    // MARK: inputs

    /// One VICI event. Returns true when the view changed (then `reason` says why).
    @discardableResult
    public mutating func apply(event name: String, _ msg: VICIMessage) -> Bool {
        let before = view
        let up = msg["up"] == "yes"
        var what = ""
        for (n, sa) in msg.sections where n == ike {
            switch name {
            case "list-sa":
                if listing != nil {
                    listing!.listed(sa, child, replacing: false)
                    what = "listing"
                } else {
                    // A listing nobody announced: news about this IKE_SA only.
                    what = sas.listed(sa, child, replacing: true)
                }
            case "ike-updown", "ike-rekey", "child-updown", "child-rekey":
                what = sas.event(name, up, sa, child)
                if listing != nil { _ = listing!.event(name, up, sa, child) }
            default:
                return false
            }
        }
        return changed(from: before, name + ": " + what)
    }

    /// A `list-sas` command is about to stream its `list-sa` events: at `endListing`, what they
    /// show (and the events since) replaces everything known (an SA missing from it is gone).
    public mutating func beginListing() { listing = SAs() }

    /// The `list-sas` response arrived. Returns true when the view changed.
    @discardableResult
    public mutating func endListing() -> Bool {
        guard let l = listing else { return false }
        listing = nil
        let before = view
        sas = l
        return changed(from: before, "list-sas")
    }

    /// The VICI connection is gone: nothing is known until it is back and listed again.
    @discardableResult
    public mutating func reset(_ why: String) -> Bool {
        let before = view
        sas = SAs()
        listing = nil
        return changed(from: before, why)
    }

    // MARK: helpers

    private struct View: Equatable {
        var ike: String?, ikeState: String?, child: String?, childState: String?, spiIn: String?, spiOut: String?
    }

    private var view: View {
        View(ike: ikeUniqueID, ikeState: ikeState, child: childUniqueID, childState: childState, spiIn: spiIn, spiOut: spiOut)
    }

    private mutating func changed(from before: View, _ why: String) -> Bool {
        guard view != before else { return false }
        reason = why
        changes += 1
        return true
    }

    /// The preferred key: `preferred` entries first, then the highest unique id.
    static func best<V>(_ entries: HashMap<String, V>, _ preferred: (V) -> Bool) -> String? {
        var pick: (key: String, pref: Int, id: Int)? = nil
        for (k, v) in entries {
            let p = preferred(v) ? 1 : 0, id = Int(k) ?? -1
            if let c = pick, (c.pref, c.id, c.key) >= (p, id, k) { continue }
            pick = (k, p, id)
        }
        return pick?.key
    }
}

extension VICISessionTracker.ChildEntry {
    init(_ c: VICIMessage, ike: String?) {
        self.init(state: c["state"] ?? "?", spiIn: c["spi-in"], spiOut: c["spi-out"], ike: ike)
    }
}

extension VICISessionTracker {
    /// IKE_SAs and CHILD_SAs by unique id; each event returns what it did, for `reason`.
    struct SAs: Hashable, Sendable {
        var ikes = HashMap<String, IKEEntry>()
        var children = HashMap<String, ChildEntry>()

        /// `sa`: the connection's section of the event.
        mutating func event(_ name: String, _ up: Bool, _ sa: VICIMessage, _ child: String) -> String {
            switch name {
            case "ike-updown": return ikeUpdown(up, sa)
            case "ike-rekey": return ikeRekey(sa)
            case "child-updown": return childUpdown(up, sa, child)
            default: return childRekey(sa, child)
            }
        }

        mutating func ikeUpdown(_ up: Bool, _ sa: VICIMessage) -> String {
            guard let uid = sa["uniqueid"] else { return "no uniqueid" }
            if up {
                ikes[uid] = IKEEntry(state: sa["state"] ?? "ESTABLISHED", remoteHost: sa["remote-host"])
                return "IKE_SA #\(uid) up"
            }
            ikes[uid] = nil
            for (k, c) in children where c.ike == uid { children[k] = nil }
            return "IKE_SA #\(uid) down"
        }

        mutating func ikeRekey(_ sa: VICIMessage) -> String {
            guard let old = sa.section("old")?["uniqueid"], let new = sa.section("new"), let uid = new["uniqueid"] else {
                return "no old/new uniqueid"
            }
            // The CHILD_SAs move to the new IKE_SA and keep their ids; the old one gets no ike-updown.
            ikes[old] = nil
            ikes[uid] = IKEEntry(state: new["state"] ?? "ESTABLISHED", remoteHost: new["remote-host"])
            for (k, c) in children where c.ike == old { children[k]!.ike = uid }
            return "IKE_SA #\(old) rekeyed to #\(uid)"
        }

        mutating func childUpdown(_ up: Bool, _ sa: VICIMessage, _ child: String) -> String {
            let ikeID = sa["uniqueid"]
            // The event also shows the IKE_SA's state now (DELETING when it takes its children
            // down); an IKE_SA already gone is not brought back by it.
            if let id = ikeID, let st = sa["state"], up || ikes[id] != nil {
                ikes[id] = IKEEntry(state: st, remoteHost: sa["remote-host"])
            }
            var what = "no CHILD_SA \(child)"
            for c in VICISessionTracker.childSections(sa, child) {
                guard let cid = c["uniqueid"] else { continue }
                // A down event still shows the CHILD_SA as it was (INSTALLED): `up` decides.
                children[cid] = up ? ChildEntry(c, ike: ikeID) : nil
                what = "CHILD_SA \(child) #\(cid) " + (up ? "up (\(c["state"] ?? "?"))" : "down")
            }
            return what
        }

        mutating func childRekey(_ sa: VICIMessage, _ child: String) -> String {
            var what = "no CHILD_SA \(child)"
            for c in VICISessionTracker.childSections(sa, child) {
                guard let old = c.section("old"), let new = c.section("new"), let nid = new["uniqueid"] else { continue }
                // The old CHILD_SA gets no child-updown: it is gone with this event.
                if let oid = old["uniqueid"] { children[oid] = nil }
                children[nid] = ChildEntry(new, ike: sa["uniqueid"])
                what = "CHILD_SA \(child) #\(old["uniqueid"] ?? "?") rekeyed to #\(nid) (\(new["state"] ?? "?"))"
            }
            return what
        }

        /// One list-sa event. `replacing`: it is the whole truth about that IKE_SA (its CHILD_SAs
        /// not shown are gone); in a listing, the listing's end settles that for every SA at once.
        @discardableResult
        mutating func listed(_ sa: VICIMessage, _ child: String, replacing: Bool) -> String {
            guard let uid = sa["uniqueid"] else { return "no uniqueid" }
            ikes[uid] = IKEEntry(state: sa["state"] ?? "?", remoteHost: sa["remote-host"])
            if replacing { for (k, c) in children where c.ike == uid { children[k] = nil } }
            for c in VICISessionTracker.childSections(sa, child) {
                if let cid = c["uniqueid"] { children[cid] = ChildEntry(c, ike: uid) }
            }
            return "IKE_SA #\(uid) listed"
        }
    }

    /// The watched CHILD_SA's sections under `child-sas`. charon 5.8.2 and later key them
    /// "<name>-<uniqueid>" and give the configured name in `name` (child-rekey keys by name, with
    /// the name inside `old` and `new`); older ones key by name alone.
    static func childSections(_ sa: VICIMessage, _ child: String) -> [VICIMessage] {
        guard let list = sa.section("child-sas") else { return [] }
        var out: [VICIMessage] = []
        for (key, c) in list.sections {
            if let n = c["name"] ?? c.section("new")?["name"] ?? c.section("old")?["name"] {
                if n == child { out.append(c) }
            } else if key == child {
                out.append(c)
            }
        }
        return out
    }
}

public enum VICIChildState: Hashable, Sendable {
    case installed
    /// Present in another state (charon's name).
    case other(String)
    case absent
}
