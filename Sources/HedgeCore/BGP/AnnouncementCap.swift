/// What one path's BGP session announces: its `announce`, within what Azure accepts over private
/// peering (past the limit Azure drops the session, which would take ExpressRoute down for every
/// prefix); while a group is failed over onto the path, also the more-specific halves
/// (ReturnSteering), within what the peer accepts (Azure's VPN gateway at AS 65515: its own limit).
public struct AnnouncementCap: Sendable, Equatable {
    /// The session's announcements, in order.
    public var prefixes: [IPPrefix] = []
    /// What the config asked to announce, and what goes out after the private-peering cut.
    public var wanted = 0
    public var announcing = 0
    /// Return-path steering: whether the more-specific halves go out now, how many, and how many
    /// prefixes did not fit the peer's limit.
    public var steering = false
    public var moreSpecifics = 0
    public var unsteered = 0
    /// The private-peering limit, and the peer's (the VPN gateway's, or the same).
    public var limit = AnnouncementCap.privatePeeringDefault
    public var peerLimit = AnnouncementCap.privatePeeringDefault
    /// The path's name, for the messages.
    public var pathName = ""

    /// Azure's private-peering limit without ExpressRoute Premium, when the config names none.
    public static let privatePeeringDefault = 4000
    /// The AS of Azure's VPN gateway.
    public static let vpnGatewayAS: UInt32 = 65515

    /// Nothing announced yet.
    public init() {}

    /// Path `path`'s announcements; `groups` as `ReturnSteering.steers` reads them.
    public init(path: Int, config: HedgeConfig, groups: [(preference: [Int], active: Int?)]) {
        let p = config.paths[path]
        pathName = p.name
        let all = p.announce
        limit = config.azure?.privatePeeringLimit ?? AnnouncementCap.privatePeeringDefault
        let base = all.count > limit ? Array(all.prefix(limit)) : all
        steering = p.bgp?.returnSteering == true && ReturnSteering.steers(path: path, groups: groups) {
            config.paths[$0].priority == config.paths[$1].priority
        }
        peerLimit = p.bgp?.remoteAS == AnnouncementCap.vpnGatewayAS ? ReturnSteering.vpnGatewayLimit : limit
        let a = ReturnSteering.announcements(base: base, steering: steering, limit: peerLimit)
        prefixes = a.prefixes
        moreSpecifics = a.moreSpecifics
        unsteered = a.unsteered
        wanted = all.count
        announcing = a.prefixes.count
    }

    /// The error to record when `announce` did not fit the private-peering limit.
    public var cutMessage: String? {
        guard wanted > limit else { return nil }
        return "bgp \(pathName): \(wanted) prefixes to announce but Azure accepts \(limit) over private peering; announcing the first \(limit) only"
    }

    /// The line to log when steering started or stopped since `old`.
    public func steeringMessage(since old: AnnouncementCap) -> String? {
        guard steering != old.steering else { return nil }
        if steering {
            return "bgp \(pathName): steering the return path: announcing \(moreSpecifics) more-specific halves"
                + (unsteered > 0 ? " (\(unsteered) prefixes not steered: \(peerLimit) is the peer's limit)" : "")
        }
        return "bgp \(pathName): return path no longer steered: withdrawing \(old.moreSpecifics) more-specific halves"
    }
}
