extension MaxPool2D {
    /// Max-pools one plane with the common 2x2, stride-2 window, eight outputs at a time in SIMD
    /// registers (selects, not branches, so it runs at memory speed whatever the data). A later
    /// element of a window wins only if it is greater, or is NaN while the current winner is not:
    /// the first maximum (or first NaN) wins, as in the general loop. `winners` gets each
    /// output's input index within the plane.
    static func pairwise(_ source: UnsafePointer<Float>, width: Int, outputHeight: Int, outputWidth: Int,
                         into out: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>) {
        typealias Floats = SIMD8<Float>
        typealias Indices = SIMD8<Int32>
        let lanes = Indices(0, 2, 4, 6, 8, 10, 12, 14)
        let vectorEnd = outputWidth - outputWidth % 8
        for oy in 0..<outputHeight {
            let top = source + 2 * oy * width, bottom = top + width
            let row = out + oy * outputWidth, rowWinners = winners + oy * outputWidth
            let base = Int32(2 * oy * width)
            var ox = 0
            while ox < vectorEnd {
                let upper = UnsafeRawPointer(top + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                let lower = UnsafeRawPointer(bottom + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                let first = base + Int32(2 * ox) &+ lanes
                var best = upper.evenHalf, winner = first
                @inline(__always) func consider(_ candidate: Floats, at offset: Int32) {
                    // Greater, or NaN (unordered) while `best` is a number; a NaN winner stays.
                    let take = .!(candidate .<= best) .& (best .== best)
                    best.replace(with: candidate, where: take)
                    winner.replace(with: first &+ offset, where: take)
                }
                consider(upper.oddHalf, at: 1)
                consider(lower.evenHalf, at: Int32(width))
                consider(lower.oddHalf, at: Int32(width + 1))
                UnsafeMutableRawPointer(row + ox).storeBytes(of: best, as: Floats.self)
                UnsafeMutableRawPointer(rowWinners + ox).storeBytes(of: winner, as: Indices.self)
                ox += 8
            }
            while ox < outputWidth {
                var best = top[2 * ox], winner = base + Int32(2 * ox)
                for offset in [1, width, width + 1] where !(top[2 * ox + offset] <= best) && best == best {
                    best = top[2 * ox + offset]
                    winner = base + Int32(2 * ox + offset)
                }
                row[ox] = best
                rowWinners[ox] = winner
                ox += 1
            }
        }
    }
}
