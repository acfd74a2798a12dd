/// The statement layer: syntax tree → `DraftConfig`. Checks each statement against the keyword
/// table of its block (unknown keywords, missing `;` between two statements, value counts, blocks,
/// repeats), then reads it by the code its table entry carries, with the value readers below
/// (numbers, durations, switches, addresses, prefixes). Rules that relate values to each other are
/// `Validator`'s.

struct Builder {
    let file: String
    var diagnostics: [Diagnostic] = []
    var draft = DraftConfig()

    init(file: String) { self.file = file }

    // MARK: - Diagnostics

    // The helpers below and the value readers are @inline(never): each builds a message, and the
    // optimiser, counting only the call, copied that into every caller (Embedded, -Osize: 16 KB).

    func loc(_ t: Token) -> SourceLocation { SourceLocation(line: t.line, column: t.column) }
    func loc(after t: Token) -> SourceLocation { SourceLocation(line: t.line, column: t.column + t.width) }

    @inline(never) mutating func error(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, file, at, message))
    }
    @inline(never) mutating func warning(_ at: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.warning, file, at, message))
    }

    // MARK: - Statements against the keyword table

    /// The statements of one block that are well-formed enough to interpret, in order. Everything
    /// else is reported here.
    mutating func statements(_ nodes: [Node], in kind: BlockKind, owner: String) -> [Node] {
        var out: [Node] = []
        var seen = HashMap<String, SourceLocation>()
        for n in nodes { check(n, in: kind, owner: owner, seen: &seen, into: &out) }
        return out
    }

    /// Where a statement that lost its `;` runs into the next one: the first value that is a keyword
    /// of this block and either starts a line or comes after all the values the statement takes.
    func splitIndex(_ node: Node, in kind: BlockKind, spec: Keyword?) -> Int? {
        for (i, a) in node.args.enumerated() where a.kind == .word && kind.keyword(a.text) != nil {
            if a.firstOnLine { return i }
            if let spec, i >= spec.maxArgs { return i }
        }
        return nil
    }

    mutating func check(_ original: Node, in kind: BlockKind, owner: String,
                        seen: inout HashMap<String, SourceLocation>, into out: inout [Node]) {
        var node = original
        let kw = node.keyword
        let spec = kind.keyword(kw.text)

        if let i = splitIndex(node, in: kind, spec: spec) {
            var head = node
            head.args = Array(node.args[..<i])
            head.body = nil; head.open = nil; head.terminator = nil
            var tail = node
            tail.keyword = node.args[i]
            tail.args = Array(node.args[(i + 1)...])
            if spec.map({ head.args.count >= $0.minArgs }) ?? true {
                error(loc(after: head.endOfHead), "expected ';' after \(head.endOfHead.quoted)")
            }
            check(head, in: kind, owner: owner, seen: &seen, into: &out)
            check(tail, in: kind, owner: owner, seen: &seen, into: &out)
            return
        }

        guard let spec else {
            unknown(kw, in: kind)
            return
        }
        if node.args.count < spec.minArgs {
            let at = node.terminator.map { loc($0) } ?? loc(after: node.endOfHead)
            let what = spec.minArgs - node.args.count == 1 && node.args.isEmpty ? "a value" : "more values"
            error(at, "'\(spec.name)' needs \(what) (usage: \(spec.usage))")
            return
        }
        if node.args.count > spec.maxArgs {
            let extra = node.args[spec.maxArgs]
            error(loc(extra), "unexpected \(extra.quoted) in '\(spec.name)' statement (usage: \(spec.usage))")
            node.args = Array(node.args[..<spec.maxArgs])
        }
        switch spec.block {
        case .none:
            if let o = node.open {
                error(loc(o), "'\(spec.name)' does not take a block (usage: \(spec.usage))")
                node.body = nil
            }
        case .required:
            if node.body == nil {
                let at = node.terminator.map { loc($0) } ?? loc(after: node.endOfHead)
                error(at, "'\(spec.name)' needs a block (usage: \(spec.usage))")
                return
            }
        case .optional:
            break
        }
        if !spec.repeatable {
            if let first = seen[spec.name] {
                error(loc(kw), "duplicate '\(spec.name)' in \(owner) (first given at line \(first.line))")
                return
            }
            seen[spec.name] = loc(kw)
        }
        out.append(node)
    }

    mutating func unknown(_ kw: Token, in kind: BlockKind) {
        let place = kind == .top ? "at top level" : "in \(kind.name)"
        guard kw.kind == .word else {
            error(loc(kw), "expected a statement keyword, found \(kw.quoted)")
            return
        }
        var message = "unknown statement \(kw.quoted) \(place)"
        let hint = Suggest.hint(kw.text, in: kind.keywords.map { $0.name })
        if !hint.isEmpty {
            message += hint
        } else if let home = BlockKind.all.first(where: { $0 != kind && $0.keyword(kw.text) != nil }) {
            message += home == .top ? " ('\(kw.text)' belongs at top level)" : " ('\(kw.text)' belongs in a \(home.name) block)"
        }
        error(loc(kw), message)
    }

    // MARK: - Values

    // A statement's first argument read here, not in each keyword's closure: a closure that takes
    // the token itself out of the statement copies it (and destroys the copy) in its own code.
    @inline(never) mutating func number(_ n: Node, _ what: String) -> Located<UInt64>? { number(n.args[0], what) }
    @inline(never) mutating func duration(_ n: Node, _ what: String) -> Located<Millis>? { duration(n.args[0], what) }
    @inline(never) mutating func address(_ n: Node, _ what: String) -> Located<IPAddress>? { address(n.args[0], what) }
    @inline(never) mutating func onOff(_ n: Node, _ what: String) -> Bool? { onOff(n.args[0], what) }
    @inline(never) mutating func kilobytes(_ n: Node, _ what: String) -> Located<UInt64>? { kilobytes(n.args[0], what) }
    @inline(never) mutating func prefix(_ n: Node) -> Located<IPPrefix>? { prefix(n.args[0]) }
    // mutating: on the closures' inout Builder a non-mutating call copies the whole Builder first.
    @inline(never) mutating func text(_ n: Node) -> Located<String> { text(n.args[0]) }
    @inline(never) mutating func valueText(_ n: Node) -> Located<String> { valueText(n.args[0]) }

    @inline(never) mutating func address(_ t: Token, _ what: String) -> Located<IPAddress>? {
        if let a = IPAddress(t.text) { return Located(a, loc(t)) }
        if IPPrefix.parse(t.text) != nil {
            error(loc(t), "\(what) must be an address, not a prefix: \(t.quoted)")
        } else {
            error(loc(t), "invalid IP address \(t.quoted) for \(what)")
        }
        return nil
    }

    @inline(never) mutating func prefix(_ t: Token) -> Located<IPPrefix>? {
        if let r = IPPrefix.parse(t.text) {
            if r.hadHostBits {
                warning(loc(t), "prefix \(t.text) has host bits set; it is read as \(r.prefix)")
            }
            return Located(r.prefix, loc(t))
        }
        let b = Array(t.text.utf8)
        if let slash = b.lastIndex(of: 47) {
            let addrText = String(decoding: b[..<slash], as: UTF8.self)
            if let a = IPAddress(addrText) {
                error(loc(t), "invalid prefix length in \(t.quoted) (\(a.isV4 ? "IPv4: 0–32" : "IPv6: 0–128"))")
            } else {
                error(loc(t), "invalid prefix \(t.quoted): '\(addrText)' is not an IP address")
            }
        } else if IPAddress(t.text) != nil {
            error(loc(t), "invalid prefix \(t.quoted): missing '/length'")
        } else {
            error(loc(t), "invalid prefix \(t.quoted)")
        }
        return nil
    }

    @inline(never) mutating func number(_ t: Token, _ what: String) -> Located<UInt64>? {
        if let v = Values.integer(t.text) { return Located(v, loc(t)) }
        if Values.isOverlongInteger(t.text) {
            error(loc(t), "\(what) \(t.text) is too large")
        } else {
            error(loc(t), "invalid \(what) \(t.quoted) (expected a whole number)")
        }
        return nil
    }

    @inline(never) mutating func duration(_ t: Token, _ what: String) -> Located<Millis>? {
        switch Values.duration(t.text) {
        case .ok(let ms): return Located(ms, loc(t))
        case .missingUnit:
            error(loc(t), "\(what) \(t.quoted) needs a unit: ms, s, m or h (e.g. '\(t.text)ms' or '\(t.text)s')")
        case .fraction:
            error(loc(t), "\(what) \(t.quoted) must be a whole number; use a smaller unit (e.g. ms)")
        case .unknownUnit(let u):
            error(loc(t), "unknown unit '\(u)' in \(what) \(t.quoted) (use ms, s, m or h)")
        case .tooLarge:
            error(loc(t), "\(what) \(t.quoted) is too large")
        case .invalid:
            error(loc(t), "invalid \(what) \(t.quoted) (expected a duration such as 10ms, 30s, 10m, 1h)")
        }
        return nil
    }

    @inline(never) mutating func onOff(_ t: Token, _ what: String) -> Bool? {
        if let b = Values.bool(t.text) { return b }
        error(loc(t), "invalid value \(t.quoted) for '\(what)' (expected on or off)")
        return nil
    }

    /// `<digits>kb`: a volume in kilobytes, the unit Azure's saDataSizeKilobytes counts in.
    @inline(never) mutating func kilobytes(_ t: Token, _ what: String) -> Located<UInt64>? {
        let b = Array(t.text.utf8)
        var i = 0
        while i < b.count && (Values.isDigit(b[i]) || b[i] == 95) { i += 1 }
        let unit = String(decoding: b[i...], as: UTF8.self)
        if i > 0, let n = Values.integer(b[..<i]) {
            if unit == "kb" { return Located(n, loc(t)) }
            if unit.isEmpty {
                error(loc(t), "\(what) \(t.quoted) needs its unit: kilobytes, as Azure counts them (e.g. '\(t.text)kb')")
            } else {
                error(loc(t), "unknown unit '\(unit)' in \(what) \(t.quoted) (write kilobytes, as Azure counts them: e.g. '102400000kb')")
            }
        } else if i > 0 && Values.isDigit(b[i - 1]) {
            error(loc(t), "\(what) \(t.quoted) is too large")
        } else {
            error(loc(t), "invalid \(what) \(t.quoted) (expected kilobytes, such as 102400000kb)")
        }
        return nil
    }

    /// A value's text with the place of its first character (past the opening quote of a string), so
    /// that a place inside it can be counted from there.
    func valueText(_ t: Token) -> Located<String> {
        var at = loc(t)
        if t.kind == .string { at.column += 1 }
        return Located(t.text, at)
    }

    /// A word or string taken as it is written: a device, a file name.
    func text(_ t: Token) -> Located<String> { Located(t.text, loc(t)) }

    @inline(never) mutating func name(_ t: Token, _ what: String) -> Located<String> {
        if !Values.isName(t.text) {
            error(loc(t), "invalid \(what) name \(t.quoted) (letters, digits, '_', '-', '.'; starting with a letter)")
        }
        return Located(t.text, loc(t))
    }

    // MARK: - Blocks

    mutating func build(_ nodes: [Node]) {
        var d = DraftConfig()
        read(nodes, .top, Grammar.top, owner: "the configuration", into: &d)
        draft = d
    }

    /// Checks a block's statements against `kind`'s table and reads each one that passes into
    /// `draft` by its entry in `table` (the same table); returns the keywords read, so that a
    /// block can tell a statement that was absent from one whose value was unreadable.
    @discardableResult
    mutating func read<D>(_ nodes: [Node]?, _ kind: BlockKind, _ table: [Statement<D>], owner: String,
                          into draft: inout D) -> HashSet<String> {
        var given: HashSet<String> = []
        for s in statements(nodes ?? [], in: kind, owner: owner) {
            given.insert(s.keyword.text)
            for entry in table where entry.form.name == s.keyword.text { entry.apply(&self, s, &draft) }
        }
        return given
    }
}
