/// bfd.DesiredMinTxInterval and bfd.RequiredMinRxInterval as advertised and as in force, and the
/// Poll Sequence (RFC 5880 §6.5) that lets one become the other.
///
/// A change is advertised at once (in the next packet) and starts a Poll Sequence. What we do
/// ourselves follows §6.8.3: a TX decrease and an RX increase are safe and apply at once; a TX
/// increase and an RX decrease apply only when the neighbour has answered the poll with F, because
/// before that it still times us (and sends to us) by the old values: sending slower, or expecting
/// packets faster, could make either side declare the session down.
///
/// The RFC requires this while Up; hedge also does it in Init, which has a neighbour whose
/// detection time depends on us. In Down and AdminDown nothing is agreed: values apply at once and
/// no poll runs (`guarded: false`).
public struct BFDIntervals: Equatable, Sendable {
    /// What we send as Desired Min TX / Required Min RX (µs).
    public private(set) var advertisedTx: Int64
    public private(set) var advertisedRx: Int64
    /// What our transmit interval and detection time use (µs).
    public private(set) var effectiveTx: Int64
    public private(set) var effectiveRx: Int64
    /// A Poll Sequence is running: periodic packets carry P until a packet with F comes back.
    public private(set) var polling = false
    /// Values changed again during the poll: an F may answer a P sent before the change, so
    /// those values need a poll of their own once this one ends.
    private var again = false
    /// The values the running poll asks the neighbour to acknowledge.
    private var polledTx: Int64
    private var polledRx: Int64

    public init(tx: Int64, rx: Int64) {
        advertisedTx = tx; advertisedRx = rx; effectiveTx = tx; effectiveRx = rx
        polledTx = tx; polledRx = rx
    }

    /// Advertises new values. Returns true if they differ from the old ones.
    @discardableResult
    public mutating func set(tx: Int64, rx: Int64, guarded: Bool) -> Bool {
        guard tx != advertisedTx || rx != advertisedRx else { return false }
        advertisedTx = tx; advertisedRx = rx
        guard guarded else {
            effectiveTx = tx; effectiveRx = rx
            return true
        }
        effectiveTx = min(effectiveTx, tx)
        effectiveRx = max(effectiveRx, rx)
        if polling { again = true } else { startPoll() }
        return true
    }

    /// A packet with F arrived. Returns true if it ended a poll.
    @discardableResult
    public mutating func finalReceived() -> Bool {
        guard polling else { return false }
        polling = false
        // The neighbour has the polled values. Anything advertised since is safe only in the safe
        // direction from those; the rest waits for the next poll.
        effectiveTx = min(polledTx, advertisedTx)
        effectiveRx = max(polledRx, advertisedRx)
        if again { again = false; startPoll() }
        return true
    }

    /// The session left Init/Up: nothing agreed is left to protect, so stop polling and use the
    /// advertised values.
    public mutating func cancel() {
        polling = false; again = false
        effectiveTx = advertisedTx; effectiveRx = advertisedRx
    }

    private mutating func startPoll() {
        polling = true
        polledTx = advertisedTx; polledRx = advertisedRx
    }
}
