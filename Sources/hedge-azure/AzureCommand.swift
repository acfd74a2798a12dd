import CHedge
import HedgeCore
import HedgeLinux

/// `hedge-azure template -c FILE [-o DIR]` and `hedge-azure steps -c FILE` (also reached as `hedge
/// azure ...`): the Azure half of the reference architecture from the same configuration the agent
/// runs. Nothing here touches Azure: the operator deploys what is written (with az or the portal),
/// after reading it.
enum AzureCommand {
    static let usage = """
    usage: hedge-azure template [-c FILE] [-o DIR]   write DIR/azure-vpn.json, azure-vpn.parameters.json
                                                     and azure-er.parameters.json (the quickstart's)
           hedge-azure steps    [-c FILE]            print the same as az commands, and the four-step test
           hedge-azure version
    default FILE: /etc/hedge/hedge.conf
    """

    static func run(_ args: [String]) -> Int32 {
        if args.first == "version" || args.first == "--version" { writeOut("hedge-azure \(HedgeVersion.string)\n"); return 0 }
        if args.first == "-h" || args.first == "--help" { writeOut(usage + "\n"); return 0 }
        guard let sub = args.first, sub == "template" || sub == "steps" else { writeErr(usage); return 2 }
        var configPath = "/etc/hedge/hedge.conf"
        var dir = "."
        var i = 1
        while i < args.count {
            switch args[i] {
            case "-c", "--config", "-o", "--output":
                guard i + 1 < args.count else { writeErr("hedge-azure: \(args[i]) needs a value\n\(usage)"); return 2 }
                if args[i] == "-c" || args[i] == "--config" { configPath = args[i + 1] } else { dir = args[i + 1] }
                i += 1
            case "-h", "--help": writeOut(usage + "\n"); return 0
            default: writeErr("hedge-azure: unknown option '\(args[i])'\n\(usage)"); return 2
            }
            i += 1
        }
        guard let c = load(configPath) else { return 1 }
        let plan: AzurePlan
        switch azurePlan(c, file: configPath) {
        case .plan(let p): plan = p
        case .refused(let ds):
            for d in ds { writeErr(d.description) }
            writeErr("\(configPath): hedge-azure cannot write the Azure half from this configuration")
            return 1
        }
        if sub == "steps" {
            writeOut(azureSteps(plan, configPath: configPath))
            return 0
        }
        let files = [("azure-vpn.json", armTemplate(plan)),
                     ("azure-vpn.parameters.json", armParameters(plan)),
                     ("azure-er.parameters.json", quickstartParameters(plan))]
        // The directory is made if it is not there (its parent must be), as `-o` usually names a new one.
        if mkdir(dir, 0o755) != 0 && hedge_errno() != EEXIST {
            writeErr("hedge-azure: \(SystemError("mkdir", object: dir))"); return 1
        }
        for (name, text) in files {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            // No secret is in these files: the keys are parameters asked for at deployment.
            let fd = hedge_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd < 0 { writeErr("hedge-azure: \(SystemError("open", object: path))"); return 1 }
            let ok = FileIO.writeAll(fd, text)
            close(fd)
            if !ok { writeErr("hedge-azure: \(SystemError("write", object: path))"); return 1 }
            writeOut("wrote \(path)\n")
        }
        writeOut("sharedKey\(plan.reflector == nil ? "" : ", reflectKey, adminSshPublicKey, hedgeReflectDebUrl and hedgeReflectDebSha256")"
                 + " are not in the parameters file: give them at deployment (hedge-azure steps shows how)\n")
        return 0
    }

    /// The configuration, every diagnostic printed; nil (after a summary) if it has errors.
    static func load(_ path: String) -> HedgeConfig? {
        let text: String
        do { text = try FileIO.readText(path) } catch {
            writeErr("hedge-azure: \(error)")
            return nil
        }
        let r = ConfigLoader.parse(text, file: path)
        for d in r.diagnostics { writeErr(d.description) }
        guard let c = r.config else {
            writeErr("\(path): \(r.errors.count) error(s), \(r.warnings.count) warning(s); nothing written")
            return nil
        }
        return c
    }
}
