import CHedge
import HedgeCore

/// One thread, one epoll: file descriptors, one timerfd for the earliest deadline, and a signalfd,
/// the way BIRD, FRR and keepalived run. Handlers never block.
public final class EventLoop {
    public typealias Handler = (_ events: UInt32) -> Void

    private let epfd: Int32
    private let timerfd: Int32
    private let sigfd: Int32
    private var handlers = HashMap<Int32, Handler>()
    private var running = false
    private var armedAt: Int64 = .max   // µs

    /// Called with the signal number (SIGTERM, SIGINT, SIGHUP).
    public var onSignal: (Int32) -> Void = { _ in }
    /// Called when the armed deadline has passed.
    public var onTimer: () -> Void = {}
    /// Called before each wait: the owner re-arms the timer for its earliest deadline here.
    public var beforeWait: () -> Void = {}

    public init(signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]) throws(SystemError) {
        epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        if epfd < 0 { throw SystemError("epoll_create1") }
        timerfd = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
        if timerfd < 0 { throw SystemError("timerfd_create") }
        var set = sigset_t()
        var sigs = signals
        _ = hedge_sigset_for(&set, &sigs, Int32(sigs.count))
        sigfd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        if sigfd < 0 { throw SystemError("signalfd") }
        try add(timerfd) { _ in self.timerFired() }
        try add(sigfd) { _ in self.signalArrived() }
    }

    deinit {
        close(sigfd); close(timerfd); close(epfd)
    }

    public func add(_ fd: Int32, events: UInt32 = UInt32(EPOLLIN.rawValue), _ handler: @escaping Handler) throws(SystemError) {
        var ev = epoll_event()
        ev.events = events
        ev.data.fd = fd
        if epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0 { throw SystemError("epoll_ctl(ADD)", object: "fd \(fd)") }
        handlers[fd] = handler
    }

    public func remove(_ fd: Int32) {
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
        handlers[fd] = nil
    }

    /// Changes what a registered descriptor is watched for: EPOLLOUT only while output is queued
    /// (level-triggered, it would fire on every wait), 0 to pause a listener.
    public func modify(_ fd: Int32, events: UInt32) {
        var ev = epoll_event()
        ev.events = events
        ev.data.fd = fd
        _ = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    /// Arms the single timer for a monotonic deadline in microseconds (BFD at 10 ms wants better
    /// than millisecond resolution); an earlier call is replaced.
    public func arm(atUs deadline: Int64) {
        if deadline == armedAt { return }
        armedAt = deadline
        var spec = itimerspec()
        // A zero it_value disarms: clamp to 1 ns so that a deadline in the past still fires.
        let ns = deadline <= 0 ? 1 : deadline * 1_000
        spec.it_value.tv_sec = time_t(ns / 1_000_000_000)
        spec.it_value.tv_nsec = Int(ns % 1_000_000_000)
        _ = timerfd_settime(timerfd, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    public func run() {
        running = true
        var events = [epoll_event](repeating: epoll_event(), count: 32)
        while running {
            beforeWait()
            let n = events.withUnsafeMutableBufferPointer { b in
                epoll_wait(epfd, b.baseAddress, Int32(b.count), -1)
            }
            if n < 0 {
                if hedge_errno() == EINTR { continue }
                writeErr("hedge: epoll_wait: \(errnoString(hedge_errno()))")
                return
            }
            for i in 0..<Int(n) {
                let fd = events[i].data.fd
                if let h = handlers[fd] { h(events[i].events) }
                if !running { break }
            }
        }
    }

    public func stop() { running = false }

    private func timerFired() {
        var expirations: UInt64 = 0
        _ = read(timerfd, &expirations, 8)
        armedAt = .max
        onTimer()
    }

    private func signalArrived() {
        var info = signalfd_siginfo()
        while read(sigfd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            onSignal(Int32(info.ssi_signo))
        }
    }
}
