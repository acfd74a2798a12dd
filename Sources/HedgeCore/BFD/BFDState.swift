/// bfd.SessionState / the State field (RFC 5880 §4.1, 2 bits). The raw values are the wire values.
public enum BFDState: UInt8, Sendable, CaseIterable {
    case adminDown = 0
    case down = 1
    /// "Init" in the RFC: we hear the neighbour but do not yet know it hears us. (`init` cannot be
    /// a case name in Swift without backticks at every use.)
    case initial = 2
    case up = 3

    /// The RFC's spelling, for reasons and status.
    public var name: String {
        switch self {
        case .adminDown: return "AdminDown"
        case .down: return "Down"
        case .initial: return "Init"
        case .up: return "Up"
        }
    }
}

/// The Diagnostic field (RFC 5880 §4.1, 5 bits). A struct, not an enum: values 9–31 are reserved
/// but a neighbour may still send them, and a decoded packet must re-encode to the same bytes.
public struct BFDDiagnostic: Equatable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue & 0x1f }

    public static let none = BFDDiagnostic(rawValue: 0)
    public static let controlDetectionTimeExpired = BFDDiagnostic(rawValue: 1)
    public static let echoFunctionFailed = BFDDiagnostic(rawValue: 2)
    public static let neighborSignaledSessionDown = BFDDiagnostic(rawValue: 3)
    public static let forwardingPlaneReset = BFDDiagnostic(rawValue: 4)
    public static let pathDown = BFDDiagnostic(rawValue: 5)
    public static let concatenatedPathDown = BFDDiagnostic(rawValue: 6)
    public static let administrativelyDown = BFDDiagnostic(rawValue: 7)
    public static let reverseConcatenatedPathDown = BFDDiagnostic(rawValue: 8)

    public var name: String {
        switch rawValue {
        case 0: return "No Diagnostic"
        case 1: return "Control Detection Time Expired"
        case 2: return "Echo Function Failed"
        case 3: return "Neighbor Signaled Session Down"
        case 4: return "Forwarding Plane Reset"
        case 5: return "Path Down"
        case 6: return "Concatenated Path Down"
        case 7: return "Administratively Down"
        case 8: return "Reverse Concatenated Path Down"
        default: return "Reserved (\(rawValue))"
        }
    }
}
