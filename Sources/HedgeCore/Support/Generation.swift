/// Version stamps for tables that derived values are cached on: each call returns a value never
/// returned before, whichever table asks, so a stamp from a replaced table never matches.
public enum Generation {
    nonisolated(unsafe) static var last = 0   // one thread: the event loop
    public static func next() -> Int { last += 1; return last }
}
