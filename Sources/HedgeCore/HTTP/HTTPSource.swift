/// Whom a per-source connection limit counts a client against: its IPv4 address (also when it
/// arrives IPv4-mapped on an IPv6 socket), or its IPv6 /64. One host commonly holds a whole /64
/// (temporary addresses, RFC 8981; a /64 is the smallest subnet SLAAC hands out, RFC 4291 §2.5.1),
/// so counting single IPv6 addresses would not limit it.
public enum HTTPSource {
    public static func key(_ peer: IPAddress) -> IPAddress {
        if let v4 = peer.mappedV4 { return v4 }
        return peer.isV4 ? peer : peer.masked(to: 64)
    }
}
