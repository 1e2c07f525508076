#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A bounded first-in first-out buffer between one producer and one consumer, with blocking
/// `put`/`take`, an optional timeout on `take`, cancellation that wakes both sides, and an
/// interruption that wakes a waiting consumer (a stop request while no batch comes) without
/// stopping the producer.
/// Built on a pthread mutex and two condition variables (no semaphores: a Dispatch semaphore
/// released below its initial count crashes on Linux).
final class PrefetchBuffer<Element>: @unchecked Sendable {
    enum Taken {
        case item(Element)
        case finished
        case timedOut
        case cancelled
        /// `interrupt()` was called and no item was waiting.
        case interrupted
    }

    let capacity: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let notEmpty = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let notFull = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// A ring of slots; a taken item's slot is set to nil at once, so the buffer never keeps a
    /// batch alive after handing it out.
    private var slots: [Element?]
    private var head = 0
    private var count = 0
    private var isFinished = false
    private var isCancelled = false
    private var isInterrupted = false
    private(set) var largestCount = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        slots = [Element?](repeating: nil, count: max(capacity, 1))
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(notEmpty, nil)
        pthread_cond_init(notFull, nil)
    }

    deinit {
        pthread_cond_destroy(notFull)
        pthread_cond_destroy(notEmpty)
        pthread_mutex_destroy(mutex)
        notFull.deallocate()
        notEmpty.deallocate()
        mutex.deallocate()
    }

    /// Adds `item`, waiting while the buffer is full; false if the buffer was cancelled.
    func put(_ item: Element) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count >= capacity && !isCancelled { pthread_cond_wait(notFull, mutex) }
        guard !isCancelled else { return false }
        slots[(head + count) % capacity] = item
        count += 1
        largestCount = max(largestCount, count)
        pthread_cond_signal(notEmpty)
        return true
    }

    /// Adds `items` in order, each as `put` would (waiting while the buffer is full), waking a
    /// waiting consumer once for all of them when they fit together; false if the buffer was
    /// cancelled (the items not yet added are dropped).
    func put(contentsOf items: [Element]) -> Bool {
        pthread_mutex_lock(mutex)
        for item in items {
            while count >= capacity && !isCancelled {
                pthread_cond_signal(notEmpty)
                pthread_cond_wait(notFull, mutex)
            }
            guard !isCancelled else {
                pthread_mutex_unlock(mutex)
                return false
            }
            slots[(head + count) % capacity] = item
            count += 1
            largestCount = max(largestCount, count)
        }
        pthread_mutex_unlock(mutex)
        // Signalled once the mutex is free: a consumer woken while it is held would wake only
        // to wait for it.
        pthread_cond_signal(notEmpty)
        return true
    }

    /// Marks the end of the stream: `take` returns `.finished` once the buffer is empty.
    func finish() {
        pthread_mutex_lock(mutex)
        isFinished = true
        pthread_cond_broadcast(notEmpty)
        pthread_mutex_unlock(mutex)
    }

    /// Wakes and stops both sides; buffered items are dropped.
    func cancel() {
        pthread_mutex_lock(mutex)
        isCancelled = true
        for index in slots.indices { slots[index] = nil }
        count = 0
        pthread_cond_broadcast(notEmpty)
        pthread_cond_broadcast(notFull)
        pthread_mutex_unlock(mutex)
    }

    /// Makes a waiting `take` (and every later one that finds the buffer empty) return
    /// `.interrupted`; items already waiting are still handed out. Safe from any thread.
    func interrupt() {
        pthread_mutex_lock(mutex)
        isInterrupted = true
        pthread_cond_broadcast(notEmpty)
        pthread_mutex_unlock(mutex)
    }

    /// The number of items waiting.
    var depth: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return count
    }

    /// Removes the oldest item, waiting up to `timeout` seconds (nil: forever) for one.
    func take(timeout: Double?) -> Taken {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var deadline = timespec()
        if let timeout {
            clock_gettime(CLOCK_REALTIME, &deadline)
            let nanoseconds = Int(deadline.tv_nsec) + Int((timeout - timeout.rounded(.down)) * 1e9)
            deadline.tv_sec += Int(timeout.rounded(.down)) + nanoseconds / 1_000_000_000
            deadline.tv_nsec = nanoseconds % 1_000_000_000
        }
        while count == 0 && !isFinished && !isCancelled && !isInterrupted {
            if timeout != nil {
                if pthread_cond_timedwait(notEmpty, mutex, &deadline) == ETIMEDOUT && count == 0 && !isFinished && !isCancelled
                    && !isInterrupted
                {
                    return .timedOut
                }
            } else {
                pthread_cond_wait(notEmpty, mutex)
            }
        }
        if isCancelled { return .cancelled }
        if count == 0 { return isFinished ? .finished : .interrupted }
        guard let item = slots[head] else { return .cancelled }
        slots[head] = nil
        head = (head + 1) % capacity
        count -= 1
        pthread_cond_signal(notFull)
        return .item(item)
    }
}

extension PrefetchBuffer.Taken: Sendable where Element: Sendable {}
