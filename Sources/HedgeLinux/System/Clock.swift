import CHedge
import HedgeCore

/// The only clocks hedge reads. Core gets these values as parameters.
public enum Clock {
    /// CLOCK_MONOTONIC in milliseconds: timers, health, hold-downs.
    public static func monotonicMs() -> Millis { Millis(hedge_monotonic_ns() / 1_000_000) }
    public static func monotonicUs() -> Int64 { Int64(hedge_monotonic_ns() / 1_000) }
    /// CLOCK_REALTIME in milliseconds: timestamps people read.
    public static func realtimeMs() -> Millis { Millis(hedge_realtime_ms()) }
}
