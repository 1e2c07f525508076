import ArgumentParser
import Layers
import Optimizers
import Tensors
import Training

/// `millrace xor-seed`: the seed's TensorFlow example, trained and printed as a loss curve.
struct XORSeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xor-seed",
        abstract: "Train the seed's 2-3-1 sigmoid network on XOR and print its loss curve.",
        discussion: """
            Full-batch gradient descent, learning rate 1.0, sum-of-squares loss, from the seed's \
            fixed initial weights. Example: swift run -c release millrace xor-seed --steps 500
            """
    )

    @Option(help: "Number of full-batch gradient-descent steps.")
    var steps: Int = 500

    @Option(help: "Print the loss every this many steps.")
    var every: Int = 50

    @Option(help: "The learning rate.")
    var learningRate: Float = 1.0

    func validate() throws {
        guard steps >= 0 else { throw ValidationError("--steps must be 0 or more") }
        guard every > 0 else { throw ValidationError("--every must be positive") }
    }

    func run() throws {
        let model = XORSeed.makeModel()
        let trainer = InMemoryTrainer(model: model, loss: SumOfSquares(), optimizer: SGD(learningRate: learningRate))
        print("step  loss")
        try trainer.fit(inputs: XORSeed.inputs, targets: XORSeed.targets, epochs: steps, mode: .fullBatch) { record in
            if record.step % every == 0 { print(String(format: "%4d  %.6f", record.step, record.loss)) }
        }
        let outputs = model(XORSeed.inputs)
        let finalLoss = SumOfSquares().evaluate(outputs, target: XORSeed.targets).value
        print(String(format: "%4d  %.6f  (final)", steps, finalLoss))
        let rounded = outputs.scalars.map { String(format: "%.3f", $0) }.joined(separator: " ")
        print("outputs for (0,0) (0,1) (1,0) (1,1): \(rounded)")
    }
}

/// The seed's XOR problem and its fixed initial weights (row-vector convention of the
/// TensorFlow example: `m1[i][j]` connects input `i` to hidden unit `j`).
enum XORSeed {
    static let inputs = Tensor([[0, 0], [0, 1], [1, 0], [1, 1]])
    static let targets = Tensor([[0], [1], [1], [0]])
    static let m1: [[Float]] = [[0.2431, 0.6119, 0.4738], [0.3964, 0.3839, 0.7324]]
    static let b1: [Float] = [0.8241, 0.2419, 0.6222]
    static let m2: [[Float]] = [[0.3386], [0.8736], [0.8359]]
    static let b2: [Float] = [0.6087]

    /// Dense(2→3) + Sigmoid + Dense(3→1) + Sigmoid with the seed's weights (transposed to the
    /// `[output, input]` layout).
    static func makeModel() -> Sequential {
        Sequential(
            Dense(weight: Tensor(m1).transposed(), bias: Tensor(b1)), Sigmoid(),
            Dense(weight: Tensor(m2).transposed(), bias: Tensor(b2)), Sigmoid())
    }
}
