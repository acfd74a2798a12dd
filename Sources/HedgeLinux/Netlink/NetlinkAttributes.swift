import CHedge
import HedgeCore

/// The attributes of one received message, indexed by type (the mnl_attr_parse table, without the
/// callback). Values are read lazily and bounds-checked: a short attribute reads as nil.
public struct NetlinkAttributes {
    private var table = HashMap<UInt16, UnsafePointer<nlattr>>()

    public init(_ nlh: UnsafePointer<nlmsghdr>, headerSize: Int) {
        self.init(first: mnl_nlmsg_get_payload_offset(nlh, headerSize),
                  end: UnsafeRawPointer(mnl_nlmsg_get_payload_tail(nlh)!))
    }

    /// Attributes nested inside `attr`.
    public init(nested attr: UnsafePointer<nlattr>) {
        let payload = UnsafeRawPointer(mnl_attr_get_payload(attr)!)
        self.init(first: UnsafeMutableRawPointer(mutating: payload),
                  end: payload + Int(mnl_attr_get_payload_len(attr)))
    }

    private init(first: UnsafeMutableRawPointer?, end: UnsafeRawPointer) {
        guard var p = first else { return }
        while true {
            let remaining = Int32(end - UnsafeRawPointer(p))
            let attr = p.assumingMemoryBound(to: nlattr.self)
            if remaining < Int32(MemoryLayout<nlattr>.size) || !mnl_attr_ok(attr, remaining) { break }
            table[mnl_attr_get_type(attr)] = UnsafePointer(attr)
            p = UnsafeMutableRawPointer(mnl_attr_next(attr)!)
        }
    }

    public subscript(_ type: UInt16) -> UnsafePointer<nlattr>? { table[type] }
    public func has(_ type: UInt16) -> Bool { table[type] != nil }

    private func payload(_ type: UInt16, atLeast n: Int) -> UnsafeRawPointer? {
        guard let a = table[type], Int(mnl_attr_get_payload_len(a)) >= n else { return nil }
        return UnsafeRawPointer(mnl_attr_get_payload(a))
    }
    public func u8(_ type: UInt16) -> UInt8? { payload(type, atLeast: 1)?.loadUnaligned(as: UInt8.self) }
    public func u32(_ type: UInt16) -> UInt32? { payload(type, atLeast: 4)?.loadUnaligned(as: UInt32.self) }
    public func i32(_ type: UInt16) -> Int32? { payload(type, atLeast: 4)?.loadUnaligned(as: Int32.self) }
    /// nftables' big-endian integers.
    public func be32(_ type: UInt16) -> UInt32? { u32(type).map { UInt32(bigEndian: $0) } }
    public func be64(_ type: UInt16) -> UInt64? { payload(type, atLeast: 8)?.loadUnaligned(as: UInt64.self).bigEndian }
    public func bytes(_ type: UInt16) -> [UInt8]? {
        guard let a = table[type], let p = payload(type, atLeast: 0) else { return nil }
        return [UInt8](UnsafeRawBufferPointer(start: p, count: Int(mnl_attr_get_payload_len(a))))
    }
    @inline(never) public func string(_ type: UInt16) -> String? {
        guard let a = table[type], let p = payload(type, atLeast: 1) else { return nil }
        let n = Int(mnl_attr_get_payload_len(a))
        let bytes = UnsafeRawBufferPointer(start: p, count: n)
        let end = bytes.firstIndex(of: 0) ?? n
        return String(decoding: bytes[0..<end], as: UTF8.self)
    }
    public func address(_ type: UInt16) -> IPAddress? {
        guard let a = table[type] else { return nil }
        let n = Int(mnl_attr_get_payload_len(a))
        guard n == 4 || n == 16 else { return nil }
        let p = UnsafeRawBufferPointer(start: mnl_attr_get_payload(a), count: n)
        return IPAddress(bytes: [UInt8](p))
    }
}
