// swift-tools-version:6.0
// Four leaf modules (NNCore, MicroHTTP, SQLiteStore, PostgresStore) that never import each other, joined
// only by NNService. The package builds on Linux only: it calls glibc directly (mallopt,
// sockets through Glibc) and links the system's libsqlite3, libpq and zlib.
import PackageDescription

// The numeric kernels are written with SIMD8<Float> and fused multiply-add. Without these
// flags swiftc targets baseline x86-64 (SSE2) and splits every SIMD8 into two 4-wide halves
// with separate multiply and add. The release build therefore needs an x86-64 CPU with AVX2
// and FMA (Intel Haswell, 2013, or AMD Zen / Excavator and later).
//
// The GEMM micro-kernels are also built for AVX-512 (AVX512F/VL/BW/DQ), in a module of their
// own: everything compiled there may use zmm registers, so NNCore calls into it only after
// CPUID says the CPU has them (NNCore's `KernelISA`; `NN_ISA=avx2|avx512` forces one).
#if arch(x86_64)
let vectorFlags: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma"])]
let avx512Flags: [SwiftSetting] = [
    .unsafeFlags([
        "-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mavx512f", "-Xcc", "-mavx512vl", "-Xcc", "-mavx512bw",
        "-Xcc", "-mavx512dq",
    ])
]
#else
let vectorFlags: [SwiftSetting] = []
let avx512Flags: [SwiftSetting] = []
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
        // The micro-kernels written once over the vector width, and one module per instruction
        // set that instantiates them; only NNCore depends on these.
        .target(name: "NNKernelTemplates"),
        .target(name: "NNKernelsAVX2", dependencies: ["NNKernelTemplates"], swiftSettings: vectorFlags),
        .target(name: "NNKernelsAVX512", dependencies: ["NNKernelTemplates"], swiftSettings: avx512Flags),
        // CPUID and XGETBV for the choice between them.
        .target(name: "CPUFeatures"),
        .target(
            name: "NNCore",
            dependencies: ["CMalloc", "CPUFeatures", "NNKernelTemplates", "NNKernelsAVX2", "NNKernelsAVX512"],
            swiftSettings: vectorFlags),
        .executableTarget(name: "NNBench", dependencies: ["NNCore"], swiftSettings: vectorFlags),
        // Fixtures are read through #filePath, not bundled as resources.
        .testTarget(name: "NNCoreTests", dependencies: ["NNCore"], exclude: ["Fixtures"]),
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SQLiteStore", dependencies: ["CSQLite"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore"]),
        // libpq from Debian's libpq-dev, for PostgresStore: the C client library every
        // PostgreSQL client builds on, already packaged wherever the server is.
        .systemLibrary(
            name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .target(name: "PostgresStore", dependencies: ["CLibPQ"]),
        .testTarget(name: "PostgresStoreTests", dependencies: ["PostgresStore"]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "MicroHTTP", dependencies: ["CZlib"]),
        .executableTarget(name: "HTTPEchoBench", dependencies: ["MicroHTTP"]),
        .testTarget(name: "MicroHTTPTests", dependencies: ["MicroHTTP"]),
        // The service is the only module that joins the leaves.
        // The dashboard's files are compiled into the binary as byte arrays (`PackageResources`),
        // so the server needs no files at run time and the sources hold one copy of each.
        .target(
            name: "NNService", dependencies: ["NNCore", "MicroHTTP", "SQLiteStore", "PostgresStore"],
            resources: [
                .embedInCode("UI/Assets/index.html"), .embedInCode("UI/Assets/app.js"),
                .embedInCode("UI/Assets/style.css"),
            ],
            swiftSettings: vectorFlags),
        .executableTarget(
            name: "NNServer", dependencies: ["NNService", "NNCore", "MicroHTTP", "SQLiteStore", "PostgresStore"],
            swiftSettings: vectorFlags),
        .testTarget(
            name: "NNServiceTests", dependencies: ["NNService", "NNCore", "MicroHTTP", "SQLiteStore", "PostgresStore"]),
    ],
    swiftLanguageModes: [.v6]
)
