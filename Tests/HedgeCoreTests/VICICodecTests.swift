import XCTest
@testable import HedgeCore

/// VICI packets as charon 5.9.8 (Debian strongswan-charon 5.9.8-5+deb12u5) sent them, captured
/// whole (type, name, message) on the initiator's socket. The ESP ones come from the route-based
/// tunnel of examples/strongswan-vm booted under emulation (Debian's 6.1 kernel, connection
/// "azure-s2s", child "s2s", if_id 42), read by a raw client registered for ike-updown,
/// child-updown, child-rekey, ike-rekey and list-sa while the script ran: list-sas while the
/// IKE_SA was still CONNECTING, the tunnel coming up, `swanctl --rekey --child s2s`,
/// `swanctl --rekey --ike azure-s2s`, list-sas again, `swanctl --terminate --ike azure-s2s`.
/// controlLogNoProp and listConn come from VICIClientTests on the CI machine (no ESP there).
/// What they show, which the tracker relies on:
/// - child-updown and list-sa key CHILD_SAs "<name>-<uniqueid>" with the name in `name`;
///   child-rekey keys them by name alone, with `old` and `new` inside.
/// - `up = yes` is present only when up; a down event still shows the CHILD_SA as INSTALLED.
/// - On terminate, ike-updown (down, state DELETING) comes before child-updown (down).
/// - A rekeyed CHILD_SA gets no child-updown; ike-rekey moves the CHILD_SAs to the new IKE_SA.
enum VICIGolden {
    static let listSaConnecting = """
        07076c6973742d73610109617a7572652d7332730308756e697175656964000131030776657273696f6e00013203057374617465000a434f4e4e454354494e47
        030a6c6f63616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d696400066f6e7072656d030b72656d
        6f74652d686f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d69640005617a7572650309696e69746961
        746f720003796573030d696e69746961746f722d737069001065363066656632633934333830653138030d726573706f6e6465722d7370690010653839313133
        62653832396539353064030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d616c67000741
        45535f434243030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f3235365f31323803077072662d616c67
        00115052465f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234040c7461736b732d61637469766505000c494b455f434552
        545f505245050008494b455f4155544805000d494b455f434552545f504f5354050011494b455f415554485f4c49464554494d4505000a494b455f4d4f42494b
        4505000d494b455f45535441424c49534805000c4348494c445f4352454154450601096368696c642d7361730202
        """
    static let ikeUp = """
        070a696b652d7570646f776e0302757000037965730109617a7572652d7332730308756e697175656964000131030776657273696f6e00013203057374617465
        000b45535441424c4953484544030a6c6f63616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d6964
        00066f6e7072656d030b72656d6f74652d686f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d69640005
        617a7572650309696e69746961746f720003796573030d696e69746961746f722d737069001065363066656632633934333830653138030d726573706f6e6465
        722d737069001065383931313362653832396539353064030869662d69642d696e00083030303030303261030969662d69642d6f757400083030303030303261
        0308656e63722d616c6700074145535f434243030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f323536
        5f31323803077072662d616c6700115052465f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234030b65737461626c697368
        6564000130030a72656b65792d74696d6500053134313034040c7461736b732d61637469766505000d494b455f45535441424c49534805000c4348494c445f43
        52454154450602
        """
    static let childUp = """
        070c6368696c642d7570646f776e0302757000037965730109617a7572652d7332730308756e697175656964000131030776657273696f6e0001320305737461
        7465000b45535441424c4953484544030a6c6f63616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d
        696400066f6e7072656d030b72656d6f74652d686f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d6964
        0005617a7572650309696e69746961746f720003796573030d696e69746961746f722d737069001065363066656632633934333830653138030d726573706f6e
        6465722d737069001065383931313362653832396539353064030869662d69642d696e00083030303030303261030969662d69642d6f75740008303030303030
        32610308656e63722d616c6700074145535f434243030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f32
        35365f31323803077072662d616c6700115052465f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234030b65737461626c69
        73686564000130030a72656b65792d74696d6500053134313034040c7461736b732d61637469766505000c4348494c445f4352454154450601096368696c642d
        73617301057332732d3103046e616d6500037332730308756e69717565696400013103057265716964000131030573746174650009494e5354414c4c45440304
        6d6f6465000654554e4e454c030870726f746f636f6c000345535003067370692d696e0008636637656431353003077370692d6f757400086330663334633635
        030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d616c67000a4145535f47434d5f313603
        0c656e63722d6b657973697a650003323536030862797465732d696e000130030a7061636b6574732d696e000130030962797465732d6f7574000130030b7061
        636b6574732d6f7574000130030a72656b65792d74696d6500043333373503096c6966652d74696d65000433393630030c696e7374616c6c2d74696d65000231
        3604086c6f63616c2d7473050009302e302e302e302f3006040972656d6f74652d7473050009302e302e302e302f3006020202
        """
    static let childRekey = """
        070b6368696c642d72656b65790109617a7572652d7332730308756e697175656964000131030776657273696f6e00013203057374617465000b45535441424c
        4953484544030a6c6f63616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d696400066f6e7072656d
        030b72656d6f74652d686f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d69640005617a757265030969
        6e69746961746f720003796573030d696e69746961746f722d737069001065363066656632633934333830653138030d726573706f6e6465722d737069001065
        383931313362653832396539353064030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d61
        6c6700074145535f434243030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f3235365f31323803077072
        662d616c6700115052465f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234030b65737461626c6973686564000132030a72
        656b65792d74696d6500053134313032040c7461736b732d61637469766505000b4348494c445f52454b45590601096368696c642d736173010373327301036f
        6c6403046e616d6500037332730308756e6971756569640001310305726571696400013103057374617465000752454b4559454403046d6f6465000654554e4e
        454c030870726f746f636f6c000345535003067370692d696e0008636637656431353003077370692d6f757400086330663334633635030869662d69642d696e
        00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d616c67000a4145535f47434d5f3136030c656e63722d6b657973
        697a650003323536030862797465732d696e000130030a7061636b6574732d696e000130030962797465732d6f7574000130030b7061636b6574732d6f757400
        0130030a72656b65792d74696d6500043333373303096c6966652d74696d65000433393538030c696e7374616c6c2d74696d650002313804086c6f63616c2d74
        73050009302e302e302e302f3006040972656d6f74652d7473050009302e302e302e302f30060201036e657703046e616d6500037332730308756e6971756569
        6400013203057265716964000131030573746174650009494e5354414c4c454403046d6f6465000654554e4e454c030870726f746f636f6c0003455350030673
        70692d696e0008633134643935353703077370692d6f757400086333623136616537030869662d69642d696e00083030303030303261030969662d69642d6f75
        74000830303030303032610308656e63722d616c67000a4145535f47434d5f3136030c656e63722d6b657973697a650003323536030862797465732d696e0001
        30030a7061636b6574732d696e000130030962797465732d6f7574000130030b7061636b6574732d6f7574000130030a72656b65792d74696d65000433333837
        03096c6966652d74696d65000433393630030c696e7374616c6c2d74696d6500013004086c6f63616c2d7473050009302e302e302e302f3006040972656d6f74
        652d7473050009302e302e302e302f300602020202
        """
    static let ikeRekey = """
        0709696b652d72656b65790109617a7572652d73327301036f6c640308756e697175656964000131030776657273696f6e00013203057374617465000852454b
        4559494e47030a6c6f63616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d696400066f6e7072656d
        030b72656d6f74652d686f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d69640005617a757265030969
        6e69746961746f720003796573030d696e69746961746f722d737069001065363066656632633934333830653138030d726573706f6e6465722d737069001065
        383931313362653832396539353064030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d61
        6c6700074145535f434243030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f3235365f31323803077072
        662d616c6700115052465f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234040c7461736b732d616374697665050009494b
        455f52454b4559060201036e65770308756e697175656964000132030776657273696f6e00013203057374617465000b45535441424c4953484544030a6c6f63
        616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d696400066f6e7072656d030b72656d6f74652d68
        6f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d69640005617a7572650309696e69746961746f720003
        796573030d696e69746961746f722d737069001066316632633030623531326361386363030d726573706f6e6465722d73706900103964623132363738383333
        3866656336030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d616c6700074145535f4342
        43030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f3235365f31323803077072662d616c670011505246
        5f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234030b65737461626c6973686564000130030a72656b65792d74696d6500
        0531333837300202
        """
    static let listSaEstablished = """
        07076c6973742d73610109617a7572652d7332730308756e697175656964000132030776657273696f6e00013203057374617465000b45535441424c49534845
        44030a6c6f63616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d696400066f6e7072656d030b7265
        6d6f74652d686f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d69640005617a7572650309696e697469
        61746f720003796573030d696e69746961746f722d737069001066316632633030623531326361386363030d726573706f6e6465722d73706900103964623132
        3637383833333866656336030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d616c670007
        4145535f434243030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f3235365f31323803077072662d616c
        6700115052465f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234030b65737461626c6973686564000137030a72656b6579
        2d74696d650005313338363301096368696c642d73617301057332732d3203046e616d6500037332730308756e69717565696400013203057265716964000131
        030573746174650009494e5354414c4c454403046d6f6465000654554e4e454c030870726f746f636f6c000345535003067370692d696e000863313464393535
        3703077370692d6f757400086333623136616537030869662d69642d696e00083030303030303261030969662d69642d6f757400083030303030303261030865
        6e63722d616c67000a4145535f47434d5f3136030c656e63722d6b657973697a650003323536030862797465732d696e000130030a7061636b6574732d696e00
        0130030962797465732d6f7574000130030b7061636b6574732d6f7574000130030a72656b65792d74696d6500043333373203096c6966652d74696d65000433
        393435030c696e7374616c6c2d74696d650002313504086c6f63616c2d7473050009302e302e302e302f3006040972656d6f74652d7473050009302e302e302e
        302f3006020202
        """
    static let ikeDown = """
        070a696b652d7570646f776e0109617a7572652d7332730308756e697175656964000132030776657273696f6e00013203057374617465000844454c4554494e
        47030a6c6f63616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d696400066f6e7072656d030b7265
        6d6f74652d686f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d69640005617a7572650309696e697469
        61746f720003796573030d696e69746961746f722d737069001066316632633030623531326361386363030d726573706f6e6465722d73706900103964623132
        3637383833333866656336030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d616c670007
        4145535f434243030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f3235365f31323803077072662d616c
        6700115052465f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234040c7461736b732d61637469766505000a494b455f4445
        4c4554450602
        """
    static let childDown = """
        070c6368696c642d7570646f776e0109617a7572652d7332730308756e697175656964000132030776657273696f6e00013203057374617465000844454c4554
        494e47030a6c6f63616c2d686f737400093139322e302e322e31030a6c6f63616c2d706f727400043435303003086c6f63616c2d696400066f6e7072656d030b
        72656d6f74652d686f737400093139322e302e322e32030b72656d6f74652d706f7274000434353030030972656d6f74652d69640005617a7572650309696e69
        746961746f720003796573030d696e69746961746f722d737069001066316632633030623531326361386363030d726573706f6e6465722d7370690010396462
        31323637383833333866656336030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d616c67
        00074145535f434243030c656e63722d6b657973697a6500033235360309696e7465672d616c670011484d41435f534841325f3235365f31323803077072662d
        616c6700115052465f484d41435f534841325f323536030864682d67726f757000094d4f44505f31303234040c7461736b732d61637469766505000a494b455f
        44454c4554450601096368696c642d73617301057332732d3203046e616d6500037332730308756e697175656964000132030572657169640001310305737461
        74650009494e5354414c4c454403046d6f6465000654554e4e454c030870726f746f636f6c000345535003067370692d696e0008633134643935353703077370
        692d6f757400086333623136616537030869662d69642d696e00083030303030303261030969662d69642d6f7574000830303030303032610308656e63722d61
        6c67000a4145535f47434d5f3136030c656e63722d6b657973697a650003323536030862797465732d696e000130030a7061636b6574732d696e000130030962
        797465732d6f7574000130030b7061636b6574732d6f7574000130030a72656b65792d74696d6500043333363903096c6966652d74696d65000433393432030c
        696e7374616c6c2d74696d650002313804086c6f63616c2d7473050009302e302e302e302f3006040972656d6f74652d7473050009302e302e302e302f300602
        0202
        """
    static let controlLogNoProp = """
        070b636f6e74726f6c2d6c6f67030567726f75700003494b4503056c6576656c000131030a696b6573612d6e616d650003687663030e696b6573612d756e6971
        7565696400013103036d736700357265636569766564204e4f5f50524f504f53414c5f43484f53454e206e6f746966792c206e6f204348494c445f5341206275
        696c74
        """
    static let listConn = """
        07096c6973742d636f6e6e0103687663040b6c6f63616c5f61646472730500093139322e302e322e3106040c72656d6f74655f61646472730500093139322e30
        2e322e3206030776657273696f6e0005494b457632030b7265617574685f74696d65000130030a72656b65795f74696d65000531343430300306756e69717565
        0009554e495155455f4e4f01076c6f63616c2d310302696400066f6e7072656d0305636c617373000e7072652d736861726564206b6579040667726f75707306
        040b636572745f706f6c6963790604056365727473060407636163657274730602010872656d6f74652d31030269640005617a7572650305636c617373000e70
        72652d736861726564206b6579040667726f75707306040b636572745f706f6c696379060405636572747306040763616365727473060201086368696c647265
        6e010373327303046d6f6465000654554e4e454c030a72656b65795f74696d65000433363030030b72656b65795f6279746573000130030d72656b65795f7061
        636b657473000130030a6470645f616374696f6e00046e6f6e65030c636c6f73655f616374696f6e00046e6f6e6504086c6f63616c2d7473050009302e302e30
        2e302f3006040972656d6f74652d7473050009302e302e302e302f3006020202
        """

