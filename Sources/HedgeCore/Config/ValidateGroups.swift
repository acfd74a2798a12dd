/// The `group` blocks: their prefixes, their member paths, their nexthop ids (damping:
/// ValidateDamping.swift, measure: ValidateProbe.swift).
extension Validator {
    static let defaultNexthopBase: UInt64 = 4800
    static let maxNexthopID: UInt64 = UInt64(UInt32.max) - 1

    mutating func validateGroups(_ d: DraftConfig, pathIndex: HashMap<String, Int>, into config: inout HedgeConfig) {
        var names = HashMap<String, Int>()
        var nexthopOwner = HashMap<UInt64, String>()
        var nextDefault = Self.defaultNexthopBase
        var ecmpGroups: HashSet<String> = []
        var prefixOwner = HashMap<IPPrefix, String>()
        var usedPaths: HashSet<String> = []
        var learnerGroup = HashMap<String, String>()
        let pathNames = d.paths.map { $0.name.value }

        for (gi, g) in d.groups.enumerated() {
            var ok = true
            let gname = g.name.value
            if let first = names[gname] {
                error(g.name.at, "duplicate group '\(gname)' (first defined at line \(d.groups[first].name.at.line))")
                continue
            }
            names[gname] = gi
            if g.paths.isEmpty {
                if !g.seen.contains("paths") {
                    error(g.name.at, "group '\(gname)' has no paths (add 'paths NAME...;')")
                }
                ok = false
            }

            // Prefixes: duplicates inside the group, and the same prefix in two groups.
            var prefixes: [IPPrefix] = []
            var hasV4 = false, hasV6 = false
            for p in g.prefixes {
                if let owner = prefixOwner[p.value] {
                    if owner == gname {
                        warning(p.at, "duplicate prefix \(p.value) in group '\(gname)'")
                    } else {
                        error(p.at, "prefix \(p.value) is already in group '\(owner)' (a prefix can follow only one group)")
                        ok = false
                    }
                    continue
                }
                prefixOwner[p.value] = gname
                prefixes.append(p.value)
                if p.value.isV4 { hasV4 = true } else { hasV6 = true }
            }

            // Member paths: known, listed once, distinct priorities, able to carry the prefixes.
            var members: [String] = []
            var byPriority = HashMap<UInt64, String>()
            var ecmp = false
            for ref in g.paths {
                guard let pi = pathIndex[ref.value] else {
                    error(ref.at, "group '\(gname)' names unknown path '\(ref.value)'\(Suggest.hint(ref.value, in: pathNames))")
                    ok = false
                    continue
                }
                if members.contains(ref.value) {
                    error(ref.at, "path '\(ref.value)' is listed twice in group '\(gname)'"); ok = false
                    continue
                }
                members.append(ref.value)
                usedPaths.insert(ref.value)
                let p = d.paths[pi]
                // Equal priorities mean "use together": the circuit's two links, one nexthop group.
                if let prio = p.priority?.value {
                    if let other = byPriority[prio] {
                        if d.kernel.nexthopObjects == false {
                            error(ref.at, "paths '\(other)' and '\(ref.value)' in group '\(gname)' have the same priority \(prio), which uses them together through a nexthop group; that needs 'nexthop-objects on;' (without it hedge would route over one of them only)")
                            ok = false
                        }
                        ecmp = true
                    } else {
                        byPriority[prio] = ref.value
                    }
                }
                let fam = families(p)
                if hasV6 && !fam.v6 {
                    error(ref.at, "group '\(gname)' has IPv6 prefixes but path '\(ref.value)' has only an IPv4 gateway; add 'gateway6'")
                    ok = false
                }
                if hasV6 && p.ipsec != nil {
                    error(g.name.at, "group '\(gname)' has IPv6 prefixes, but its path '\(ref.value)' is an IPsec tunnel that carries IPv4 only (its policies select 0.0.0.0/0, as Azure's VPN gateway negotiates): its IPv6 traffic would be dropped at the failover; put the IPv6 prefixes in a group without the tunnel")
                    ok = false
                }
                if hasV4 && !fam.v4 {
                    error(ref.at, "group '\(gname)' has IPv4 prefixes but path '\(ref.value)' has only an IPv6 gateway; add an IPv4 'gateway'")
                    ok = false
                }
            }
            // A member with its own BGP session brings the prefixes it learns (the Azure VNet's).
            let learners = members.filter { name in d.paths.first { $0.name.value == name }?.bgp != nil }
            if g.prefixes.isEmpty && !g.seen.contains("prefix") && learners.isEmpty {
                error(g.name.at, "group '\(gname)' has no prefixes (add 'prefix PREFIX;', or a member path with a 'bgp' session to learn them)"); ok = false
            }
            // A tunnel whose remote end the group routes would route into itself unless hedge pins
            // the remote on the underlay, which takes the underlay's next hop.
            for q in d.paths {
                guard let x = q.ipsec, let r = x.remote?.value else { continue }
                let m = q.name.value
                let pinnable = x.underlay != nil && x.underlayGateway != nil
                if let cover = prefixes.first(where: { $0.contains(r) }), !pinnable {
                    error(g.name.at, "group '\(gname)' routes \(cover), which covers the tunnel's remote end \(r): path '\(m)' needs 'underlay INTERFACE via GATEWAY;' in its ipsec block, so that hedge keeps IKE and ESP to \(r) off the tunnel")
                    ok = false
                } else if !learners.isEmpty && !pinnable {
                    warning(g.name.at, "group '\(gname)' takes what BGP learns: should Azure announce a route covering \(r) (the default route), hedge would hold it back, since nothing pins path '\(m)''s tunnel on its underlay; add 'underlay INTERFACE via GATEWAY;' to its ipsec block")
                }
            }
            for l in learners {
                if let other = learnerGroup[l] {
                    warning(g.name.at, "path '\(l)' is also in group '\(other)': the prefixes its BGP session learns join only '\(other)'")
                } else {
                    learnerGroup[l] = gname
                }
            }
            if members.count == 1 && ok {
                warning(g.name.at, "group '\(gname)' has only one path; there is nothing to fail over to")
            }

            if !range(g.holdDown, 0, 3_600_000, "hold-down must be 0s–1h") { ok = false }

            // Nexthop ids: the group's id for IPv4 and id + 1 for IPv6; a group with equal priorities
            // also one pair per member path after them (GroupConfig.memberNexthopID).
            let explicit = g.nexthopID
            let span = GroupConfig.nexthopSpan(ecmp: ecmp, paths: g.paths.count)
            let id = explicit?.value ?? nextDefault
            nextDefault += span
            if !range(explicit, 1, Self.maxNexthopID - (span - 2), "nexthop-id must be 1–\(Self.maxNexthopID - (span - 2))") {
                ok = false
            } else {
                let at = explicit?.at ?? g.name.at
                let how = explicit == nil
                    ? (ecmpGroups.isEmpty ? " (the default, 4800 + 2 × group index)" : " (the default: 4800, and each group after the ids of the one before)")
                    : ""
                let range = id..<(id + span)
                if let other = range.lazy.compactMap({ nexthopOwner[$0] }).first {
                    if !ecmp && !ecmpGroups.contains(other) {
                        error(at, "nexthop-id \(id) of group '\(gname)'\(how) collides with group '\(other)' (each group uses its id for IPv4 and id + 1 for IPv6)")
                    } else {
                        let uses = ecmp ? "ids \(id)–\(id + span - 1): its id for IPv4, id + 1 for IPv6, and a pair per member path for its nexthop group's members"
                                        : "its id for IPv4 and id + 1 for IPv6"
                        error(at, "nexthop-id \(id) of group '\(gname)'\(how) collides with group '\(other)' (this group uses \(uses); a group whose paths share a priority uses id + 2 onward for its members' own objects)")
                    }
                    ok = false
                } else {
                    for i in range { nexthopOwner[i] = gname }
                    if ecmp { ecmpGroups.insert(gname) }
                }
            }

            var damping: DampingConfig? = nil
            if let dd = g.damping {
                damping = validateDamping(dd)
                if damping == nil { ok = false }
            }
            var measure: ProbeConfig? = nil
            if let m = g.measure {
                measure = validateMeasure(m, group: gname, members: members.compactMap { pathIndex[$0].map { d.paths[$0] } })
                if measure == nil { ok = false }
            }
            guard ok else { continue }
            config.groups.append(GroupConfig(name: gname, prefixes: prefixes, paths: members,
                                             holdDownMs: g.holdDown?.value ?? 30_000, damping: damping,
                                             nexthopID: UInt32(id), measure: measure, location: g.at, ecmp: ecmp))
        }
        var seen: HashSet<String> = []
        for p in d.paths where !usedPaths.contains(p.name.value) && seen.insert(p.name.value).inserted {
            if !d.groups.isEmpty {
                warning(p.name.at, "path '\(p.name.value)' is not used by any group")
            }
        }
    }
}
