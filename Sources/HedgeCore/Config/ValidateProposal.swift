/// The proposal statements of a `strongswan` block (`proposals`, `esp-proposals`, the lifetimes),
/// read as strongSwan reads swanctl.conf's `proposals` and `esp_proposals`: keywords joined by `-`,
/// proposals by `,`. They state the one combination the Azure side's custom policy is written from,
/// so one proposal, one keyword of each kind. What Azure accepts of them is `ValidateAzureIPsec`'s.

extension Validator {
    /// The value's proposals (split at `,`), each as its keywords (split at `-`), every keyword with
    /// its place; an empty keyword (`aes256--sha256`) is kept, to be reported.
    static func proposalKeywords(_ v: Located<String>) -> [[ProposalKeyword]] {
        var proposals: [[ProposalKeyword]] = [[]]
        var word: [UInt8] = []
        var column = v.at.column, start = column
        func flush() {
            proposals[proposals.count - 1].append(ProposalKeyword(String(decoding: word, as: UTF8.self),
                                                                  SourceLocation(line: v.at.line, column: start)))
            word = []
        }
        for c in v.value.utf8 {
            if c == 45 || c == 44 {                              // '-' ','
                flush()
                if c == 44 { proposals.append([]) }
                column += 1
                start = column
                continue
            }
            word.append(c)
            if c & 0xC0 != 0x80 { column += 1 }
        }
        flush()
        return proposals
    }

    /// The proposal the block states, or nil with `ok` false when a statement is wrong; nil with `ok`
    /// true when the block states none.
    mutating func validateProposal(_ w: DraftStrongSwan) -> (proposal: StrongSwanProposal?, ok: Bool) {
        var ok = true
        var p = StrongSwanProposal()
        var any = false
        if let v = w.proposals {
            any = true
            p.ike = checkProposal(v, "proposals", ike: true, ok: &ok)
            p.ikeLocation = v.at
        }
        if let v = w.espProposals {
            any = true
            p.esp = checkProposal(v, "esp-proposals", ike: false, ok: &ok)
            p.espLocation = v.at
        }
        if let v = w.ikeLifetime { any = true; p.ikeLifetime = lifetime(v, "ike-lifetime", ok: &ok) }
        if let v = w.childLifetime { any = true; p.childLifetime = lifetime(v, "child-lifetime", ok: &ok) }
        if let b = w.childBytes {
            any = true
            if b.value == 0 { error(b.at, "child-bytes must be 1kb or more"); ok = false }
            p.childKilobytes = PlacedCount(b.value, b.at)
        }
        return (any && ok ? p : nil, ok)
    }

    /// A lifetime in whole seconds, as charon's rekey_time takes it.
    @inline(never) mutating func lifetime(_ v: Located<Millis>, _ which: String, ok: inout Bool) -> PlacedCount? {
        if v.value % 1000 != 0 || v.value == 0 {
            error(v.at, "\(which) must be a whole number of seconds, 1s or more (charon's rekey_time)"); ok = false
            return nil
        }
        return PlacedCount(UInt64(v.value / 1000), v.at)
    }

    /// Checks one proposal statement as strongSwan would read it, with one keyword of each kind; returns
    /// the first proposal's keywords.
    mutating func checkProposal(_ v: Located<String>, _ what: String, ike: Bool, ok: inout Bool) -> [ProposalKeyword] {
        let proposals = Self.proposalKeywords(v)
        if proposals.count > 1, let second = proposals[1].first {
            error(second.location, "\(what) lists \(proposals.count) proposals: Azure's custom IPsec/IKE policy takes exactly one combination, so give one")
            ok = false
        }
        let keywords = proposals[0]
        var seen: [(kind: IPsecAlgorithm.Kind, keyword: ProposalKeyword)] = []
        func first(_ kind: IPsecAlgorithm.Kind) -> ProposalKeyword? { seen.first { $0.kind == kind }?.keyword }
        var encryption: IPsecAlgorithm? = nil
        let names = IPsecAlgorithm.all.map { $0.keyword }
        for k in keywords {
            if k.text.isEmpty {
                error(k.location, "\(what): empty algorithm (keywords are joined by one '-')"); ok = false
                continue
            }
            if k.text == "default" {
                error(k.location, "\(what): 'default' is strongSwan's whole default list; Azure's custom policy takes exactly one combination, so name it (e.g. \(ike ? "aes256-sha256-modp2048" : "aes256gcm16"))")
                ok = false
                continue
            }
            guard let a = IPsecAlgorithm.named(k.text) else {
                error(k.location, "\(what): unknown algorithm '\(k.text)' (strongSwan's keywords, such as \(ike ? "aes256, sha256, modp2048" : "aes256gcm16, aes256, sha256"))\(Suggest.hint(k.text, in: names))")
                ok = false
                continue
            }
            if ike && a.kind == .esn {
                error(k.location, "\(what): '\(k.text)' is for ESP, not IKE"); ok = false; continue
            }
            if !ike && a.kind == .prf {
                error(k.location, "\(what): '\(k.text)' is a PRF, which only IKE uses"); ok = false; continue
            }
            let kind: IPsecAlgorithm.Kind = a.kind == .aead ? .encryption : a.kind
            if let earlier = first(kind) {
                error(k.location, "\(what): '\(k.text)' is a second \(Self.kindName(kind)) (after '\(earlier.text)'): Azure's custom IPsec/IKE policy takes exactly one combination, one algorithm of each kind")
                ok = false
                continue
            }
            seen.append((kind, k))
            if kind == .encryption { encryption = a }
        }
        guard ok else { return keywords }
        let example = ike ? "aes256-sha256-modp2048" : "aes256gcm16"
        guard let enc = encryption else {
            error(v.at, "\(what) needs an encryption algorithm (e.g. \(example))"); ok = false
            return keywords
        }
        let integrity = first(.integrity), prf = first(.prf)
        if ike {
            if first(.keyExchange) == nil {
                error(v.at, "\(what) needs a DH group: IKE always runs a key exchange (e.g. \(example))"); ok = false
            }
            if integrity == nil && prf == nil {
                let need = enc.kind == .aead ? "a PRF, as \(enc.keyword) carries no hash (e.g. \(enc.keyword)-prfsha256-modp2048)"
                                             : "an integrity algorithm (e.g. \(example))"
                error(v.at, "\(what) needs \(need)"); ok = false
            }
        } else if enc.kind == .aead, let i = integrity {
            error(i.location, "\(what): \(enc.keyword) carries its own integrity; remove '\(i.text)' (strongSwan does not mix AEAD and integrity algorithms in one proposal)")
            ok = false
        } else if enc.kind != .aead && integrity == nil {
            error(v.at, "\(what) needs an integrity algorithm beside \(enc.keyword) (e.g. \(enc.keyword)-sha256), or an AEAD cipher such as aes256gcm16")
            ok = false
        }
        return keywords
    }

    static func kindName(_ k: IPsecAlgorithm.Kind) -> String {
        switch k {
        case .encryption, .aead: return "encryption algorithm"
        case .integrity: return "integrity algorithm"
        case .prf: return "PRF"
        case .keyExchange: return "DH group"
        case .esn: return "sequence-number setting"
        }
    }
}