    static let all: [(String, String)] = [
        ("listSaConnecting", listSaConnecting), ("ikeUp", ikeUp), ("childUp", childUp), ("childRekey", childRekey),
        ("ikeRekey", ikeRekey), ("listSaEstablished", listSaEstablished), ("ikeDown", ikeDown), ("childDown", childDown),
        ("controlLogNoProp", controlLogNoProp), ("listConn", listConn),
    ]

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8.filter { $0 != 0x20 && $0 != 0x0A })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    static func packet(_ hex: String) -> VICIPacket { try! VICIPacket.decode(bytes(hex)[...]) }

    /// The README's encoding example.
    static let readme: [UInt8] = [
        3, 4] + Array("key1".utf8) + [0, 6] + Array("value1".utf8) + [
        1, 8] + Array("section1".utf8) + [
        1, 11] + Array("sub-section".utf8) + [
        3, 4] + Array("key2".utf8) + [0, 6] + Array("value2".utf8) + [
        2,
        4, 5] + Array("list1".utf8) + [
        5, 0, 5] + Array("item1".utf8) + [
        5, 0, 5] + Array("item2".utf8) + [
        6,
        2,
    ]
}

final class VICICodecTests: XCTestCase {
    // MARK: message

    func testReadmeGolden() throws {
        let m = try VICIMessage.decode(VICIGolden.readme[...])
        let expected = VICIMessage([
            .keyValue("key1", Array("value1".utf8)),
            .section("section1", VICIMessage([
                .section("sub-section", VICIMessage([.keyValue("key2", Array("value2".utf8))])),
                .list("list1", [Array("item1".utf8), Array("item2".utf8)]),
            ])),
        ])
        XCTAssertEqual(m, expected)
        XCTAssertEqual(try expected.encode(), VICIGolden.readme)
        XCTAssertEqual(m["key1"], "value1")
        XCTAssertEqual(m.section("section1")?.section("sub-section")?["key2"], "value2")
        XCTAssertEqual(m.section("section1")?.list("list1"), ["item1", "item2"])
        XCTAssertNil(m["section1"])
        XCTAssertNil(m.section("key1"))
        XCTAssertNil(m.list("key1"))
        XCTAssertEqual(m.sections.map { $0.name }, ["section1"])

        var built = VICIMessage()
        built.add("key1", "value1")
        var sub = VICIMessage()
        sub.add("key2", "value2")
        var s1 = VICIMessage()
        s1.add("sub-section", section: sub)
        s1.add("list1", list: ["item1", "item2"])
        built.add("section1", section: s1)
        XCTAssertEqual(try built.encode(), VICIGolden.readme)
    }

