import Tensors

extension Conv2D {
    /// What the backward pass gets from the forward pass: the batch unfolded, or the input itself
    /// (a direct convolution, whose weight gradient is direct too).
    enum Retained {
        case unfolded([Float])
        case input(Tensor)
    }

    /// The weight and bias gradients (added to the parameters' gradients, per gradient chunk and
    /// then up the chunk tree) and the input gradient (empty unless `needsInputGradient`).
    ///
    /// The input gradient of a direct (3x3 "same") convolution is the direct convolution of the
    /// output gradient with the flipped, transposed kernels; of another stride-1 "same"
    /// convolution, the same through an unfolded output gradient and one product per image; of any
    /// other, the product `Wᵀ · dY` per image folded back onto the image (col2im).
    static func backward(
        _ gradient: Tensor, from retained: Retained, geometry: WindowGeometry, units: BackwardUnits, weight: Parameter, bias: Parameter?,
        scratch: ScratchPool, needsInputGradient: Bool
    ) -> Tensor {
        let plane = geometry.outputPlane
        let patch = geometry.patch
        let outputs = weight.value.shape[0]
        let batch = units.groups.last?.upperBound ?? 0
        let chunks = units.units.count
        guard chunks > 0 else { return Tensor(shape: needsInputGradient ? [0, geometry.channels, geometry.height, geometry.width] : [0]) }
        let workers = BatchChunks.workers(chunks: chunks)
        let imageSize = geometry.channels * geometry.height * geometry.width
        let (cols, input, direct): ([Float], Tensor, Bool) =
            switch retained {
            case .unfolded(let cols): (cols, Tensor(shape: [0]), false)
            case .input(let input): ([], input, true)
            }
        let transposed = needsInputGradient && !direct ? geometry.transposedForInputGradient(outputChannels: outputs) : nil
        let directScratch =
            direct && needsInputGradient ? DirectConvolution.scratchCount(channels: outputs, height: geometry.height, width: geometry.width) : 0
        // One buffer: each unit's partial weight and bias gradients, one work area per worker (an
        // unfolded image or gradient, or a direct convolution's padded copy), then each group's
        // (gradient chunk's) sum.
        let partialStride = outputs * patch + outputs
        let partialSize = chunks * partialStride
        let inputScratch =
            direct
            ? DirectConvolution.weightGradientScratchCount(
                images: BatchChunks.imagesPerChunk, channels: geometry.channels, height: geometry.height, width: geometry.width) : 0
        let workerArea = max(direct ? 0 : patch * plane, (transposed?.patch ?? 0) * plane, directScratch, inputScratch)
        let groupArea = partialSize + workers * workerArea
        var work = scratch.take(groupArea + units.groups.count * partialStride)
        defer { scratch.give(work) }
        let weightValue = weight.value
        let flippedWeight = transposed != nil || directScratch > 0 ? flippedTransposed(weightValue, geometry: geometry) : Tensor(shape: [0])
        let inputShape = needsInputGradient ? [batch, geometry.channels, geometry.height, geometry.width] : [0]
        let inputGradient = Tensor(
            shape: inputShape,
            unsafeUninitialized: { dx in
                gradient.withUnsafeBufferPointer { dy in
                    input.withUnsafeBufferPointer { x in
                        cols.withUnsafeBufferPointer { c in
                            weightValue.withUnsafeBufferPointer { w in
                                flippedWeight.withUnsafeBufferPointer { f in
                                    work.withUnsafeMutableBufferPointer { p in
                                        // An empty buffer can still have a base address (the shared empty
                                        // storage): decide by the flags, never by the pointer.
                                        let shared = UncheckedSendable(
                                            (
                                                dy.baseAddress!, direct ? x.baseAddress : c.baseAddress, w.baseAddress!,
                                                f.baseAddress, p.baseAddress!, needsInputGradient ? dx.baseAddress : nil
                                            ))
                                        BatchChunks.run(chunks: chunks) { worker, chunk in
                                            let (dy, retained, w, f, p, dx) = shared.value
                                            let partial = p + chunk * partialStride
                                            partial.update(repeating: 0, count: partialStride)
                                            let area = p + partialSize + worker * workerArea
                                            let unit = units.units[chunk]
                                            if direct {
                                                // dW (this unit) = the direct weight gradient of the kept images.
                                                DirectConvolution.addWeightGradient3x3OnCallingThread(
                                                    input: retained! + unit.lowerBound * imageSize,
                                                    outputGradient: dy + unit.lowerBound * outputs * plane, images: unit.count,
                                                    channels: geometry.channels, height: geometry.height, width: geometry.width, outputs: outputs,
                                                    into: partial, scratch: area)
                                            }
                                            for n in unit {
                                                let dyImage = dy + n * outputs * plane
                                                if !direct {
                                                    // dW (this chunk) += dY_n · cols_nᵀ.
                                                    Tensor.sgemmOnCallingThread(
                                                        transposeA: false, transposeB: true, m: outputs, n: patch, k: plane, alpha: 1,
                                                        a: dyImage, lda: plane, b: retained! + n * patch * plane, ldb: plane, beta: 1,
                                                        c: partial, ldc: patch)
                                                }
                                                // db (this chunk) += row sums of dY_n.
                                                for o in 0..<outputs { partial[outputs * patch + o] += laneSum(dyImage + o * plane, count: plane) }
                                                guard let dx else { continue }
                                                imageInputGradient(
                                                    of: dyImage, into: dx + n * imageSize, geometry: geometry, outputs: outputs, direct: direct,
                                                    transposed: transposed, weight: w, flipped: f, area: area)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            })
        // Each gradient chunk's units in order, then the chunks up the chunk tree (same bits for any
        // thread count, and for a chunk whichever batch it is in).
        work.withUnsafeMutableBufferPointer { p in
            let partials = p.baseAddress!
            let groupSums = partials + groupArea
            units.gatherGroups(partials, stride: partialStride, into: groupSums)
            let tree = ChunkTree(chunkCount: units.groups.count)
            weight.gradient.withUnsafeMutableBufferPointer { g in
                tree.accumulate(partials: groupSums, stride: partialStride, width: outputs * patch, into: g.baseAddress!)
            }
            bias?.gradient.withUnsafeMutableBufferPointer { g in
                tree.accumulate(partials: groupSums + outputs * patch, stride: partialStride, width: outputs, into: g.baseAddress!)
            }
        }
        return inputGradient
    }

    /// One image's input gradient `target` from its output gradient `dy`, through the worker's
    /// `area` (free to overwrite).
    private static func imageInputGradient(
        of dy: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, geometry: WindowGeometry, outputs: Int, direct: Bool,
        transposed: WindowGeometry?, weight: UnsafePointer<Float>, flipped: UnsafePointer<Float>?, area: UnsafeMutablePointer<Float>
    ) {
        let plane = geometry.outputPlane
        if direct, let flipped {
            // The direct convolution of dY with W' (the kernels flipped and transposed).
            DirectConvolution.convolve3x3OnCallingThread(
                dy, channels: outputs, height: geometry.height, width: geometry.width, weight: flipped, outputs: geometry.channels,
                into: target, scratch: area)
        } else if let transposed, let flipped {
            // W' · unfold(dY): one product [in, out·k·k]·[out·k·k, plane] that writes the image
            // once, instead of a [in·k·k, plane] product of only `out` terms folded back (nine
            // read-modify-write passes per channel).
            transposed.unfold(dy, into: area, rowStride: plane)
            Tensor.sgemmOnCallingThread(
                transposeA: false, transposeB: false, m: geometry.channels, n: plane, k: transposed.patch, alpha: 1, a: flipped,
                lda: transposed.patch, b: area, ldb: plane, beta: 0, c: target, ldc: plane)
        } else {
            // Wᵀ · dY, folded back onto the image.
            target.update(repeating: 0, count: geometry.channels * geometry.height * geometry.width)
            Tensor.sgemmOnCallingThread(
                transposeA: true, transposeB: false, m: geometry.patch, n: plane, k: outputs, alpha: 1, a: weight, lda: geometry.patch,
                b: dy, ldb: plane, beta: 0, c: area, ldc: plane)
            geometry.fold(area, into: target, rowStride: plane)
        }
    }

    /// The kernels of the input gradient's convolution, `[in, out, k, k]`:
    /// `W'[c, o, ky, kx] = W[o, c, k-1-ky, k-1-kx]`.
    static func flippedTransposed(_ weight: Tensor, geometry: WindowGeometry) -> Tensor {
        let (outputs, inputs, kernel) = (weight.shape[0], weight.shape[1], geometry.kernel)
        let area = kernel * kernel
        return Tensor(
            shape: [inputs, outputs, kernel, kernel],
            unsafeUninitialized: { flipped in
                weight.withUnsafeBufferPointer { w in
                    for o in 0..<outputs {
                        for c in 0..<inputs {
                            for k in 0..<area {
                                flipped[(c * outputs + o) * area + k] = w[(o * inputs + c) * area + (area - 1 - k)]
                            }
                        }
                    }
                }
            })
    }
}
