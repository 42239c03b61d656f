import Foundation

/// Completes a deferred response from any thread. Only the first call counts; a responder
/// dropped without answering answers 500, so a forgotten path never hangs a connection.
public final class HTTPResponder: @unchecked Sendable {
    // `lock` guards `completion`.
    private let lock = NSLock()
    private var completion: (@Sendable (Result<HTTPResponse, Error>) -> Void)?

    init(_ completion: @escaping @Sendable (Result<HTTPResponse, Error>) -> Void) {
        self.completion = completion
    }

    /// For tests: a responder that hands the answer to `completion`.
    public convenience init(onResponse completion: @escaping @Sendable (HTTPResponse) -> Void) {
        self.init { result in
            switch result {
            case .success(let response): completion(response)
            case .failure(let error):
                completion((error as? HTTPResponseConvertible)?.httpResponse ?? HTTPError.internalError.response)
            }
        }
    }

    deinit {
        completion?(.failure(HTTPError.internalError))
    }

    public func respond(_ response: HTTPResponse) { take()?(.success(response)) }

    /// Answers with the error's response (an `HTTPResponseConvertible`, else 500).
    public func fail(_ error: Error) { take()?(.failure(error)) }

    private func take() -> (@Sendable (Result<HTTPResponse, Error>) -> Void)? {
        lock.lock()
        defer { lock.unlock() }
        let taken = completion
        completion = nil
        return taken
    }
}
