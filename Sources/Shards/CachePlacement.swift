import Foundation
import SystemIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where a staging cache may be: never the data source's own folder, a folder inside it, or a
/// folder that contains it (paths compared after resolving symbolic links, `.` and `..`).
enum CachePlacement {
    /// `path` with links resolved: the longest existing prefix through `realpath`, the rest (not
    /// yet created) appended as written, made absolute against the current directory.
    static func resolved(_ path: String) -> String {
        var absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if absolute.count > 1 && absolute.hasSuffix("/") { absolute.removeLast() }
        var existing = absolute
        var rest: [String] = []
        while true {
            if let real = realpath(existing, nil) {
                defer { free(real) }
                var result = String(cString: real)
                for component in rest.reversed() where component != "." && !component.isEmpty {
                    if component == ".." {
                        result = (result as NSString).deletingLastPathComponent
                    } else {
                        result += (result.hasSuffix("/") ? "" : "/") + component
                    }
                }
                return result
            }
            let parent = (existing as NSString).deletingLastPathComponent
            if parent == existing || parent.isEmpty { return absolute }
            rest.append((existing as NSString).lastPathComponent)
            existing = parent
        }
    }

    /// Whether `inner` is `outer` or lies inside it (both resolved).
    static func isWithin(_ inner: String, _ outer: String) -> Bool {
        inner == outer || inner.hasPrefix(outer == "/" ? "/" : outer + "/")
    }

    /// Throws when `cache` is `source`, inside it, or contains it.
    static func check(cache: String, source: String) throws(DataError) {
        let (cacheReal, sourceReal) = (resolved(cache), resolved(source))
        let relation: String
        if cacheReal == sourceReal {
            relation = "is the data source's folder"
        } else if isWithin(cacheReal, sourceReal) {
            relation = "lies inside the data source's folder \(source)"
        } else if isWithin(sourceReal, cacheReal) {
            relation = "contains the data source's folder \(source)"
        } else {
            return
        }
        throw DataError(
            .invalidOption, path: cache, reason: "the staging cache directory \(relation) (resolved: \(cacheReal), source: \(sourceReal))",
            fix: "give a --cache-dir outside the packed data (the default is <run dir>/cache)")
    }
}
