import Checkpoints

/// A callback whose state must survive a resume (`EarlyStopping`'s best value and patience
/// count, say): a `CheckpointCallback` saves `state` in every checkpoint's manifest under
/// `stateKey`, and resuming (`millrace train --resume`, or
/// `TrainingCheckpoint.restoreStates(of:from:path:)`) hands it back to `restore(_:)` before the
/// first step, so a resumed run decides exactly as the uninterrupted one would. A checkpoint
/// without the key (an older one, or a run that had no such callback) leaves the callback as it
/// was made.
///
/// ```swift
/// final class BestLoss: StatefulCallback {
///     var state: Double?  // JSON holds no infinity or NaN: nil until the first epoch
///     func handle(_ event: TrainingEvent, trainer: Trainer) throws {
///         if case .epochEnded(let epoch) = event { state = min(state ?? epoch.loss, epoch.loss) }
///     }
///     func restore(_ state: Double?) throws { self.state = state }
/// }
/// ```
///
/// A `CheckpointCallback` runs after every other callback (the `Trainer` moves it last), so a
/// checkpoint holds the state each callback reached at that step.
public protocol StatefulCallback: TrainingCallback {
    /// What is saved: any `Codable` value (kept as JSON in the manifest).
    associatedtype State: Codable

    /// The manifest key of this callback's state, unique among the run's callbacks (by default
    /// the type's name).
    var stateKey: String { get }
    /// The state to save now.
    var state: State { get }
    /// Takes back a saved state (throw if it cannot be used: the resume fails naming the key).
    func restore(_ state: State) throws
}

extension StatefulCallback {
    /// The type's name.
    public var stateKey: String { String(describing: Self.self) }

    /// `state` as JSON.
    func encodedState() throws -> JSONValue {
        try JSONValue(encoding: state)
    }

    /// Restores from JSON.
    func restoreEncoded(_ value: JSONValue) throws {
        try restore(try value.decode(State.self))
    }
}

/// Saving and restoring the states of a run's `StatefulCallback`s.
enum StatefulCallbacks {
    /// Throws when two callbacks would save their states under one key.
    static func checkKeys(_ callbacks: [any TrainingCallback]) throws(CallbackError) {
        var seen = Set<String>()
        for case let callback as any StatefulCallback in callbacks where !seen.insert(callback.stateKey).inserted {
            throw CallbackError(
                callback: callback.stateKey, reason: "two callbacks save their state under this key, so one would overwrite the other",
                fix: "give each a distinct stateKey")
        }
    }

    /// The states to save, by key (empty without stateful callbacks).
    static func states(of callbacks: [any TrainingCallback]) throws -> [String: JSONValue] {
        var states: [String: JSONValue] = [:]
        for case let callback as any StatefulCallback in callbacks {
            do { states[callback.stateKey] = try callback.encodedState() } catch {
                throw CallbackError(
                    callback: callback.stateKey, reason: "its state cannot be saved as JSON: \(error)",
                    fix: "keep the state to finite numbers, strings and collections of them")
            }
        }
        return states
    }
}
