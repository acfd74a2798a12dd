/// The syntax layer: tokens → a tree of statements, knowing nothing about keywords.
///
///     file      := statement*
///     statement := WORD value* ( ';' | '{' statement* '}' [';'] )
///     value     := WORD | STRING
///
/// Errors are collected, never thrown: a statement without its `;` ends at the `}` or the end of the
/// file that follows it; a stray `}` or a statement that does not start with a word is reported and
/// skipped up to the next `;` or `}`; an unclosed block is reported at its `{`. A top-level keyword
/// (`path`, `group`, ...) at the very start of a line inside a block is taken as the sign of a
/// forgotten `}`: the open blocks are reported and closed, and parsing goes on at the top level.
/// What the words mean is `Builder`'s business.

struct Node: Sendable {
    var keyword: Token
    var args: [Token]
    /// Statements inside `{ }`; nil for a statement ended by `;`.
    var body: [Node]?
    /// The `{` of the body.
    var open: Token?
    /// The `;` (or the `}` of the body) that ends the statement; nil when it is missing.
    var terminator: Token?

    /// Where a missing value or `;` belongs: just after the last token of the statement's head.
    var endOfHead: Token { args.last ?? keyword }
}

struct SyntaxParser {
    let file: String
    var tokens: [Token]
    var pos = 0
    var diagnostics: [Diagnostic] = []
    /// Statements that only ever start at the top level; used to recover from a missing `}`.
    var topLevelKeywords: HashSet<String>
    /// The top-level keyword that revealed a missing `}`, while unwinding to the top level.
    var unwindingAt: Token? = nil
    static let maxDepth = 16

    init(tokens: [Token], file: String, topLevelKeywords: HashSet<String> = []) {
        self.tokens = tokens; self.file = file; self.topLevelKeywords = topLevelKeywords
    }

    mutating func parseFile() -> [Node] {
        parseBlock(open: nil, depth: 0).nodes
    }

    func location(_ t: Token) -> SourceLocation { SourceLocation(line: t.line, column: t.column) }

    /// Just past the end of `t`: where a missing `;` should have been.
    func location(after t: Token) -> SourceLocation {
        SourceLocation(line: t.line, column: t.column + t.width)
    }

    @inline(never) mutating func error(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, file, at, message))
    }

    var peek: Token { tokens[pos] }

    @inline(never) mutating func advance() -> Token {
        let t = tokens[pos]
        if t.kind != .end { pos += 1 }
        return t
    }

    /// Statements up to the `}` matching `open` (consumed, and returned) or, at the top level, the end.
    mutating func parseBlock(open: Token?, depth: Int) -> (nodes: [Node], close: Token?) {
        var nodes: [Node] = []
        while true {
            let t = peek
            switch t.kind {
            case .end:
                if let open {
                    error(location(open), "unterminated block: this '{' has no matching '}'")
                }
                return (nodes, nil)
            case .closeBrace:
                if open != nil { return (nodes, advance()) }
                error(location(t), "unexpected '}' (no block is open)")
                _ = advance()
            case .semicolon:
                _ = advance()                                   // empty statement
            case .openBrace:
                error(location(t), "expected a statement keyword before '{'")
                skipBalanced(open: advance())
            case .string:
                error(location(t), "expected a statement keyword, found string \(t.quoted)")
                skipToStatementEnd()
            case .word:
                if let open, startsTopLevelStatement(t) {
                    unwindingAt = t
                    error(location(open), "unterminated block: this '{' has no matching '}' before \(t.quoted) at line \(t.line)")
                    return (nodes, nil)
                }
                if let node = parseStatement(depth: depth) { nodes.append(node) }
                if let at = unwindingAt {
                    guard let open else { unwindingAt = nil; continue }
                    error(location(open), "unterminated block: this '{' has no matching '}' before \(at.quoted) at line \(at.line)")
                    return (nodes, nil)
                }
            }
        }
    }

    /// Skips to just after the next `;`, or to just before the next `}` or the end.
    mutating func skipToStatementEnd() {
        while true {
            switch peek.kind {
            case .end, .closeBrace: return
            case .semicolon: _ = advance(); return
            case .openBrace:
                skipBalanced(open: advance())
                return
            default: _ = advance()
            }
        }
    }

    /// A top-level keyword at the very start of a line.
    func startsTopLevelStatement(_ t: Token) -> Bool {
        t.kind == .word && t.firstOnLine && t.column == 1 && topLevelKeywords.contains(t.text)
    }

    /// Skips a block whose `{` was just consumed, nested blocks included, up to its matching `}`.
    mutating func skipBalanced(open: Token) {
        var depth = 1
        while depth > 0 {
            let t = advance()
            switch t.kind {
            case .openBrace: depth += 1
            case .closeBrace: depth -= 1
            case .end:
                error(location(open), "unterminated block: this '{' has no matching '}'")
                return
            default: break
            }
        }
    }

    mutating func parseStatement(depth: Int) -> Node? {
        var node = Node(keyword: advance(), args: [], body: nil, open: nil, terminator: nil)
        while peek.isValue && !(depth > 0 && startsTopLevelStatement(peek)) { node.args.append(advance()) }
        switch peek.kind {
        case .semicolon:
            node.terminator = advance()
        case .openBrace:
            let o = advance()
            node.open = o
            if depth + 1 >= Self.maxDepth {
                error(location(o), "blocks nested too deeply")
                skipBalanced(open: o)
                node.body = []
                return node
            }
            let (body, close) = parseBlock(open: o, depth: depth + 1)
            node.body = body
            node.terminator = close
            if close != nil && peek.kind == .semicolon { _ = advance() }   // tolerate `};`
        case .closeBrace, .end, .word:
            // (.word: a top-level keyword at the start of a line, see `parseBlock`.)
            error(location(after: node.endOfHead), "expected ';' after \(node.endOfHead.quoted)")
        case .string:
            break   // unreachable: values were consumed above
        }
        return node
    }
}
