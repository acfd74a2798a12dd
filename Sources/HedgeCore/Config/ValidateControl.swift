/// The `control` block: the socket `hedge status` and friends talk to.
extension Validator {
    mutating func validateControl(_ d: DraftConfig, into config: inout HedgeConfig) {
        guard let s = d.control.socket else { return }
        let bytes = s.value.utf8.count
        if s.value.utf8.first != 47 {    // '/'
            error(s.at, "control socket must be an absolute path")
        } else if bytes > 107 {
            error(s.at, "control socket path is \(bytes) bytes; a unix socket path holds at most 107")
        } else {
            config.control = ControlConfig(socketPath: s.value)
        }
    }
}
