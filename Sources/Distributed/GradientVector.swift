import Layers

/// Parameters' gradients as one flat vector, in visiting order (the order of `ParameterLayout`),
/// and back: the form the gradient exchange sums across ranks.
package enum GradientVector {
    /// The parameters' gradients as one vector, in visiting order.
    package static func flatten(_ parameters: [Parameter], count: Int) -> [Float] {
        var vector: [Float] = []
        vector.reserveCapacity(count)
        for parameter in parameters { parameter.gradient.withUnsafeBufferPointer { vector.append(contentsOf: $0) } }
        return vector
    }

    /// Writes `vector` back into the parameters' gradients, in visiting order.
    package static func unflatten(_ vector: [Float], into parameters: [Parameter]) {
        var offset = 0
        for parameter in parameters {
            let count = parameter.gradient.count
            parameter.gradient.withUnsafeMutableBufferPointer { out in
                vector.withUnsafeBufferPointer { input in
                    out.baseAddress!.update(from: input.baseAddress! + offset, count: count)
                }
            }
            offset += count
        }
    }
}
