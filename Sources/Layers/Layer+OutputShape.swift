extension Dense {
    /// `[outputSize]` for `[inputSize]`.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        if let argumentProblem { throw LayerShapeError(argumentProblem) }
        guard shape == [inputSize] else {
            throw LayerShapeError(
                reason: "a dense layer of \(inputSize) inputs cannot take samples of shape \(shape)",
                fix: "flatten first, or give it \(shape.reduce(1, *)) inputs")
        }
        return [outputSize]
    }
}

extension Conv2D {
    /// `[outputChannels, (h + 2p - k) / s + 1, (w + 2p - k) / s + 1]` for `[inputChannels, h, w]`.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        if let argumentProblem { throw LayerShapeError(argumentProblem) }
        guard shape.count == 3, shape[0] == inputChannels else {
            throw LayerShapeError(
                reason: "a convolution of \(inputChannels) input channels cannot take samples of shape \(shape)",
                fix: "give it images [\(inputChannels), height, width]")
        }
        guard shape[1] + 2 * padding >= kernelSize && shape[2] + 2 * padding >= kernelSize else {
            throw LayerShapeError(
                reason: "the \(shape[1])x\(shape[2]) input (padded \(padding)) is smaller than the \(kernelSize)x\(kernelSize) kernel",
                fix: "use a smaller kernel, more padding or larger images")
        }
        let geometry = WindowGeometry(channels: shape[0], height: shape[1], width: shape[2], kernel: kernelSize, stride: stride, padding: padding)
        return [outputChannels, geometry.outputHeight, geometry.outputWidth]
    }

    /// The floats the layer keeps per sample of shape `[inputChannels, h, w]` between its
    /// forward and backward passes besides its input: the unfolded input (in·k·k per output
    /// position), or nothing for a direct 3x3 convolution, which keeps only its input.
    public func unfoldedFloatsPerSample(forInputShape shape: [Int]) -> Int {
        guard shape.count == 3 else { return 0 }
        let geometry = WindowGeometry(channels: shape[0], height: shape[1], width: shape[2], kernel: kernelSize, stride: stride, padding: padding)
        guard !geometry.convolvesDirectly, geometry.outputHeight > 0, geometry.outputWidth > 0 else { return 0 }
        let (floats, overflow) = geometry.patch.multipliedReportingOverflow(by: geometry.outputPlane)
        return overflow ? Int.max : floats
    }
}

/// The output shape of a pooling window over `[channels, height, width]`.
private func pooledShape(_ shape: [Int], kernel: Int, stride: Int, name: String) throws(LayerShapeError) -> [Int] {
    guard shape.count == 3 else {
        throw LayerShapeError(reason: "\(name) needs images [channels, height, width], not samples of shape \(shape)", fix: "remove it for tables")
    }
    guard shape[1] >= kernel && shape[2] >= kernel else {
        throw LayerShapeError(reason: "the \(shape[1])x\(shape[2]) input is smaller than the \(kernel)x\(kernel) window", fix: "pool less")
    }
    let geometry = WindowGeometry(channels: shape[0], height: shape[1], width: shape[2], kernel: kernel, stride: stride, padding: 0)
    return [shape[0], geometry.outputHeight, geometry.outputWidth]
}

extension MaxPool2D {
    /// `[channels, (h - k) / s + 1, (w - k) / s + 1]`.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        if let argumentProblem { throw LayerShapeError(argumentProblem) }
        return try pooledShape(shape, kernel: kernelSize, stride: stride, name: "max pooling")
    }
}

extension AvgPool2D {
    /// `[channels, (h - k) / s + 1, (w - k) / s + 1]`.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        if let argumentProblem { throw LayerShapeError(argumentProblem) }
        return try pooledShape(shape, kernel: kernelSize, stride: stride, name: "average pooling")
    }
}

extension GlobalAvgPool {
    /// `[channels]` for `[channels, height, width]`.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        guard shape.count == 3 else {
            throw LayerShapeError(
                reason: "global average pooling needs images [channels, height, width], not samples of shape \(shape)", fix: "remove it for tables")
        }
        return [shape[0]]
    }
}

extension Flatten {
    /// One vector of every element.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        [shape.reduce(1, *)]
    }
}

extension BatchNorm {
    /// The same shape, for `[features]` or `[features, height, width]`.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        if let argumentProblem { throw LayerShapeError(argumentProblem) }
        guard shape.count == 1 || shape.count == 3, shape[0] == weight.value.count else {
            throw LayerShapeError(
                reason: "batch normalisation of \(weight.value.count) features cannot take samples of shape \(shape)",
                fix: "give it [\(weight.value.count)] or [\(weight.value.count), height, width]")
        }
        return shape
    }
}

extension Sequential {
    /// Each layer's output shape fed to the next.
    public func outputShape(forInputShape shape: [Int]) throws(LayerShapeError) -> [Int] {
        var current = shape
        for layer in layers { current = try layer.outputShape(forInputShape: current) }
        return current
    }
}
