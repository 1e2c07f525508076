extension MaxPool2D {
    /// Max-pools one plane with the common 2x2, stride-2 window, eight outputs at a time in SIMD
    /// registers (selects, not branches, so it runs at memory speed whatever the data). A later
    /// element of a window wins only if it is greater, or is NaN while the current winner is not:
    /// the first maximum (or first NaN) wins, as in the general loop. `winners` gets each
    /// output's input index within the plane.
    static func pairwise(
        _ source: UnsafePointer<Float>, width: Int, outputHeight: Int, outputWidth: Int,
        into out: UnsafeMutablePointer<Float>, winners: UnsafeMutablePointer<Int32>
    ) {
        typealias Floats = SIMD8<Float>
        typealias Indices = SIMD8<Int32>
        let lanes = Indices(0, 2, 4, 6, 8, 10, 12, 14)
        let vectorEnd = outputWidth - outputWidth % 8
        for oy in 0..<outputHeight {
            let top = source + 2 * oy * width
            let bottom = top + width
            let row = out + oy * outputWidth
            let rowWinners = winners + oy * outputWidth
            let base = Int32(2 * oy * width)
            var ox = 0
            while ox < vectorEnd {
                let upper = UnsafeRawPointer(top + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                let lower = UnsafeRawPointer(bottom + 2 * ox).loadUnaligned(as: SIMD16<Float>.self)
                let first = base + Int32(2 * ox) &+ lanes
                var best = upper.evenHalf
                var winner = first
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
                var best = top[2 * ox]
                var winner = base + Int32(2 * ox)
                @inline(__always) func consider(_ offset: Int) {
                    let candidate = top[2 * ox + offset]
                    if !(candidate <= best) && best == best {
                        best = candidate
                        winner = base + Int32(2 * ox + offset)
                    }
                }
                consider(1)
                consider(width)
                consider(width + 1)
                row[ox] = best
                rowWinners[ox] = winner
                ox += 1
            }
        }
    }

    /// The pullback of `pairwise` for one plane: every input element is written once (the
    /// output's gradient at its window's winner, zero elsewhere, zero in a last row or column no
    /// window covers), eight windows at a time, instead of clearing the plane and scattering.
    static func pairwiseGradient(
        _ gradient: UnsafePointer<Float>, winners: UnsafePointer<Int32>, height: Int, width: Int,
        into target: UnsafeMutablePointer<Float>
    ) {
        typealias Floats = SIMD8<Float>
        typealias Indices = SIMD8<Int32>
        let lanes = Indices(0, 2, 4, 6, 8, 10, 12, 14)
        let (outputHeight, outputWidth) = (height / 2, width / 2)
        let vectorEnd = outputWidth - outputWidth % 8
        for oy in 0..<outputHeight {
            let top = target + 2 * oy * width
            let bottom = top + width
            let row = gradient + oy * outputWidth
            let rowWinners = winners + oy * outputWidth
            let base = Int32(2 * oy * width)
            var ox = 0
            while ox < vectorEnd {
                let value = UnsafeRawPointer(row + ox).loadUnaligned(as: Floats.self)
                let winner = UnsafeRawPointer(rowWinners + ox).loadUnaligned(as: Indices.self)
                let first = base + Int32(2 * ox) &+ lanes
                @inline(__always) func routed(_ offset: Int32) -> Floats {
                    Floats(repeating: 0).replacing(with: value, where: winner .== first &+ offset)
                }
                var upper = SIMD16<Float>()
                var lower = SIMD16<Float>()
                upper.evenHalf = routed(0)
                upper.oddHalf = routed(1)
                lower.evenHalf = routed(Int32(width))
                lower.oddHalf = routed(Int32(width + 1))
                UnsafeMutableRawPointer(top + 2 * ox).storeBytes(of: upper, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(bottom + 2 * ox).storeBytes(of: lower, as: SIMD16<Float>.self)
                ox += 8
            }
            while ox < outputWidth {
                // The winner's position relative to the window pair's first row.
                let winner = Int(rowWinners[ox]) - 2 * oy * width
                let value = row[ox]
                top[2 * ox] = winner == 2 * ox ? value : 0
                top[2 * ox + 1] = winner == 2 * ox + 1 ? value : 0
                bottom[2 * ox] = winner == width + 2 * ox ? value : 0
                bottom[2 * ox + 1] = winner == width + 2 * ox + 1 ? value : 0
                ox += 1
            }
            if width % 2 == 1 {
                top[width - 1] = 0
                bottom[width - 1] = 0
            }
        }
        if height % 2 == 1 { (target + (height - 1) * width).update(repeating: 0, count: width) }
    }
}
