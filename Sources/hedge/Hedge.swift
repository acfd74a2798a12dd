import CHedge
import HedgeCore
import HedgeLinux
import CHedgeRuntime

let usage = """
usage: hedge run    [-c FILE] [-u USER] [-v]
                                            run the agent (foreground; SIGHUP reloads, SIGTERM stops);
                                            -u: become USER after start-up, keeping CAP_NET_ADMIN/CAP_NET_RAW
       hedge check  [-c FILE] [--kernel]    validate a configuration; errors name file:line:column;
                                            --kernel: test the kernel features hedge needs (alone: only those)
       hedge status [--json] [-s SOCKET | -c FILE]
                                            show paths and groups of the running agent
       hedge drill  [-s SOCKET | -c FILE] [--failback-wait SECONDS]
                                            fail ExpressRoute over to the VPN and back, as a timeline
       hedge version
default FILE: /etc/hedge/hedge.conf
programs of their own: hedge-reflect, the reflector for `probe reflect` on a VM in the VNet;
hedge-azure (also as `hedge azure`), the Azure half (ARM template, az steps) from FILE
"""

@main
struct Hedge {
    static func main() {
        _ = hedge_runtime_fixes()   // keeps the runtime corrections linked in
        // A peer that goes away mid-write is an error to report, not a reason to die.
        hedge_ignore_sigpipe()
        exit(run(commandLineArguments()))
    }

    static func run(_ args: [String]) -> Int32 {
        guard let command = args.first else { writeErr(usage); return 2 }
        if command == "reflect" {
            // The reflector runs on a VM in the VNet, never on the router: its own program now.
            writeErr("hedge: 'hedge reflect' moved to the hedge-reflect program (same options): hedge-reflect "
                     + (args.count > 1 ? args.dropFirst().joined(separator: " ") : "--key-file FILE"))
            return 2
        }
        if command == "azure" { return AzureCommand.run(Array(args.dropFirst())) }
        var configPath = "/etc/hedge/hedge.conf"
        var socketPath: String?
        var configGiven = false
        var json = false
        var kernel = false
        var failbackWait = 90
        var user: String?
        var i = 1
        while i < args.count {
            switch args[i] {
            case "-c", "--config", "-s", "--socket":
                guard i + 1 < args.count else { writeErr("hedge: \(args[i]) needs a value\n\(usage)"); return 2 }
                if args[i] == "-s" || args[i] == "--socket" { socketPath = args[i + 1] } else { configPath = args[i + 1]; configGiven = true }
                i += 1
            case "-u", "--user":
                guard i + 1 < args.count else { writeErr("hedge: \(args[i]) needs a user name"); return 2 }
                user = args[i + 1]
                i += 1
            case "--json", "-j": json = true
            case "--kernel": kernel = true
            case "--failback-wait":
                guard i + 1 < args.count, let v = Int(args[i + 1]) else { writeErr("hedge: --failback-wait needs seconds"); return 2 }
                failbackWait = v
                i += 1
            case "-v", "--verbose": Log.verbose = true
            case "-h", "--help": writeOut(usage + "\n"); return 0
            default: writeErr("hedge: unknown option '\(args[i])'\n\(usage)"); return 2
            }
            i += 1
        }
        switch command {
        case "version", "--version":
            writeOut("hedge \(HedgeVersion.string)\n")
            return 0
        case "check":
            let rc = configGiven || !kernel ? check(configPath) : 0
            guard kernel else { return rc }
            let report = KernelProbe.run()
            writeOut(report.text)
            return max(rc, report.exitCode)
        case "run": return runAgent(configPath, user: user)
        case "status": return status(socketPath: socketPath, configPath: configGiven ? configPath : nil, json: json)
        case "drill":
            var d = Drill(socket: controlPath(socketPath: socketPath, configPath: configGiven ? configPath : nil))
            return d.run(holdSeconds: 120, failbackWaitMs: failbackWait * 1000)
        case "-h", "--help", "help": writeOut(usage + "\n"); return 0
        default: writeErr("hedge: unknown command '\(command)'\n\(usage)"); return 2
        }
    }

    @inline(never) static func load(_ path: String) -> ConfigResult? {
        let text: String
        do { text = try FileIO.readText(path) } catch {
            writeErr("hedge: \(error)")
            return nil
        }
        return ConfigLoader.parse(text, file: path)
    }

    /// The configuration, with every diagnostic printed; nil (after a summary) if it has errors.
    static func loadValid(_ path: String) -> (HedgeConfig, ConfigResult)? {
        guard let r = load(path) else { return nil }
        for d in r.diagnostics { writeErr(d.description) }
        guard let c = r.config else {
            writeErr("\(path): \(r.errors.count) error(s), \(r.warnings.count) warning(s); nothing applied")
            return nil
        }
        return (c, r)
    }

    static func check(_ path: String) -> Int32 {
        guard let (c, r) = loadValid(path) else { return 1 }
        var prefixes = 0
        for g in c.groups { prefixes += g.prefixes.count }
        // Groups that also take the prefixes a path's BGP session learns.
        var learners = HashSet<Int>()
        for (pi, p) in c.paths.enumerated() where p.bgp != nil {
            if let gi = c.learningGroup(path: pi) { learners.insert(gi) }
        }
        let learning = learners.count
        writeOut("\(path): OK: \(c.paths.count) paths, \(c.groups.count) groups, \(prefixes) prefixes"
                 + (learning > 0 ? " (+ what BGP learns, in \(learning) group\(learning == 1 ? "" : "s"))" : "")
                 + (r.warnings.isEmpty ? "" : ", \(r.warnings.count) warning(s)") + "\n")
        return 0
    }

    static func runAgent(_ path: String, user: String?) -> Int32 {
        guard let (c, _) = loadValid(path) else { return 1 }
        if let u = user {
            // Before anything is touched: a typo in the user name must not leave half an agent.
            do { _ = try Privileges.lookup(user: u) } catch {
                writeErr("hedge: --user \(u): no such user (\(error))")
                return 1
            }
        }
        do {
            return try Agent(configPath: path, config: c, user: user).run()
        } catch {
            writeErr("hedge: \(error)")
            return 1
        }
    }

    @inline(never) static func controlPath(socketPath: String?, configPath: String?) -> String {
        var path = socketPath ?? ControlConfig().socketPath
        if socketPath == nil, let cp = configPath, let r = load(cp), let c = r.config { path = c.control.socketPath }
        return path
    }

    static func status(socketPath: String?, configPath: String?, json: Bool) -> Int32 {
        let path = controlPath(socketPath: socketPath, configPath: configPath)
        do {
            writeOut(try ControlClient.request(path: path, json ? "status json" : "status"))
            return 0
        } catch {
            writeErr("hedge: cannot reach the agent: \(error)")
            return 1
        }
    }
}
