// libFuzzer target: the configuration parser on arbitrary text.
//
// Input: the file's bytes, read the way the agent reads them (FileIO.readText:
// String(decoding:as: UTF8.self), invalid UTF-8 becoming U+FFFD).
// Compiled into the HedgeCore module (fuzz/build), so internal API is visible; fuzz/dispatch.swift
// calls it when HEDGE_FUZZ_TARGET names this file.

public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = data.map { String(decoding: UnsafeBufferPointer(start: $0, count: size), as: UTF8.self) } ?? ""
    let r = ConfigLoader.parse(text, file: "fuzz.conf")
    // ConfigResult's contract: config is nil if and only if there is an error.
    precondition((r.config == nil) == r.hasErrors, "config nil iff errors")
    for d in r.diagnostics {
        // Every diagnostic points into the file.
        precondition(d.location.line >= 1 && d.location.column >= 1)
        fuzzSink(d.description)
    }
    return 0
}
