import CHedge
import CHedgeRuntime
import HedgeLinux

/// hedge-azure: writes the Azure half of the architecture from the configuration. A program of its
/// own so that the router's hedge does not carry the template writer (`hedge azure` runs this one
/// when it is installed).
@main
struct HedgeAzure {
    static func main() {
        _ = hedge_runtime_fixes()   // keeps the runtime corrections linked in
        Log.program = "hedge-azure"
        exit(AzureCommand.run(commandLineArguments()))
    }
}
