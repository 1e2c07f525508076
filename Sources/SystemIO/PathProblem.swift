import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why something could not be created at a path, in words. Foundation's own message for a parent
/// that is a regular file is "The operation could not be completed (NSCocoaErrorDomain error
/// 512)", which names neither the culprit nor the fix.
public enum PathProblem {
    /// Why `path` (a folder or file to be created) could not be: the nearest existing ancestor
    /// that is not a folder or cannot be written, else the system's reason from `error`.
    public static func reason(creating path: String, error: any Error) -> String {
        var ancestor = path
        while !ancestor.isEmpty && ancestor != "/" {
            var status = stat()
            if stat(ancestor, &status) == 0 {
                if (status.st_mode & S_IFMT) != S_IFDIR { return "\(ancestor) is a file, not a folder" }
                if access(ancestor, W_OK) != 0 { return "\(ancestor) is not writable (\(String(cString: strerror(errno))))" }
                break
            }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
    }

    /// Why `path` cannot be followed although something is there: `"a symbolic link loop
    /// (...)"` or `"a dangling symbolic link (to ...)"`; nil when it resolves or nothing is there.
    /// A plain existence check reports both as "no such file", which sends the user looking for
    /// a file that is there.
    public static func brokenLink(_ path: String) -> String? {
        var status = stat()
        guard stat(path, &status) != 0 else { return nil }
        let code = errno
        guard lstat(path, &status) == 0 || code == ELOOP else { return nil }
        if code == ELOOP { return "a symbolic link loop (too many levels of symbolic links)" }
        guard code == ENOENT else { return nil }
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map { " to \($0)" } ?? ""
        return "a dangling symbolic link\(target): its target does not exist"
    }

    /// What is wrong with an input path that cannot be found: a link loop or a dangling link
    /// (see `brokenLink(_:)`), else `"no such file or folder"`.
    public static func missing(_ path: String) -> String {
        brokenLink(path) ?? "no such file or folder"
    }
}
