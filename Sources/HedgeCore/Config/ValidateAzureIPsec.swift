/// With an `azure` block, the proposal of each `strongswan` keying held to what Azure's VPN gateway
/// accepts in a connection's custom IPsec/IKE policy (`IPsecAlgorithm.all`, `AzureIPsecLimits`).
/// Each refusal points at the keyword or value and lists, in strongSwan's keywords, what Azure takes
/// in its place. How a statement is written is `validateProposal`'s, which reports it once; this
/// looks only at what it could read.
extension Validator {
    mutating func validateAzureIPsec(_ d: DraftConfig, azure: AzureSettings?) {
        guard azure != nil else { return }
        for p in d.paths {
            guard let w = p.ipsec?.strongswan else { continue }
            let name = p.name.value
            let hasIKE = w.proposals != nil || w.seen.contains("proposals")
            let hasESP = w.espProposals != nil || w.seen.contains("esp-proposals")
            if !hasIKE || !hasESP {
                let missing = !hasIKE && !hasESP ? "'proposals' and 'esp-proposals' (e.g. 'proposals aes256-sha256-modp2048; esp-proposals aes256gcm16;')"
                    : !hasIKE ? "'proposals' (e.g. 'proposals aes256-sha256-modp2048;')" : "'esp-proposals' (e.g. 'esp-proposals aes256gcm16;')"
                warning(w.at, "path '\(name)': Azure's connection needs the proposal charon uses, to write its custom IPsec/IKE policy and check it against Azure's list: add \(missing), as swanctl.conf's proposals and esp_proposals say")
            }
            if let v = w.proposals { checkAzureProposal(v, "proposals", ike: true) }
            if let v = w.espProposals { checkAzureProposal(v, "esp-proposals", ike: false) }

            let lo = AzureIPsecLimits.childSecondsMin, hi = AzureIPsecLimits.childSecondsMax
            if let v = w.childLifetime, v.value % 1000 == 0, v.value > 0 {
                let s = UInt64(v.value / 1000)
                if s < lo || s > hi {
                    error(v.at, "child-lifetime \(Values.format(duration: v.value)) is outside what Azure accepts for the CHILD_SA (saLifeTimeSeconds): \(lo)s–\(hi)s")
                }
            }
            if let v = w.childBytes, v.value > 0,
               v.value < AzureIPsecLimits.childKilobytesMin || v.value > AzureIPsecLimits.childKilobytesMax {
                error(v.at, "child-bytes \(v.value)kb is outside what Azure accepts for the CHILD_SA (saDataSizeKilobytes): \(AzureIPsecLimits.childKilobytesMin)kb–\(AzureIPsecLimits.childKilobytesMax)kb")
            }
            // The connection has no IKE lifetime of its own: Azure rekeys its IKE SA at a fixed age,
            // and IKEv2 does not negotiate lifetimes, so a longer one here never takes effect.
            if let v = w.ikeLifetime, v.value % 1000 == 0, UInt64(v.value / 1000) > AzureIPsecLimits.ikeSeconds {
                let fixed = AzureIPsecLimits.ikeSeconds
                warning(v.at, "ike-lifetime \(Values.format(duration: v.value)) is longer than Azure's IKE SA lifetime, fixed at \(fixed)s (\(Values.format(duration: Millis(fixed) * 1000))): Azure rekeys first; give \(Values.format(duration: Millis(fixed) * 1000)) or less")
            }
        }
    }

    /// The first proposal's first keyword of each kind, each in its slot of Azure's policy.
    mutating func checkAzureProposal(_ v: Located<String>, _ what: String, ike: Bool) {
        guard let keywords = Self.proposalKeywords(v).first else { return }
        var seen: [IPsecAlgorithm.Kind] = []
        var hashes: [(IPsecAlgorithm, ProposalKeyword)] = []
        for k in keywords {
            guard let a = IPsecAlgorithm.named(k.text) else { continue }
            let kind: IPsecAlgorithm.Kind = a.kind == .aead ? .encryption : a.kind
            guard !seen.contains(kind) else { continue }
            seen.append(kind)
            let slot: AzureIPsecSlot
            switch kind {
            case .encryption, .aead:
                slot = ike ? .ikeEncryption : .ipsecEncryption
            case .integrity, .prf:
                guard ike || kind == .integrity else { continue }
                slot = ike ? .ikeIntegrity : .ipsecIntegrity
                hashes.append((a, k))
            case .keyExchange:
                slot = ike ? .dhGroup : .pfsGroup
            case .esn:
                continue
            }
            if slot.azureName(a) == nil {
                let prf = a.kind == .prf ? " (as PRF: the same with 'prf' before it)" : ""
                error(k.location, "\(what): '\(k.text)' is not accepted by Azure's VPN gateway; Azure accepts for \(slot.title): \(slot.acceptedList)\(prf)")
            }
        }
        // Azure's one IKE integrity setting is the PRF as well: an integrity and a PRF of different
        // hashes cannot be written as its policy.
        if ike, hashes.count == 2, let a = hashes[0].0.ike, let b = hashes[1].0.ike, a != b {
            error(hashes[1].1.location, "\(what): '\(hashes[1].1.text)' and '\(hashes[0].1.text)' differ, but Azure's IKE integrity (\(a)) is its PRF as well; use the same hash for both, or give one")
        }
    }
}
