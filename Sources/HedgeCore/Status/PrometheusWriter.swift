/// Prometheus text exposition format 0.0.4, written without a client library (none compiles in
/// Embedded Swift).
///
/// Samples may be added in any order: each family's lines are kept together and go out in the order
/// the families first appeared, because the format forbids a family split in two (promtool and the
/// scraper reject a second HELP/TYPE for a name). A family with no sample is left out entirely.
public struct PrometheusWriter {
    public enum MetricType: String, Sendable {
        case counter, gauge
    }

    private struct Family {
        var type: MetricType
        var help: String
        var samples: String
    }

    private var order: [String] = []
    private var families = HashMap<String, Family>()

    public init() {}

    /// One sample. The first sample of a family fixes its type and help.
    @inline(never) public mutating func sample(_ name: String, _ type: MetricType, _ help: String,
                                               _ labels: [(String, String)] = [], _ value: String) {
        var line = name
        if !labels.isEmpty {
            line += "{"
            for (i, (k, v)) in labels.enumerated() {
                if i > 0 { line += "," }
                line += k + "=\"" + PrometheusWriter.escapeLabelValue(v) + "\""
            }
            line += "}"
        }
        line += " " + value + "\n"
        if families[name] == nil {
            order.append(name)
            families[name] = Family(type: type, help: help, samples: line)
        } else {
            families[name]!.samples += line
        }
    }

    @inline(never) public mutating func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: String) {
        sample(name, .gauge, help, labels, value)
    }

    @inline(never) public mutating func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: String) {
        sample(name, .counter, help, labels, value)
    }

    public var text: String {
        var out = ""
        for name in order {
            guard let f = families[name] else { continue }
            out += "# HELP \(name) \(PrometheusWriter.escapeHelp(f.help))\n"
            out += "# TYPE \(name) \(f.type.rawValue)\n"
            out += f.samples
        }
        return out
    }

    /// Label values escape backslash, double quote and line feed; nothing else.
    public static func escapeLabelValue(_ s: String) -> String { escape(s, quote: true) }

    /// HELP text escapes backslash and line feed (a quote is literal there).
    public static func escapeHelp(_ s: String) -> String { escape(s, quote: false) }

    static func escape(_ s: String, quote: Bool) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "\"" where quote: out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    // Values. Integers print exactly; time is fixed-point from integer ms/µs, never through Double,
    // so that a timestamp keeps its milliseconds and Embedded needs no float formatting.

    @inline(never) public static func value(_ v: Int) -> String { "\(v)" }
    @inline(never) public static func value(_ v: Int64) -> String { "\(v)" }
    @inline(never) public static func value(_ v: UInt64) -> String { "\(v)" }
    @inline(never) public static func value(_ v: Bool) -> String { v ? "1" : "0" }
    /// Milliseconds as seconds: 1764213000123 → "1764213000.123".
    @inline(never) public static func seconds(ms: Int64) -> String { formatDecimal(ms, decimals: 3) }
    /// Microseconds as seconds: 300000 → "0.300000".
    @inline(never) public static func seconds(us: Int64) -> String { formatDecimal(us, decimals: 6) }
}
