import DataPipeline
import Distributed
import Layers
import Optimizers
import Tensors
import Training
import XCTest

/// Containers other than `Sequential` (`LayerContainer`): a residual block whose body holds a
/// batch norm, trained for two SGD steps on global batches of 12 in chunks of 3.
extension ChunkedStepTests {
    /// The same weights, losses and running statistics, bit for bit, on 1, 2 and 4 in-process ranks.
    func testContainerWithBatchNormGivesTheSameBitsOnAnyNumberOfRanks() throws {
        let plain = try ContainerRun.train(ranks: 1)
        XCTAssertEqual(
            plain.names,
            ["0.weight", "0.bias", "1.0.0.weight", "1.0.0.bias", "1.0.1.weight", "1.0.1.bias", "2.weight", "2.bias"])
        XCTAssertEqual(plain.bufferNames, ["1.0.1.running_mean", "1.0.1.running_var", "1.0.1.num_batches_tracked"])
        XCTAssertEqual(plain.buffers.last, [2], "two steps: two batches tracked")
        XCTAssertNotEqual(plain.parameters, try ContainerRun.makeModel().namedParameters.map(\.parameter.value.scalars))
        for ranks in [2, 4] {
            let parallel = try ContainerRun.train(ranks: ranks)
            XCTAssertEqual(parallel.losses, plain.losses, "\(ranks) ranks")
            XCTAssertEqual(parallel.parameters, plain.parameters, "\(ranks) ranks")
            XCTAssertEqual(parallel.buffers, plain.buffers, "\(ranks) ranks")
        }
    }

    /// The built-in residual block, batch norms in body and shortcut: PyTorch's names, and the same
    /// bits on 1, 2 and 4 ranks; equal, up to rounding, to plain gradient descent through its
    /// whole-batch forward and pullback (so both branches' batch norms see the global batch).
    func testBuiltInResidualWithBatchNormsInBothBranchesGivesTheSameBitsOnAnyNumberOfRanks() throws {
        let plain = try ContainerRun.train(ranks: 1, builtIn: true)
        XCTAssertEqual(
            plain.names,
            [
                "0.weight", "0.bias", "1.body.0.weight", "1.body.0.bias", "1.body.1.weight", "1.body.1.bias", "1.shortcut.0.weight",
                "1.shortcut.1.weight", "1.shortcut.1.bias", "2.weight", "2.bias",
            ])
        XCTAssertEqual(
            plain.bufferNames,
            [
                "1.body.1.running_mean", "1.body.1.running_var", "1.body.1.num_batches_tracked", "1.shortcut.1.running_mean",
                "1.shortcut.1.running_var", "1.shortcut.1.num_batches_tracked",
            ])
        for ranks in [2, 4] {
            let parallel = try ContainerRun.train(ranks: ranks, builtIn: true)
            XCTAssertEqual(parallel.losses, plain.losses, "\(ranks) ranks")
            XCTAssertEqual(parallel.parameters, plain.parameters, "\(ranks) ranks")
            XCTAssertEqual(parallel.buffers, plain.buffers, "\(ranks) ranks")
        }
        try ContainerRun.assertEqualsPlainDescent(plain, builtIn: true)
    }

    /// The batch norm inside the container uses the whole global batch's statistics: the chunked
    /// step on 4 ranks equals plain gradient descent through the layers' own whole-batch forward and
    /// pullback (no step machinery), up to rounding, running statistics included.
    func testContainerWithBatchNormUsesTheGlobalBatchStatistics() throws {
        let parallel = try ContainerRun.train(ranks: 4)
        XCTAssertEqual(parallel.buffers.map(\.count), [5, 5, 1])
        try ContainerRun.assertEqualsPlainDescent(parallel)
        // Moved from their start (mean 0, variance 1) by both steps' statistics.
        XCTAssertNotEqual(parallel.buffers[0], [Float](repeating: 0, count: 5))
    }

