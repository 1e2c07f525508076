import Tensors

/// The geometry of a 2-D convolution or pooling window over one NCHW image.
struct WindowGeometry: Sendable, Equatable {
    var channels: Int
    var height: Int
    var width: Int
    var kernel: Int
    var stride: Int
    var padding: Int

    var outputHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    var outputWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    var outputPlane: Int { outputHeight * outputWidth }
    /// Rows of the unfolded matrix: channels x kernel x kernel.
    var patch: Int { channels * kernel * kernel }

    /// Unfolds one image `[channels, height, width]` into the columns of `cols` (im2col): row r
    /// of the `[patch, outputPlane]` block starts at `cols + r * rowStride`.
    func unfold(_ image: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>, rowStride: Int) {
        if keepsPlane { return unfoldKeepingPlane(image, into: cols, rowStride: rowStride) }
        let (oh, ow) = (outputHeight, outputWidth)
        for c in 0..<channels {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let row = cols + ((c * kernel + ky) * kernel + kx) * rowStride
                    for oy in 0..<oh {
                        let iy = oy * stride - padding + ky
                        let out = row + oy * ow
                        guard iy >= 0 && iy < height else {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let source = image + (c * height + iy) * width
                        if stride == 1 {
                            // Contiguous: ix = ox - padding + kx.
                            let first = max(0, padding - kx)
                            let last = min(ow, width + padding - kx)
                            if first > 0 { out.update(repeating: 0, count: min(first, ow)) }
                            if last > first { (out + first).update(from: source + (first - padding + kx), count: last - first) }
                            if last < ow { (out + max(last, 0)).update(repeating: 0, count: ow - max(last, 0)) }
                        } else {
                            // Zeros, then the columns whose ix = ox·stride - padding + kx lies in the row, then zeros.
                            let (first, last) = validColumns(kx, outputWidth: ow)
                            for ox in 0..<first { out[ox] = 0 }
                            let start = source + (first * stride - padding + kx)
                            for ox in first..<last { out[ox] = start[(ox - first) * stride] }
                            for ox in last..<ow { out[ox] = 0 }
                        }
                    }
                }
            }
        }
    }

    /// Adds an unfolded gradient block (rows `rowStride` apart) back onto one image's gradient
    /// `[channels, height, width]` (col2im); `image` must start zeroed. The block is scratch: the
    /// entries that fall on padding may be overwritten.
    func fold(_ cols: UnsafeMutablePointer<Float>, into image: UnsafeMutablePointer<Float>, rowStride: Int) {
        if keepsPlane { return foldKeepingPlane(cols, into: image, rowStride: rowStride) }
        let (oh, ow) = (outputHeight, outputWidth)
        for c in 0..<channels {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let row = cols + ((c * kernel + ky) * kernel + kx) * rowStride
                    for oy in 0..<oh {
                        let iy = oy * stride - padding + ky
                        guard iy >= 0 && iy < height else { continue }
                        let target = image + (c * height + iy) * width
                        let source = row + oy * ow
                        if stride == 1 {
                            // Contiguous: ix = ox - padding + kx over the valid range only.
                            let first = max(0, padding - kx)
                            let last = min(ow, width + padding - kx)
                            if last > first {
                                let from = source + first
                                let to = target + (first - padding + kx)
                                for index in 0..<(last - first) { to[index] += from[index] }
                            }
                        } else {
                            let (first, last) = validColumns(kx, outputWidth: ow)
                            let start = target + (first * stride - padding + kx)
                            for ox in first..<last { start[(ox - first) * stride] += source[ox] }
                        }
                    }
                }
            }
        }
    }
}

extension WindowGeometry {
    /// The output columns `first..<last` whose input column `ox·stride - padding + kx` lies in
    /// `0..<width` (an empty range when none does).
    @inline(__always)
    func validColumns(_ kx: Int, outputWidth: Int) -> (first: Int, last: Int) {
        // ox·stride >= padding - kx, and ox·stride <= width - 1 + padding - kx.
        let low = padding - kx
        let first = min(outputWidth, low <= 0 ? 0 : (low + stride - 1) / stride)
        let high = width - 1 + padding - kx
        let last = high < 0 ? 0 : min(outputWidth, high / stride + 1)
        return (first, max(first, last))
    }

