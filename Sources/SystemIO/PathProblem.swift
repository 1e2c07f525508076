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
}
