import CHedge
import HedgeLinux

/// `hedge azure ARGS...`: the template writer is the hedge-azure program, so that the router's
/// binary does not carry it. Runs it with the same arguments when it is installed (beside this
/// binary, then on PATH); otherwise says where it went.
enum AzureCommand {
    static func run(_ args: [String]) -> Int32 {
        var dirs: [String] = []
        var link = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &link, link.count - 1)
        if n > 0 {
            let exe = String(decoding: link[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = exe.lastIndex(of: "/") { dirs.append(String(exe[..<slash])) }
        }
        if let p = getenv("PATH") { dirs += String(cString: p).split(separator: ":").map(String.init) }
        for d in dirs where !d.isEmpty {
            let path = d + "/hedge-azure"
            guard access(path, X_OK) == 0 else { continue }
            var argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) }
            argv.append(nil)
            execv(path, &argv)
            writeErr("hedge: \(SystemError("execv", object: path))")
            return 1
        }
        writeErr("hedge azure is the hedge-azure program, not installed here: hedge-azure "
                 + (args.isEmpty ? "template -c FILE [-o DIR]" : args.joined(separator: " ")))
        return 2
    }
}
