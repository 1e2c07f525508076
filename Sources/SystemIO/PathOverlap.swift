import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether a folder something is written to overlaps data that is read: it is the data's path,
/// lies inside it, or contains it, comparing real paths (symbolic links, `.` and `..` resolved).
/// The one check behind every refusal to write where data lives: a staging cache and a local
/// packed folder, `pack --output` and its input, a run or checkpoint directory and the training
/// or validation data (or the staging cache).
public enum PathOverlap {
    /// How a path lies against another.
    public enum Relation: Sendable, Hashable {
        /// Both resolve to the same path.
        case same
        /// The path lies inside the other.
        case inside
        /// The path contains the other.
        case contains

        /// `is`, `lies inside`, `contains`.
        var phrase: String {
            switch self {
            case .same: return "is"
            case .inside: return "lies inside"
            case .contains: return "contains"
            }
        }
    }

    /// `path` with links resolved: the longest existing prefix through `realpath`, the rest (not
    /// yet created) appended as written (`.` dropped, `..` applied), made absolute against the
    /// current directory.
    public static func resolved(_ path: String) -> String {
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

    /// Whether the resolved path `inner` is `outer` or lies inside it.
    public static func isWithin(_ inner: String, _ outer: String) -> Bool {
        inner == outer || inner.hasPrefix(outer == "/" ? "/" : outer + "/")
    }

    /// How `path` lies against `other` once both are resolved, or nil when they are apart. A path
    /// under an existing file is not inside it: it cannot be made, and making it names the file.
    public static func relation(of path: String, to other: String) -> Relation? {
        let (mine, theirs) = (resolved(path), resolved(other))
        if mine == theirs { return .same }
        if isWithin(mine, theirs) {
            var isFolder: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: theirs, isDirectory: &isFolder)
            return exists && !isFolder.boolValue ? nil : .inside
        }
        if isWithin(theirs, mine) { return .contains }
        return nil
    }

    /// Throws when `path` (a folder to be written, described as `role`, such as "the run
    /// directory") is, lies inside or contains `protected` (data described as `protectedRole`,
    /// such as "the training data"), unless the relation is one of `allowed`. The error names
    /// both paths as given and as resolved, and says what to do (`fix`).
    public static func refuse(
        _ path: String, as role: String, overlapping protected: String, named protectedRole: String, allowing allowed: Set<Relation> = [],
        fix: String
    ) throws(DataError) {
        guard let relation = relation(of: path, to: protected), !allowed.contains(relation) else { return }
        // The real paths are shown where links, `.` or `..` made them differ from the paths given.
        let (mine, theirs) = (resolved(path), resolved(protected))
        let shown = mine == path && theirs == protected ? "" : " (resolved: \(mine) and \(theirs))"
        throw DataError(.invalidOption, path: path, reason: "\(role) \(relation.phrase) \(protectedRole) \(protected)\(shown)", fix: fix)
    }
}
