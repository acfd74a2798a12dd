// swift-tools-version: 6.1
import PackageDescription

// EMBEDDED=1 builds the agent in the Embedded Swift subset (board/build: x86_64, aarch64, armv7);
// without it the same sources build as ordinary Swift, which is what the tests use.
let embedded = Context.environment["EMBEDDED"] != nil
let agentSettings: [SwiftSetting] = embedded
    ? [.enableExperimentalFeature("Embedded"), .unsafeFlags(["-wmo"])]
    : []

// The Embedded build compiles the agent's three modules as one (one whole-module optimisation over
// the whole program: aarch64 924,512 -> 894,944 B stripped). HedgeCore and HedgeLinux are then
// empty modules (board/one), so that the sources' imports still resolve. hedge-reflect, the
// reflector for a VM in the VNet, and hedge-azure, the Azure half's writer, are compiled the same
// way from HedgeCore, HedgeLinux and their own directory; --gc-sections leaves in each binary only
// what its main reaches.
let embeddedTargets: [Target] = [
    .systemLibrary(name: "CHedge", path: "Sources/CHedge"),
    .target(name: "CHedgeRuntime", cSettings: [.define("HEDGE_EMBEDDED")]),
    .target(name: "HedgeCore", path: "board/one/HedgeCore", swiftSettings: agentSettings),
    .target(name: "HedgeLinux", path: "board/one/HedgeLinux", swiftSettings: agentSettings),
    .executableTarget(name: "hedge", dependencies: ["HedgeCore", "HedgeLinux", "CHedge", "CHedgeRuntime"],
                      path: "Sources", sources: ["HedgeCore", "HedgeLinux", "hedge"],
                      swiftSettings: agentSettings, linkerSettings: [.linkedLibrary("mnl")]),
    .executableTarget(name: "hedge-reflect", dependencies: ["HedgeCore", "HedgeLinux", "CHedge", "CHedgeRuntime"],
                      path: "board/one/hedge-reflect", swiftSettings: agentSettings),
    .executableTarget(name: "hedge-azure", dependencies: ["HedgeCore", "HedgeLinux", "CHedge", "CHedgeRuntime"],
                      path: "board/one/hedge-azure", swiftSettings: agentSettings),
]

let package = Package(
    name: "hedge",
    products: [
        .executable(name: "hedge", targets: ["hedge"]),
        .executable(name: "hedge-reflect", targets: ["hedge-reflect"]),
        .executable(name: "hedge-azure", targets: ["hedge-azure"]),
    ],
    targets: embedded ? embeddedTargets : [
        // libmnl + kernel uapi headers (rtnetlink, nexthop, if_link, xfrm, fib_rules) and the few
        // C inlines for macros Swift cannot import.
        .systemLibrary(name: "CHedge", path: "Sources/CHedge"),
        // libnl-3 (route, xfrm): an independent netlink decoder the tests check hedge against.
        // pkg-config is fine here: this module is never part of a cross build.
        .systemLibrary(name: "CLibnl", path: "Sources/CLibnl", pkgConfig: "libnl-xfrm-3.0"),
        // Corrections to the Embedded Swift runtime (empty in ordinary builds); see bridge_object.c.
        .target(name: "CHedgeRuntime"),
        // Pure logic: codecs, config, decision, rendering. No syscalls; time is a parameter.
        .target(name: "HedgeCore", swiftSettings: agentSettings),
        // The only layer that touches the OS: event loop, netlink, sockets, control socket.
        .target(name: "HedgeLinux", dependencies: ["HedgeCore", "CHedge"], swiftSettings: agentSettings),
        .executableTarget(name: "hedge", dependencies: ["HedgeCore", "HedgeLinux", "CHedge", "CHedgeRuntime"],
                          swiftSettings: agentSettings,
                          linkerSettings: [.linkedLibrary("mnl")]),
        // The reflector that `probe reflect` runs against, on a VM in the VNet: a program of its own,
        // so that the router's binary does not carry it.
        .executableTarget(name: "hedge-reflect", dependencies: ["HedgeCore", "HedgeLinux", "CHedge", "CHedgeRuntime"],
                          swiftSettings: agentSettings),
        // The Azure half (ARM template, az steps) from the configuration: its own program too, for
        // the same reason (the writer would grow the router's binary by more than it is worth).
        .executableTarget(name: "hedge-azure", dependencies: ["HedgeCore", "HedgeLinux", "CHedge", "CHedgeRuntime"],
                          swiftSettings: agentSettings),
        // Lab tool (not part of the agent): 1 kHz UDP stream sender/receiver for the namespace labs.
        .executableTarget(name: "labstream"),
        .testTarget(name: "HedgeCoreTests", dependencies: ["HedgeCore"], exclude: ["Golden"]),
        .testTarget(name: "HedgeLinuxTests", dependencies: ["HedgeCore", "HedgeLinux", "CHedge", "CLibnl"]),
    ]
)
