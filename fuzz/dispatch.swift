// The one libFuzzer entry point of fuzz/.out/bin/hedge-fuzz: every fuzz/targets/<name>.swift is
// compiled into the same binary (one HedgeCore compile instead of one per target), and
// HEDGE_FUZZ_TARGET=<name> picks the target a process fuzzes or replays.
//   HEDGE_FUZZ_TARGET=list   prints the names, one a line, and exits 0 (fuzz/run and .ci/run use it)
//   unknown or unset         prints the names to stderr and aborts
// The table below is the only list of targets; each name is also its file, its seeds directory
// (fuzz/seeds/<name>/) and its work directory (fuzz/.out/<name>/).
// Outside fuzz/targets/ so that directory holds targets only; not main.swift (that would make
// top-level code the program's entry, and libFuzzer has its own main).

import Glibc

private let targets: [(name: String, run: @Sendable (UnsafePointer<UInt8>?, Int) -> CInt)] = [
    ("bgp_message", fuzzBGPMessage),
    ("bfd_packet", fuzzBFDPacket),
    ("config", fuzzConfig),
    ("bmp_message", fuzzBMPMessage),
    ("reflect_packet", fuzzReflectPacket),
    ("xfrm_message", fuzzXfrmMessage),
    ("vici_message", fuzzVICIMessage),
    ("event_spool", fuzzEventSpool),
    ("http_request", fuzzHTTPRequest),
]

// Read once (Swift globals initialise lazily, exactly once): the lookup stays out of the hot loop.
private let selected: @Sendable (UnsafePointer<UInt8>?, Int) -> CInt = {
    let name = getenv("HEDGE_FUZZ_TARGET").map { String(cString: $0) }
    if name == "list" {
        put(1, targets.map { $0.name + "\n" }.joined())
        _exit(0)   // not exit(0): LeakSanitizer's atexit check would count the runtime's caches
    }
    if let name, let t = targets.first(where: { $0.name == name }) { return t.run }
    let what = name.map { "HEDGE_FUZZ_TARGET=\($0) is not a target" } ?? "HEDGE_FUZZ_TARGET is not set"
    put(2, "hedge-fuzz: \(what); one of: \(targets.map(\.name).joined(separator: " "))\n")
    // Swift's backtracer would catch the SIGABRT, trip ASan reading the process and linger.
    signal(SIGABRT, SIG_DFL)
    abort()
}()

// Before libFuzzer reads any input: a wrong name fails at once, and `list` prints nothing else.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?,
                           _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    _ = selected
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected(data, size)
}

// write(2) rather than stdio: Swift 6 rejects the C globals stdout/stderr (shared mutable state).
private func put(_ fd: CInt, _ text: String) {
    var text = text
    text.withUTF8 { b in _ = write(fd, b.baseAddress, b.count) }
}

// Keeps a value alive so the optimizer cannot drop the work that made it (shared by the targets).
@inline(never) @_optimize(none)
func fuzzSink<T>(_ value: T) { withExtendedLifetime(value) {} }
