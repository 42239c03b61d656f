import NNCore
import XCTest

/// The AVX2 and AVX-512 kernels sum each element in the same order with the same fused
/// multiply-adds, so they give the same bits: the products, and whole training runs (one and
/// two threads, switching sets between epochs as a resume on another host would). These need
/// both sets in one process; on a CPU without AVX-512 they skip and say so.
final class KernelISABitsTests: XCTestCase {
    private func requireBothSets() throws {
        try XCTSkipUnless(
            KernelISA.avx512.isSupported,
            "this CPU lacks AVX512F/VL/BW/DQ, so only the AVX2 kernels can run here; the AVX-512 ones were built but not compared"
        )
    }

    /// Shapes with an odd number of 16-column panels (a lone last panel on AVX-512), edges in
    /// rows and columns, several depth blocks, row groups and column blocks.
    func testGemmBitsEqualAcrossSetsAndThreads() throws {
        try requireBothSets()
        var rng = SeededGenerator(seed: 31)
        let shapes = [
            (1, 1, 1), (7, 7, 7), (63, 65, 129), (65, 63, 7), (129, 129, 300), (6, 17, 513), (257, 49, 65),
            (70, 600, 260), (13, 1100, 33),
        ]
        for (m, n, k) in shapes {
            let a = randomValues(m * k, &rng), b = randomValues(k * n, &rng), start = randomValues(m * n, &rng)
            for form in GemmForm.allCases {
                for accumulate in [false, true] {
                    var results: [[Float]] = []
                    for isa in KernelISA.allCases {
                        try withKernelSet(isa) {
                            for threads in [1, 2] {
                                var c = start
                                Gemm.multiply(
                                    form, m: m, n: n, k: k, a: a, b: b, c: &c, accumulate: accumulate, threads: threads)
                                results.append(c)
                            }
                        }
                    }
                    for other in results.dropFirst() {
                        assertSameBits(other, results[0], "\(form) \(m)x\(n)x\(k) acc=\(accumulate)")
                    }
                }
            }
        }
    }

    func testPackedMatrixBitsEqualAcrossSets() throws {
        try requireBothSets()
        var rng = SeededGenerator(seed: 37)
        for (n, k) in [(7, 63), (17, 65), (49, 300), (256, 64)] {
            let packed = PackedMatrix(n: n, k: k)
            let b = randomValues(n * k, &rng)
            b.withUnsafeBufferPointer { packed.pack(.nn, b: $0.baseAddress!) }
            for m in [6, 7, 65, 129] {
                let a = randomValues(m * k, &rng), start = randomValues(m * n, &rng)
                var results: [[Float]] = []
                for isa in KernelISA.allCases {
                    try withKernelSet(isa) {
                        results.append(packedProduct(packed, a: a, m: m, start: start, accumulate: true))
                    }
                }
                assertSameBits(results[0], results[1], "m=\(m) n=\(n) k=\(k)")
            }
        }
    }

    /// exp, sigmoid and tanh over every length from 1 to 40 (partial last vectors of both
    /// widths) and the clamped extremes.
    func testGateMathBitsEqualAcrossSets() throws {
        try requireBothSets()
        var rng = SeededGenerator(seed: 43)
        let functions: [(String, (UnsafeMutablePointer<Float>, Int) -> Void)] = [
            ("exp", VectorMath.exp), ("sigmoid", VectorMath.sigmoid), ("tanh", VectorMath.tanh),
        ]
        for (name, function) in functions {
            for count in 1...40 {
                var values = (0..<count).map { _ in rng.uniform(-12, 12) }
                values[0] = count % 2 == 0 ? -300 : 300
                if count > 2 { values[1] = 0.1 }
                var results: [[Float]] = []
                for isa in KernelISA.allCases {
                    try withKernelSet(isa) {
                        var out = values
                        out.withUnsafeMutableBufferPointer { function($0.baseAddress!, $0.count) }
                        results.append(out)
                    }
                }
                assertSameBits(results[0], results[1], "\(name) count \(count)")
            }
        }
    }