    func testEveryTruncationOfTheGolden() throws {
        // Cut anywhere, the golden is refused, except where the cut falls between two elements
        // of the root (nothing marks a message's end: the segment length does): then it is the
        // message of the elements before the cut.
        let full = try VICIMessage.decode(VICIGolden.readme[...])
        for n in 0..<VICIGolden.readme.count {
            let cut = VICIGolden.readme[0..<n]
            switch n {
            case 0: XCTAssertEqual(try VICIMessage.decode(cut), VICIMessage())
            case 14: XCTAssertEqual(try VICIMessage.decode(cut), VICIMessage([full.elements[0]]))
            default: XCTAssertThrowsError(try VICIMessage.decode(cut), "cut at \(n)")
            }
        }
        // The same for every captured packet, type and name included.
        for (name, hex) in VICIGolden.all {
            let b = VICIGolden.bytes(hex)
            let p = try VICIPacket.decode(b[...])
            var boundaries: Set<Int> = []
            var at = try VICIPacket(p.type, name: p.name).encode().count
            boundaries.insert(at)
            for e in p.message.elements { at += try VICIMessage([e]).encode().count; boundaries.insert(at) }
            for n in 0..<b.count {
                if boundaries.contains(n) {
                    let q = try VICIPacket.decode(b[0..<n])
                    XCTAssertEqual(q.message.elements, Array(p.message.elements.prefix(q.message.elements.count)), name)
                } else {
                    XCTAssertThrowsError(try VICIPacket.decode(b[0..<n]), "\(name) cut at \(n)")
                }
            }
        }
    }

