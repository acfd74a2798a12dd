/// "Did you mean": the keyword or name nearest a misspelt one.

enum Suggest {
    /// Edit distance over bytes (optimal string alignment: insertions, deletions, substitutions
    /// and transpositions of neighbours each cost 1).
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        let w = y.count + 1
        var d = [Int](repeating: 0, count: (x.count + 1) * w)
        for i in 0...x.count { d[i * w] = i }
        for j in 0...y.count { d[j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var v = min(d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost)
                if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
                    v = min(v, d[(i - 2) * w + j - 2] + 1)
                }
                d[i * w + j] = v
            }
        }
        return d[x.count * w + y.count]
    }

    /// The closest candidate if it is close enough to be a likely typo.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let n = word.utf8.count
        let limit = n >= 6 ? 2 : (n >= 3 ? 1 : 0)
        var best: String? = nil, bestD = limit + 1
        for c in candidates {
            let d = distance(word, c)
            if d < bestD { best = c; bestD = d }
        }
        return best
    }

    /// " (did you mean 'x'?)" or "".
    static func hint(_ word: String, in candidates: [String]) -> String {
        if let s = nearest(word, in: candidates) { return " (did you mean '\(s)'?)" }
        return ""
    }
}