    /// A layer holding a batch norm that training cannot open is refused at the first step, naming
    /// it and saying to conform to LayerContainer, instead of normalising with a chunk's statistics.
    func testBatchNormInsideAnOpaqueLayerIsRefused() throws {
        let model = Sequential(
            try Dense(weight: .random([5, 4], seed: 71), bias: .random([5], seed: 72)),
            OpaqueResidual(Sequential(try Dense(weight: .random([5, 5], seed: 73), bias: .random([5], seed: 74)), BatchNorm(features: 5), ReLU())),
            try Dense(weight: .random([3, 5], seed: 75), bias: .random([3], seed: 76)))
        let before = model.namedParameters.map(\.parameter.value.scalars)
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.5))
        trainer.chunkSize = 3
        let (features, labels) = ContainerRun.globalBatch(step: 0)
        XCTAssertThrowsError(try trainer.step(Batch(features: features, labels: labels))) { error in
            XCTAssertEqual(error as? ModelStructureError, .batchNormInsideOpaqueLayer(layer: "OpaqueResidual", position: 1))
            let message = "\(error)"
            XCTAssertTrue(message.contains("layer 1 (OpaqueResidual) runs a BatchNorm"), message)
            XCTAssertTrue(message.contains("Make OpaqueResidual conform to LayerContainer"), message)
        }
        XCTAssertEqual(model.namedParameters.map(\.parameter.value.scalars), before)
        // The same block as a container trains.
        let opened = try ContainerRun.makeModel()
        XCTAssertNoThrow(
            try Trainer(model: opened, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.5)).step(Batch(features: features, labels: labels))
        )
    }
}

extension ChunkedStepTests {
    /// A container that runs a layer it does not list, or a layer with parameters twice, is
    /// refused at the first step with the container's or layer's name.
    func testContainersThatBreakTheRulesAreRefused() throws {
        let (features, labels) = ContainerRun.globalBatch(step: 0)
        func refusal(_ middle: any Layer) throws -> ModelStructureError? {
            let model = Sequential(
                try Dense(weight: .random([5, 4], seed: 71), bias: .random([5], seed: 72)), middle,
                try Dense(weight: .random([3, 5], seed: 75), bias: .random([3], seed: 76)))
            let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: SGD(learningRate: 0.5))
            do {
                _ = try trainer.step(Batch(features: features, labels: labels))
                return nil
            } catch {
                return error as? ModelStructureError
            }
        }
        let shared = try Dense(weight: .random([5, 5], seed: 73), bias: .random([5], seed: 74))
        XCTAssertEqual(try refusal(ScriptedContainer(listing: [], running: [shared])), .unlistedLayer(container: "ScriptedContainer", layer: "Dense"))
        XCTAssertEqual(try refusal(ScriptedContainer(listing: [shared], running: [shared, shared])), .layerRunTwice(layer: "Dense"))
        // A layer without parameters may run twice; the same Dense listed and run once trains.
        let relu = ReLU()
        XCTAssertNil(try refusal(ScriptedContainer(listing: [shared, relu], running: [relu, shared, relu])))
        XCTAssertTrue("\(ModelStructureError.layerRunTwice(layer: "Dense"))".contains("give each place a layer of its own"))
    }
}

/// The run of the container tests.
private enum ContainerRun {
    static let steps = [0, 1]
    static let globalCount = 12
    static let learningRate: Float = 0.5

    /// What a run ends with (rank 0's; every rank's are checked to agree).
    struct Outcome: Sendable {
        var losses: [Float]
        var names: [String]
        var parameters: [[Float]]
        var bufferNames: [String]
        var buffers: [[Float]]
    }

