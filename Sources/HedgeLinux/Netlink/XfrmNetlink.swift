import CHedge
import HedgeCore

/// What hedge does to the kernel's IPsec databases (NETLINK_XFRM): dump SAs and policies, apply
/// reconcile operations. Every XFRM request, even a dump, needs CAP_NET_ADMIN.
///
/// Core encodes the family structs and attribute payloads (XfrmCodec, fuzzed); the messages are
/// put together here through the one NetlinkBuilder, attribute by attribute.
public final class XfrmNetlink {
    let sock: NetlinkSocket
    let builder = NetlinkBuilder()
    /// Messages sent to change the kernel (not dumps).
    public private(set) var changesSent = 0
    /// Dump entries that did not decode: counted and skipped (the rest of the dump still counts).
    public private(set) var malformedEntries = 0
    public private(set) var lastMalformed: String?

    private func skipped(_ e: XfrmError) {
        malformedEntries += 1
        lastMalformed = e.description
    }

    public init() throws(SystemError) {
        sock = try NetlinkSocket(protocol: NETLINK_XFRM)
    }

    /// Every SA the kernel holds (all if_ids: the caller picks its own). Dumps carry keys: callers
    /// must not log them (XfrmAlgorithm's description does not).
    public func states() throws(NetlinkError) -> [XfrmState] {
        var out: [XfrmState] = []
        // xfrm_dump_sa parses attributes right after nlmsghdr: the request carries no family header.
        try dump("XFRM_MSG_GETSA", type: XfrmMessageType.getSA.rawValue) { nlh in
            do throws(XfrmError) { out.append(try XfrmCodec.decodeState(Self.body(nlh))) } catch { skipped(error) }
        }
        return out
    }

    public func policies() throws(NetlinkError) -> [XfrmPolicy] {
        var out: [XfrmPolicy] = []
        try dump("XFRM_MSG_GETPOLICY", type: XfrmMessageType.getPolicy.rawValue) { nlh in
            do throws(XfrmError) { out.append(try XfrmCodec.decodePolicy(Self.body(nlh))) } catch { skipped(error) }
        }
        return out
    }

    private func dump(_ request: String, type: UInt16, _ each: (UnsafePointer<nlmsghdr>) -> Void) throws(NetlinkError) {
        builder.reset()
        let seq = sock.nextSeq()
        builder.begin(type: type, flags: NLM_F_REQUEST | NLM_F_DUMP, seq: seq, header: [])
        try sock.dump(builder, seq: seq, request: request, each)
    }

    /// Applies `ops` in order, one batch, every ack checked. Returns the refusals, each naming its
    /// object (never its key); the rest were applied. Deleting what is already gone is no error.
    public func apply(_ ops: [XfrmOp]) throws(SystemError) -> [NetlinkError] {
        var errors: [NetlinkError] = []
        builder.reset()
        var seqs: [UInt32] = []
        var bySeq = HashMap<UInt32, XfrmOp>()
        for op in ops {
            let seq = sock.nextSeq()
            do { try build(op, seq: seq) } catch {
                errors.append(NetlinkError(request: Self.requestName(op), object: "\(op): \(error)", errno: EINVAL))
                continue
            }
            seqs.append(seq); bySeq[seq] = op
        }
        changesSent += seqs.count
        let refused = try sock.transact(builder, expecting: seqs) { seq in
            let op = bySeq[seq]!
            return (Self.requestName(op), op.description)
        }
        for e in refused {
            if e.request.hasPrefix("XFRM_MSG_DEL") && (e.errno == ENOENT || e.errno == ESRCH) { continue }
            errors.append(e)
        }
        return errors
    }

    private func build(_ op: XfrmOp, seq: UInt32) throws(XfrmError) {
        let ack = NLM_F_REQUEST | NLM_F_ACK
        switch op {
        case .addState(let s):
            put(XfrmMessageType.newSA, flags: ack | NLM_F_CREATE | NLM_F_EXCL, seq: seq, try XfrmCodec.stateBody(s))
        case .deleteState(let id):
            put(XfrmMessageType.delSA, flags: ack, seq: seq, try XfrmCodec.saIDBody(id))
        case .updatePolicy(let p):
            put(XfrmMessageType.updPolicy, flags: ack, seq: seq, try XfrmCodec.policyBody(p))
        case .deletePolicy(let id):
            put(XfrmMessageType.delPolicy, flags: ack, seq: seq, try XfrmCodec.policyIDBody(id))
        }
    }

    private func put(_ type: XfrmMessageType, flags: Int32, seq: UInt32, _ body: XfrmBody) {
        builder.begin(type: type.rawValue, flags: flags, seq: seq, header: body.header)
        for a in body.attributes { builder.put(a.type, bytes: a.payload) }
    }

    static func requestName(_ op: XfrmOp) -> String {
        switch op {
        case .addState: return "XFRM_MSG_NEWSA"
        case .deleteState: return "XFRM_MSG_DELSA"
        case .updatePolicy: return "XFRM_MSG_UPDPOLICY"
        case .deletePolicy: return "XFRM_MSG_DELPOLICY"
        }
    }

    /// The message's body (after nlmsghdr) as bytes for Core's decoder.
    static func body(_ nlh: UnsafePointer<nlmsghdr>) -> ArraySlice<UInt8> {
        let len = Int(nlh.pointee.nlmsg_len) - MemoryLayout<nlmsghdr>.size
        guard len > 0 else { return [] }
        let p = UnsafeRawPointer(nlh) + MemoryLayout<nlmsghdr>.size
        return ArraySlice(UnsafeRawBufferPointer(start: p, count: len))
    }
}
