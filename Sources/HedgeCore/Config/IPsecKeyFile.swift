/// The ESP keys of a path with `ipsec { static { key-file "PATH"; } }`:
///
///     # hedge static ESP keys; mode 0600, owned by root
///     out 0x<72 hex digits>              # aes256gcm16: 32-byte AES key + 4-byte salt (RFC 4106 §8.1)
///     in  0x<72 hex digits>
///     # aes256-sha256: out 0x<64 hex enc key> 0x<64 hex auth key>, and the same for in
///
/// `out` keys the SA hedge sends on (spi-out), `in` the one it receives on (spi-in); the peer has
/// them the other way round. `#` starts a comment, blank lines are skipped, `0x` is optional, and
/// hex digits may be of either case. One `out` and one `in` line, each direction with a key of its
/// own.
///
/// Nothing here ever puts key material into a message: errors give the place and counts ("expected
/// 72 hex digits, found 70"), never the text. The agent reads the file (and checks its mode);
/// this is only the parser, so that it can be tested and fuzzed without a file.

public struct IPsecKeyFileError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, in file order, each at `file:line:column`.
    public var diagnostics: [Diagnostic]
    public init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String {
        var s = ""
        for (i, d) in diagnostics.enumerated() { s += (i == 0 ? "" : "\n") + d.description }
        return s
    }
}

public enum IPsecKeyFile {
    /// The outbound and inbound transforms for `cipher`, or every error in the file.
    public static func parse(_ text: [UInt8], cipher: IPsecCipher, file: String)
        throws(IPsecKeyFileError) -> (outbound: XfrmAlgorithm, inbound: XfrmAlgorithm) {
        var p = Parser(cipher: cipher, file: file)
        p.run(text)
        if !p.diagnostics.isEmpty {
            throw IPsecKeyFileError(diagnostics: p.diagnostics.enumerated().stableSorted { a, b in
                let (x, y) = (a.element.location, b.element.location)
                return (x.line, x.column, a.offset) < (y.line, y.column, b.offset)
            }.map { $0.element })
        }
        return (cipher.algorithm(keys: p.keys[0]!.value), cipher.algorithm(keys: p.keys[1]!.value))
    }

    /// One field of a line: its bytes and the column it starts at.
    struct Field {
        var bytes: ArraySlice<UInt8>
        var column: Int
    }

    struct Parser {
        let cipher: IPsecCipher
        let file: String
        var diagnostics: [Diagnostic] = []
        /// out, in: the keys of each part and where the line starts.
        var keys: [Located<[[UInt8]]>?] = [nil, nil]
        static let directions = ["out", "in"]

        init(cipher: IPsecCipher, file: String) { self.cipher = cipher; self.file = file }

        mutating func error(_ line: Int, _ column: Int, _ message: String) {
            diagnostics.append(Diagnostic(.error, file, SourceLocation(line: line, column: column), message))
        }

        mutating func run(_ text: [UInt8]) {
            var line = 1, start = 0
            while start <= text.count {
                var end = start
                while end < text.count && text[end] != 10 { end += 1 }
                parseLine(text[start..<end], line: line)
                if end == text.count { break }
                start = end + 1
                line += 1
            }
            for (i, d) in Self.directions.enumerated() where keys[i] == nil {
                error(1, 1, "no '\(d)' line: the key file needs an 'out' and an 'in' key (\(usage))")
            }
            if let o = keys[0], let i = keys[1], !o.value.isEmpty, o.value == i.value {
                error(i.at.line, i.at.column, "the 'in' key is the same as the 'out' key: each direction needs a key of its own")
            }
        }

        var usage: String {
            switch cipher {
            case .aes256gcm16: return "aes256gcm16: 0x and 72 hex digits, the 32-byte AES key and its 4-byte salt"
            case .aes256sha256: return "aes256-sha256: 0x and 64 hex digits of encryption key, then 0x and 64 of authentication key"
            }
        }

