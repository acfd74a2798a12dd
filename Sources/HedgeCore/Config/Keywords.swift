/// The statements each block accepts. Every entry of a block's table carries both the statement's
/// form (how many values, whether it opens a block, whether it may repeat), which `Builder` checks
/// before it looks at the values, and the code that reads it into the block's draft: a keyword cannot
/// be accepted and then left unread. The tables themselves are in the `Build*.swift` files, next to
/// what they read.

enum BlockKind: Equatable, Sendable, CaseIterable {
    case top, azure, path, probe, bfd, bgp, watch, bmp, group, damping, kernel, control
    case ipsec, ipsecStatic, strongswan, reporting, push

    var name: String {
        switch self {
        case .top: return "top level"
        case .azure: return "azure"
        case .path: return "path"
        case .probe: return "probe"
        case .bfd: return "bfd"
        case .bgp: return "bgp"
        case .watch: return "watch-routes"
        case .bmp: return "bmp"
        case .group: return "group"
        case .damping: return "damping"
        case .kernel: return "kernel"
        case .control: return "control"
        case .ipsec: return "ipsec"
        case .ipsecStatic: return "static"
        case .strongswan: return "strongswan"
        case .reporting: return "reporting"
        case .push: return "push"
        }
    }

    /// In declaration order: where a misplaced keyword is said to belong, the first that has it.
    static let all: [BlockKind] = allCases

    /// The forms of the block's statements, from its table.
    var keywords: [Keyword] {
        switch self {
        case .top: return Grammar.forms(Grammar.top)
        case .azure: return Grammar.forms(Grammar.azure)
        case .path: return Grammar.forms(Grammar.path)
        case .probe: return Grammar.forms(Grammar.probe)
        case .bfd: return Grammar.forms(Grammar.bfd)
        case .bgp: return Grammar.forms(Grammar.bgp)
        case .watch: return Grammar.forms(Grammar.watch)
        case .bmp: return Grammar.forms(Grammar.bmp)
        case .group: return Grammar.forms(Grammar.group)
        case .damping: return Grammar.forms(Grammar.damping)
        case .kernel: return Grammar.forms(Grammar.kernel)
        case .control: return Grammar.forms(Grammar.control)
        case .ipsec: return Grammar.forms(Grammar.ipsec)
        case .ipsecStatic: return Grammar.forms(Grammar.ipsecStatic)
        case .strongswan: return Grammar.forms(Grammar.strongswan)
        case .reporting: return Grammar.forms(Grammar.reporting)
        case .push: return Grammar.forms(Grammar.push)
        }
    }

    func keyword(_ name: String) -> Keyword? { keywords.first { $0.name == name } }
}

/// A statement's form, for checking and for messages.
struct Keyword: Sendable {
    enum BlockUse: Sendable { case none, optional, required }
    var name: String
    var minArgs: Int
    var maxArgs: Int
    var block: BlockUse
    var repeatable: Bool
    /// The statement's form, for messages: `priority NUMBER;`
    var usage: String

    static let many = Int.max
}

/// One entry of a block's table: the statement's form, and the code that reads a statement of that
/// form (already checked against it) into the draft of the block, of type `Draft`.
struct Statement<Draft>: Sendable {
    typealias Apply = @Sendable (inout Builder, Node, inout Draft) -> Void
    var form: Keyword
    var apply: Apply

    // @inline(never): one call per entry, not the initialiser's body copied into every table.
    @inline(never) init(_ name: String, _ minArgs: Int, _ maxArgs: Int, _ block: Keyword.BlockUse = .none,
                        repeatable: Bool = false, usage: String, _ apply: @escaping Apply) {
        form = Keyword(name: name, minArgs: minArgs, maxArgs: maxArgs, block: block, repeatable: repeatable, usage: usage)
        self.apply = apply
    }
}

/// The tables, one per block (`Build*.swift`).
enum Grammar {
    static let many = Keyword.many

    static func forms<D>(_ table: [Statement<D>]) -> [Keyword] { table.map { $0.form } }
}
