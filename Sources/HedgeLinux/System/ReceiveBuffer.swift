extension Array where Element == UInt8 {
    /// A receive buffer of `count` bytes, left unwritten. `[UInt8](repeating: 0, count:)` writes every
    /// byte, so each 64 KB socket buffer was resident from the start, used or not (six netlink
    /// sockets and two BGP sessions: ~500 kB of a router's memory). Unwritten, a page becomes
    /// resident only when the kernel first copies data into it. Only the bytes a read returned are
    /// ever looked at.
    static func receiveBuffer(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}
