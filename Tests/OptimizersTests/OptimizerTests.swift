import Layers
import Optimizers
import Tensors
import TestSupport
import XCTest

/// A layer that only holds one parameter, so tests can set its gradient by hand.
final class Holder: Layer {
    let value: Parameter
    init(_ initial: Tensor) { value = Parameter(initial) }
    func forward(_ input: Tensor, context: ForwardContext) -> (output: Tensor, pullback: Pullback) { (input, { $0 }) }
    func visitParameters(_ visitor: (String, Parameter) -> Void) { visitor("w", value) }
}

final class OptimizerTests: XCTestCase {
    private let p0: [Double] = [1, -2, 0.5]
    private let g1: [Double] = [0.3, -0.1, 2]
    private let g2: [Double] = [-0.2, 0.4, 1]

    /// Runs two steps with gradients g1 then g2 and returns the parameter after each.
    private func twoSteps(_ optimizer: some Optimizer) -> ([Float], [Float]) {
        let holder = Holder(Tensor(p0.map(Float.init)))
        holder.value.gradient = Tensor(g1.map(Float.init))
        optimizer.step(holder)
        let after1 = holder.value.value.scalars
        holder.value.gradient = Tensor(g2.map(Float.init))
        optimizer.step(holder)
        return (after1, holder.value.value.scalars)
    }

    private func assertClose(_ actual: [Float], _ expected: [Double], _ tolerance: Double = 1e-6, file: StaticString = #filePath, line: UInt = #line)
    {
        for (a, e) in zip(actual, expected) { XCTAssertEqual(Double(a), e, accuracy: tolerance, file: file, line: line) }
    }

    func testPlainGradientDescent() {
        let (after1, after2) = twoSteps(SGD(learningRate: 0.1))
        assertClose(after1, (0..<3).map { p0[$0] - 0.1 * g1[$0] })
        assertClose(after2, (0..<3).map { p0[$0] - 0.1 * (g1[$0] + g2[$0]) })
    }

    func testMomentumClosedForm() {
        // buf₁ = g₁, p₁ = p₀ - lr·g₁; buf₂ = μ·g₁ + g₂, p₂ = p₁ - lr·buf₂.
        let (lr, mu) = (0.1, 0.9)
        let optimizer = SGD(learningRate: Float(lr), momentum: Float(mu))
        let (after1, after2) = twoSteps(optimizer)
        let p1 = (0..<3).map { p0[$0] - lr * g1[$0] }
        assertClose(after1, p1)
        assertClose(after2, (0..<3).map { p1[$0] - lr * (mu * g1[$0] + g2[$0]) })
        XCTAssertEqual(optimizer.state.step, 2)
        XCTAssertEqual(Array(optimizer.state.slots.keys), ["w"])
        assertClose(optimizer.state.slots["w"]!["momentum_buffer"]!.scalars, (0..<3).map { mu * g1[$0] + g2[$0] })
    }

    func testNesterovClosedForm() throws {
        // p₁ = p₀ - lr·(g₁ + μ·g₁); buf₂ = μ·g₁ + g₂; p₂ = p₁ - lr·(g₂ + μ·buf₂).
        let (lr, mu) = (0.1, 0.9)
        let (after1, after2) = twoSteps(try SGD(learningRate: Float(lr), momentum: Float(mu), nesterov: true))
        let p1 = (0..<3).map { p0[$0] - lr * (g1[$0] + mu * g1[$0]) }
        assertClose(after1, p1)
        assertClose(after2, (0..<3).map { p1[$0] - lr * (g2[$0] + mu * (mu * g1[$0] + g2[$0])) })
    }

    func testAdamClosedForm() {
        // m̂ₜ = mₜ / (1 - β₁ᵗ), v̂ₜ = vₜ / (1 - β₂ᵗ), p -= lr · m̂ / (√v̂ + ε), computed in Double.
        let (lr, b1, b2, eps) = (0.01, 0.9, 0.999, 1e-8)
        let (after1, after2) = twoSteps(Adam(learningRate: Float(lr)))
        var p = p0
        var m = [Double](repeating: 0, count: 3)
        var v = m
        var expected: [[Double]] = []
        for (t, g) in [g1, g2].enumerated() {
            for i in 0..<3 {
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(b1, Double(t + 1)))
                let vHat = v[i] / (1 - pow(b2, Double(t + 1)))
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
            expected.append(p)
        }
        // The first Adam step moves every coordinate by lr · sign(g) (up to ε).
        assertClose(after1, (0..<3).map { p0[$0] - lr * (g1[$0] > 0 ? 1 : -1) }, 1e-6)
        assertClose(after1, expected[0])
        assertClose(after2, expected[1])
    }

    func testWeightDecayAddsL2Gradient() {
        let (after1, _) = twoSteps(SGD(learningRate: 0.1, weightDecay: 0.5))
        assertClose(after1, (0..<3).map { p0[$0] - 0.1 * (g1[$0] + 0.5 * p0[$0]) })
    }

    func testSchedules() throws {
        let decay = try StepDecay(initial: 0.1, factor: 0.5, interval: 10)
        XCTAssertEqual(decay.learningRate(atStep: 0), 0.1)
        XCTAssertEqual(decay.learningRate(atStep: 9), 0.1)
        XCTAssertEqual(decay.learningRate(atStep: 10), 0.05)
        XCTAssertEqual(decay.learningRate(atStep: 25), 0.025)
        let cosine = try CosineDecay(initial: 1, minimum: 0.1, totalSteps: 100)
        XCTAssertEqual(cosine.learningRate(atStep: 0), 1)
        XCTAssertEqual(cosine.learningRate(atStep: 50), 0.55, accuracy: 1e-6)
        XCTAssertEqual(cosine.learningRate(atStep: 100), 0.1, accuracy: 1e-6)
        XCTAssertEqual(cosine.learningRate(atStep: 500), 0.1, accuracy: 1e-6)
        XCTAssertEqual(ConstantLearningRate(0.3).learningRate(atStep: 1000), 0.3)
    }
}
