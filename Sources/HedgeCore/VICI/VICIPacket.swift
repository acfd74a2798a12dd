/// Packet types of the VICI packet layer (README "Packet layer").
public enum VICIPacketType: UInt8, Sendable, CustomStringConvertible {
    case cmdRequest = 0
    case cmdResponse = 1
    case cmdUnknown = 2
    case eventRegister = 3
    case eventUnregister = 4
    case eventConfirm = 5
    case eventUnknown = 6
    case event = 7

    /// Types that carry a name after the type octet.
    public var isNamed: Bool {
        switch self {
        case .cmdRequest, .eventRegister, .eventUnregister, .event: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .cmdRequest: return "CMD_REQUEST"
        case .cmdResponse: return "CMD_RESPONSE"
        case .cmdUnknown: return "CMD_UNKNOWN"
        case .eventRegister: return "EVENT_REGISTER"
        case .eventUnregister: return "EVENT_UNREGISTER"
        case .eventConfirm: return "EVENT_CONFIRM"
        case .eventUnknown: return "EVENT_UNKNOWN"
        case .event: return "EVENT"
        }
    }
}

/// One packet: the data of one transport segment (without the length).
public struct VICIPacket: Hashable, Sendable {
    public var type: VICIPacketType
    /// The command or event name of a named type; nil for the others.
    public var name: String?
    /// Only requests, responses and events carry one; for the other types it is empty.
    public var message: VICIMessage

    public init(_ type: VICIPacketType, name: String? = nil, _ message: VICIMessage = VICIMessage()) {
        self.type = type; self.name = name; self.message = message
    }

    public static func request(_ command: String, _ message: VICIMessage = VICIMessage()) -> VICIPacket {
        VICIPacket(.cmdRequest, name: command, message)
    }

    public func encode() throws(VICIError) -> [UInt8] {
        var out: [UInt8] = [type.rawValue]
        if type.isNamed { try VICIMessage.putName(name ?? "", &out) }
        try message.encode(into: &out, depth: 0)
        return out
    }

    /// The packet as one transport segment: u32 big-endian length, then the packet.
    public func segment(maxLength: Int = VICIFramer.defaultMaxSegmentLength) throws(VICIError) -> [UInt8] {
        try VICIFramer.frame(try encode(), maxLength: maxLength)
    }

    /// Whatever follows the type (and name) is read as a message, for every type: charon sends
    /// nothing there for the unnamed replies, and an empty message decodes to no elements.
    public static func decode(_ bytes: ArraySlice<UInt8>, maxDepth: Int = VICIMessage.defaultMaxDepth) throws(VICIError) -> VICIPacket {
        guard let t = bytes.first else { throw .truncated("packet type") }
        guard let type = VICIPacketType(rawValue: t) else { throw .unknownPacketType(t) }
        var i = bytes.startIndex + 1
        var name: String? = nil
        if type.isNamed { name = try VICIMessage.name(bytes, &i) }
        let message = try VICIMessage.decode(bytes[i...], maxDepth: maxDepth)
        return VICIPacket(type, name: name, message)
    }
}
