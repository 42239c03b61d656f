import NNCore
import Foundation

let results = GemmBenchmark.run(threads: [1, 2]) { print($0) }
