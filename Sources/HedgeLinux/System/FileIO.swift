import CHedge

public enum FileIO {
    /// The whole file as UTF-8 text (config files are small).
    public static func readText(_ path: String) throws(SystemError) -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    public static func readBytes(_ path: String) throws(SystemError) -> [UInt8] {
        let fd = hedge_open(path, O_RDONLY | O_CLOEXEC, 0)
        if fd < 0 { throw SystemError("open", object: path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { b in retryingEINTR { read(fd, b.baseAddress, b.count) } }
            if n < 0 { throw SystemError("read", object: path) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// Writes all of `s` to `fd`, across short writes; with `nonBlocking`, stops where the
    /// descriptor would block instead of waiting.
    /// Returns whether all of it was written.
    @discardableResult
    @inline(never) public static func writeAll(_ fd: Int32, _ s: String, nonBlocking: Bool = false) -> Bool {
        var s = s
        return s.withUTF8 { buf -> Bool in
            var off = 0
            while off < buf.count {
                let n = retryingEINTR {
                    nonBlocking ? send(fd, buf.baseAddress! + off, buf.count - off, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
                                : write(fd, buf.baseAddress! + off, buf.count - off)
                }
                if n <= 0 { return false }
                off += n
            }
            return true
        }
    }
}

/// stdout/stderr without Foundation; `print` alone cannot choose the stream.
public func writeErr(_ s: String) { FileIO.writeAll(2, s + "\n") }
public func writeOut(_ s: String) { FileIO.writeAll(1, s) }
