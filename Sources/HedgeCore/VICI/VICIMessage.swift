/// strongSwan's VICI message (src/libcharon/plugins/vici/README.md, "Message format"): an ordered
/// tree of key/values, sections and lists. Values are raw bytes; charon sends text (numbers too).
public struct VICIMessage: Hashable, Sendable {
    public var elements: [VICIElement]

    public init(_ elements: [VICIElement] = []) { self.elements = elements }

    /// Nesting charon never comes near (list-sa is 4 deep: conn, child-sas, child, and a rekey's
    /// old/new). The cap keeps decoding, comparing and freeing a hostile tree off deep recursion.
    public static let defaultMaxDepth = 16

    // MARK: reading

    /// The first key/value named `key`, as text (invalid UTF-8 is replaced, not refused).
    @inline(never) public subscript(key: String) -> String? {
        guard let v = value(key) else { return nil }
        return String(decoding: v, as: UTF8.self)
    }

    public func value(_ key: String) -> [UInt8]? {
        for e in elements { if case .keyValue(let k, let v) = e, k == key { return v } }
        return nil
    }

    @inline(never) public func section(_ name: String) -> VICIMessage? {
        for e in elements { if case .section(let k, let m) = e, k == name { return m } }
        return nil
    }

    /// The items of the list `name`, as text.
    public func list(_ name: String) -> [String]? {
        guard let items = listItems(name) else { return nil }
        return items.map { String(decoding: $0, as: UTF8.self) }
    }

    public func listItems(_ name: String) -> [[UInt8]]? {
        for e in elements { if case .list(let k, let items) = e, k == name { return items } }
        return nil
    }

    /// Every sub-section in order: how a message keyed by connection or CHILD_SA names is walked.
    public var sections: [(name: String, message: VICIMessage)] {
        var out: [(name: String, message: VICIMessage)] = []
        for e in elements { if case .section(let k, let m) = e { out.append((k, m)) } }
        return out
    }

    // MARK: building

    public mutating func add(_ key: String, _ value: String) { elements.append(.keyValue(key, Array(value.utf8))) }
    public mutating func add(_ key: String, bytes: [UInt8]) { elements.append(.keyValue(key, bytes)) }
    public mutating func add(_ name: String, section: VICIMessage) { elements.append(.section(name, section)) }
    public mutating func add(_ name: String, list: [String]) { elements.append(.list(name, list.map { Array($0.utf8) })) }

    // MARK: wire format

    public func encode() throws(VICIError) -> [UInt8] {
        var out: [UInt8] = []
        try encode(into: &out, depth: 0)
        return out
    }

    func encode(into out: inout [UInt8], depth: Int) throws(VICIError) {
        if depth > VICIMessage.defaultMaxDepth { throw .tooDeep(depth) }
        for e in elements {
            switch e {
            case .keyValue(let k, let v):
                out.append(VICIElementType.keyValue.rawValue)
                try VICIMessage.putName(k, &out)
                try VICIMessage.putValue(v, &out)
            case .section(let k, let m):
                out.append(VICIElementType.sectionStart.rawValue)
                try VICIMessage.putName(k, &out)
                try m.encode(into: &out, depth: depth + 1)
                out.append(VICIElementType.sectionEnd.rawValue)
            case .list(let k, let items):
                out.append(VICIElementType.listStart.rawValue)
                try VICIMessage.putName(k, &out)
                for i in items {
                    out.append(VICIElementType.listItem.rawValue)
                    try VICIMessage.putValue(i, &out)
                }
                out.append(VICIElementType.listEnd.rawValue)
            }
        }
    }

    static func putName(_ name: String, _ out: inout [UInt8]) throws(VICIError) {
        let n = name.utf8.count
        guard n <= 255 else { throw .nameTooLong(n) }
        out.append(UInt8(n))
        out.append(contentsOf: name.utf8)
    }

    static func putValue(_ v: [UInt8], _ out: inout [UInt8]) throws(VICIError) {
        guard v.count <= 0xFFFF else { throw .valueTooLong(v.count) }
        out.append(UInt8(v.count >> 8)); out.append(UInt8(v.count & 0xFF))
        out.append(contentsOf: v)
    }

