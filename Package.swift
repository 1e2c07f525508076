// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Millrace",
    products: [
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Optimizers", targets: ["Optimizers"]),
        .library(name: "DataPipeline", targets: ["DataPipeline"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Training", targets: ["Training"]),
        .executable(name: "millrace", targets: ["MillraceCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CMatrixKernel"),
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "Tensors", dependencies: ["CMatrixKernel", "CDNNL"]),
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("z")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "DataPipeline", dependencies: ["Tensors", "CPNG", "CZlib"]),
        .target(name: "Layers", dependencies: ["Tensors"]),
        .target(name: "Optimizers", dependencies: ["Tensors", "Layers"]),
        .target(name: "Checkpoints", dependencies: ["Tensors", "Layers", "Optimizers", "DataPipeline", "CZlib"]),
        .target(name: "Training", dependencies: ["Tensors", "Layers", "Optimizers", "DataPipeline", "Checkpoints"]),
        .executableTarget(
            name: "MillraceCLI",
            dependencies: [
                "Tensors", "Layers", "Optimizers", "Training", "DataPipeline", "Checkpoints",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["Tensors", "Layers", "CPNG", "DataPipeline"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "CMatrixKernel", "DataPipeline", "TestSupport"]),
        .testTarget(name: "LayersTests", dependencies: ["Tensors", "Layers", "TestSupport"]),
        .testTarget(name: "DataPipelineTests", dependencies: ["DataPipeline", "Tensors", "CPNG", "CZlib", "TestSupport"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "Tensors", "Layers", "Optimizers", "DataPipeline", "TestSupport"]),
        .testTarget(name: "OptimizersTests", dependencies: ["Tensors", "Layers", "Optimizers", "TestSupport"]),
        .testTarget(name: "TrainingTests", dependencies: ["Tensors", "Layers", "Optimizers", "Training", "DataPipeline", "TestSupport"]),
        .testTarget(name: "MillraceCLITests", dependencies: ["MillraceCLI", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
