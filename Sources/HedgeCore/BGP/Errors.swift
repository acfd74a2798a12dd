/// Why a BGP message could not be read or written.
///
/// Decoding errors that RFC 4271 §6 answers with a NOTIFICATION carry that NOTIFICATION, so the FSM
/// sends exactly what the decoder found; `truncated` is a read past the end of a buffer, which the
/// message decoders turn into the NOTIFICATION their section prescribes before it reaches the FSM.
public enum BGPError: Error, Equatable, Sendable {
    /// A read ran past the end of the bytes at hand.
    case truncated
    /// The bytes break a rule; send this NOTIFICATION and close the session.
    case notify(NotificationMessage)
    /// A message to send would exceed the 4,096-byte maximum (RFC 4271 §4.1; extended messages,
    /// RFC 8654, are not negotiated).
    case tooLong(Int)
}
