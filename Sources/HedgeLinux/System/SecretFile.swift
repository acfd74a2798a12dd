import CHedge
import HedgeCore   // its out-of-line string interpolation (Support/StringOutOfLine.swift)

/// A file holding a shared secret (a BGP TCP MD5 key, the reflect probe's HMAC key): the secret is
/// the file's text up to its first line break. The file must be a regular file owned by root and
/// readable by nobody else (mode 0600 or 0400), like bgpd's and sshd's secrets; anything else is
/// refused before the secret is read. A process that is not root may also read one owned by its
/// own user (hedge-reflect, which needs no privilege, runs as a system user of its own and reads
/// its key again on SIGHUP); the agent reads its keys as root, so for it nothing changes.
/// `what` names the file in errors ("BGP key file").
public enum SecretFile {
    public static func read(_ path: String, what: String, lengths: ClosedRange<Int>, rule: String) throws(SystemError) -> [UInt8] {
        let object = what + " " + path
        let bytes = try readAll(path, what: what)
        var key: [UInt8] = []
        for b in bytes {
            if b == 0x0A || b == 0x0D { break }
            key.append(b)
        }
        if !lengths.contains(key.count) {
            throw SystemError("key of \(key.count) octets: " + rule, errno: EINVAL, object: object)
        }
        return key
    }

    /// The whole file (at most 4 KiB), after the same ownership and mode checks: for files of
    /// several lines (the static ESP keys).
    public static func readAll(_ path: String, what: String) throws(SystemError) -> [UInt8] {
        let object = what + " " + path
        let fd = hedge_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0)
        if fd < 0 {
            // After `--user` the root-only file cannot be opened again: a reload keeps what was read
            // at start, and says that a changed key needs a restart (which touches no route).
            if hedge_errno() == EACCES && Privileges.dropped, let kept = readAtStart[path] {
                Log.warn("\(object): not readable after dropping privileges; keeping the key read at start (restart hedge to load a changed key)")
                return kept
            }
            throw SystemError("open", object: object)
        }
        defer { close(fd) }
        var mode: UInt32 = 0, uid: UInt32 = 0
        if hedge_fstat_mode_uid(fd, &mode, &uid) != 0 { throw SystemError("fstat", object: object) }
        let perm = mode & 0o7777
        let euid = geteuid()
        if hedge_s_isreg(mode) == 0 || (uid != 0 && uid != euid) || perm & 0o7077 != 0 {
            let owners = euid == 0 ? "root" : "root or by uid \(euid) (the user this runs as)"
            throw SystemError("mode " + octal(perm) + ", owner uid \(uid): must be a regular file with mode 0600 owned by " + owners,
                              errno: EPERM, object: object)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256)
        while bytes.count <= 4096 {
            let n = chunk.withUnsafeMutableBytes { b in retryingEINTR { CHedge.read(fd, b.baseAddress, b.count) } }
            if n < 0 { throw SystemError("read", object: object) }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        if !Privileges.dropped { readAtStart[path] = bytes }
        return bytes
    }

    /// Secrets as read while still root, by path (one thread: the event loop).
    nonisolated(unsafe) static var readAtStart = HashMap<String, [UInt8]>()

    static func octal(_ v: UInt32) -> String {
        var digits: [UInt8] = []
        var v = v
        repeat { digits.append(0x30 + UInt8(v & 7)); v >>= 3 } while v > 0
        while digits.count < 4 { digits.append(0x30) }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}
