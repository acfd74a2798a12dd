import CHedge
import HedgeCore
import HedgeLinux

/// `hedge-reflect [--listen ADDR] [--port N] --key-file FILE [-v]`: the UDP reflector that
/// `probe reflect` runs against, on a VM inside the VNet (formerly `hedge reflect`, with the same
/// options). It listens on `::` by default, which on Linux takes IPv4 as well (IPV6_V6ONLY off), so
/// one reflector serves both families; on a kernel without IPv6 it falls back to 0.0.0.0.
/// Foreground; SIGTERM/SIGINT stop it, SIGHUP re-reads the key.
enum ReflectCommand {
    static let usage = """
        usage: hedge-reflect [--listen ADDR] [--port N] --key-file FILE [-v]
          --listen ADDR    address to serve on (default :: — IPv6 and IPv4; 0.0.0.0 without IPv6)
          --port N         UDP port (default \(ProbeConfig.reflectPort))
          --key-file FILE  the key shared with the agents' `probe reflect { key-file ...; }`:
                           first line of a mode 0600 file owned by root or by the user
                           hedge-reflect runs as, 16 octets at least
          -v               log every new sender and every dropped datagram
          --version        print the version
        """

    static func run(_ args: [String]) -> Int32 {
        var listen: IPAddress?
        var port = ProbeConfig.reflectPort
        var keyFile: String?
        var i = 0
        while i < args.count {
            let a = args[i]
            let value: String? = i + 1 < args.count ? args[i + 1] : nil
            switch a {
            case "--listen", "-l":
                guard let v = value, let ip = IPAddress(v) else { return bad("\(a) needs an IPv4 or IPv6 address") }
                listen = ip; i += 1
            case "--port", "-p":
                guard let v = value, let n = UInt16(v), n > 0 else { return bad("\(a) needs a port number (1-65535)") }
                port = n; i += 1
            case "--key-file", "-k":
                guard let v = value else { return bad("\(a) needs a file") }
                keyFile = v; i += 1
            case "-v", "--verbose": Log.verbose = true
            case "-h", "--help": writeOut(usage + "\n"); return 0
            case "--version", "version": writeOut("hedge-reflect \(HedgeVersion.string)\n"); return 0
            default: return bad("unknown option '\(a)'")
            }
            i += 1
        }
        guard let keyFile else { return bad("--key-file is required") }
        let r: Reflector
        do throws(SystemError) {
            if let listen {
                r = try Reflector(listen: listen, port: port, keyFile: keyFile)
            } else {
                do throws(SystemError) {
                    r = try Reflector(listen: IPAddress("::")!, port: port, keyFile: keyFile)
                } catch where error.errno == EAFNOSUPPORT {
                    r = try Reflector(listen: .v4(0), port: port, keyFile: keyFile)
                }
            }
        } catch {
            writeErr("hedge-reflect: \(error)")
            return 1
        }
        return r.run()
    }

    static func bad(_ s: String) -> Int32 {
        writeErr("hedge-reflect: " + s + "\n" + usage)
        return 2
    }
}
