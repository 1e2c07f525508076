import SystemIO

extension ImageFolder {
    /// The recursive listing of one class folder: `.png`, `.jpg` and `.jpeg` files (any case) in
    /// sorted order, whatever they hold (decoding goes by their first bytes); everything else is
    /// recorded as skipped with the reason. Folders are identified by device and inode, and one
    /// already entered (by this class or another, through a link or a cycle) is not entered again.
    struct Walk {
        /// The image paths so far.
        var paths: [String]
        /// The entries left out so far.
        var skipped: [SkippedFile]
        /// Every folder entered so far (the root and the class folders from the start).
        var visited: Set<FileIdentity>
        /// The class folders, by identity, with their class names.
        let classFolders: [FileIdentity: String]

        /// Lists `directory` and, recursively, its subfolders.
        mutating func collect(_ directory: String) throws(DataError) {
            for entry in try DirectoryListing.entries(of: directory) {
                let path = "\(directory)/\(entry.name)"
                if entry.name.hasPrefix(".") {
                    skipped.append(SkippedFile(path: path, reason: "hidden"))
                } else if entry.isDirectory {
                    guard let identity = DirectoryListing.identity(of: path) else {
                        skipped.append(SkippedFile(path: path, reason: ImageFolder.unreadableFolderReason))
                        continue
                    }
                    if let other = classFolders[identity] {
                        skipped.append(SkippedFile(path: path, reason: "\(ImageFolder.repeatedFolderReason) (the class folder '\(other)')"))
                    } else if !visited.insert(identity).inserted {
                        skipped.append(SkippedFile(path: path, reason: ImageFolder.repeatedFolderReason))
                    } else {
                        try collect(path)
                    }
                } else if let kind = entry.otherKind {
                    skipped.append(SkippedFile(path: path, reason: "\(kind), not a regular file"))
                } else if ImageFileFormat.isImageName(entry.name) {
                    paths.append(path)
                } else {
                    skipped.append(SkippedFile(path: path, reason: ImageFolder.notImageNameReason))
                }
            }
        }
    }

    /// The reason given for a file whose name is not an image's.
    static let notImageNameReason = "not a .png, .jpg or .jpeg file"
    /// The reason given for a folder reached a second time.
    static let repeatedFolderReason = "a link to a folder already listed (a symbolic link cycle or a second path to it)"
    /// The reason given for a folder that cannot be examined.
    static let unreadableFolderReason = "a folder that cannot be examined"

    /// The skipped entries worth a warning: those that are not regular files and folders reached
    /// a second time (hidden entries and other file types are routine).
    public var unusualSkippedFiles: [SkippedFile] {
        skippedFiles.filter { $0.reason != "hidden" && $0.reason != ImageFolder.notImageNameReason }
    }

    /// One line naming the unusual skipped entries (up to five), or nil when there are none.
    public var skippedFilesNote: String? {
        let unusual = unusualSkippedFiles
        guard !unusual.isEmpty else { return nil }
        let listed = unusual.prefix(5).map { "\($0.path) (\($0.reason))" }.joined(separator: "; ")
        return "skipped \(unusual.count) entr\(unusual.count == 1 ? "y" : "ies") under \(root): \(listed)"
            + (unusual.count > 5 ? "; and \(unusual.count - 5) more" : "")
    }
}