    func testCapturedPacketsRoundTrip() throws {
        for (name, hex) in VICIGolden.all {
            let b = VICIGolden.bytes(hex)
            let p = try VICIPacket.decode(b[...])
            XCTAssertEqual(p.type, .event, name)
            XCTAssertEqual(try p.encode(), b, name)
            // Decoding from a slice that does not start at 0.
            let shifted = [0xEE, 0xEE] + b
            XCTAssertEqual(try VICIPacket.decode(shifted[2...]), p)
        }
        let up = VICIGolden.packet(VICIGolden.childUp)
        XCTAssertEqual(up.name, "child-updown")
        XCTAssertEqual(up.message["up"], "yes")
        let child = up.message.section("azure-s2s")?.section("child-sas")?.section("s2s-1")
        XCTAssertEqual(child?["name"], "s2s")
        XCTAssertEqual(child?["state"], "INSTALLED")
        XCTAssertEqual(child?["spi-in"], "cf7ed150")
        XCTAssertEqual(child?["if-id-out"], "0000002a")
        XCTAssertEqual(child?.list("local-ts"), ["0.0.0.0/0"])
        let conn = VICIGolden.packet(VICIGolden.listConn).message.section("hvc")
        XCTAssertEqual(conn?.section("local-1")?.list("groups"), [])
        XCTAssertEqual(VICIGolden.packet(VICIGolden.controlLogNoProp).message["msg"],
                       "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built")
    }

    func testMalformedMessages() {
        func fails(_ b: [UInt8], _ e: VICIError, line: UInt = #line) {
            XCTAssertThrowsError(try VICIMessage.decode(b[...]), line: line) { XCTAssertEqual($0 as? VICIError, e, line: line) }
        }
        fails([7], .unknownElement(7, offset: 0))
        fails([0], .unknownElement(0, offset: 0))
        fails([2], .misplaced(.sectionEnd, offset: 0))
        fails([5, 0, 0], .misplaced(.listItem, offset: 0))
        fails([6], .misplaced(.listEnd, offset: 0))
        fails([4, 1, 0x61, 3, 1, 0x62, 0, 0, 6], .misplaced(.keyValue, offset: 3))
        fails([4, 1, 0x61, 4, 1, 0x62, 6, 6], .misplaced(.listStart, offset: 3))
        fails([4, 1, 0x61, 1, 1, 0x62, 2, 6], .misplaced(.sectionStart, offset: 3))
        fails([4, 1, 0x61, 2], .misplaced(.sectionEnd, offset: 3))
        fails([1, 1, 0x61], .unterminated)
        fails([4, 1, 0x61, 5, 0, 0], .unterminated)
        fails([1, 1, 0x61, 2, 2], .misplaced(.sectionEnd, offset: 4))
        fails([3], .truncated("name length"))
        fails([3, 2, 0x61], .truncated("name"))
        fails([3, 1, 0x61, 0], .truncated("value length"))
        fails([3, 1, 0x61, 0, 2, 0x62], .truncated("value"))
        fails([3, 1, 0x61, 0xFF, 0xFF], .truncated("value"))
        // Empty names and values are allowed.
        XCTAssertEqual(try VICIMessage.decode([3, 0, 0, 0][...]), VICIMessage([.keyValue("", [])]))
        XCTAssertEqual(try VICIMessage.decode([4, 0, 6][...]), VICIMessage([.list("", [])]))
    }

