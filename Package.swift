// swift-tools-version:6.0
// The package layout follows ../STYLE: three leaf modules (NNCore, MicroHTTP, SQLiteStore)
// that never import each other, joined only by NNService.
import PackageDescription

// The numeric kernels are written with SIMD8<Float> and fused multiply-add. Without these
// flags swiftc targets baseline x86-64 (SSE2) and splits every SIMD8 into two 4-wide halves
// with separate multiply and add. The release build therefore needs an x86-64 CPU with AVX2
// and FMA (Intel Haswell, 2013, or AMD Zen / Excavator and later).
#if arch(x86_64)
let vectorFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]
#else
let vectorFlags: [SwiftSetting] = []
#endif

let package = Package(
    name: "nnserve",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "nn-bench", targets: ["NNBench"]),
    ],
    targets: [
        .target(name: "NNCore", swiftSettings: vectorFlags),
        .executableTarget(name: "NNBench", dependencies: ["NNCore"], swiftSettings: vectorFlags),
        .testTarget(name: "NNCoreTests", dependencies: ["NNCore"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v5]
)
