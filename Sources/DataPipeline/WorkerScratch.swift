/// One decode thread's reusable state: whatever buffers a dataset keeps between samples (file
/// bytes, decoded pixels), made on first use and kept for the thread's next samples, so that a
/// steady pipeline allocates nothing per sample. Not thread-safe: each decode thread has its own.
public final class WorkerScratch: @unchecked Sendable {
    private var objects: [ObjectIdentifier: AnyObject] = [:]
    /// Floats a transform may use.
    public var floats: [Float] = []

    /// Creates an empty scratch.
    public init() {}

    /// The thread's object of type `T`, made by `make` the first time it is asked for.
    public func reusable<T: AnyObject>(_ type: T.Type, make: () -> T) -> T {
        if let existing = objects[ObjectIdentifier(type)] as? T { return existing }
        let made = make()
        objects[ObjectIdentifier(type)] = made
        return made
    }
}