        /// Fields up to a `#`, split at spaces and tabs; columns count characters, not bytes.
        func fields(_ b: ArraySlice<UInt8>) -> (fields: [Field], endColumn: Int) {
            var out: [Field] = []
            var i = b.startIndex, col = 1
            var start: Int? = nil, startCol = 0
            func isContinuation(_ c: UInt8) -> Bool { c & 0xC0 == 0x80 }
            while i < b.endIndex {
                let c = b[i]
                if c == 35 { break }                                        // '#'
                if c == 32 || c == 9 || c == 13 {                           // ' ' '\t' '\r'
                    if let s = start { out.append(Field(bytes: b[s..<i], column: startCol)); start = nil }
                } else if start == nil {
                    start = i; startCol = col
                }
                if !isContinuation(c) { col += 1 }
                i += 1
            }
            if let s = start { out.append(Field(bytes: b[s..<i], column: startCol)) }
            let endCol = out.last.map { $0.column + columns($0.bytes) } ?? 1
            return (out, endCol)
        }

        func columns(_ b: ArraySlice<UInt8>) -> Int { b.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }

        mutating func parseLine(_ b: ArraySlice<UInt8>, line: Int) {
            let (f, endColumn) = fields(b)
            guard let head = f.first else { return }
            let word = String(decoding: head.bytes, as: UTF8.self)
            guard let dir = Self.directions.firstIndex(of: word) else {
                // The word is not repeated: a line that lost its direction starts with key material.
                error(line, head.column, "expected 'out' or 'in' at the start of the line\(Suggest.hint(word, in: Self.directions))")
                return
            }
            if let first = keys[dir] {
                error(line, head.column, "duplicate '\(word)' (first given at line \(first.at.line))")
                return
            }
            let sizes = cipher.keyParts
            var parts: [[UInt8]] = []
            var ok = true
            for (k, size) in sizes.enumerated() {
                guard k + 1 < f.count else {
                    let found = f.count - 1
                    if found == 0 {
                        error(line, endColumn, "'\(word)' needs its key (\(usage))")
                    } else {
                        error(line, endColumn, "'\(word)' needs \(sizes.count) keys with \(cipher.rawValue), found \(found) (\(usage))")
                    }
                    ok = false
                    break
                }
                if let key = hexKey(f[k + 1], bytes: size, part: k, line: line) { parts.append(key) } else { ok = false }
            }
            if f.count > sizes.count + 1 {
                let extra = f[sizes.count + 1]
                let n = sizes.count == 1 ? "one key" : "\(sizes.count) keys"
                error(line, extra.column, "unexpected extra field: \(cipher.rawValue) takes \(n) per line (\(usage))")
                ok = false
            }
            // Placed even when unreadable, so that a broken line is not reported again as missing.
            keys[dir] = Located(ok ? parts : [], SourceLocation(line: line, column: f.count > 1 ? f[1].column : head.column))
        }

        /// `bytes` bytes written as 2 × bytes hex digits, after an optional 0x.
        mutating func hexKey(_ field: Field, bytes: Int, part: Int, line: Int) -> [UInt8]? {
            var d = field.bytes
            var col = field.column
            if d.count >= 2 && d[d.startIndex] == 48 && (d[d.startIndex + 1] == 120 || d[d.startIndex + 1] == 88) {
                d = d.dropFirst(2); col += 2
            }
            var nibbles: [UInt8] = []
            nibbles.reserveCapacity(d.count)
            for c in d {
                guard let v = Values.hexValue(c) else {
                    error(line, col, "not a hex digit (keys are hex: 0-9, a-f)")
                    return nil
                }
                nibbles.append(v)
                col += 1
            }
            let what: String
            switch (cipher, part) {
            case (.aes256gcm16, _): what = "the AES key and salt"
            case (_, 0): what = "the encryption key"
            default: what = "the authentication key"
            }
            if nibbles.count != 2 * bytes {
                let odd = nibbles.count % 2 == 1 ? "; an odd count: a digit is missing or extra" : ""
                error(line, field.column, "expected \(2 * bytes) hex digits for \(what), found \(nibbles.count)\(odd)")
                return nil
            }
            var key = [UInt8](repeating: 0, count: bytes)
            for i in 0..<bytes { key[i] = nibbles[2 * i] << 4 | nibbles[2 * i + 1] }
            return key
        }
    }
}
