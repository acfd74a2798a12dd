/// Wall-clock milliseconds since the epoch as UTC text, without libc's time functions (Core does not
/// call the OS). Days-from-civil after Howard Hinnant's algorithm.
public struct CivilTime {
    public var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int

    public init(epochMs: Int64) {
        let ms = Int(epochMs % 1000 + 1000) % 1000
        let secs = (epochMs - Int64(ms)) / 1000
        var days = Int(secs / 86400)
        var rem = Int(secs % 86400)
        if rem < 0 { rem += 86400; days -= 1 }
        hour = rem / 3600; minute = rem % 3600 / 60; second = rem % 60; millisecond = ms
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// 2026-11-26T17:40:01.234Z
    public var iso8601: String {
        "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(timeOfDay)Z"
    }
    /// 17:40:01.234
    public var timeOfDay: String { "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(millisecond, 3))" }
}

func pad(_ v: Int, _ width: Int) -> String {
    var s = "\(v)"
    while s.count < width { s = "0" + s }
    return s
}

/// "4d03h", "2h05m", "3m12s", "12.345s", "850ms": how long, the way birdc and vtysh show it.
public func humanDuration(_ ms: Int64) -> String {
    if ms < 1000 { return "\(ms)ms" }
    if ms < 60_000 { return formatDecimal(ms, decimals: 3) + "s" }
    let s = ms / 1000
    if s < 3600 { return "\(s / 60)m\(pad(Int(s % 60), 2))s" }
    if s < 86400 { return "\(s / 3600)h\(pad(Int(s % 3600 / 60), 2))m" }
    return "\(s / 86400)d\(pad(Int(s % 86400 / 3600), 2))h"
}
