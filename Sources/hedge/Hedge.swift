import CHedge
import HedgeCore
import HedgeLinux

@main
struct Hedge {
    static func main() {
        let nl = mnl_socket_open(NETLINK_ROUTE)
        print("hedge \(HedgeVersion.string) \(nl != nil)")
    }
}
