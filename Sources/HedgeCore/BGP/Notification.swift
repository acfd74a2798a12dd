/// NOTIFICATION (RFC 4271 §4.5) with the error codes of §4.5, the FSM error subcodes of RFC 6608
/// and the Cease subcodes of RFC 4486 (plus Hard Reset, RFC 8538, and BFD Down, RFC 9384).
///
/// Code and subcode stay raw bytes so that a NOTIFICATION with a code this file does not name still
/// decodes, is reported and round-trips; the enums name the ones hedge acts on.
public struct NotificationMessage: Equatable, Sendable, CustomStringConvertible {
    public var code: UInt8
    public var subcode: UInt8
    public var data: [UInt8]

    public init(code: UInt8, subcode: UInt8, data: [UInt8] = []) {
        self.code = code; self.subcode = subcode; self.data = data
    }

    public init(_ code: NotificationCode, subcode: UInt8 = 0, data: [UInt8] = []) {
        self.init(code: code.rawValue, subcode: subcode, data: data)
    }

    public static func header(_ s: HeaderErrorSubcode, data: [UInt8] = []) -> NotificationMessage {
        NotificationMessage(.messageHeaderError, subcode: s.rawValue, data: data)
    }
    public static func open(_ s: OpenErrorSubcode, data: [UInt8] = []) -> NotificationMessage {
        NotificationMessage(.openMessageError, subcode: s.rawValue, data: data)
    }
    public static func update(_ s: UpdateErrorSubcode, data: [UInt8] = []) -> NotificationMessage {
        NotificationMessage(.updateMessageError, subcode: s.rawValue, data: data)
    }
    public static var holdTimerExpired: NotificationMessage { NotificationMessage(.holdTimerExpired) }
    public static func fsm(_ s: FSMErrorSubcode) -> NotificationMessage {
        NotificationMessage(.finiteStateMachineError, subcode: s.rawValue)
    }
    public static func cease(_ s: CeaseSubcode, data: [UInt8] = []) -> NotificationMessage {
        NotificationMessage(.cease, subcode: s.rawValue, data: data)
    }

    /// Cease / Maximum Number of Prefixes Reached with the optional data of RFC 4486 §4: AFI (2),
    /// SAFI (1), the upper bound (4).
    public static func maximumPrefixes(_ family: AFISAFI, limit: UInt32) -> NotificationMessage {
        var w = ByteWriter()
        w.u16(family.afi); w.u8(family.safi); w.u32(limit)
        return .cease(.maximumNumberOfPrefixesReached, data: w.bytes)
    }

    public var errorCode: NotificationCode? { NotificationCode(rawValue: code) }
    public var ceaseSubcode: CeaseSubcode? { code == NotificationCode.cease.rawValue ? CeaseSubcode(rawValue: subcode) : nil }

    /// The peer dropped the session because hedge sent more prefixes than it accepts (Azure private
    /// peering: 4,000, or 10,000 with Premium). The circuit itself is fine; the cause is ours.
    public var isPrefixLimit: Bool { ceaseSubcode == .maximumNumberOfPrefixesReached }

    /// The family and bound of a Maximum Number of Prefixes Reached, when the sender included them.
    public var prefixLimit: (family: AFISAFI, limit: UInt32)? {
        guard isPrefixLimit, data.count == 7 else { return nil }
        var r = ByteReader(data)
        guard let afi = try? r.u16(), let safi = try? r.u8(), let limit = try? r.u32() else { return nil }
        return (AFISAFI(afi: afi, safi: safi), limit)
    }

    /// The operator's text of an Administrative Shutdown or Reset (RFC 9003: a length octet and
    /// up to 255 octets of UTF-8), if any.
    public var shutdownCommunication: String? {
        guard let s = ceaseSubcode, s == .administrativeShutdown || s == .administrativeReset,
              let n = data.first, n > 0, data.count >= 1 + Int(n) else { return nil }
        return String(decoding: data[1...Int(n)], as: UTF8.self)
    }

    public static func decodeBody(_ body: ArraySlice<UInt8>) throws(BGPError) -> NotificationMessage {
        var r = ByteReader(body)
        guard let code = try? r.u8(), let subcode = try? r.u8() else {
            throw .notify(.header(.badMessageLength, data: BGPMessage.lengthData(body.count + BGPMessage.headerLength)))
        }
        return NotificationMessage(code: code, subcode: subcode, data: Array(r.rest()))
    }

    public func encodeBody(into w: inout ByteWriter) {
        w.u8(code); w.u8(subcode); w.append(data)
    }

    /// "Cease / Maximum Number of Prefixes Reached", "UPDATE Message Error / Malformed AS_PATH",
    /// numbers for what the RFCs do not name.
    public var description: String {
        var s: String
        var sub: String? = nil
        switch errorCode {
        case .messageHeaderError?:
            s = "Message Header Error"; sub = HeaderErrorSubcode(rawValue: subcode)?.name
        case .openMessageError?:
            s = "OPEN Message Error"; sub = OpenErrorSubcode(rawValue: subcode)?.name
        case .updateMessageError?:
            s = "UPDATE Message Error"; sub = UpdateErrorSubcode(rawValue: subcode)?.name
        case .holdTimerExpired?:
            s = "Hold Timer Expired"
        case .finiteStateMachineError?:
            s = "Finite State Machine Error"; sub = FSMErrorSubcode(rawValue: subcode)?.name
        case .cease?:
            s = "Cease"; sub = CeaseSubcode(rawValue: subcode)?.name
        case nil:
            s = "error code \(code)"
        }
        if let sub { s += " / " + sub } else if subcode != 0 { s += " / subcode \(subcode)" }
        if let text = shutdownCommunication { s += ": \"" + text + "\"" }
        if let (family, limit) = prefixLimit { s += " (\(family), limit \(limit))" }
        return s
    }
}

