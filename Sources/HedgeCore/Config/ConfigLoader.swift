/// Entry point: text → lexer → syntax tree → statements and values → validation.

public struct ConfigResult: Sendable {
    /// nil if and only if there is at least one error among the diagnostics.
    public var config: HedgeConfig?
    /// Errors and warnings, in file order.
    public var diagnostics: [Diagnostic]

    public init(config: HedgeConfig?, diagnostics: [Diagnostic]) {
        self.config = config; self.diagnostics = diagnostics
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

public enum ConfigLoader {
    /// Parses and validates a whole file. Never stops at the first problem: every error and warning
    /// is reported, each at `file:line:column` of the offending token.
    public static func parse(_ text: String, file: String) -> ConfigResult {
        var diagnostics: [Diagnostic] = []
        let tokens = Lexer.tokenize(text, file: file, diagnostics: &diagnostics)
        var parser = SyntaxParser(tokens: tokens, file: file,
                                  topLevelKeywords: HashSet(BlockKind.top.keywords.map { $0.name }))
        let nodes = parser.parseFile()
        diagnostics += parser.diagnostics
        var builder = Builder(file: file)
        builder.build(nodes)
        diagnostics += builder.diagnostics
        var validator = Validator(file: file)
        let config = validator.validate(builder.draft)
        diagnostics += validator.diagnostics
        // File order; diagnostics at the same place keep the order they were found in.
        let sorted = diagnostics.enumerated().stableSorted { a, b in
            let (x, y) = (a.element.location, b.element.location)
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map { $0.element }
        let failed = sorted.contains { $0.severity == .error }
        return ConfigResult(config: failed ? nil : config, diagnostics: sorted)
    }
}
