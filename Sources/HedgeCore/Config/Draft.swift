/// What the file said, value by value, each with the place it was said: `Builder` fills it in,
/// `Validator` checks it and turns it into a `HedgeConfig`. A nil value was either absent or
/// unreadable (already reported); `seen` tells the two apart.

struct Located<T> {
    var value: T
    var at: SourceLocation
    init(_ value: T, _ at: SourceLocation) { self.value = value; self.at = at }
}

struct DraftConfig {
    var routerID: Located<IPAddress>?
    var localAS: Located<UInt64>?
    var azure: DraftAzure?
    var paths: [DraftPath] = []
    var groups: [DraftGroup] = []
    var kernel = DraftKernel()
    var control = DraftControl()
    var reporting: DraftReporting?
    var bmp: DraftBMP?
}

struct DraftAzure {
    var at: SourceLocation
    var vnet: [Located<IPPrefix>] = []
    var gatewaySubnet: Located<IPPrefix>?
    var privatePeeringLimit: Located<UInt64>?
}

struct DraftPath {
    var at: SourceLocation
    var name: Located<String>
    var seen: HashSet<String> = []
    var priority: Located<UInt64>?
    var device: Located<String>?
    var gateway: Located<IPAddress>?
    var gateway6: Located<IPAddress>?
    var carrier = true
    var announce: [Located<IPPrefix>] = []
    @Indirect var probe: DraftProbe? = nil
    @Indirect var bfd: DraftBFD? = nil
    @Indirect var bgp: DraftBGP? = nil
    var bmpNeighbor: Located<IPAddress>?
    var bmpPeerAS: Located<UInt64>?
    @Indirect var watch: DraftWatch? = nil
    @Indirect var ipsec: DraftIPsec? = nil
}

struct DraftIPsec {
    var at: SourceLocation
    var seen: HashSet<String> = []
    var ifID: Located<UInt64>?
    var local: Located<IPAddress>?
    var remote: Located<IPAddress>?
    var underlay: Located<String>?
    var underlayGateway: Located<IPAddress>?
    /// nil: the default; 0: `mss off`.
    var mss: Located<UInt64>?
    var mtu: Located<UInt64>?
    var manual: DraftStaticKeying?
    var strongswan: DraftStrongSwan?
}

struct DraftStaticKeying {
    var at: SourceLocation
    var spiOut: Located<UInt64>?
    var spiIn: Located<UInt64>?
    var cipher: Located<IPsecCipher>?
    var keyFile: Located<String>?
    var replayWindow: Located<UInt64>?
    var seen: HashSet<String> = []
}

struct DraftStrongSwan {
    var at: SourceLocation
    var connection: Located<String>?
    var child: Located<String>?
    var vici: Located<String>?
    var initiate: Bool?
    /// As written; `at` is the first character of the value (inside the quotes of a string).
    var proposals: Located<String>?
    var espProposals: Located<String>?
    var ikeLifetime: Located<Millis>?
    var childLifetime: Located<Millis>?
    /// Kilobytes.
    var childBytes: Located<UInt64>?
    var seen: HashSet<String> = []
}

struct DraftWatch {
    var at: SourceLocation
    var protocolID: Located<UInt64>?
    var prefixes: [Located<IPPrefix>] = []
    var table: Located<UInt64>?
    var all = true
}

struct DraftBMP {
    var at: SourceLocation
    var listen: Located<IPAddress>?
    var port: Located<UInt64>?
    var allow: [Located<IPAddress>] = []
    var grace: Located<Millis>?
}

struct DraftBGP {
    var at: SourceLocation
    var neighbor: Located<IPAddress>?
    var remoteAS: Located<UInt64>?
    var holdTime: Located<UInt64>?
    var connectRetry: Located<Millis>?
    var passive = false
    var gtsm = false
    var returnSteering = true
    var md5KeyFile: Located<String>?
    var maxPrefix: Located<UInt64>?
    var prepend: Located<UInt64>?
    var source: Located<IPAddress>?
}

struct DraftBFD {
    var at: SourceLocation
    var neighbor: Located<IPAddress>?
    var interval: Located<Millis>?
    var minRx: Located<Millis>?
    var multiplier: Located<UInt64>?
}

struct DraftProbe {
    var at: SourceLocation
    var kind: ProbeConfig.Kind
    var target: Located<IPAddress>
    var port: Located<UInt64>?
    var keyFile: Located<String>?
    var source: Located<IPAddress>?
    var interval: Located<Millis>?
    var threshold: Located<UInt64>?
    var recover: Located<UInt64>?
}

struct DraftGroup {
    var at: SourceLocation
    var name: Located<String>
    var seen: HashSet<String> = []
    var prefixes: [Located<IPPrefix>] = []
    var paths: [Located<String>] = []
    var holdDown: Located<Millis>?
    var nexthopID: Located<UInt64>?
    var damping: DraftDamping?
    var measure: DraftProbe?
}

struct DraftDamping {
    var at: SourceLocation
    var penalty: Located<UInt64>?
    var suppress: Located<UInt64>?
    var reuse: Located<UInt64>?
    var halfLife: Located<Millis>?
    var maxSuppress: Located<Millis>?
}

struct DraftKernel {
    var routeProtocol: Located<UInt64>?
    var table: Located<UInt64>?
    var metric: Located<UInt64>?
    var withdrawOnExit: Bool?
    var nexthopObjects: Bool?
    var netlinkReceiveBuffer: Located<UInt64>?
    var probeTableBase: Located<UInt64>?
}

struct DraftControl {
    var socket: Located<String>?
}

struct DraftReporting {
    var at: SourceLocation
    var httpOff = false
    var httpAddress: Located<IPAddress>?
    var httpPort: Located<UInt64>?
    var syslog: SyslogDestination?
    var syslogAt: SourceLocation?
    var syslogPort: Located<UInt64>?
    var syslogPath: Located<String>?
    var facility: Located<String>?
    var push: DraftPush?
}

struct DraftPush {
    var at: SourceLocation
    var url: Located<String>
    var spool: Located<String>?
    var maxEvents: Located<UInt64>?
}
