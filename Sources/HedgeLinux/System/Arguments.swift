/// argv without CommandLine (not in Embedded Swift): the kernel keeps it in /proc/self/cmdline.
/// Both programs, hedge and hedge-reflect, read their arguments here; the first (the program) is left out.
public func commandLineArguments() -> [String] {
    let bytes: [UInt8]
    do { bytes = try FileIO.readBytes("/proc/self/cmdline") } catch { return [] }
    var args: [String] = []
    var current: [UInt8] = []
    for b in bytes {
        if b != 0 { current.append(b); continue }
        args.append(String(decoding: current, as: UTF8.self))
        current.removeAll()
    }
    return Array(args.dropFirst())
}
