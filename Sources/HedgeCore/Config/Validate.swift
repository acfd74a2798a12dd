/// The meaning layer: `DraftConfig` → `HedgeConfig`. Ranges, required statements, references between
/// blocks, and what the Azure side imposes (reserved ASNs, GatewaySubnet size, the private-peering
/// prefix limit, ExpressRoute being preferred only for prefixes at least as long as the VPN's).
/// Every rule reports and carries on, so that one run shows every problem. Each block's rules are in
/// their own file.

struct Validator {
    let file: String
    var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    // @inline(never), as Builder's: the optimiser copied the message building into every caller.
    @inline(never) mutating func error(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, file, at, message))
    }
    @inline(never) mutating func warning(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.warning, file, at, message))
    }

    /// An error unless `lo <= v.value <= hi`.
    @inline(never) mutating func range(_ v: Located<UInt64>?, _ lo: UInt64, _ hi: UInt64, _ message: String) -> Bool {
        guard let v else { return true }
        if v.value < lo || v.value > hi { error(v.at, message); return false }
        return true
    }

    @inline(never) mutating func range(_ v: Located<Millis>?, _ lo: Millis, _ hi: Millis, _ message: String) -> Bool {
        guard let v else { return true }
        if v.value < lo || v.value > hi { error(v.at, message); return false }
        return true
    }

    /// The blocks, each in its own file (`Validate<Block>.swift`), in an order where what one rule
    /// needs from another block is already known.
    mutating func validate(_ d: DraftConfig) -> HedgeConfig {
        var config = HedgeConfig()
        validateIdentity(d, into: &config)
        validateAzure(d, into: &config)
        let pathIndex = validatePaths(d, into: &config)
        validateAzureIPsec(d, azure: config.azure)
        validateGroups(d, pathIndex: pathIndex, into: &config)
        validateAnnouncements(d, limit: config.azure?.privatePeeringLimit ?? 4000)
        validateKernel(d, into: &config)
        validateControl(d, into: &config)
        validateReporting(d, into: &config)
        validateBMP(d, into: &config)
        let start = SourceLocation(line: 1, column: 1)
        if d.paths.isEmpty { error(start, "no 'path' defined: at least one path is required") }
        if d.groups.isEmpty { error(start, "no 'group' defined: at least one failover group is required") }
        return config
    }

    // MARK: - shared by the blocks

    func isUnicast(_ a: IPAddress) -> Bool {
        !a.isUnspecified && !a.isMulticast && a != .v4(0xFFFF_FFFF)
    }

    /// The address families a path can carry: both when it is device-only (a tunnel).
    func families(_ p: DraftPath) -> (v4: Bool, v6: Bool) {
        if p.gateway == nil && p.gateway6 == nil { return (true, true) }
        let v4 = p.gateway?.value.isV4 == true
        let v6 = p.gateway?.value.isV4 == false || p.gateway6 != nil
        return (v4, v6)
    }
}
