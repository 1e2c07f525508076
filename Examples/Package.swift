// swift-tools-version:6.0
// Examples of using Millrace as a library: each executable target is a short program to copy.
// Build them with `swift build` in this folder (CI does; `.ci/run`). The ReadmeSnippets target is
// generated from README.md's ```swift blocks by scripts/check-readme-snippets.sh (git-ignored).
import Foundation
import PackageDescription

/// The one product a user's package names.
let millrace: Target.Dependency = .product(name: "Millrace", package: "Millrace")

/// The example programs, one folder each under Sources/ (a new example: its folder and its name here).
var targets: [Target] = ["CustomLayer", "Callback", "CSVStreaming", "Predict", "FitDigits"].map {
    .executableTarget(name: $0, dependencies: [millrace])
}

// The README's snippets, when scripts/check-readme-snippets.sh has generated them.
if FileManager.default.fileExists(atPath: Context.packageDirectory + "/Sources/ReadmeSnippets/main.swift") {
    targets.append(.executableTarget(name: "ReadmeSnippets", dependencies: [millrace]))
}

let package = Package(
    name: "MillraceExamples",
    // `name:` fixes the package's name whatever the checkout's folder is called.
    dependencies: [.package(name: "Millrace", path: "..")],
    targets: targets,
    swiftLanguageModes: [.v6]
)
