import SystemIO

extension ProducerContext {
    /// Applies the bad-input policy to a slice with failed samples: under `.skip`, records each
    /// bad sample in the quarantine once per run (`recorded` holds the keys already recorded) and
    /// leaves its row out, keeping each remaining row's position within the global batch (from
    /// `sliceStart`) so gradient chunks stay where they were. Throws a sample's error under
    /// `.fail` (or when it is not a data error), and `tooManyBadSamples` past the budget.
    func leaveOutBadSamples(of rows: inout DecodedRows, sliceStart: Int, recorded: inout Set<Int>) throws {
        let count = rows.keys.count
        var keep = [Bool](repeating: true, count: count)
        for slot in 0..<count {
            guard let failure = rows.failures[slot] else { continue }
            guard let dataError = failure as? DataError, case .skip = configuration.badInput else { throw failure }
            if recorded.insert(rows.keys[slot]).inserted {
                try quarantine.recordBad(dataError, origin: loader.origin(of: rows.keys[slot]))
            }
            keep[slot] = false
            rows.leftOut.append(rows.keys[slot])
        }
        let kept = (0..<count).filter { keep[$0] }
        rows.features = rows.features.gathering(rows: kept)
        rows.labels = kept.map { rows.labels[$0] }
        rows.keys = kept.map { rows.keys[$0] }
        rows.keptPositions = kept.map { sliceStart + $0 }
        rows.failures = []
    }
}