/// RFC 4271 §4.5.
public enum NotificationCode: UInt8, Sendable {
    case messageHeaderError = 1
    case openMessageError = 2
    case updateMessageError = 3
    case holdTimerExpired = 4
    case finiteStateMachineError = 5
    case cease = 6
}

/// RFC 4271 §6.1.
public enum HeaderErrorSubcode: UInt8, Sendable {
    case connectionNotSynchronized = 1
    case badMessageLength = 2
    case badMessageType = 3

    public var name: String {
        switch self {
        case .connectionNotSynchronized: return "Connection Not Synchronized"
        case .badMessageLength: return "Bad Message Length"
        case .badMessageType: return "Bad Message Type"
        }
    }
}

/// RFC 4271 §6.2; 7 from RFC 5492.
public enum OpenErrorSubcode: UInt8, Sendable {
    /// RFC 4271 §4.5: no subcode fits (hedge uses it for a malformed capability).
    case unspecific = 0
    case unsupportedVersionNumber = 1
    case badPeerAS = 2
    case badBGPIdentifier = 3
    case unsupportedOptionalParameter = 4
    case unacceptableHoldTime = 6
    case unsupportedCapability = 7

    public var name: String {
        switch self {
        case .unspecific: return "Unspecific"
        case .unsupportedVersionNumber: return "Unsupported Version Number"
        case .badPeerAS: return "Bad Peer AS"
        case .badBGPIdentifier: return "Bad BGP Identifier"
        case .unsupportedOptionalParameter: return "Unsupported Optional Parameter"
        case .unacceptableHoldTime: return "Unacceptable Hold Time"
        case .unsupportedCapability: return "Unsupported Capability"
        }
    }
}

/// RFC 4271 §6.3 (7, AS Routing Loop, is deprecated).
public enum UpdateErrorSubcode: UInt8, Sendable {
    case malformedAttributeList = 1
    case unrecognizedWellKnownAttribute = 2
    case missingWellKnownAttribute = 3
    case attributeFlagsError = 4
    case attributeLengthError = 5
    case invalidOriginAttribute = 6
    case invalidNextHopAttribute = 8
    case optionalAttributeError = 9
    case invalidNetworkField = 10
    case malformedASPath = 11

    public var name: String {
        switch self {
        case .malformedAttributeList: return "Malformed Attribute List"
        case .unrecognizedWellKnownAttribute: return "Unrecognized Well-known Attribute"
        case .missingWellKnownAttribute: return "Missing Well-known Attribute"
        case .attributeFlagsError: return "Attribute Flags Error"
        case .attributeLengthError: return "Attribute Length Error"
        case .invalidOriginAttribute: return "Invalid ORIGIN Attribute"
        case .invalidNextHopAttribute: return "Invalid NEXT_HOP Attribute"
        case .optionalAttributeError: return "Optional Attribute Error"
        case .invalidNetworkField: return "Invalid Network Field"
        case .malformedASPath: return "Malformed AS_PATH"
        }
    }
}

/// RFC 6608: which state received the unexpected message.
public enum FSMErrorSubcode: UInt8, Sendable {
    case unspecified = 0
    case unexpectedMessageInOpenSent = 1
    case unexpectedMessageInOpenConfirm = 2
    case unexpectedMessageInEstablished = 3

    public var name: String {
        switch self {
        case .unspecified: return "Unspecified Error"
        case .unexpectedMessageInOpenSent: return "Receive Unexpected Message in OpenSent State"
        case .unexpectedMessageInOpenConfirm: return "Receive Unexpected Message in OpenConfirm State"
        case .unexpectedMessageInEstablished: return "Receive Unexpected Message in Established State"
        }
    }
}

/// RFC 4486 (1–8), RFC 8538 (9), RFC 9384 (10).
public enum CeaseSubcode: UInt8, Sendable {
    case maximumNumberOfPrefixesReached = 1
    case administrativeShutdown = 2
    case peerDeconfigured = 3
    case administrativeReset = 4
    case connectionRejected = 5
    case otherConfigurationChange = 6
    case connectionCollisionResolution = 7
    case outOfResources = 8
    case hardReset = 9
    case bfdDown = 10

    public var name: String {
        switch self {
        case .maximumNumberOfPrefixesReached: return "Maximum Number of Prefixes Reached"
        case .administrativeShutdown: return "Administrative Shutdown"
        case .peerDeconfigured: return "Peer De-configured"
        case .administrativeReset: return "Administrative Reset"
        case .connectionRejected: return "Connection Rejected"
        case .otherConfigurationChange: return "Other Configuration Change"
        case .connectionCollisionResolution: return "Connection Collision Resolution"
        case .outOfResources: return "Out of Resources"
        case .hardReset: return "Hard Reset"
        case .bfdDown: return "BFD Down"
        }
    }
}