    func testDepthLimit() throws {
        func nested(_ d: Int) -> [UInt8] { Array(repeating: [1, 1, 0x73], count: d).flatMap { $0 } + Array(repeating: 2, count: d) }
        XCTAssertNoThrow(try VICIMessage.decode(nested(16)[...]))
        XCTAssertThrowsError(try VICIMessage.decode(nested(17)[...])) { XCTAssertEqual($0 as? VICIError, .tooDeep(17)) }
        XCTAssertThrowsError(try VICIMessage.decode(nested(100_000)[...]))
        XCTAssertNoThrow(try VICIMessage.decode(nested(3)[...], maxDepth: 3))
        XCTAssertThrowsError(try VICIMessage.decode(nested(4)[...], maxDepth: 3))
        // Encoding refuses what decoding would.
        var m = VICIMessage()
        for _ in 0..<17 { m = VICIMessage([.section("s", m)]) }
        XCTAssertThrowsError(try m.encode()) { XCTAssertEqual($0 as? VICIError, .tooDeep(17)) }
        guard case .section(_, let inner) = m.elements[0] else { return XCTFail() }
        XCTAssertEqual(try VICIMessage.decode(try inner.encode()[...]), inner)
    }

    func testEncodeLimits() throws {
        var m = VICIMessage()
        m.add(String(repeating: "k", count: 256), "v")
        XCTAssertThrowsError(try m.encode()) { XCTAssertEqual($0 as? VICIError, .nameTooLong(256)) }
        m = VICIMessage([.keyValue(String(repeating: "k", count: 255), Array(repeating: 0x41, count: 65535))])
        XCTAssertEqual(try VICIMessage.decode(try m.encode()[...]), m)
        m = VICIMessage([.list("l", [Array(repeating: 0, count: 65536)])])
        XCTAssertThrowsError(try m.encode()) { XCTAssertEqual($0 as? VICIError, .valueTooLong(65536)) }
        // A packet over charon's 512 KiB cannot be framed: 9 × (1 + 1 + 2 + 2 + 60,000) + 1 + 1 + 9.
        let big = VICIMessage((0..<9).map { .keyValue("k\($0)", Array(repeating: 0, count: 60_000)) })
        XCTAssertThrowsError(try VICIPacket.request("load-conn", big).segment()) {
            XCTAssertEqual($0 as? VICIError, .segmentTooLong(540_065))
        }
        XCTAssertThrowsError(try VICIPacket(.cmdRequest, name: String(repeating: "c", count: 300)).encode())
    }

    // MARK: packet

    func testPacketTypes() throws {
        XCTAssertEqual(try VICIPacket.request("version").encode(), [0, 7] + Array("version".utf8))
        XCTAssertEqual(try VICIPacket(.eventRegister, name: "ike-updown").encode(), [3, 10] + Array("ike-updown".utf8))
        XCTAssertEqual(try VICIPacket(.eventUnregister, name: "x").encode(), [4, 1, 0x78])
        XCTAssertEqual(try VICIPacket(.eventConfirm).encode(), [5])
        XCTAssertEqual(try VICIPacket(.eventUnknown).encode(), [6])
        XCTAssertEqual(try VICIPacket(.cmdUnknown).encode(), [2])
        // An unnamed type ignores a name given to it.
        XCTAssertEqual(try VICIPacket(.cmdResponse, name: "x").encode(), [1])
        var reply = VICIMessage()
        reply.add("success", "yes")
        let r = VICIPacket(.cmdResponse, reply)
        XCTAssertEqual(try r.encode(), [1, 3, 7] + Array("success".utf8) + [0, 3] + Array("yes".utf8))
        XCTAssertEqual(try r.segment(), [0, 0, 0, 15, 1, 3, 7] + Array("success".utf8) + [0, 3] + Array("yes".utf8))
        for t in 0...7 {
            let type = VICIPacketType(rawValue: UInt8(t))!
            let p = VICIPacket(type, name: type.isNamed ? "n\(t)" : nil, t == 0 || t == 1 || t == 7 ? reply : VICIMessage())
            XCTAssertEqual(try VICIPacket.decode(try p.encode()[...]), p, "\(type)")
            XCTAssertEqual(type.isNamed, [0, 3, 4, 7].contains(t))
        }
        XCTAssertThrowsError(try VICIPacket.decode([8][...])) { XCTAssertEqual($0 as? VICIError, .unknownPacketType(8)) }
        XCTAssertThrowsError(try VICIPacket.decode([][...])) { XCTAssertEqual($0 as? VICIError, .truncated("packet type")) }
        XCTAssertThrowsError(try VICIPacket.decode([7][...])) { XCTAssertEqual($0 as? VICIError, .truncated("name length")) }
        XCTAssertThrowsError(try VICIPacket.decode([7, 3, 0x61][...])) { XCTAssertEqual($0 as? VICIError, .truncated("name")) }
        XCTAssertEqual(try VICIPacket.decode([7, 0][...]), VICIPacket(.event, name: ""))
    }

    // MARK: framer

    func testFramerSplitAtEveryByte() throws {
        let packets = VICIGolden.all.map { VICIGolden.packet($0.1) } + [VICIPacket(.eventConfirm), .request("version")]
        var stream: [UInt8] = []
        for p in packets { stream += try p.segment() }
        for cut in 0...stream.count {
            var f = VICIFramer()
            var got: [VICIPacket] = []
            f.append(stream[0..<cut])
            while let p = try f.nextPacket() { got.append(p) }
            f.append(stream[cut...])
            while let p = try f.nextPacket() { got.append(p) }
            XCTAssertEqual(got, packets, "cut at \(cut)")
            XCTAssertEqual(f.buffered, 0)
        }
        // A byte at a time.
        var f = VICIFramer()
        var got: [VICIPacket] = []
        for b in stream {
            f.append([b])
            while let p = try f.nextPacket() { got.append(p) }
        }
        XCTAssertEqual(got, packets)
        // An empty segment is framed, then refused as a packet.
        f.append([0, 0, 0, 0])
        XCTAssertThrowsError(try f.nextPacket()) { XCTAssertEqual($0 as? VICIError, .truncated("packet type")) }
        XCTAssertNil(try f.nextPacket())
    }

