import Layers
import Tensors
import XCTest

@testable import Training

/// `LayerBuildContext.build`: a container's inner layers made as the model builder makes a
/// model's, from the same generator.
final class LayerNestingTests: XCTestCase {
    /// A container of other entries (what a user's residual block specification does).
    private struct Wrapper: LayerSpecification, KeyedSettings {
        @Setting("layers") var layers: [RunConfiguration.LayerEntry] = []

        func makeLayer(in context: inout LayerBuildContext) throws -> any Layer {
            try context.build(layers).layers
        }
    }

    func testInnerLayersGetTheShapesAndWeightsOfTheSameLayersAtTheTop() throws {
        let inner: [RunConfiguration.LayerEntry] = [.conv2d(filters: 2, kernel: 3, padding: 1), .relu, .dense(units: 5)]
        let top = try ModelBuilder.build(inner, sampleShape: [1, 4, 4], classes: 3, seed: 9)
        let nested = try ModelBuilder.build([.layer("wrapper", Wrapper { $0.layers = inner })], sampleShape: [1, 4, 4], classes: 3, seed: 9)
        let values = { (model: Sequential) in model.namedParameters.map(\.parameter.value) }
        XCTAssertEqual(values(top).map(\.shape), [[2, 1, 3, 3], [2], [5, 32], [5]])
        XCTAssertEqual(values(nested), values(top), "the same draws from the seed's generator")
        let input = Tensor(shape: [1, 1, 4, 4], generating: { Float($0) / 16 })
        XCTAssertEqual(try XCTUnwrap(nested.layers.first as? Sequential).layers.count, 4, "a flatten went in front of the dense layer")
        XCTAssertEqual(nested(input), top(input))
    }

    func testALayerThatDoesNotFitIsNamedByItsPositionInside() throws {
        let wrapper = Wrapper { $0.layers = [.relu, .maxPool(kernel: 2)] }
        XCTAssertThrowsError(try ModelBuilder.build([.layer("wrapper", wrapper)], sampleShape: [6], classes: 2, seed: 1)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("model.layers[0].layers[1]"), text)
        }
    }
}