    /// A 3x3 convolution with stride 1 and padding 1 over planes at least 16 wide runs directly
    /// (`DirectConvolution`): with 16-32 channels its unfolded matrix costs more than its product;
    /// narrower planes fill too little of a 16-lane vector, and there the product wins.
    var convolvesDirectly: Bool { kernel == 3 && stride == 1 && padding == 1 && width >= 16 }

    /// For a stride-1 "same" convolution (`keepsPlane`), the geometry that unfolds its output
    /// gradient (`outputChannels` planes) so that the input gradient is one product with the
    /// flipped, transposed kernels; nil otherwise. With padding `(k-1)/2`, the input gradient at
    /// `q` sums `dY[o, q - (ky - p, kx - p)]`, which is `dY[o, q + (ky' - p, kx' - p)]` for the
    /// flipped offsets `ky' = k-1-ky`: the same windows as the forward pass.
    func transposedForInputGradient(outputChannels: Int) -> WindowGeometry? {
        guard keepsPlane, kernel == 2 * padding + 1 else { return nil }
        return WindowGeometry(channels: outputChannels, height: height, width: width, kernel: kernel, stride: 1, padding: padding)
    }

    /// Stride 1 with "same" padding: the output plane is the input plane. Then a row of the
    /// unfolded matrix is the input plane shifted by `ky - padding` rows and `kx - padding`
    /// columns, so it moves as one stretch; only the `|kx - padding|` columns per row that wrap
    /// around from the neighbouring row need fixing.
    var keepsPlane: Bool { stride == 1 && outputHeight == height && outputWidth == width }

    /// Calls `body(channel, row, shift, offset, rows, flat)` for every row of the unfolded matrix
    /// (channel, kernel offset `(ky, kx)`): where its shifted plane lands — the column shift, the
    /// flat offset, the output rows whose input row exists, and the flat range whose source lies
    /// inside the plane (outside it, within those rows, only wrapped columns remain).
    @inline(__always)
    private func forEachShiftedPlane(
        _ body: (_ channel: Int, _ row: Int, _ shift: Int, _ offset: Int, _ rows: Range<Int>, _ flat: Range<Int>) -> Void
    ) {
        let planeSize = height * width
        for c in 0..<channels {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    let shift = kx - padding
                    let offset = (ky - padding) * width + shift
                    let firstRow = min(height, max(0, padding - ky))
                    let endRow = max(firstRow, min(height, height + padding - ky))
                    let lo = min(planeSize, max(firstRow * width, -offset))
                    let hi = max(lo, min(endRow * width, planeSize - offset))
                    body(c, (c * kernel + ky) * kernel + kx, shift, offset, firstRow..<endRow, lo..<hi)
                }
            }
        }
    }

    /// Sets the wrapped columns of `rows` (the `|shift|` at the end, or the start, of each row) to zero.
    private func zeroWrappedColumns(_ plane: UnsafeMutablePointer<Float>, shift: Int, rows: Range<Int>) {
        guard shift != 0 else { return }
        let count = min(abs(shift), width)
        // Mostly one column (3x3 kernels): a store, not a call to memset per row.
        for oy in rows {
            let start = plane + oy * width + (shift > 0 ? width - count : 0)
            start[0] = 0
            if count > 1 { (start + 1).update(repeating: 0, count: count - 1) }
        }
    }

    private func unfoldKeepingPlane(_ image: UnsafePointer<Float>, into cols: UnsafeMutablePointer<Float>, rowStride: Int) {
        let planeSize = height * width
        forEachShiftedPlane { c, index, shift, offset, rows, flat in
            let row = cols + index * rowStride
            let source = image + c * planeSize
            row.update(repeating: 0, count: flat.lowerBound)
            (row + flat.lowerBound).update(from: source + (flat.lowerBound + offset), count: flat.count)
            (row + flat.upperBound).update(repeating: 0, count: planeSize - flat.upperBound)
            zeroWrappedColumns(row, shift: shift, rows: rows)
        }
    }

    private func foldKeepingPlane(_ cols: UnsafeMutablePointer<Float>, into image: UnsafeMutablePointer<Float>, rowStride: Int) {
        let planeSize = height * width
        forEachShiftedPlane { c, index, shift, offset, rows, flat in
            let row = cols + index * rowStride
            let target = image + c * planeSize
            // The wrapped columns belong to padding: zero them, and the stretch adds as a whole
            // (adding +0 changes nothing: the sums start at +0 and never become -0).
            zeroWrappedColumns(row, shift: shift, rows: rows)
            let source = row + flat.lowerBound
            let destination = target + (flat.lowerBound + offset)
            for q in 0..<flat.count { destination[q] += source[q] }
        }
    }
}