    /// A small network with every GEMM user (convolution in both layouts, batch norm, LSTM,
    /// RNN, dense) trained two epochs: the same bits under each set, on one and two threads,
    /// and when the second epoch runs on the other set.
    func testTrainingBitsEqualAcrossSetsThreadsAndResume() throws {
        try requireBothSets()
        let image = try trainImageModel(epochSets: [.avx2, .avx2], threads: 1)
        for (sets, threads) in [
            ([KernelISA.avx512, .avx512], 1), ([.avx512, .avx512], 2), ([.avx512, .avx2], 2), ([.avx2, .avx512], 1),
        ] {
            assertSameBits(
                try trainImageModel(epochSets: sets, threads: threads), image, "image model \(sets) threads \(threads)")
        }
        // One channel: the first convolution runs directly on the padded image (LeNet's case).
        let oneChannel = try trainOneChannelModel(epochSets: [.avx2, .avx2], threads: 1)
        for (sets, threads) in [([KernelISA.avx512, .avx512], 2), ([.avx512, .avx2], 1)] {
            assertSameBits(
                try trainOneChannelModel(epochSets: sets, threads: threads), oneChannel,
                "one-channel model \(sets) threads \(threads)")
        }
        for recurrent in [
            LayerSpec.lstm(units: 20, returnSequences: false),
            .rnn(units: 33, activation: .tanh, returnSequences: false),
        ] {
            let reference = try trainSequenceModel(recurrent, epochSets: [.avx2, .avx2], threads: 1)
            for (sets, threads) in [([KernelISA.avx512, .avx512], 2), ([.avx512, .avx2], 1)] {
                assertSameBits(
                    try trainSequenceModel(recurrent, epochSets: sets, threads: threads), reference,
                    "\(recurrent.typeName) \(sets) threads \(threads)")
            }
        }
    }

    /// Equal bits, or one failure naming how many values differ and the first of them.
    private func assertSameBits(_ x: [Float], _ y: [Float], _ label: String, line: UInt = #line) {
        XCTAssertEqual(x.count, y.count, label, line: line)
        let differing = x.indices.filter { $0 < y.count }.filter { x[$0].bitPattern != y[$0].bitPattern }
        if let first = differing.first {
            XCTFail(
                "\(label): \(differing.count) of \(x.count) values differ, first at \(first): \(x[first]) vs \(y[first])",
                line: line)
        }
    }

    private func assertSameBits(_ x: [[Float]], _ y: [[Float]], _ label: String, line: UInt = #line) {
        XCTAssertEqual(x.count, y.count, label, line: line)
        for (index, (a, b)) in zip(x, y).enumerated() {
            assertSameBits(a, b, "\(label), parameter \(index)", line: line)
        }
    }

    private func trainImageModel(epochSets: [KernelISA], threads: Int) throws -> [[Float]] {
        let spec = ModelSpec(
            inputShape: [12, 12, 2],
            layers: [
                .conv2d(filters: 5, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .conv2d(
                    filters: 20, kernel: IntPair(3, 3), stride: IntPair(1, 1), padding: .valid, activation: .linear),
                .batchnorm(momentum: 0.9, epsilon: 1e-5), .activation(.relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)), .flatten,
                .dense(units: 37, activation: .relu, useBias: true),
                .dense(units: 3, activation: .softmax, useBias: true),
            ])
        return try train(spec: spec, features: 12 * 12 * 2, epochSets: epochSets, threads: threads)
    }

    private func trainOneChannelModel(epochSets: [KernelISA], threads: Int) throws -> [[Float]] {
        let spec = ModelSpec(
            inputShape: [11, 19, 1],
            layers: [
                .conv2d(filters: 6, kernel: IntPair(5, 5), stride: IntPair(1, 1), padding: .same, activation: .relu),
                .maxpool2d(pool: IntPair(2, 2), stride: IntPair(2, 2)), .flatten,
                .dense(units: 3, activation: .softmax, useBias: true),
            ])
        return try train(spec: spec, features: 11 * 19, epochSets: epochSets, threads: threads)
    }

    private func trainSequenceModel(_ recurrent: LayerSpec, epochSets: [KernelISA], threads: Int) throws -> [[Float]] {
        let spec = ModelSpec(
            inputShape: [9, 5], layers: [recurrent, .dense(units: 3, activation: .softmax, useBias: true)])
        return try train(spec: spec, features: 9 * 5, epochSets: epochSets, threads: threads)
    }

    private func train(spec: ModelSpec, features: Int, epochSets: [KernelISA], threads: Int) throws -> [[Float]] {
        var rng = SeededGenerator(seed: 41)
        let count = 40
        let inputs = Tensor(
            shape: [count] + spec.inputShape, scalars: (0..<(count * features)).map { _ in rng.normal() })
        let data = Dataset(
            inputs: inputs, targets: .classes((0..<count).map { _ in Int32(rng.index(below: 3)) }, count: 3))
        let network = try Network(spec: spec, seed: 3)
        let config = TrainingConfig(
            loss: .crossEntropy,
            optimizer: .adam(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0),
            batchSize: 16, epochs: epochSets.count, seed: 3, gradientClip: nil)
        let trainer = try Trainer(network: network, config: config, training: data, validation: nil, threads: threads)
        for isa in epochSets {
            try withKernelSet(isa) { _ = try trainer.runEpoch() }
        }
        return network.namedParameters.map(\.parameter.value.scalars)
    }
}
