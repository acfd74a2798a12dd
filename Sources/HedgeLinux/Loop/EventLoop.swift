import CHedge
import HedgeCore

/// One thread, one epoll: file descriptors, one timerfd for the earliest deadline, and a signalfd,
/// the way BIRD, FRR and keepalived run. Handlers never block.
///
/// Time-driven work comes from participants (`LoopParticipant`): their deadlines sit in one heap,
/// the timerfd is armed for the earliest, and only those due are fired.
public final class EventLoop {
    public typealias Handler = (_ events: UInt32) -> Void

    private let epfd: Int32
    private let timerfd: Int32
    private let sigfd: Int32
    /// By descriptor number (descriptors are small integers): the handler, and the participant
    /// whose deadline it may move (-1: none named, so every deadline is asked again).
    private var handlers: [Handler?] = []
    private var owners: [Int] = []
    private var participants: [(any LoopParticipant)?] = []
    private var freeSlots: [Int] = []
    private let deadlines = DeadlineHeap()
    private var running = false
    private var armedAt: Int64 = .max   // µs

    /// Called with the signal number (SIGTERM, SIGINT, SIGHUP).
    public var onSignal: (Int32) -> Void = { _ in }

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
        try add(timerfd, owner: Self.noOwner) { _ in }   // served by `run` itself
        try add(sigfd) { _ in self.signalArrived() }
    }

    deinit {
        close(sigfd); close(timerfd); close(epfd)
        due.deallocate()
    }

    /// For `add(_:owner:)`: the handler moves no deadline (the loop's own timerfd).
    static let noOwner = -2

    /// Watches `fd`. `owner`: the participant slot whose deadline the handler may move; without
    /// one, every participant is asked again after the handler ran (right, and fine for the rare).
    public func add(_ fd: Int32, events: UInt32 = UInt32(EPOLLIN.rawValue), owner: Int = -1,
                    _ handler: @escaping Handler) throws(SystemError) {
        var ev = epoll_event()
        ev.events = events
        ev.data.fd = fd
        if epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0 { throw SystemError("epoll_ctl(ADD)", object: "fd \(fd)") }
        let i = Int(fd)
        while handlers.count <= i { handlers.append(nil); owners.append(-1) }
        handlers[i] = handler
        owners[i] = owner
    }

    public func remove(_ fd: Int32) {
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nil)
        let i = Int(fd)
        if i >= 0 && i < handlers.count { handlers[i] = nil; owners[i] = -1 }
    }

    /// Changes what a registered descriptor is watched for: EPOLLOUT only while output is queued
    /// (level-triggered, it would fire on every wait), 0 to pause a listener.
    public func modify(_ fd: Int32, events: UInt32) {
        var ev = epoll_event()
        ev.events = events
        ev.data.fd = fd
        _ = epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev)
    }

    // MARK: participants

    /// Adds a participant; returns its slot (for `add(_:owner:)`, `reschedule`, `unregister`).
    @discardableResult
    public func register(_ p: any LoopParticipant) -> Int {
        let slot: Int
        if let s = freeSlots.popLast() { slot = s; participants[s] = p } else { slot = participants.count; participants.append(p) }
        deadlines.set(slot, p.nextDeadline(nowUs: Clock.monotonicUs()))
        return slot
    }

    public func unregister(_ slot: Int) {
        guard slot >= 0 && slot < participants.count, participants[slot] != nil else { return }
        participants[slot] = nil
        deadlines.set(slot, nil)
        freeSlots.append(slot)
    }

    /// Asks one participant again for its deadline (its state changed outside its own handlers).
    public func reschedule(_ slot: Int, nowUs: Int64 = Clock.monotonicUs()) {
        guard slot >= 0 && slot < participants.count, let p = participants[slot] else { return }
        deadlines.set(slot, p.nextDeadline(nowUs: nowUs))
    }

    /// Asks every participant again: after an event that touches many (a switch, a reload).
    public func rescheduleAll(nowUs: Int64 = Clock.monotonicUs()) {
        for (slot, p) in participants.enumerated() {
            if let p { deadlines.set(slot, p.nextDeadline(nowUs: nowUs)) }
        }
    }

    /// The time (monotonic µs) the loop read just before the handler that runs now, or before the
    /// participants it fires: a handler that needs the time of its wakeup reads it here, without
    /// another clock read.
    public private(set) var nowUs: Int64 = 0

    /// The earliest deadline, for tests and status.
    public var nextDeadlineUs: Int64? { deadlines.first?.at }

    // MARK: running

    public func run() {
        running = true
        let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: 32)
        defer { events.deallocate() }
        while running {
            arm(atUs: deadlines.first?.at ?? .max)
            let n = epoll_wait(epfd, events.baseAddress, Int32(events.count), -1)
            if n < 0 {
                if hedge_errno() == EINTR { continue }
                writeErr("hedge: epoll_wait: \(errnoString(hedge_errno()))")
                return
            }
            for i in 0..<Int(n) {
                let fd = Int(events[i].data.fd)
                // The loop's own timer, directly: it wakes the loop for every deadline.
                if fd == Int(timerfd) { timerFired(); if !running { break } else { continue } }
                guard fd < handlers.count, let h = handlers[fd] else { continue }
                let owner = owners[fd]
                nowUs = Clock.monotonicUs()
                h(events[i].events)
                // Asked as of before the handler: a deadline that came meanwhile fires at once.
                if owner >= 0 { reschedule(owner, nowUs: nowUs) } else if owner == -1 { rescheduleAll(nowUs: nowUs) }
                if !running { break }
            }
        }
    }

    public func stop() { running = false }

    /// Arms the single timerfd for a monotonic deadline in microseconds (BFD at 10 ms wants better
    /// than millisecond resolution); `.max` disarms it.
    private func arm(atUs deadline: Int64) {
        if deadline == armedAt { return }
        armedAt = deadline
        var spec = itimerspec()
        if deadline != .max {
            // A zero it_value disarms: clamp to 1 ns so that a deadline in the past still fires.
            let ns = deadline <= 0 ? 1 : deadline * 1_000
            spec.it_value.tv_sec = time_t(ns / 1_000_000_000)
            spec.it_value.tv_nsec = Int(ns % 1_000_000_000)
        }
        _ = timerfd_settime(timerfd, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    private func timerFired() {
        var expirations: UInt64 = 0
        _ = read(timerfd, &expirations, 8)
        armedAt = .max
        let now = Clock.monotonicUs()
        nowUs = now
        // Every due one is taken off first, then fired: one that is due again at once waits for
        // the next turn, behind the descriptors, instead of spinning here. A slot is in the heap
        // once, so the buffer (as large as the slots) cannot overflow.
        if due.count < participants.count {
            due.deallocate()
            due = UnsafeMutableBufferPointer<Int>.allocate(capacity: participants.count * 2)
        }
        var n = 0
        while let slot = deadlines.popDue(now: now) { due[n] = slot; n += 1 }
        for i in 0..<n {
            participants[due[i]]?.fire(nowUs: now)
            if !running { return }
        }
        for i in 0..<n { reschedule(due[i], nowUs: now) }
    }
    /// The slots due at one firing, in a buffer of the loop's own (no array bookkeeping per fire).
    private var due = UnsafeMutableBufferPointer<Int>.allocate(capacity: 16)

    private func signalArrived() {
        var info = signalfd_siginfo()
        while read(sigfd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            onSignal(Int32(info.ssi_signo))
        }
    }
}
