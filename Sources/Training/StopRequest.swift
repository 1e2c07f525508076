import Synchronization

/// A request to stop training early, shared between whoever asks (a signal handler, a
/// scheduler's hook, a test) and the run: the trainer checks it after every step, and a
/// consumer waiting for data is woken by the handlers registered with `whenRequested(_:)`, so a
/// stop is honoured even while no batch arrives.
///
/// Until the run arms it (just before the loop starts) there is nothing to save, and `request`
/// says so by returning false: the asker may then simply exit.
public final class StopRequest: Sendable {
    private struct State {
        var reason: Int32?
        var isArmed = false
        var handlers: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    /// A request not yet made.
    public init() {}

    /// Whether a stop was requested.
    public var isRequested: Bool { state.withLock { $0.reason != nil } }

    /// The reason given with the first request (a signal number, for the CLI), if any.
    public var reason: Int32? { state.withLock { $0.reason } }

    /// Whether a run is listening (between `arm()` and the end of its loop).
    public var isArmed: Bool { state.withLock { $0.isArmed } }

    /// Asks the run to stop (`reason`: a number the asker interprets later, such as the signal);
    /// later requests keep the first reason. Runs the registered handlers once. Returns whether
    /// a run was armed to honour it (false: nothing is training yet).
    @discardableResult
    public func request(reason: Int32 = 0) -> Bool {
        let (handlers, armed) = state.withLock { state -> ([@Sendable () -> Void], Bool) in
            guard state.reason == nil else { return ([], state.isArmed) }
            state.reason = reason
            return (state.handlers, state.isArmed)
        }
        for handler in handlers { handler() }
        return armed
    }

    /// Calls `handler` when a stop is requested (at once if it already was).
    public func whenRequested(_ handler: @escaping @Sendable () -> Void) {
        let already = state.withLock { state -> Bool in
            if state.reason == nil { state.handlers.append(handler) }
            return state.reason != nil
        }
        if already { handler() }
    }

    /// Marks the run as listening: from now on a request is honoured by saving a checkpoint.
    /// Returns false when a request came first: its asker was told nothing is training (and
    /// the CLI's signal handler is ending the process), so the run must not begin.
    @discardableResult
    public func arm() -> Bool {
        state.withLock { state in
            state.isArmed = true
            return state.reason == nil
        }
    }
}
