// swift-tools-version:6.0
// Three leaf modules (NNCore, MicroHTTP, SQLiteStore) that never import each other, joined
// only by NNService. The package builds on Linux only: it calls glibc directly (mallopt,
// sockets through Glibc) and links the system's libsqlite3 and zlib.
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
    products: [
        .executable(name: "nn-bench", targets: ["NNBench"]),
        .executable(name: "http-echo-bench", targets: ["HTTPEchoBench"]),
        .executable(name: "nnserve", targets: ["NNServer"]),
    ],
    targets: [
        // glibc's mallopt, for AllocatorTuning (part of libc: nothing to install or link).
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        .target(name: "NNCore", dependencies: ["CMalloc"], swiftSettings: vectorFlags),
        .executableTarget(name: "NNBench", dependencies: ["NNCore"], swiftSettings: vectorFlags),
        // Fixtures are read through #filePath, not bundled as resources.
        .testTarget(name: "NNCoreTests", dependencies: ["NNCore"], exclude: ["Fixtures"]),
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SQLiteStore", dependencies: ["CSQLite"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore"]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "MicroHTTP", dependencies: ["CZlib"]),
        .executableTarget(name: "HTTPEchoBench", dependencies: ["MicroHTTP"]),
        .testTarget(name: "MicroHTTPTests", dependencies: ["MicroHTTP"]),
        // The service is the only module that joins the leaves.
        .target(name: "NNService", dependencies: ["NNCore", "MicroHTTP", "SQLiteStore"], swiftSettings: vectorFlags),
        .executableTarget(
            name: "NNServer", dependencies: ["NNService", "NNCore", "MicroHTTP", "SQLiteStore"],
            swiftSettings: vectorFlags),
        .testTarget(name: "NNServiceTests", dependencies: ["NNService", "NNCore", "MicroHTTP", "SQLiteStore"]),
    ],
    swiftLanguageModes: [.v6]
)