    func testFramerCap() throws {
        var f = VICIFramer()
        f.append([0x00, 0x08, 0x00])
        XCTAssertNil(try f.next())
        f.append([0x01])   // 524,289: one over
        XCTAssertThrowsError(try f.next()) { XCTAssertEqual($0 as? VICIError, .segmentTooLong(524_289)) }
        // The stream is over: nothing more is taken, the error stays.
        f.append(try VICIPacket.request("version").segment())
        XCTAssertThrowsError(try f.nextPacket()) { XCTAssertEqual($0 as? VICIError, .segmentTooLong(524_289)) }
        XCTAssertEqual(f.failure, .segmentTooLong(524_289))
        f.reset()
        XCTAssertNil(try f.next())
        // Exactly 512 KiB is allowed.
        let data = [UInt8](repeating: 0x41, count: 512 * 1024)
        f.append(try VICIFramer.frame(data))
        XCTAssertEqual(try f.next(), data)
        XCTAssertThrowsError(try VICIFramer.frame(data + [0]))
        // A smaller cap, and the largest length field.
        var small = VICIFramer(maxSegmentLength: 10)
        small.append([0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertThrowsError(try small.next()) { XCTAssertEqual($0 as? VICIError, .segmentTooLong(4_294_967_295)) }
    }

    // MARK: tracker

    func testTrackerFollowsTheCapturedTunnel() {
        var t = VICISessionTracker(ike: "azure-s2s", child: "s2s")
        XCTAssertEqual(t.summary, "azure-s2s: no IKE_SA, no CHILD_SA s2s")
        XCTAssertEqual(t.childStatus, .absent)
        func apply(_ hex: String) -> Bool {
            let p = VICIGolden.packet(hex)
            return t.apply(event: p.name!, p.message)
        }
        // Seeded while the IKE_SA is still being set up.
        t.beginListing()
        XCTAssertFalse(apply(VICIGolden.listSaConnecting))
        XCTAssertTrue(t.endListing())
        XCTAssertEqual(t.ikeState, "CONNECTING")
        XCTAssertFalse(t.ikeEstablished)
        XCTAssertEqual(t.reason, "list-sas")
        XCTAssertEqual(t.summary, "azure-s2s: IKE_SA #1 CONNECTING with 192.0.2.2, no CHILD_SA s2s")

        XCTAssertTrue(apply(VICIGolden.ikeUp))
        XCTAssertTrue(t.ikeEstablished)
        XCTAssertFalse(t.childInstalled)
        XCTAssertEqual(t.reason, "ike-updown: IKE_SA #1 up")

        XCTAssertTrue(apply(VICIGolden.childUp))
        XCTAssertTrue(t.childInstalled)
        XCTAssertEqual(t.childStatus, .installed)
        XCTAssertEqual(t.childUniqueID, "1")
        XCTAssertEqual(t.spiIn, "cf7ed150")
        XCTAssertEqual(t.spiOut, "c0f34c65")
        XCTAssertEqual(t.reason, "child-updown: CHILD_SA s2s #1 up (INSTALLED)")
        XCTAssertEqual(t.summary, "azure-s2s: IKE_SA #1 ESTABLISHED with 192.0.2.2, CHILD_SA s2s #1 INSTALLED spi-in cf7ed150 spi-out c0f34c65")
        XCTAssertFalse(apply(VICIGolden.childUp), "the same event again changes nothing")

        XCTAssertTrue(apply(VICIGolden.childRekey))
        XCTAssertTrue(t.childInstalled)
        XCTAssertEqual(t.childUniqueID, "2")
        XCTAssertEqual(t.spiIn, "c14d9557")
        XCTAssertEqual(t.spiOut, "c3b16ae7")
        XCTAssertEqual(t.reason, "child-rekey: CHILD_SA s2s #1 rekeyed to #2 (INSTALLED)")
        XCTAssertEqual(t.children.count, 1)

        XCTAssertTrue(apply(VICIGolden.ikeRekey))
        XCTAssertEqual(t.ikeUniqueID, "2")
        XCTAssertTrue(t.ikeEstablished)
        XCTAssertTrue(t.childInstalled)
        XCTAssertEqual(t.children["2"]?.ike, "2")
        XCTAssertEqual(t.reason, "ike-rekey: IKE_SA #1 rekeyed to #2")

        // A listing now agrees with the events.
        let before = t
        t.beginListing()
        XCTAssertFalse(apply(VICIGolden.listSaEstablished))
        XCTAssertFalse(t.endListing())
        XCTAssertEqual(t.summary, before.summary)

        // Terminate: the IKE_SA goes down first and takes its CHILD_SA with it.
        let changes = t.changes
        XCTAssertTrue(apply(VICIGolden.ikeDown))
        XCTAssertNil(t.ikeState)
        XCTAssertEqual(t.childStatus, .absent)
        XCTAssertEqual(t.reason, "ike-updown: IKE_SA #2 down")
        XCTAssertFalse(apply(VICIGolden.childDown))
        XCTAssertEqual(t.changes, changes + 1)
        XCTAssertEqual(t.summary, "azure-s2s: no IKE_SA, no CHILD_SA s2s")
        XCTAssertTrue(t.ikes.isEmpty && t.children.isEmpty)
    }

    func testTrackerChildDownBeforeIKE() {
        // The other order (a CHILD_SA deleted alone, e.g. by the peer): only the CHILD_SA goes.
        var t = VICISessionTracker(ike: "azure-s2s", child: "s2s")
        for hex in [VICIGolden.ikeUp, VICIGolden.childUp] {
            let p = VICIGolden.packet(hex)
            t.apply(event: p.name!, p.message)
        }
        var down = VICIGolden.packet(VICIGolden.childUp).message
        down.elements.removeFirst()   // up = yes
        XCTAssertTrue(t.apply(event: "child-updown", down))
        XCTAssertTrue(t.ikeEstablished)
        XCTAssertEqual(t.childStatus, .absent)
        XCTAssertNil(t.spiIn)
        XCTAssertEqual(t.reason, "child-updown: CHILD_SA s2s #1 down")
    }

    func testTrackerIgnoresOtherConnectionsAndChildren() {
        var t = VICISessionTracker(ike: "other", child: "s2s")
        for (_, hex) in VICIGolden.all {
            let p = VICIGolden.packet(hex)
            XCTAssertFalse(t.apply(event: p.name!, p.message))
        }
        var u = VICISessionTracker(ike: "azure-s2s", child: "s2")   // "s2s-1" must not match "s2"
        for hex in [VICIGolden.ikeUp, VICIGolden.childUp, VICIGolden.childRekey] {
            let p = VICIGolden.packet(hex)
            u.apply(event: p.name!, p.message)
        }
        XCTAssertTrue(u.ikeEstablished)
        XCTAssertEqual(u.childStatus, .absent)
        // Events it does not read.
        XCTAssertFalse(u.apply(event: "control-log", VICIGolden.packet(VICIGolden.controlLogNoProp).message))
        XCTAssertFalse(u.apply(event: "list-conn", VICIGolden.packet(VICIGolden.listConn).message))
    }

    /// Builds events the way charon 5.9.8 shapes them (vici_query.c list_ike / list_child).
    func ike(_ uid: Int, _ state: String, children: [(Int, String, String, String)] = [], up: Bool? = nil,
             conn: String = "azure-s2s") -> VICIMessage {
        var sa = VICIMessage()
        sa.add("uniqueid", "\(uid)")
        sa.add("version", "2")
        sa.add("state", state)
        sa.add("remote-host", "192.0.2.2")
        var cs = VICIMessage()
        for (cid, name, st, spi) in children {
            var c = VICIMessage()
            c.add("name", name)
            c.add("uniqueid", "\(cid)")
            c.add("reqid", "1")
            c.add("state", st)
            c.add("spi-in", spi)
            c.add("spi-out", spi + "0")
            c.add("local-ts", list: ["0.0.0.0/0"])
            cs.add("\(name)-\(cid)", section: c)
        }
        if !children.isEmpty { sa.add("child-sas", section: cs) }
        var m = VICIMessage()
        if up == true { m.add("up", "yes") }
        m.add(conn, section: sa)
        return m
    }

    func testTrackerDuplicatesAndReauth() {
        var t = VICISessionTracker(ike: "azure-s2s", child: "s2s")
        // Both peers initiated: two IKE_SAs, two CHILD_SAs.
        t.apply(event: "ike-updown", ike(1, "ESTABLISHED", up: true))
        t.apply(event: "child-updown", ike(1, "ESTABLISHED", children: [(1, "s2s", "INSTALLED", "c0000001")], up: true))
        t.apply(event: "ike-updown", ike(2, "ESTABLISHED", up: true))
        t.apply(event: "child-updown", ike(2, "ESTABLISHED", children: [(2, "s2s", "INSTALLED", "c0000002")], up: true))
        XCTAssertEqual(t.ikeUniqueID, "2")
        XCTAssertEqual(t.spiIn, "c0000002")
        // charon deletes the newer duplicate: the older pair is still there.
        XCTAssertTrue(t.apply(event: "child-updown", ike(2, "DELETING", children: [(2, "s2s", "INSTALLED", "c0000002")])))
        XCTAssertEqual(t.ikeUniqueID, "1", "an ESTABLISHED IKE_SA before a DELETING one")
        XCTAssertFalse(t.apply(event: "ike-updown", ike(2, "DELETING")))
        XCTAssertTrue(t.ikeEstablished)
        XCTAssertTrue(t.childInstalled)
        XCTAssertEqual(t.ikeUniqueID, "1")
        XCTAssertEqual(t.spiIn, "c0000001")
        // Make-before-break reauthentication: a new IKE_SA and CHILD_SA, then the old ones go.
        t.apply(event: "ike-updown", ike(3, "ESTABLISHED", up: true))
        t.apply(event: "child-updown", ike(3, "ESTABLISHED", children: [(3, "s2s", "INSTALLED", "c0000003")], up: true))
        XCTAssertFalse(t.apply(event: "ike-updown", ike(1, "DELETING")))
        XCTAssertTrue(t.childInstalled)
        XCTAssertEqual(t.ikeUniqueID, "3")
        XCTAssertEqual(t.spiIn, "c0000003")
        XCTAssertFalse(t.apply(event: "child-updown", ike(1, "DELETING", children: [(1, "s2s", "INSTALLED", "c0000001")])))
        XCTAssertEqual(t.ikes.count, 1)
        XCTAssertEqual(t.children.count, 1)
        // An installed CHILD_SA is preferred to a newer one that is not.
        t.apply(event: "child-updown", ike(3, "ESTABLISHED", children: [(4, "s2s", "INSTALLING", "c0000004")], up: true))
        XCTAssertEqual(t.childUniqueID, "3")
        // REKEYING still carries traffic; a CHILD_SA only being set up does not.
        t.apply(event: "child-updown", ike(3, "ESTABLISHED", children: [(3, "s2s", "REKEYING", "c0000003")], up: true))
        XCTAssertTrue(t.childInstalled)
        t.apply(event: "child-updown", ike(3, "ESTABLISHED", children: [(3, "s2s", "DELETING", "c0000003")]))
        XCTAssertEqual(t.childStatus, .other("INSTALLING"))
        XCTAssertFalse(t.childInstalled)
        XCTAssertEqual(t.ikeRemoteHost, "192.0.2.2")
    }

    func testTrackerListingReplacesAndReset() {
        var t = VICISessionTracker(ike: "azure-s2s", child: "s2s")
        t.apply(event: "ike-updown", ike(1, "ESTABLISHED", up: true))
        t.apply(event: "child-updown", ike(1, "ESTABLISHED", children: [(1, "s2s", "INSTALLED", "c0000001")], up: true))
        // A listing that shows nothing: everything is gone (charon restarted, say).
        t.beginListing()
        XCTAssertTrue(t.endListing())
        XCTAssertNil(t.ikeState)
        XCTAssertEqual(t.reason, "list-sas")
        // Two IKE_SAs listed, one CONNECTING and one ESTABLISHED with its CHILD_SA: the best wins.
        t.beginListing()
        t.apply(event: "list-sa", ike(7, "ESTABLISHED", children: [(5, "s2s", "INSTALLED", "c0000005"), (6, "other", "INSTALLED", "c0000006")]))
        t.apply(event: "list-sa", ike(9, "CONNECTING"))
        XCTAssertNil(t.ikeState, "nothing changes before the listing ends")
        XCTAssertTrue(t.endListing())
        XCTAssertEqual(t.ikeUniqueID, "7")
        XCTAssertEqual(t.childUniqueID, "5")
        XCTAssertEqual(t.ikes.count, 2)
        XCTAssertFalse(t.endListing(), "no listing under way")
        // A list-sa outside a listing updates that IKE_SA only.
        XCTAssertTrue(t.apply(event: "list-sa", ike(7, "ESTABLISHED")))
        XCTAssertEqual(t.childStatus, .absent)
        XCTAssertEqual(t.ikes.count, 2)
        // Events that arrive during a listing are newer than the list-sa before them: they
        // survive its end. Here the CHILD_SA comes up and the CONNECTING IKE_SA fails meanwhile.
        t.beginListing()
        t.apply(event: "list-sa", ike(7, "ESTABLISHED"))
        t.apply(event: "list-sa", ike(9, "CONNECTING"))
        XCTAssertTrue(t.apply(event: "child-updown", ike(7, "ESTABLISHED", children: [(8, "s2s", "INSTALLED", "c0000008")], up: true)))
        t.apply(event: "ike-updown", ike(9, "DELETING"))
        XCTAssertFalse(t.endListing(), "the events already showed it")
        XCTAssertEqual(t.childUniqueID, "8")
        XCTAssertEqual(t.ikes.count, 1)
        XCTAssertEqual(t.summary, "azure-s2s: IKE_SA #7 ESTABLISHED with 192.0.2.2, CHILD_SA s2s #8 INSTALLED spi-in c0000008 spi-out c00000080")
        XCTAssertTrue(t.reset("VICI connection lost"))
        XCTAssertEqual(t.reason, "VICI connection lost")
        XCTAssertFalse(t.reset("again"))
        XCTAssertEqual(t.reason, "VICI connection lost")
    }

    func testTrackerOlderCharonKeys() {
        // Before 5.8.2 CHILD_SA sections were keyed by name, without a `name` key.
        var t = VICISessionTracker(ike: "azure-s2s", child: "s2s")
        var c = VICIMessage()
        c.add("uniqueid", "4")
        c.add("state", "INSTALLED")
        c.add("spi-in", "c1")
        c.add("spi-out", "c2")
        var cs = VICIMessage()
        cs.add("s2s", section: c)
        var sa = VICIMessage()
        sa.add("uniqueid", "1")
        sa.add("state", "ESTABLISHED")
        sa.add("child-sas", section: cs)
        var m = VICIMessage()
        m.add("up", "yes")
        m.add("azure-s2s", section: sa)
        XCTAssertTrue(t.apply(event: "child-updown", m))
        XCTAssertTrue(t.childInstalled)
        XCTAssertTrue(t.ikeEstablished)
        XCTAssertEqual(t.spiOut, "c2")
        // Events missing their unique ids change nothing.
        var bare = VICIMessage()
        bare.add("up", "yes")
        bare.add("azure-s2s", section: VICIMessage())
        XCTAssertFalse(t.apply(event: "ike-updown", bare))
        XCTAssertFalse(t.apply(event: "ike-rekey", bare))
        XCTAssertFalse(t.apply(event: "list-sa", bare))
    }
}
