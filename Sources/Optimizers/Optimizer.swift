import Layers
import Tensors

/// Everything an optimizer remembers between steps: the number of steps taken and, for each
/// parameter name, named slot tensors (`momentum_buffer`, `exp_avg`, ...). Keyed by the
/// parameter's dotted name, so it can be checkpointed and restored into a fresh model.
public struct OptimizerState: Sendable, Equatable {
    /// The number of completed `step` calls.
    public var step: Int
    /// Slot tensors by parameter name, then slot name.
    public var slots: [String: [String: Tensor]]

    /// Creates a state; the default is the state of an optimizer that has not stepped yet.
    public init(step: Int = 0, slots: [String: [String: Tensor]] = [:]) {
        self.step = step
        self.slots = slots
    }
}

/// Updates parameters from their accumulated gradients.
///
/// A new optimizer is a `final class` with a `learningRate`, a `state` and an `update` for one
/// parameter; `step(_:)` applies it to every parameter of a model.
public protocol Optimizer: AnyObject {
    /// The learning rate of the next step (schedules set it before each step).
    var learningRate: Float { get set }
    /// The per-parameter state, keyed by parameter name.
    var state: OptimizerState { get set }

    /// Updates `parameter` from its gradient. `slots` is this parameter's state, to read and
    /// write; `step` is the 1-based number of the update being made.
    func update(_ parameter: Parameter, slots: inout [String: Tensor], step: Int)

    /// Updates the parameter called `name` (its dotted name in the model); `step(_:)` calls
    /// this. By default `update(_:slots:step:)`; an optimizer whose settings differ between
    /// parameters (`WeightDecayGrouping`) looks the name up.
    func update(_ parameter: Parameter, named name: String, slots: inout [String: Tensor], step: Int)
}

extension Optimizer {
    /// `update(_:slots:step:)`: the same update for every parameter.
    public func update(_ parameter: Parameter, named name: String, slots: inout [String: Tensor], step: Int) {
        update(parameter, slots: &slots, step: step)
    }

    /// Applies one update to every parameter of `model`, in its visiting order.
    public func step(_ model: some Layer) {
        state.step += 1
        let step = state.step
        model.visitParameters { name, parameter in
            var slots = state.slots.removeValue(forKey: name) ?? [:]
            update(parameter, named: name, slots: &slots, step: step)
            state.slots[name] = slots
        }
    }
}

/// Walks the value, gradient and (optionally) slot buffers of one parameter together.
enum ParameterBuffers {
    /// Calls `body(value, gradient, first, second)` with pointers over the same number of elements;
    /// slots that are not asked for are passed as empty buffers.
    static func withBuffers(
        _ parameter: Parameter, _ first: inout Tensor, _ second: inout Tensor,
        _ body: (
            UnsafeMutableBufferPointer<Float>, UnsafeBufferPointer<Float>,
            UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>
        ) -> Void
    ) {
        parameter.gradient.withUnsafeBufferPointer { gradient in
            parameter.value.withUnsafeMutableBufferPointer { value in
                first.withUnsafeMutableBufferPointer { a in
                    second.withUnsafeMutableBufferPointer { b in
                        body(value, gradient, a, b)
                    }
                }
            }
        }
    }
}