    /// Dense(4→5), TestResidual(Dense(5→5), BatchNorm(5), ReLU), Dense(5→3); with `builtIn`, the
    /// built-in `Residual` in its place, a batch norm in both branches and a tanh after the sum.
    static func makeModel(builtIn: Bool = false) throws -> Sequential {
        let body = Sequential(try Dense(weight: .random([5, 5], seed: 73), bias: .random([5], seed: 74)), BatchNorm(features: 5), ReLU())
        let block: any Layer =
            builtIn
            ? Residual(
                body: body, shortcut: Sequential(try Dense(weight: .random([5, 5], seed: 77), bias: nil), BatchNorm(features: 5)),
                activation: Tanh())
            : TestResidual(body)
        return Sequential(
            try Dense(weight: .random([5, 4], seed: 71), bias: .random([5], seed: 72)), block,
            try Dense(weight: .random([3, 5], seed: 75), bias: .random([3], seed: 76)))
    }

    /// Step `step`'s global batch: 12 samples, features offset so the batch statistics are far from 0 and 1.
    static func globalBatch(step: Int) -> (features: Tensor, labels: [Int]) {
        (Tensor.random([globalCount, 4], seed: UInt64(80 + step), lower: -1, upper: 3), (0..<globalCount).map { ($0 * 7 + step) % 3 })
    }

    /// Asserts that `outcome` equals, up to rounding, plain gradient descent through the model's
    /// own whole-batch forward and pullback (no step machinery), running statistics included.
    static func assertEqualsPlainDescent(_ outcome: Outcome, builtIn: Bool = false, line: UInt = #line) throws {
        let model = try makeModel(builtIn: builtIn)
        var losses: [Float] = []
        for step in steps {
            model.zeroGradients()
            let (features, labels) = globalBatch(step: step)
            let (output, pullback) = model.forward(features, context: ForwardContext(isTraining: true))
            let (loss, gradient) = SoftmaxCrossEntropy().evaluate(output, target: labels)
            _ = pullback(gradient)
            for (_, parameter) in model.namedParameters { parameter.value = parameter.value - parameter.gradient * learningRate }
            losses.append(loss)
        }
        for (a, b) in zip(outcome.losses, losses) { XCTAssertEqual(a, b, accuracy: 1e-5, line: line) }
        let expected = model.namedParameters.map(\.parameter.value.scalars)
        XCTAssertEqual(outcome.parameters.map(\.count), expected.map(\.count), line: line)
        for (name, (a, b)) in zip(outcome.names, zip(outcome.parameters, expected)) {
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5, name, line: line) }
        }
        for (a, b) in zip(outcome.buffers, model.namedBuffers.map(\.buffer.value.scalars)) {
            for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5, line: line) }
        }
    }

    /// Trains with SGD in chunks of 3 on `ranks` in-process ranks (the built-in residual block with `builtIn`).
    static func train(ranks: Int, builtIn: Bool = false) throws -> Outcome {
        let outcomes = try InProcessRanks.run(ranks) { communicator in
            let model = try makeModel(builtIn: builtIn)
            let optimizer = SGD(learningRate: learningRate)
            var losses: [Float] = []
            for step in steps {
                let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: optimizer, stepCount: step)
                trainer.chunkSize = 3
                if ranks > 1 { trainer.exchange = OrderedGradientExchange(communicator: communicator) }
                let (features, labels) = globalBatch(step: step)
                let batch = Batch.rankSlice(features: features, labels: labels, chunkSize: 3, rank: communicator.rank, rankCount: ranks)
                losses.append(try trainer.step(batch).loss)
            }
            return Outcome(
                losses: losses, names: model.namedParameters.map(\.name), parameters: model.namedParameters.map(\.parameter.value.scalars),
                bufferNames: model.namedBuffers.map(\.name), buffers: model.namedBuffers.map(\.buffer.value.scalars))
        }
        for (rank, outcome) in outcomes.enumerated() {
            XCTAssertEqual(outcome.parameters, outcomes[0].parameters, "rank \(rank) of \(ranks)")
            XCTAssertEqual(outcome.buffers, outcomes[0].buffers, "rank \(rank) of \(ranks)")
        }
        return outcomes[0]
    }
}
