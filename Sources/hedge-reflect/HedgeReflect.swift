import CHedge
import CHedgeRuntime
import HedgeLinux

/// hedge-reflect: the reflector alone, for the VM in the VNet. A program of its own so that the
/// router's hedge carries none of it, and the VM none of the agent.
@main
struct HedgeReflect {
    static func main() {
        _ = hedge_runtime_fixes()   // keeps the runtime corrections linked in
        Log.program = "hedge-reflect"
        exit(ReflectCommand.run(commandLineArguments()))
    }
}