/// The sum of `count` floats, in sixteen lanes (two SIMD8 accumulators, then the lanes in a fixed
/// order, then the tail): a scalar running sum is one dependent addition per element, which is
/// four times slower. The order is fixed, so the bits do not depend on the caller's thread.
func laneSum(_ values: UnsafePointer<Float>, count: Int) -> Float {
    var first = SIMD8<Float>()
    var second = SIMD8<Float>()
    var index = 0
    while index + 16 <= count {
        first += UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
        second += UnsafeRawPointer(values + index + 8).loadUnaligned(as: SIMD8<Float>.self)
        index += 16
    }
    var total = (first + second).sum()
    while index < count {
        total += values[index]
        index += 1
    }
    return total
}

/// The work units of a convolution's backward pass: each gradient chunk of the batch cut into
/// runs of at most `BatchChunks.imagesPerChunk` images. A unit's partial gradient is the sum of
/// its images' in order; a gradient chunk's is its units' added in order; the chunks' are added
/// up the `ChunkTree`. So a chunk's contribution never depends on the rest of the batch.
struct BackwardUnits {
    /// The gradient chunks (row ranges).
    let groups: [Range<Int>]
    /// The units, in batch order.
    let units: [Range<Int>]
    /// The first unit of each group, and the unit count at the end.
    let groupStarts: [Int]

    /// The units of `groups` (an empty group, a chunk whose samples were all left out, has none
    /// and adds zeros to the tree).
    init(groups: [Range<Int>]) {
        self.groups = groups
        var units: [Range<Int>] = []
        var starts: [Int] = []
        for group in self.groups {
            starts.append(units.count)
            for start in stride(from: group.lowerBound, to: group.upperBound, by: BatchChunks.imagesPerChunk) {
                units.append(start..<min(start + BatchChunks.imagesPerChunk, group.upperBound))
            }
        }
        starts.append(units.count)
        self.units = units
        self.groupStarts = starts
    }

    /// Writes each group's sum of its unit partials (`stride` floats apart from `partials`), added
    /// in order (zeros for an empty group), to slot `g` of `groupSums`, ready for
    /// `ChunkTree.accumulate` over `groups.count` slots.
    func gatherGroups(_ partials: UnsafePointer<Float>, stride: Int, into groupSums: UnsafeMutablePointer<Float>) {
        for group in groups.indices {
            let target = groupSums + group * stride
            let units = groupStarts[group]..<groupStarts[group + 1]
            guard let first = units.first else {
                target.update(repeating: 0, count: stride)
                continue
            }
            target.update(from: partials + first * stride, count: stride)
            for unit in units.dropFirst() {
                let addend = partials + unit * stride
                for index in 0..<stride { target[index] += addend[index] }
            }
        }
    }
}

/// Splits a batch into fixed chunks of images (independent of the thread count), runs them on up
/// to `ComputeThreads.maximum` threads, so that per-chunk partial sums reduced in chunk order give
/// the same bits for any thread count.
enum BatchChunks {
    static let imagesPerChunk = 4

    static func count(_ batch: Int) -> Int { (batch + imagesPerChunk - 1) / imagesPerChunk }

    static func range(_ chunk: Int, batch: Int) -> Range<Int> {
        (chunk * imagesPerChunk)..<min(batch, (chunk + 1) * imagesPerChunk)
    }

    /// The number of workers `run` uses for `chunks` chunks: worker indices lie below it.
    static func workers(chunks: Int) -> Int { max(1, min(ComputeThreads.maximum, chunks)) }

    /// Runs `body(worker, chunk)` for every chunk of a batch on `workers(chunks: count(batch))` threads.
    static func run(batch: Int, _ body: @Sendable (Int, Int) -> Void) {
        run(chunks: count(batch), body)
    }

    /// Runs `body(worker, chunk)` for `chunks` chunks on up to `ComputeThreads.maximum` threads
    /// (`ComputeThreads.forEachChunk`): which worker runs a chunk never changes its result.
    static func run(chunks: Int, _ body: @Sendable (Int, Int) -> Void) {
        ComputeThreads.forEachChunk(chunks, threads: ComputeThreads.maximum, body)
    }
}
