import Foundation
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive lock on a directory for a process's lifetime: `flock` on `<directory>/.lock`,
/// which holds the holder's process id. A second process asking for it is refused at once and
/// told who holds it; the kernel releases the lock when the holder exits, however it exits
/// (SIGKILL included), so a stale file never blocks a later run.
///
/// Training takes it on its run directory and its checkpoint directory, so that two runs never
/// sweep each other's temporary saves or delete each other's checkpoints. Readers (evaluate,
/// predict, report, inspect) do not take it.
///
/// Releasing it removes the lock file and the directories the lock created that are still empty,
/// so a run refused after taking it (a bad configuration, say) leaves the disk as it found it. A
/// process that opened the file just before it was removed sees, once it holds the lock, that the
/// path no longer names its file, and takes the lock again on the new one.
public final class DirectoryLock: @unchecked Sendable {
    /// The lock file's name inside the directory.
    public static let fileName = ".lock"

    /// The locked directory.
    public let directory: String
    private var descriptor: Int32
    /// Directories this lock created, deepest first (removed on release while empty).
    private let createdDirectories: [String]

    /// Creates `directory` if needed and locks it; throws `.locked` naming the holder's process id
    /// when another process holds it, `.io` when the directory or the lock file cannot be made
    /// (`role` names the directory in that message: "run", "checkpoint").
    public init(directory: String, role: String = "run") throws(CheckpointError) {
        self.directory = directory
        var missing: [String] = []
        var ancestor = URL(fileURLWithPath: directory).standardizedFileURL
        while ancestor.path != "/" && access(ancestor.path, F_OK) != 0 {
            missing.append(ancestor.path)
            ancestor = ancestor.deletingLastPathComponent()
        }
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw CheckpointError(
                .io, path: directory, reason: "cannot create the \(role) directory: \(PathProblem.reason(creating: directory, error: error))",
                fix: "give a \(role) directory that can be created, or check the path and its permissions")
        }
        createdDirectories = missing
        let path = "\(directory)/\(DirectoryLock.fileName)"
        var attempts = 0
        while true {
            let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard opened >= 0 else { throw DurableFile.ioError("cannot create the lock file", path) }
            var result: Int32
            repeat { result = flock(opened, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
            guard result == 0 else {
                let code = errno
                let holder = DirectoryLock.holder(readingFrom: opened)
                close(opened)
                guard code == EWOULDBLOCK else {
                    errno = code
                    throw DurableFile.ioError("cannot lock", path)
                }
                throw CheckpointError(
                    .locked, path: directory,
                    reason: "in use by another training run (\(holder.map { "process \($0)" } ?? "another process"))",
                    fix: "wait for it to end, or train into another --run-dir / --checkpoint-dir")
            }
            // The holder before us may have removed the file between our open and our flock.
            attempts += 1
            guard DirectoryLock.names(opened, path) || attempts >= 100 else {
                close(opened)
                continue
            }
            descriptor = opened
            break
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { release() }

    /// Gives the lock up (also done when the lock is freed; the kernel does it when the process
    /// exits): removes the lock file while still holding it, then the directories the lock
    /// created that are empty.
    public func release() {
        guard descriptor >= 0 else { return }
        let path = "\(directory)/\(DirectoryLock.fileName)"
        if DirectoryLock.names(descriptor, path) { unlink(path) }
        close(descriptor)
        descriptor = -1
        for created in createdDirectories { rmdir(created) }
    }

    /// Whether `path` names the file open as `descriptor` (the same device and inode).
    private static func names(_ descriptor: Int32, _ path: String) -> Bool {
        var open = stat()
        var named = stat()
        guard fstat(descriptor, &open) == 0, stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    /// The process id written in an open lock file, if it holds one.
    static func holder(readingFrom descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }, as: UTF8.self))
    }
}