    /// Decodes a whole message. Every rule of the README is enforced (balanced sections, one list
    /// at a time and only items in it, nothing after the end): a message that breaks one was not
    /// written by charon, and guessing its meaning could hide a desynchronised stream.
    public static func decode(_ bytes: ArraySlice<UInt8>, maxDepth: Int = VICIMessage.defaultMaxDepth) throws(VICIError) -> VICIMessage {
        // An explicit stack rather than recursion: the depth check comes before any frame grows.
        var stack: [(name: String, elements: [VICIElement])] = [("", [])]
        var list: (name: String, items: [[UInt8]])? = nil
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let at = i - bytes.startIndex
            let t = bytes[i]
            i += 1
            guard let type = VICIElementType(rawValue: t) else { throw .unknownElement(t, offset: at) }
            if list != nil && type != .listItem && type != .listEnd { throw .misplaced(type, offset: at) }
            switch type {
            case .sectionStart:
                let name = try name(bytes, &i)
                if stack.count > maxDepth { throw .tooDeep(stack.count) }
                stack.append((name, []))
            case .sectionEnd:
                guard stack.count > 1, let top = stack.popLast() else { throw .misplaced(type, offset: at) }
                stack[stack.count - 1].elements.append(.section(top.name, VICIMessage(top.elements)))
            case .keyValue:
                let name = try name(bytes, &i)
                let v = try value(bytes, &i)
                stack[stack.count - 1].elements.append(.keyValue(name, v))
            case .listStart:
                list = (try name(bytes, &i), [])
            case .listItem:
                guard list != nil else { throw .misplaced(type, offset: at) }
                list!.items.append(try value(bytes, &i))
            case .listEnd:
                guard let l = list else { throw .misplaced(type, offset: at) }
                stack[stack.count - 1].elements.append(.list(l.name, l.items))
                list = nil
            }
        }
        guard list == nil, stack.count == 1 else { throw .unterminated }
        return VICIMessage(stack[0].elements)
    }

    @inline(never) static func name(_ b: ArraySlice<UInt8>, _ i: inout Int) throws(VICIError) -> String {
        guard i < b.endIndex else { throw .truncated("name length") }
        let n = Int(b[i])
        guard b.endIndex - (i + 1) >= n else { throw .truncated("name") }
        let s = String(decoding: b[(i + 1)..<(i + 1 + n)], as: UTF8.self)
        i += 1 + n
        return s
    }

    static func value(_ b: ArraySlice<UInt8>, _ i: inout Int) throws(VICIError) -> [UInt8] {
        guard b.endIndex - i >= 2 else { throw .truncated("value length") }
        let n = Int(b[i]) << 8 | Int(b[i + 1])
        guard b.endIndex - (i + 2) >= n else { throw .truncated("value") }
        let v = Array(b[(i + 2)..<(i + 2 + n)])
        i += 2 + n
        return v
    }
}

public enum VICIElement: Hashable, Sendable {
    case keyValue(String, [UInt8])
    case section(String, VICIMessage)
    case list(String, [[UInt8]])
}

/// Element types of the message encoding.
public enum VICIElementType: UInt8, Sendable, CustomStringConvertible {
    case sectionStart = 1
    case sectionEnd = 2
    case keyValue = 3
    case listStart = 4
    case listItem = 5
    case listEnd = 6

    public var description: String {
        switch self {
        case .sectionStart: return "SECTION_START"
        case .sectionEnd: return "SECTION_END"
        case .keyValue: return "KEY_VALUE"
        case .listStart: return "LIST_START"
        case .listItem: return "LIST_ITEM"
        case .listEnd: return "LIST_END"
        }
    }
}

/// Why VICI bytes could not be read or written. Never a trap: every length is checked.
public enum VICIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A field runs past the end of its message or packet.
    case truncated(String)
    case unknownElement(UInt8, offset: Int)
    /// An element where the README does not allow it (a key/value in a list, a list item outside
    /// one, a section end at the root).
    case misplaced(VICIElementType, offset: Int)
    /// The message ended inside a section or a list.
    case unterminated
    /// Sections nested deeper than the decoder's limit.
    case tooDeep(Int)
    case nameTooLong(Int)
    case valueTooLong(Int)
    case unknownPacketType(UInt8)
    /// A segment length above the 512 KiB charon allows (or the framer's cap): the stream cannot
    /// be trusted past it and the connection must be dropped.
    case segmentTooLong(Int)

    public var description: String {
        switch self {
        case .truncated(let what): return "truncated \(what)"
        case .unknownElement(let t, let o): return "unknown element type \(t) at offset \(o)"
        case .misplaced(let t, let o): return "element \(t) not allowed at offset \(o)"
        case .unterminated: return "message ends inside a section or list"
        case .tooDeep(let d): return "sections nested \(d) deep"
        case .nameTooLong(let n): return "name of \(n) bytes (255 at most)"
        case .valueTooLong(let n): return "value of \(n) bytes (65535 at most)"
        case .unknownPacketType(let t): return "unknown packet type \(t)"
        case .segmentTooLong(let n): return "segment of \(n) bytes (over the limit)"
        }
    }
}
