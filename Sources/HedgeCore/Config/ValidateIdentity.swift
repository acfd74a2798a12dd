/// `router-id` and `local-as`: this router's BGP identity, and the ASNs Azure and the RFCs reserve.
extension Validator {
    mutating func validateIdentity(_ d: DraftConfig, into config: inout HedgeConfig) {
        if let r = d.routerID {
            if !r.value.isV4 {
                error(r.at, "router-id must be an IPv4 address (a 32-bit BGP identifier), not \(r.value)")
            } else if r.value.isUnspecified {
                error(r.at, "router-id must not be 0.0.0.0")
            } else {
                config.routerID = r.value
            }
        }
        if let a = d.localAS {
            let asn = a.value
            switch asn {
            case 0:
                error(a.at, "local-as 0 is reserved (RFC 7607) and cannot be used")
            case 23456:
                error(a.at, "local-as 23456 is AS_TRANS (RFC 6793), a placeholder for 4-byte ASNs, not a real ASN")
            case 12076:
                error(a.at, "local-as 12076 is Microsoft's ASN (the ExpressRoute edge peers from it); use your own ASN")
            case 65515...65520:
                error(a.at, "local-as \(asn) is reserved by Azure (65515–65520; 65515 is the VPN gateway's ASN)")
            case let x where x > UInt64(UInt32.max):
                error(a.at, "local-as must be 1–4294967295")
            default:
                config.localAS = UInt32(asn)
            }
        }
    }
}
