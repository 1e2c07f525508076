// swift-tools-version:6.0
// libFuzzer entry points for Millrace, kept outside the shipped library: one executable per
// target, each defining `LLVMFuzzerTestOneInput`. Build and run them with `scripts/fuzz.sh`
// (it passes `-sanitize=fuzzer,address` and `-enable-testing`, which the float target's
// `@testable import` needs). A plain `swift build` of this package is not meaningful.
import PackageDescription

let fuzzTargets: [(name: String, dependencies: [String])] = [
    ("FuzzPNG", ["ImageFormats", "SystemIO"]),
    ("FuzzJPEG", ["ImageFormats", "SystemIO"]),
    ("FuzzCSV", ["TabularFormats", "SystemIO"]),
    ("FuzzFloat", ["TabularFormats"]),
    ("FuzzSafetensors", ["Checkpoints"]),
    ("FuzzShardIndex", ["Shards", "SystemIO"]),
    ("FuzzManifest", ["Shards", "SystemIO", "Tensors"]),
    ("FuzzPipeline", ["Training"]),
]

let package = Package(
    name: "MillraceFuzz",
    dependencies: [.package(name: "Millrace", path: "..")],
    targets: fuzzTargets.map { target in
        .executableTarget(
            name: target.name,
            dependencies: target.dependencies.map { .product(name: $0, package: "Millrace") },
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    },
    swiftLanguageModes: [.v6]
)
