/// Tokens of the configuration language: words (keywords, names, numbers, durations, addresses,
/// prefixes: any run of characters other than white space and `; { } " #`), "quoted strings",
/// `;`, `{`, `}`. `#` starts a comment that runs to the end of the line.

struct Token: Sendable {
    enum Kind: Equatable, Sendable {
        case word, string, semicolon, openBrace, closeBrace, end
    }
    var kind: Kind
    /// The word, or the string's contents without quotes and escapes.
    var text: String
    /// 1-based.
    var line: Int
    /// 1-based, counted in characters (UTF-8 continuation bytes do not count).
    var column: Int
    /// Columns the token spans in the source (quotes included).
    var width: Int
    /// Nothing but white space or comments before it on its line.
    var firstOnLine: Bool

    var isValue: Bool { kind == .word || kind == .string }

    /// How diagnostics quote it.
    var quoted: String {
        switch kind {
        case .word: return "'\(text)'"
        case .string: return "\"\(text)\""
        case .semicolon: return "';'"
        case .openBrace: return "'{'"
        case .closeBrace: return "'}'"
        case .end: return "end of file"
        }
    }
}

enum Lexer {
    static let newline: UInt8 = 10, tab: UInt8 = 9, cr: UInt8 = 13, space: UInt8 = 32
    static let hash: UInt8 = 35, quote: UInt8 = 34, backslash: UInt8 = 92
    static let semicolon: UInt8 = 59, openBrace: UInt8 = 123, closeBrace: UInt8 = 125

    /// Splits `text` into tokens, always ending with one `.end` token. Lexical errors (unterminated
    /// strings, control characters) go to `diagnostics`; the lexer carries on after each.
    static func tokenize(_ text: String, file: String, diagnostics: inout [Diagnostic]) -> [Token] {
        let b = Array(text.utf8)
        var tokens: [Token] = []
        var i = 0, line = 1, col = 1
        var lineHasToken = false

        func isContinuation(_ c: UInt8) -> Bool { c & 0xC0 == 0x80 }
        func isControl(_ c: UInt8) -> Bool { (c < 32 && c != tab && c != newline && c != cr) || c == 127 }
        func isDelimiter(_ c: UInt8) -> Bool {
            c == space || c == tab || c == newline || c == cr || c == hash || c == quote
                || c == semicolon || c == openBrace || c == closeBrace || isControl(c)
        }

        while i < b.count {
            let c = b[i]
            if c == newline { line += 1; col = 1; i += 1; lineHasToken = false; continue }
            if c == space || c == tab || c == cr { i += 1; col += 1; continue }
            if c == hash {
                while i < b.count && b[i] != newline { i += 1 }
                continue
            }
            if isControl(c) {
                diagnostics.append(Diagnostic(.error, file, SourceLocation(line: line, column: col),
                                              "invalid control character (byte \(c))"))
                i += 1; col += 1
                continue
            }
            let first = !lineHasToken
            lineHasToken = true
            switch c {
            case semicolon, openBrace, closeBrace:
                let kind: Token.Kind = c == semicolon ? .semicolon : (c == openBrace ? .openBrace : .closeBrace)
                tokens.append(Token(kind: kind, text: String(decoding: [c], as: UTF8.self), line: line,
                                    column: col, width: 1, firstOnLine: first))
                i += 1; col += 1
            case quote:
                let startCol = col
                i += 1; col += 1
                var bytes: [UInt8] = []
                var closed = false
                while i < b.count {
                    let d = b[i]
                    if d == newline { break }
                    if d == quote { i += 1; col += 1; closed = true; break }
                    if d == backslash && i + 1 < b.count && (b[i + 1] == quote || b[i + 1] == backslash) {
                        bytes.append(b[i + 1]); i += 2; col += 2
                        continue
                    }
                    bytes.append(d)
                    i += 1
                    if !isContinuation(d) { col += 1 }
                }
                if !closed {
                    diagnostics.append(Diagnostic(.error, file, SourceLocation(line: line, column: startCol),
                                                  "unterminated string (missing closing '\"' on this line)"))
                }
                tokens.append(Token(kind: .string, text: String(decoding: bytes, as: UTF8.self), line: line,
                                    column: startCol, width: col - startCol, firstOnLine: first))
            default:
                let start = i, startCol = col
                while i < b.count && !isDelimiter(b[i]) {
                    if !isContinuation(b[i]) { col += 1 }
                    i += 1
                }
                tokens.append(Token(kind: .word, text: String(decoding: b[start..<i], as: UTF8.self), line: line,
                                    column: startCol, width: col - startCol, firstOnLine: first))
            }
        }
        tokens.append(Token(kind: .end, text: "", line: line, column: col, width: 0, firstOnLine: !lineHasToken))
        return tokens
    }
}
