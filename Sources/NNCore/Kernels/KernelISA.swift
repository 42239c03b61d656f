import CPUFeatures
import Foundation
import Synchronization

/// The instruction set whose GEMM micro-kernels NNCore runs: AVX2+FMA (8-wide) or AVX-512
/// (16-wide, AVX512F/VL/BW/DQ). One binary carries both (`NNKernelsAVX2`, `NNKernelsAVX512`);
/// the widest one the CPU has is chosen at start-up, or the one `NN_ISA` names.
///
/// Both sets sum every element of a product in the same order with the same fused
/// multiply-adds, so results, checkpoints and resumed runs carry the same bits on either.
public enum KernelISA: String, CaseIterable, Sendable, CustomStringConvertible {
    case avx2
    case avx512

    /// The environment variable that forces a set (`avx2` or `avx512`).
    public static let environmentKey = "NN_ISA"

    public var description: String { rawValue }

    /// Whether this CPU has the set and the operating system saves its registers (CPUID and
    /// XGETBV, see Sources/CPUFeatures).
    public var isSupported: Bool {
        switch self {
        case .avx2: nn_cpu_has_avx2_fma() != 0
        case .avx512: nn_cpu_has_avx512() != 0
        }
    }

    /// The sets this CPU can run, narrowest first.
    public static var supported: [KernelISA] { allCases.filter(\.isSupported) }

    /// The widest set this CPU has. NNCore itself is built for AVX2, so that is the floor.
    public static var best: KernelISA { avx512.isSupported ? .avx512 : .avx2 }

    /// 0 until a set is chosen, else 1 + the index of the active case.
    private static let chosen = Atomic<Int>(0)

    /// The active set. Chosen on first use from `NN_ISA` or CPUID when no one called
    /// `selectAtStartup` or `activate` before; an impossible `NN_ISA` then stops the process
    /// with the same message `selectAtStartup` gives.
    public static var active: KernelISA {
        let value = chosen.load(ordering: .relaxed)
        if value > 0 { return allCases[value - 1] }
        do {
            return try selectAtStartup(environment: ProcessInfo.processInfo.environment)
        } catch {
            fatalError("\(error)")
        }
    }

    /// Makes `isa` the active set (tests run both paths in one process this way); throws if
    /// the CPU lacks it. Call between computations, not during one.
    public static func activate(_ isa: KernelISA) throws {
        guard isa.isSupported else { throw KernelISAError.unsupported(isa) }
        chosen.store(allCases.firstIndex(of: isa)! + 1, ordering: .relaxed)
    }

    /// The start-up choice: the set `NN_ISA` names, or the widest one the CPU has. Throws when
    /// `NN_ISA` names no set or one this CPU lacks, so that a forced run never silently falls
    /// back to another path.
    @discardableResult
    public static func selectAtStartup(environment: [String: String]) throws -> KernelISA {
        var isa = best
        if let forced = environment[environmentKey], !forced.isEmpty {
            guard let named = KernelISA(rawValue: forced.lowercased()) else {
                throw KernelISAError.unknown(forced)
            }
            isa = named
        }
        try activate(isa)
        return isa
    }
}

/// Why a kernel set cannot be used; the message names the variable and the way out.
public enum KernelISAError: Error, Equatable, CustomStringConvertible {
    case unknown(String)
    case unsupported(KernelISA)

    public var description: String {
        switch self {
        case .unknown(let value):
            return "\(KernelISA.environmentKey)=\(value) names no kernel set; use avx2 or avx512, or unset it"
        case .unsupported(let isa):
            let has = KernelISA.supported.map(\.rawValue).joined(separator: ", ")
            return
                "\(KernelISA.environmentKey)=\(isa.rawValue): this CPU lacks \(isa == .avx512 ? "AVX512F/VL/BW/DQ" : "AVX2/FMA")"
                + " (it has: \(has.isEmpty ? "none" : has)); unset \(KernelISA.environmentKey) to use the best it has"
        }
    }
}
