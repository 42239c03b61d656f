/// The version `nnserve --version` prints and `/healthz`-style tooling can quote.
enum Version {
    static let current = "0.11.0"
}
