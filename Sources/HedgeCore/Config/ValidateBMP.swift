/// The `bmp` station: where it listens and whom it takes feeds from.
extension Validator {
    mutating func validateBMP(_ d: DraftConfig, into config: inout HedgeConfig) {
        let users = d.paths.filter { $0.bmpNeighbor != nil }
        guard let b = d.bmp else { return }
        if users.isEmpty { warning(b.at, "a 'bmp' station but no path has 'bmp-neighbor': nothing would use its feeds") }
        var s = BMPSettings()
        s.listen = b.listen?.value
        if range(b.port, 1, 65535, "port must be 1–65535"), let p = b.port { s.port = UInt16(p.value) }
        if range(b.grace, 100, 600_000, "grace must be 100ms–10m"), let g = b.grace { s.graceMs = g.value }
        s.allow = b.allow.map { $0.value }
        config.bmp = s
    }
}
