// libFuzzer target: XFRM netlink message bodies (after the nlmsghdr) as the kernel sends them in
// dumps and events, read with XfrmCodec.decode(type:body:) (HedgeCore/Kernel/XfrmCodec.swift).
//
// Input: two bytes choosing the message type, then the body.
//   bit 15 clear: one of the 14 XfrmMessageType values, 16 + (value % 14)
//   bit 15 set:   the low 15 bits as they are (mostly types hedge does not decode)
// A body that decodes must re-encode (when hedge can write what it read: an SA of an algorithm it
// does not model cannot be) to bytes that decode to the same value: the codec reads every field
// it writes. Errors are always an XfrmError (typed throws), with a description.
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

public func fuzzXfrmMessage(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 2 else { return 0 }
    let select = UInt16(data[0]) << 8 | UInt16(data[1])
    let type = select & 0x8000 == 0 ? 16 + select % 14 : select & 0x7FFF
    let body = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))

    let m: XfrmMessage
    do throws(XfrmError) {
        m = try XfrmCodec.decode(type: type, body: body[...])
    } catch {
        sink(error.description)
        return 0
    }
    precondition(XfrmMessageType(rawValue: type) != nil)
    switch m {
    case .newSA(let s), .updSA(let s):
        state(s)
    case .expire(let s, _):
        state(s)
    case .delSA(let id, let full):
        if let b = try? XfrmCodec.encodeSAID(id) {
            precondition((try? XfrmCodec.decode(type: XfrmMessageType.delSA.rawValue, body: b[...])) == .delSA(id, nil))
        }
        if let s = full { state(s) }
    case .newPolicy(let p), .updPolicy(let p):
        policy(p)
    case .polExpire(let p, _):
        policy(p)
    case .delPolicy(let id, let full):
        if let b = try? XfrmCodec.encodePolicyID(id) {
            precondition((try? XfrmCodec.decode(type: XfrmMessageType.delPolicy.rawValue, body: b[...])) == .delPolicy(id, nil))
        }
        if let p = full { policy(p) }
    case .flushSA(let proto):
        precondition(body.first == proto)
    case .flushPolicy:
        break
    }
    return 0
}

private func state(_ s: XfrmState) {
    sink(s.algorithm.description)
    guard let b = try? XfrmCodec.encodeState(s) else { return }
    precondition((try? XfrmCodec.decodeState(b[...])) == s)
}

private func policy(_ p: XfrmPolicy) {
    guard let b = try? XfrmCodec.encodePolicy(p) else { return }
    precondition((try? XfrmCodec.decodePolicy(b[...])) == p)
}

@inline(never) @_optimize(none)
private func sink<T>(_ value: T) { withExtendedLifetime(value) {} }
