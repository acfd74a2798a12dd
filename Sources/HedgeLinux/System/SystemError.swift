import CHedge
import HedgeCore   // its out-of-line string interpolation (Support/StringOutOfLine.swift)

/// A failed system call: which call, on what, and the errno it set (the swift-system way).
public struct SystemError: Error, CustomStringConvertible {
    public var call: String
    public var errno: Int32
    public var object: String
    public init(_ call: String, errno: Int32 = hedge_errno(), object: String = "") {
        self.call = call; self.errno = errno; self.object = object
    }
    public var description: String {
        (object.isEmpty ? "" : "\(object): ") + "\(call): " + errnoString(errno)
    }
}

public func errnoString(_ e: Int32) -> String {
    guard let s = strerror(e) else { return "errno \(e)" }
    return String(cString: s) + " (errno \(e))"
}

/// Retries a call that fails with EINTR, as every event-driven daemon must.
@inline(__always)
func retryingEINTR(_ body: () -> Int) -> Int {
    while true {
        let r = body()
        if r >= 0 || hedge_errno() != EINTR { return r }
    }
}
